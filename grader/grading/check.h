// Running one graded check: one GoogleTest test, in its own process, with a timeout.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grading/rubric.h"
#include "harness/confinement.h"
#include "sandbox/protocol.h"

namespace forklab {

/// The distinct ways a check can end; each is reported as itself. kKilled: the sandbox
/// stopped the run at one of its limits (processes, memory), or processes outlived it.
/// kInconclusive: the machine was too busy to decide it; it earns nothing and stays in the
/// total (never raising a grade), and the run names it to rerun.
enum class Outcome {
  kPassed,
  kFailed,
  kTimedOut,
  kCrashed,
  kNotBuilt,
  kSkipped,
  kKilled,
  kInconclusive
};

/// "passed", "failed", "timed out", "crashed", "did not build", "skipped", "killed",
/// "inconclusive".
const char* OutcomeName(Outcome outcome);

/// What one check produced. `fraction` is the share of the points a passed check earns
/// (a suite may grade partially through RecordProperty("fraction", ...)); `detail` is
/// what the student reads: the suite's failure messages, the skip reason, the signal.
/// `required_wait` is the waiting its contract imposes (suites/required_wait.h), which no
/// schedule can save: the floor of a run is made of it. `timeline` is what the check's processes
/// did, when the grader asked for it (GradeRequest::timelines) and the suite returned one.
/// `hint_key` is the keyed hint the check picked by what it observed (RecordProperty("hint",
/// key); empty: the rubric's default hint); `precondition` the check (Suite.Name) whose
/// failure left this one not measured (RecordProperty("precondition", ...)): that check names
/// the cause, so this one shows no hint of its own. `isolation` is what really contained the
/// check's run: namespaces, cgroup or why none, and the limits in force.
struct CheckResult {
  Outcome outcome = Outcome::kFailed;
  double fraction = 0;
  std::string detail;
  std::chrono::duration<double> time{};
  std::chrono::duration<double> required_wait{};
  std::optional<ProcessTimeline> timeline = std::nullopt;
  std::optional<SpeedupMeasurement> speedup =
      std::nullopt;  // the sums' speedup check: what it measured
  std::string hint_key{};
  std::string precondition{};
  std::string fault_points{};  // a fault check's failure points and seed: shown with --verbose
  std::string isolation{};     // what contained its run (SandboxResult::isolation); empty: no run
};

/// How every check is contained: the sandbox's policy (see sandbox/sandbox.h) and the
/// confinement of the program under test. The grader fills it once per run.
struct Containment {
  std::string sandbox;  // the forklab-sandbox executable
  bool namespaces = true;
  int max_processes = 1024;  // the whole run: suite, program under test and its helpers
  int memory_mib = 512;
  double cpus = 0;                // CPU quota of the run, in cores (0: none)
  std::vector<std::string> view;  // what the run sees besides the system (suites, fixtures)
  std::vector<std::string> hide;  // directories of `view` it sees empty (references, hidden tests)
  std::string reference;          // the lab's reference, passed to the suite alone
  Confinement program;

  /// forklab-sandbox's options for the above, but the reference and the program's confinement.
  std::vector<std::string> SandboxOptions() const;
};

/// What the check runs against.
struct Target {
  std::string lab;
  std::string exe;                         // the implementation under test
  std::map<std::string, std::string> env;  // extra environment for the suite
  Containment containment;
};

/// A GoogleTest failure as a student reads it: GoogleTest's own wording ("Value of:", "Which
/// is:", file:line, "Google Test trace:") dropped or put in plain words, the suite's message kept.
std::string PlainFailure(const std::string& failure);

/// The one command that replays exactly this check outside the grader, for a debugger or a
/// loop: its suite, run on `target` alone; the suite picks the check's fault profile (and
/// seed) from the lab's rubric, and its time zones itself, as when graded.
std::string ReplayCommand(const RubricEntry& entry, const Target& target);

/// Runs `entry.test` of `entry.suite` against `target` in a fresh suite process inside the
/// sandbox, with the entry's timeout, and classifies the result from what the sandbox saw and
/// the suite's JSON report. A hung, crashing or hostile check costs only itself. The detail of a
/// check that did not pass ends with its "replay: " command.
CheckResult RunCheck(const RubricEntry& entry, const Target& target);

/// How one run of forklab-sandbox went: the result it wrote, or why there is none.
struct SandboxRun {
  SandboxResult result;
  std::string failure;  // the sandbox itself failed: empty, or one line saying how
  std::chrono::duration<double> time{};
};

/// Runs forklab-sandbox with `args` (its options, "--" and the command) for at most `wall`,
/// with `env` added to its environment. The run stops at InterruptRunningChecks. Safe to call
/// from several threads, up to kMaxRunningChecks at once.
SandboxRun RunSandbox(const std::string& sandbox_exe, std::vector<std::string> args,
                      const std::map<std::string, std::string>& env, std::chrono::seconds wall);

/// The most sandboxes (checks, builds) that may run at once.
inline constexpr int kMaxRunningChecks = 64;

/// Stops every check running now, if any (async-signal-safe: for the grader's SIGINT handler).
/// Their sandboxes end the runs and clean up; the caller knows it interrupted them.
void InterruptRunningChecks();

}  // namespace forklab
