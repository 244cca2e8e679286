// The grade report: what every check of every lab earned, as a terminal table or JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "grading/check.h"
#include "grading/rubric.h"

namespace forklab {

/// One check as graded: the rubric entry and what running it produced.
struct CheckReport {
  RubricEntry entry;
  CheckResult result;

  double earned() const;
  /// Neither passed in full nor skipped: the student has something to do here.
  bool to_fix() const;
  /// The lesson shown with the check when it did not pass: the hint the check picked by what it
  /// observed; none when it was not measured (the precondition's check names the cause) or
  /// passed or skipped.
  std::string hint() const;
};

/// One lab as graded. `build_log` is set when the lab did not build; every check then
/// reports kNotBuilt and the lab scores 0. A skipped check (the machine cannot run it, e.g.
/// a speedup on one core) counts neither for nor against: it leaves the total.
struct LabReport {
  std::string lab;
  std::string exe;
  std::string build_log;
  std::vector<CheckReport> checks;

  double earned() const;
  double total() const;
  /// The source a student edits: "labs/<lab>/main.cc".
  std::string source() const;
  /// "all passed", "2 checks to fix", "not started: labs/fork_sum/main.cc", "did not build: ...".
  std::string state() const;
  /// True when the lab is the untouched stub: it built, earned nothing, and a check quotes
  /// the stub's own "<lab>: not implemented". Its checks then teach nothing one by one.
  bool not_started() const;
};

/// A grading run. `complete` is false when it was interrupted: the labs graded so far are
/// kept, the rest are missing. A run with an inconclusive check is complete but undecided:
/// the grade stands as a floor until RerunArgs() is graded again.
struct GradeReport {
  std::string implementation;
  bool complete = true;
  std::string isolation;              // what contained the checks ("namespaces", "fallback: ...")
  std::vector<std::string> warnings;  // said once, before the first check
  std::vector<LabReport> labs;
  /// Seconds the run took, and its floor: the least it could take with the waits its checks'
  /// contracts require (CheckResult::required_wait), the exclusive checks' one after another and
  /// the others' overlapped between them as far as the run's jobs allow. Builds and the checks'
  /// own work are not in it: wall time above the floor is work, scheduling or load.
  double wall_seconds = 0;
  double floor_seconds = 0;

  double earned() const;
  double total() const;
  double percent() const;
  /// The isolation in force for the checks (each CheckResult::isolation), each stated once, in
  /// the order the checks met it: one line when every check was contained alike.
  std::vector<std::string> IsolationInForce() const;
  /// `forklab grade` arguments that rerun the inconclusive checks ("--lab L --check T", a
  /// hidden check by its lab alone), or none when every check was decided.
  std::vector<std::string> RerunArgs() const;
};

/// How text is rendered: colour only on a terminal, never with NO_COLOR.
struct TextStyle {
  bool color = false;
  /// Show hidden checks' titles and details (instructors); students see only their points.
  bool show_hidden = false;
  /// Show the internals of a fault check's profile (failure points, probabilities, seed).
  bool verbose = false;
};

/// How many terminal columns `text` (UTF-8) takes: East Asian wide characters take two.
size_t DisplayWidth(std::string_view text);

/// One line per check as it finishes ("PASS 2/2 title"), plus the teaching feedback of a
/// check that did not pass: what went wrong and the lesson's hint.
void PrintCheck(std::ostream& out, const CheckReport& check, const TextStyle& style);
/// The final table, where the eye lands after a run: a line per lab with its points and
/// state ("all passed", "2 checks to fix", "not started: labs/fork_sum/main.cc"), the checks
/// of attempted labs that did not pass, and the total last.
void PrintSummary(std::ostream& out, const GradeReport& report, const TextStyle& style);

/// The run's progress as it goes: each lab's name, then its checks as PrintCheck prints
/// them. A lab's checks are held back while it still looks untouched (nothing passed, the
/// stub's "not implemented" quoted), so a stub lab shows as one line ("not started:
/// labs/fork_sum/main.cc") and an attempted one keeps every detail.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, const TextStyle& style) : out_(out), style_(style) {}
  void LabStarted(const std::string& lab);
  void CheckDone(const CheckReport& check);
  void LabDone(const LabReport& lab);

 private:
  void Release();

  std::ostream& out_;
  TextStyle style_;
  std::string lab_;
  std::vector<CheckReport> held_;  // checks not printed yet: the lab may be a stub
  bool releasing_ = false;         // the lab was attempted: checks print as they finish
};

/// The whole result, machine readable. Hidden checks' details are withheld unless
/// `show_hidden`.
nlohmann::json ToJson(const GradeReport& report, bool show_hidden);

}  // namespace forklab
