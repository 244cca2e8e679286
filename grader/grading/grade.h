// A grading run: build (or find) each lab's executable and run its rubric's checks, contained.
// The one entry point of `forklab grade` and of any command that grades.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "grading/containment_policy.h"
#include "grading/layout.h"
#include "grading/report.h"

namespace forklab {

/// What to grade and how. The implementation graded is, by precedence: the executables of
/// `exe_for_lab` (one per lab graded), the references (`reference`), or the labs/ of the
/// checkout `submission` (empty: forklab's own source tree), built first.
struct GradeRequest {
  std::vector<std::string> labs;                   // empty: every lab (grading/labs.h)
  std::vector<std::string> checks;                 // test-name wildcards; empty: every check
  std::map<std::string, std::string> exe_for_lab;  // lab -> absolute path of its executable
  bool reference = false;
  std::string submission;
  std::string hidden;                  // an instructor's hidden rubrics and suites, or empty
  std::optional<int> timeout_seconds;  // every check's, instead of the rubrics'
  bool timelines = false;              // record each check's process timeline (HTML report)
  bool skip_unreachable_faults =
      false;  // fault checks that cannot reach the program: skip, not fail
  ContainmentLimits limits;
  int jobs =
      0;  // checks run at once (exclusive ones alone), up to kMaxRunningChecks; 0: DefaultJobs()
};

/// How many checks run at once unless told: a function of the cores.
int DefaultJobs();

/// What a caller is told while a run goes on, to show progress. Any member may be empty. They
/// are called on the calling thread, in rubric order, however many checks run at once.
struct GradeProgress {
  std::function<void(const std::string& warning)> warning;  // once each, before any check
  std::function<void(const std::string& lab)> lab_started;
  std::function<void(const std::string& build_log)> lab_not_built;
  std::function<void(const CheckReport& check)> check_done;
  std::function<void(const LabReport& lab)> lab_done;  // every check graded (or interrupted)
};

/// Runs `request` with forklab's parts at `layout`, reporting progress to `progress`. The
/// calling process becomes a subreaper, and kills every orphan a check leaves after it. Checks
/// run `request.jobs` at once; a lab's build runs alone, before its checks.
/// Throws GradeRequestError (or a rubric's, a fault profile's error) before any check runs
/// when the request cannot be carried out. An interrupted run returns what it graded so far,
/// with `complete` false.
GradeReport Grade(const Layout& layout, const GradeRequest& request, const GradeProgress& progress);

/// Stops the run in progress after killing its running checks (async-signal-safe: for a
/// SIGINT handler).
void InterruptGrading();

}  // namespace forklab
