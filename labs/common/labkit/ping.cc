#include "labkit/ping.h"

#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "labkit/output.h"

namespace labkit {
namespace {

// Starting a process can fail with EAGAIN when a limit is reached: retry a few times, backing
// off, before giving up on a host.
constexpr int kSpawnTries = 5;
constexpr std::chrono::milliseconds kFirstBackoff{10};

PingResult fail(const std::string& host, const std::string& what, int err) {
  print_error(host + ": " + what, err);
  return PingResult::kError;
}

}  // namespace

PingResult run_ping(const std::vector<std::string>& command, const std::string& host,
                    int dev_null) {
  std::vector<std::string> words = command;
  words.push_back(host);
  std::vector<char*> argv;
  for (std::string& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  // posix_spawnp, not fork: a fork from a process of hundreds of threads copies its page tables
  // every time, and the child of a threaded program may only make async-signal-safe calls until
  // it execs. glibc starts the child without copying them, and returns exec's error itself.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, dev_null, STDOUT_FILENO);  // ping's output is not ours
  posix_spawn_file_actions_adddup2(&actions, dev_null, STDERR_FILENO);
  pid_t pid = -1;
  int error = 0;
  for (int attempt = 0; attempt < kSpawnTries; ++attempt) {
    error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    if (error != EAGAIN) break;
    std::this_thread::sleep_for(kFirstBackoff * (1 << attempt));
  }
  posix_spawn_file_actions_destroy(&actions);
  if (error == EAGAIN) return fail(host, "posix_spawnp", error);
  if (error != 0) return fail(host, "exec " + command[0], error);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? PingResult::kUp : PingResult::kDown;
}

}  // namespace labkit
