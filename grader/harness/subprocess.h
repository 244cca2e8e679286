// Running a program under test: spawn, capture, time out, kill the whole tree.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/confinement.h"

namespace forklab {

/// How a process ended: a normal exit with a code, or death by a signal.
struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled

  bool ExitedWith(int expected) const { return !signaled && code == expected; }
  /// "exit 0", "killed by SIGSEGV (signal 11)".
  std::string Describe() const;
};

/// What to start, and with what around it. stdin is /dev/null. Everything that confines the
/// child is here: Subprocess reads no setting from anywhere else.
struct SpawnOptions {
  std::vector<std::string> args;
  /// Variables set (or replaced) on top of the grader's own environment.
  std::map<std::string, std::string> env;
  /// Variables removed from the inherited environment.
  std::vector<std::string> unset_env;
  /// Applied to the child between fork and exec (see ApplyConfinement). The default limits
  /// nothing but core dumps.
  Confinement confinement;
  /// Bytes kept per stream; the excess is counted in *_discarded, not stored.
  size_t output_limit = 16 << 20;
  /// Told, when the Subprocess is destroyed, of each stream cut short at output_limit
  /// ("stdout truncated at 4 MiB (1 GiB discarded)"): a containment event for the caller
  /// to report. Unset: the excess is only counted.
  std::function<void(const std::string& event)> on_truncated;
};

/// A program under test, started in its own process group with stdout and stderr captured
/// through pipes. Passive, like ninja's Subprocess: nothing runs in the background; output
/// is read and the exit collected only inside the calls below. The destructor kills the
/// whole tree (see KillTree) and reaps it, so no path through a test leaks a process.
class Subprocess {
 public:
  /// Starts `exe` with `options`. Throws std::runtime_error with a one-line reason when it
  /// cannot be started (missing file, not executable).
  static std::unique_ptr<Subprocess> Start(const std::string& exe, const SpawnOptions& options);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const;

  /// The next complete stdout line, without its '\n', waiting at most `timeout`.
  /// nullopt on timeout, or at EOF when no complete line is left.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);

  /// Waits at most `timeout` for the process to exit, draining its output meanwhile.
  /// Returns the status once it has exited (at once if it already had), else nullopt.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);

  /// Sends `sig` to the process itself (not its group).
  void Signal(int sig);

  /// SIGKILLs the process group and every descendant found through /proc (which catches
  /// those that left the group with setsid), repeats until none is left, and reaps the
  /// process. Descendants re-parented to a subreaper grader are reaped by ReapAdopted.
  void KillTree();

  /// Everything captured so far, including lines already returned by ReadLine.
  const std::string& stdout_text() const;
  const std::string& stderr_text() const;
  /// stdout_text split into lines (a final unterminated line included).
  std::vector<std::string> StdoutLines() const;
  size_t stdout_discarded() const;
  size_t stderr_discarded() const;

  /// The exit status once Wait (or KillTree) has seen the exit.
  std::optional<ExitStatus> status() const;
  /// Wall time from start to the observed exit (or to now while running).
  std::chrono::duration<double> wall_time() const;
  /// CPU time (user + system) of the process plus all the children it waited for,
  /// read at its exit before it was reaped. Zero until it has exited.
  std::chrono::duration<double> cpu_time() const;

 private:
  Subprocess();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The result of running a program to completion.
struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: still running at the timeout, so killed
  std::string out;
  std::string err;
  std::chrono::duration<double> wall_time{};
  std::chrono::duration<double> cpu_time{};

  bool timed_out() const { return !status.has_value(); }
  std::vector<std::string> Lines() const;
};

/// What `program` did: its output and times, and `status`, the exit as its caller saw it
/// (nullopt: still running when it gave up, so killed).
RunResult ResultOf(const Subprocess& program, std::optional<ExitStatus> status);

/// Starts `exe`, waits at most `timeout`, kills the tree if it is still running.
RunResult Run(const std::string& exe, const SpawnOptions& options,
              std::chrono::milliseconds timeout);

/// Splits text into lines; a final unterminated line is kept.
std::vector<std::string> SplitLines(const std::string& text);

}  // namespace forklab
