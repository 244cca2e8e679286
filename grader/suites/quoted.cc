#include "suites/quoted.h"

#include <cstdio>

#include "i18n/messages.h"

namespace forklab {

namespace {

// The length of the UTF-8 character `text` starts with, or 0 when it does not start with one
// (a stray continuation byte, an overlong or cut-short sequence, a surrogate).
size_t Utf8CharLength(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xc2 && lead <= 0xdf ? 2
                  : (lead & 0xf0) == 0xe0        ? 3
                  : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                 : 0;
  if (length == 0 || length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i)
    if ((byte(i) & 0xc0) != 0x80) return 0;
  if (length == 3 && ((lead == 0xe0 && byte(1) < 0xa0) || (lead == 0xed && byte(1) >= 0xa0)))
    return 0;
  if (length == 4 && ((lead == 0xf0 && byte(1) < 0x90) || (lead == 0xf4 && byte(1) >= 0x90)))
    return 0;
  return length;
}

}  // namespace

std::string Quoted(std::string_view bytes, size_t shown) {
  std::string out = "\"";
  size_t at = 0;
  while (at < bytes.size() && at < shown) {
    unsigned char c = static_cast<unsigned char>(bytes[at]);
    size_t length = Utf8CharLength(bytes.substr(at));
    if (length > 1 || (length == 1 && c >= 0x20 && c != 0x7f)) {
      out += bytes.substr(at, length);
      at += length;
      continue;
    }
    char escaped[8];
    std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
    out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : escaped;
    ++at;
  }
  out += "\"";
  if (at < bytes.size()) out += Tr("... ({} bytes)", bytes.size());
  return out;
}

std::string QuotedStderr(std::string_view err) {
  constexpr size_t kShown = 600;
  if (err.empty()) return Tr("nothing on stderr");
  if (err.size() <= kShown) return Tr("stderr: {}", Quoted(err, kShown));
  // Its end, from a character's start: the last words are the ones that name the cause.
  size_t from = err.size() - kShown;
  while (from < err.size() && (static_cast<unsigned char>(err[from]) & 0xc0) == 0x80) ++from;
  return Tr("stderr (its last {} of {} bytes): {}", err.size() - from, err.size(),
            Quoted(err.substr(from), kShown));
}

}  // namespace forklab
