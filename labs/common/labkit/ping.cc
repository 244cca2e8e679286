#include "labkit/ping.h"

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "labkit/output.h"

namespace labkit {
namespace {

// fork() can fail with EAGAIN when a limit is reached: retry a few times, backing off, before
// giving up on a host.
constexpr int kForkTries = 5;
constexpr std::chrono::milliseconds kFirstBackoff{10};

PingResult fail(const std::string& host, const std::string& what, int err) {
  print_error(host + ": " + what, err);
  return PingResult::kError;
}

}  // namespace

PingResult run_ping(const std::vector<std::string>& command, const std::string& host,
                    int dev_null) {
  // Build argv before fork: in the child of a threaded program, another thread may have held
  // the malloc lock at the moment of fork, so only async-signal-safe calls are allowed there
  // (glibc's execvp searches PATH on the stack, without allocating).
  std::vector<std::string> words = command;
  words.push_back(host);
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  // Tells this thread whether exec worked: both ends close on exec, so a successful exec
  // gives EOF, and a failed one leaves the child time to send its errno.
  int exec_status[2];
  if (pipe2(exec_status, O_CLOEXEC) != 0) return fail(host, "pipe", errno);
  pid_t pid = -1;
  for (int attempt = 0; attempt < kForkTries; ++attempt) {
    pid = fork();
    if (pid >= 0 || errno != EAGAIN) break;
    std::this_thread::sleep_for(kFirstBackoff * (1 << attempt));
  }
  if (pid < 0) {
    int fork_errno = errno;
    close(exec_status[0]);
    close(exec_status[1]);
    return fail(host, "fork", fork_errno);
  }
  if (pid == 0) {
    dup2(dev_null, STDOUT_FILENO);  // ping's output is not ours to show
    dup2(dev_null, STDERR_FILENO);
    execvp(argv[0], argv.data());
    int exec_errno = errno;
    (void)!write(exec_status[1], &exec_errno, sizeof exec_errno);  // nothing else to do if lost
    _exit(127);
  }

  close(exec_status[1]);
  int exec_errno = 0;
  ssize_t n;
  while ((n = read(exec_status[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  close(exec_status[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (n > 0) return fail(host, "exec " + command[0], exec_errno);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? PingResult::kUp : PingResult::kDown;
}

}  // namespace labkit
