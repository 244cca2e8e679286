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
};

/// A grading run. `complete` is false when it was interrupted: the labs graded so far are
/// kept, the rest are missing.
struct GradeReport {
  std::string implementation;
  bool complete = true;
  std::string isolation;              // what contained the checks ("namespaces", "fallback: ...")
  std::vector<std::string> warnings;  // said once, before the first check
  std::vector<LabReport> labs;

  double earned() const;
  double total() const;
  double percent() const;
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
/// The final table: points per lab and test, and the total.
void PrintSummary(std::ostream& out, const GradeReport& report, const TextStyle& style);

/// The whole result, machine readable. Hidden checks' details are withheld unless
/// `show_hidden`.
nlohmann::json ToJson(const GradeReport& report, bool show_hidden);

}  // namespace forklab
