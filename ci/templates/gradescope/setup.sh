#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image; the package is in
# /autograder/source (forklab/: the student edition, hidden/: the hidden rubrics, if any).
# It needs Gradescope's Ubuntu 24.04 base image: forklab needs Boost >= 1.81 and toml++, which
# Ubuntu 22.04 (the default base image) does not package.
set -euo pipefail
source_dir=${FORKLAB_AUTOGRADER_ROOT:-/autograder}/source
. /etc/os-release
if [ "${ID:-}" = ubuntu ] && [ "${VERSION_ID%%.*}" -lt 24 ]; then
  echo "setup.sh: this is Ubuntu $VERSION_ID; forklab needs Boost >= 1.81 and toml++, packaged" \
    "from Ubuntu 24.04 on: choose the Ubuntu 24.04 base image in the autograder settings" >&2
  exit 1
fi
cd "$source_dir/forklab"
ci/install-deps
ci/build
