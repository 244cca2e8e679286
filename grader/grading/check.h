// Running one graded check: one GoogleTest test, in its own process, with a timeout.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "grading/rubric.h"

namespace forklab {

/// The distinct ways a check can end; each is reported as itself.
enum class Outcome { kPassed, kFailed, kTimedOut, kCrashed, kNotBuilt, kSkipped };

/// "passed", "failed", "timed out", "crashed", "did not build", "skipped".
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

/// What the check runs against.
struct Target {
  std::string lab;
  std::string exe;                         // the implementation under test
  std::map<std::string, std::string> env;  // extra environment for the suite
};

/// Runs `entry.test` of `entry.suite` against `target` in a fresh suite process with the
/// entry's timeout, and classifies the result from the suite's JSON report and exit status.
/// A hung or crashing check costs only itself.
CheckResult RunCheck(const RubricEntry& entry, const Target& target);

/// Kills the check running now, if any (async-signal-safe: for the grader's SIGINT handler).
/// Its RunCheck then returns kCrashed; the caller knows it interrupted it.
void InterruptRunningCheck();

}  // namespace forklab
