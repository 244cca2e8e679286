# Shared by ci/check-html-report and ci/screenshot-report (sourced, not run): headless
# Chromium from Debian's `chromium` package, kept off the network (it loads one local file).
chromium_bin() { command -v chromium || command -v chromium-browser || true; }

# headless_chromium PROFILE_DIR ARGS...: runs Chromium headless with its console logged to
# stderr, no background fetch, no first-run work, root-friendly.
headless_chromium() {
  local profile=$1
  shift
  timeout 120 "$(chromium_bin)" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --no-default-browser-check \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-domain-reliability --disable-client-side-phishing-detection --no-pings \
    --disable-features=OptimizationHints,MediaRouter,Translate \
    --enable-logging=stderr --v=0 "$@"
}
