#include "labkit/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace labkit {

namespace {
std::string& stored_program_name() {
  static std::string name = "lab";
  return name;
}

// Error lines longer than this are cut; PIPE_BUF, the most one write(2) to a pipe keeps whole.
constexpr size_t kMaxErrorLine = 4096;

// Prints "<program>: " and `parts` on stderr as one line with one write(2). The line is put
// together on the stack, not the heap, so an error is still reported when memory has run out
// (a handler of std::bad_alloc must not need memory itself).
void print_error_line(std::initializer_list<std::string_view> parts) {
  char line[kMaxErrorLine];
  size_t size = 0;
  auto append = [&](std::string_view part) {
    part = part.substr(0, sizeof line - 1 - size);  // - 1: room for the '\n'
    std::memcpy(line + size, part.data(), part.size());
    size += part.size();
  };
  append(program_name());
  append(": ");
  for (std::string_view part : parts) append(part);
  line[size++] = '\n';
  write_all(STDERR_FILENO, std::string_view(line, size));
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
  print_error_line({message});
}

void print_error(std::string_view what, int err) {
  print_error_line({what, ": ", std::strerror(err)});
}

void not_implemented() {
  print_message("not implemented");
  std::exit(3);
}

}  // namespace labkit
