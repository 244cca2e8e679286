// The grade report: what every check of every lab earned, as a terminal table or JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "grading/check.h"
#include "grading/rubric.h"

namespace forklab {

/// One check as graded: the rubric entry and what running it produced.
struct CheckReport {
  RubricEntry entry;
  CheckResult result;

  double earned() const;
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
  /// Seconds the run took, and its floor: the least it could take with its checks' own
  /// durations, the exclusive ones (timed checks, builds) one after another and every other
  /// check fully overlapped between them. Wall time far above the floor is scheduling or load.
  double wall_seconds = 0;
  double floor_seconds = 0;

  double earned() const;
  double total() const;
  double percent() const;
  /// `forklab grade` arguments that rerun the inconclusive checks ("--lab L --check T", a
  /// hidden check by its lab alone), or none when every check was decided.
  std::vector<std::string> RerunArgs() const;
};

/// How text is rendered: colour only on a terminal, never with NO_COLOR.
struct TextStyle {
  bool color = false;
  /// Show hidden checks' titles and details (instructors); students see only their points.
  bool show_hidden = false;
};

/// One line per check as it finishes ("PASS 2/2 title"), plus the teaching feedback of a
/// check that did not pass: what went wrong and the lesson's hint.
void PrintCheck(std::ostream& out, const CheckReport& check, const TextStyle& style);
/// The final table: points per lab and test, and the total.
void PrintSummary(std::ostream& out, const GradeReport& report, const TextStyle& style);

/// The whole result, machine readable. Hidden checks' details are withheld unless
/// `show_hidden`.
nlohmann::json ToJson(const GradeReport& report, bool show_hidden);

}  // namespace forklab
