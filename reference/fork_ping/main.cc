// fork_ping: a parallel ping sweep with one forked child process per host.
//
//   fork_ping [--ping-cmd "PROG ARGS..."] [--jobs N] TARGET...
//
// The design: each child *becomes* the ping command (fork, then exec), and the parent, which
// only spawns and waits, prints `HOST:up` or `HOST:down` when it reaps that child. The lesson's
// Python child ran `ping` through a shell and printed the line itself; here the exit status
// travels back through waitpid() instead, which has two merits:
//   - a result cannot be printed without reaping the child that produced it, so no zombie is
//     forgotten, and the parent never exits before every line is out;
//   - one process per host instead of two (no shell, no intermediate child).
// The parent has nothing to do but wait, so a blocking waitpid(-1) is all the prompt reaping it
// needs: it wakes the moment any child ends. (A server, which must also accept, would need
// SIGCHLD, a signalfd or a pidfd instead.)
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/targets.h"

namespace {

// fork() can fail with EAGAIN when the process table or a limit is full: retry a few times,
// backing off, before giving up on a host.
constexpr int kForkTries = 5;
constexpr long kFirstBackoffMs = 10;

void sleep_ms(long ms) {
  timespec left{ms / 1000, (ms % 1000) * 1'000'000};
  while (nanosleep(&left, &left) != 0 && errno == EINTR) {
  }
}

/// The running children, by pid, and the sweep's outcome so far.
class Sweep {
 public:
  Sweep(std::vector<std::string> command, int dev_null)
      : command_(std::move(command)), dev_null_(dev_null) {}

  size_t running() const { return hosts_by_pid_.size(); }
  bool any_error() const { return any_error_; }

  /// Starts the check of `host`: a child that runs the ping command with `host` appended.
  /// When no child can be started, reports `host:error` and its reason at once.
  void Start(const std::string& host) {
    // Build argv before fork, so the child only calls async-signal-safe functions.
    std::vector<std::string> words = command_;
    words.push_back(host);
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);

    // Tells the parent whether exec worked. Both ends close on exec, so a successful exec
    // leaves the parent reading EOF; a failed one leaves the child time to send its errno.
    int exec_status[2];
    if (pipe2(exec_status, O_CLOEXEC) != 0) return Fail(host, "pipe", errno);

    pid_t pid = -1;
    for (int attempt = 1; attempt <= kForkTries; ++attempt) {
      pid = fork();
      if (pid >= 0 || errno != EAGAIN) break;
      // A child of ours that ends frees a process slot: wait for one if any is running,
      // else just back off.
      if (running() > 0)
        ReapOne(/*block=*/true);
      else
        sleep_ms(kFirstBackoffMs << (attempt - 1));
    }
    if (pid < 0) {
      int fork_errno = errno;
      close(exec_status[0]);
      close(exec_status[1]);
      return Fail(host, "fork", fork_errno);
    }

    if (pid == 0) {
      // The child: ping's output is not ours to show, so it goes to /dev/null.
      close(exec_status[0]);
      dup2(dev_null_, STDOUT_FILENO);
      dup2(dev_null_, STDERR_FILENO);
      execvp(argv[0], argv.data());
      int exec_errno = errno;
      (void)!write(exec_status[1], &exec_errno, sizeof exec_errno);
      _exit(127);
    }

    close(exec_status[1]);
    int exec_errno = 0;
    ssize_t n;
    while ((n = read(exec_status[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    close(exec_status[0]);
    if (n > 0) {
      // The ping never ran: collect the child now and report the host as an error.
      while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return Fail(host, "exec " + command_[0], exec_errno);
    }
    hosts_by_pid_[pid] = host;
  }

  /// Reaps one finished child and prints its host's line. With `block`, waits until one
  /// ends; without, returns false when none has ended yet.
  bool ReapOne(bool block) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, block ? 0 : WNOHANG);
    if (pid <= 0) return false;  // none finished yet, or EINTR: the caller simply loops
    auto it = hosts_by_pid_.find(pid);
    if (it == hosts_by_pid_.end()) return true;  // not a ping of ours (cannot happen here)
    bool up = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    labkit::print_line(it->second + (up ? ":up" : ":down"));
    hosts_by_pid_.erase(it);
    return true;
  }

 private:
  void Fail(const std::string& host, const std::string& what, int err) {
    labkit::print_error(host + ": " + what, err);
    labkit::print_line(host + ":error");
    any_error_ = true;
  }

  const std::vector<std::string> command_;
  const int dev_null_;
  std::map<pid_t, std::string> hosts_by_pid_;
  bool any_error_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  std::string ping_command = "ping -c 2 -W 1";
  int jobs = 0;
  std::vector<std::string> targets;
  labkit::Options options("fork_ping",
                          "Ping every host of the TARGETs at once, one child process per host.");
  options.Text("--ping-cmd", &ping_command, "The ping command; the host is appended");
  options.Integer("--jobs", &jobs, 1, std::numeric_limits<int>::max(),
                  "How many pings may run at once (default: all)", labkit::Default::kHidden);
  options.Arguments("targets", &targets, "A.B.C.D, A.B.C.X-Y or A.B.C.D/NN (16 <= NN <= 32)");
  options.Parse(argc, argv);

  // Every target is checked before anything runs: a bad one means no ping at all.
  std::vector<std::string> hosts;
  for (const std::string& target : targets) {
    std::string error;
    if (!labkit::expand_target(target, &hosts, &error)) {
      labkit::print_message(error);
      return 2;
    }
  }
  std::vector<std::string> command = labkit::split_command(ping_command);
  if (command.empty()) {
    labkit::print_message("--ping-cmd: empty command");
    return 2;
  }
  size_t max_running = jobs > 0 ? static_cast<size_t>(jobs) : SIZE_MAX;

  int dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (dev_null < 0) {
    labkit::print_error("/dev/null", errno);
    return 1;
  }

  Sweep sweep(std::move(command), dev_null);
  for (const std::string& host : hosts) {
    while (sweep.running() >= max_running) sweep.ReapOne(/*block=*/true);
    sweep.Start(host);
    // Collect whatever ended while we were starting others, so no zombie waits for the
    // last fork and every line is printed as soon as its result is known.
    while (sweep.ReapOne(/*block=*/false)) {
    }
  }
  while (sweep.running() > 0) sweep.ReapOne(/*block=*/true);
  return sweep.any_error() ? 1 : 0;
}
