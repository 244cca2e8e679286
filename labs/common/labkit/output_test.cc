#include "labkit/output.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace {

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, n);
  return text;
}

// Reads what `print` writes on stderr.
template <typename Print>
std::string CaptureStderr(Print print) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  print();
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fds[1]);
  std::string text = ReadAll(fds[0]);
  close(fds[0]);
  return text;
}

TEST(WriteAll, WritesEveryByteThroughAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // Bigger than the pipe buffer would block; 60 KiB fits the default 64 KiB pipe.
  std::string data(60 * 1024, 'x');
  EXPECT_EQ(labkit::write_all(fds[1], data), 0);
  close(fds[1]);
  EXPECT_EQ(ReadAll(fds[0]), data);
  close(fds[0]);
}

TEST(WriteAll, ReportsTheErrno) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[1]);
  EXPECT_EQ(labkit::write_all(fds[0], "x"), EBADF);  // a read end cannot be written
  close(fds[0]);
}

TEST(PrintError, OneLinePrefixedWithTheProgramName) {
  labkit::set_program_name("fork_echo_server");
  EXPECT_EQ(CaptureStderr([] { labkit::print_error("fork", EAGAIN); }),
            "fork_echo_server: fork: Resource temporarily unavailable\n");
}

TEST(PrintMessage, OverlongLineIsCutButStaysOneLine) {
  labkit::set_program_name("lab");
  std::string text = CaptureStderr([] { labkit::print_message(std::string(10000, 'x')); });
  EXPECT_EQ(text.size(), 4096u);
  EXPECT_EQ(text.substr(0, 6), "lab: x");
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
