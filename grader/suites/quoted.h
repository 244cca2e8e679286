// What a program sent, quoted for a failure message a student reads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace forklab {

/// `bytes` in double quotes, for failure messages that show what a program sent: valid UTF-8
/// stays as it is (你好 reads 你好), control bytes and bytes that are not UTF-8 are escaped
/// (\n, \x01, \xff). Cut after about `shown` bytes, at a character, saying the full size then.
std::string Quoted(std::string_view bytes, size_t shown = 60);

/// The end of what a program wrote on stderr, quoted: enough for the cause to show
/// ("accept: Interrupted system call" after pages of earlier messages).
std::string QuotedStderr(std::string_view err);

}  // namespace forklab
