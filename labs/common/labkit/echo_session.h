// The echo servers' line protocol: one client's session, whoever runs it (a forked child or
// a thread). It is not the lesson of either server, which is how sessions are run.
#pragma once

#include <cstddef>
#include <string_view>

namespace labkit {

/// Longest line echoed whole, not counting its "\r\n". A client that sends more without a
/// newline is cut off, so one client cannot make the server buffer without bound.
inline constexpr size_t kMaxEchoLineBytes = 64 * 1024;

/// Sends every byte of `data` on socket `fd`. send() may take only part of it (partial write)
/// or be interrupted (EINTR), so it loops. MSG_NOSIGNAL turns "the client has gone" into an
/// EPIPE error instead of a SIGPIPE that would kill the process.
/// Returns 0, or the errno of the failure.
int send_all(int fd, std::string_view data);

/// Whether `line` is "quit" once surrounding whitespace (" \t\r\n\v\f") is trimmed.
bool is_quit(std::string_view line);

/// Serves one client on the connected socket `client` until it quits, closes its side, or
/// the connection fails; the caller closes the socket. Each '\n'-terminated line, less one
/// trailing '\r', is answered with "[HH:MM:SS] line\n" (labkit::local_hhmmss(), taken at reply
/// time). A line that is "quit" (see is_quit) ends the session without a reply. At EOF a last
/// line without its '\n' is answered too, unless it is a quit. A line over kMaxEchoLineBytes
/// ends the session. Errors are reported on stderr (labkit::print_error).
/// Throws std::bad_alloc when memory runs out: the caller decides what that ends.
void serve_echo_client(int client);

}  // namespace labkit
