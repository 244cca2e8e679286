// Running one graded check: one GoogleTest test, in its own process, with a timeout.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "grading/rubric.h"
#include "harness/confinement.h"
#include "sandbox/protocol.h"

namespace forklab {

/// The distinct ways a check can end; each is reported as itself. kKilled: the sandbox
/// stopped the run at one of its limits (processes, memory), or processes outlived it.
enum class Outcome { kPassed, kFailed, kTimedOut, kCrashed, kNotBuilt, kSkipped, kKilled };

/// "passed", "failed", "timed out", "crashed", "did not build", "skipped", "killed".
const char* OutcomeName(Outcome outcome);

/// What one check produced. `fraction` is the share of the points a passed check earns
/// (a suite may grade partially through RecordProperty("fraction", ...)); `detail` is
/// what the student reads: the suite's failure messages, the skip reason, the signal.
struct CheckResult {
  Outcome outcome = Outcome::kFailed;
  double fraction = 0;
  std::string detail;
  std::chrono::duration<double> time{};
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

/// Runs `entry.test` of `entry.suite` against `target` in a fresh suite process inside the
/// sandbox, with the entry's timeout, and classifies the result from what the sandbox saw and
/// the suite's JSON report. A hung, crashing or hostile check costs only itself.
CheckResult RunCheck(const RubricEntry& entry, const Target& target);

/// How one run of forklab-sandbox went: the result it wrote, or why there is none.
struct SandboxRun {
  SandboxResult result;
  std::string failure;  // the sandbox itself failed: empty, or one line saying how
  std::chrono::duration<double> time{};
};

/// Runs forklab-sandbox with `args` (its options, "--" and the command) for at most `wall`,
/// with `env` added to its environment. The run in progress stops at InterruptRunningCheck.
SandboxRun RunSandbox(const std::string& sandbox_exe, std::vector<std::string> args,
                      const std::map<std::string, std::string>& env, std::chrono::seconds wall);

/// Stops the check running now, if any (async-signal-safe: for the grader's SIGINT handler).
/// Its sandbox ends the run and cleans up; the caller knows it interrupted it.
void InterruptRunningCheck();

}  // namespace forklab
