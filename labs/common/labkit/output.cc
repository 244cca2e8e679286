#include "labkit/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace labkit {

namespace {
std::string& stored_program_name() {
  static std::string name = "lab";
  return name;
}
}  // namespace

void set_program_name(std::string_view name) {
  stored_program_name() = name;
}

const std::string& program_name() {
  return stored_program_name();
}

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

void print_line(std::string_view line) {
  std::string buffer;
  buffer.reserve(line.size() + 1);
  buffer.append(line).push_back('\n');
  write_all(STDOUT_FILENO, buffer);
}

void print_message(std::string_view message) {
  std::string buffer = program_name();
  buffer.append(": ").append(message).push_back('\n');
  write_all(STDERR_FILENO, buffer);
}

void print_error(std::string_view what, int err) {
  std::string message(what);
  message.append(": ").append(std::strerror(err));
  print_message(message);
}

void not_implemented() {
  print_message("not implemented");
  std::exit(3);
}

}  // namespace labkit
