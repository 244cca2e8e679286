#include "labkit/echo_session.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <string>

#include "labkit/output.h"
#include "labkit/timestamp.h"

namespace labkit {
namespace {

void report_overlong_line() {
  print_message("line longer than 64 KiB; closing that connection");
}

// Answers one line (without its '\n'). Returns false when the session must end: the client
// asked to quit, the line is too long, or the reply could not be sent.
bool answer_line(int client, std::string_view line) {
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.size() > kMaxEchoLineBytes) {
    report_overlong_line();
    return false;
  }
  if (is_quit(line)) return false;
  // The timestamp is taken now, at reply time; the line's bytes go back untouched.
  std::string reply = "[" + local_hhmmss() + "] ";
  reply.append(line).push_back('\n');
  if (int err = send_all(client, reply)) {
    print_error("send", err);
    return false;
  }
  return true;
}

}  // namespace

int send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent == -1) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(sent));
  }
  return 0;
}

bool is_quit(std::string_view line) {
  constexpr std::string_view kWhitespace = " \t\r\n\v\f";
  size_t first = line.find_first_not_of(kWhitespace);
  if (first == std::string_view::npos) return false;
  size_t last = line.find_last_not_of(kWhitespace);
  return line.substr(first, last - first + 1) == "quit";
}

// TCP is a byte stream, not a sequence of lines: one recv() may hold half a line or several
// lines, so bytes are kept in `pending` until their '\n' arrives.
void serve_echo_client(int client) {
  std::string pending;
  char chunk[16 * 1024];
  for (;;) {
    ssize_t received = recv(client, chunk, sizeof chunk, 0);
    if (received == -1) {
      if (errno == EINTR) continue;
      print_error("recv", errno);
      return;
    }
    if (received == 0) {  // EOF: the client is done; a last line without '\n' still counts
      if (!pending.empty()) answer_line(client, pending);
      return;
    }
    pending.append(chunk, static_cast<size_t>(received));
    size_t line_start = 0;
    for (size_t newline; (newline = pending.find('\n', line_start)) != std::string::npos;) {
      std::string_view line(pending.data() + line_start, newline - line_start);
      if (!answer_line(client, line)) return;
      line_start = newline + 1;
    }
    pending.erase(0, line_start);
    if (pending.size() > kMaxEchoLineBytes + 1) {  // + 1: room for a '\r' still to be stripped
      report_overlong_line();
      return;
    }
  }
}

}  // namespace labkit
