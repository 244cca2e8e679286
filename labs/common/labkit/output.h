// Line-atomic, unbuffered output for programs that fork and run threads.
#pragma once

#include <string>
#include <string_view>

namespace labkit {

/// Remembers the program name that prefixes every error line. Call once, first thing in main.
void set_program_name(std::string_view name);
const std::string& program_name();

/// Writes every byte of `data` to `fd`, retrying after EINTR and short writes.
/// Returns 0 on success, else the errno of the failing write.
int write_all(int fd, std::string_view data);

/// Prints `line` plus '\n' on stdout with a single write(2): nothing is buffered in the
/// process, so a line is visible through a pipe at once and concurrent writers (threads or
/// forked children) never interleave within a line.
void print_line(std::string_view line);

/// Prints "<program>: <what>: <strerror(err)>" on stderr as one line. Allocates nothing, so
/// it works when memory has run out; lines over 4 KiB are cut.
void print_error(std::string_view what, int err);

/// Prints "<program>: <message>" on stderr as one line, like print_error.
void print_message(std::string_view message);

/// The stub's body: prints "<program>: not implemented" on stderr and exits 3.
[[noreturn]] void not_implemented();

}  // namespace labkit
