// Fault injection: running a program under test with libfiu's failure points enabled.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness/subprocess.h"

namespace forklab {

/// How one libfiu failure point fails. `error` is the errno the failing call reports; always
/// set it when grading, since libfiu's own pick (error 0) includes EINTR and EAGAIN, which
/// correct code retries, and would make the grade depend on chance.
struct FaultPoint {
  enum class When { kAlways, kRandom, kFromCall };

  std::string name;  // "posix/proc/fork", "posix/thread/create"; a trailing '*' is a prefix
  When when = When::kAlways;
  double probability = 1;  // kRandom: the chance each call fails
  int from_call = 1;       // kFromCall: the first failing call (1 = every call fails)
  int error = 0;
  bool once = false;  // fail once, then never again (libfiu's onetime)

  /// The libfiu remote-control command that enables this point ("enable name=...").
  std::string EnableCommand() const;
};

/// A set of failure points and the seed that makes their random ones repeatable.
/// With `remote_control`, points can also be switched while the program runs
/// (FaultControl); libfiu then runs one more thread in the program. Points that are not
/// `on_at_start` are left for the test to switch on that way.
struct FaultPlan {
  std::vector<FaultPoint> points;
  unsigned seed = 1;
  bool remote_control = false;
  bool on_at_start = true;
};

/// Whether this machine can inject faults at all: libfiu's preload libraries and ours are
/// installed. When not, `why` says so in one line.
bool FaultInjectionAvailable(std::string* why);

/// Whether faults can reach `exe`: injection is available, and the executable is dynamically
/// linked (its ELF header has a PT_INTERP). Scripts are judged by their interpreter. When
/// not, `why` says so in one line.
bool FaultsCanReach(const std::string& exe, std::string* why);

/// Watches, while a fault check runs, that the injection stays in the processes of the program
/// under test. A process running `exe` that has mapped libc but not the grader's preload
/// (which the dynamic loader maps before any library the program needs) had LD_PRELOAD taken out
/// of its environment, by a re-exec of itself for example: no fault reached it. This tells
/// "could not reach" from "never made the call". Samples /proc from a thread of its own.
class PreloadWatch {
 public:
  explicit PreloadWatch(std::string exe);
  ~PreloadWatch();
  PreloadWatch(const PreloadWatch&) = delete;
  PreloadWatch& operator=(const PreloadWatch&) = delete;

  /// Stops watching. Empty when every process of `exe` seen had the preload, else one line
  /// naming the one that did not.
  std::string Stop();

 private:
  void Sample();
  std::string exe_;
  std::string lost_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Sets up `options` so the program starts with `plan` in force: LD_PRELOAD with libfiu's
/// preload libraries and ours (pthread_create), FIU_ENABLE, FIU_PRNG_SEED, and the remote
/// control fifo prefix `control_prefix` (unused without remote_control).
void ApplyFaults(const FaultPlan& plan, const std::string& control_prefix, SpawnOptions* options);

/// libfiu's remote control of one running process: commands written to the fifos
/// "<prefix>-<pid>.in/.out" that its control thread serves. Owns the prefix's directory
/// and removes it (killed processes leave their fifos behind).
class FaultControl {
 public:
  FaultControl();  // a fresh private directory for the fifos
  ~FaultControl();
  FaultControl(const FaultControl&) = delete;
  FaultControl& operator=(const FaultControl&) = delete;

  const std::string& prefix() const { return prefix_; }

  /// What became of a command.
  enum class Delivery {
    kApplied,
    kNoControl,   ///< no control thread took it: the program is gone or runs without one
    kUnanswered,  ///< taken, but not answered in time
    kRefused,     ///< libfiu answered an error: the command is wrong
  };

  /// Sends one command ("enable name=posix/proc/fork,failinfo=11", "disable name=...") to
  /// `pid`, waiting at most `timeout` for its control thread, and no longer than `running`
  /// (asked while it waits) says the program runs. Unless applied, `error` says why.
  Delivery Send(
      pid_t pid, const std::string& command, std::chrono::milliseconds timeout, std::string* error,
      const std::function<bool()>& running = [] { return true; });

 private:
  std::string dir_;
  std::string prefix_;
};

}  // namespace forklab
