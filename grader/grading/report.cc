#include "grading/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

namespace forklab {

double CheckReport::earned() const {
  return result.outcome == Outcome::kPassed ? entry.points * result.fraction : 0;
}

namespace {

/// The sum of `value` over `items`.
template <class Items, class Value>
double SumOf(const Items& items, Value value) {
  double sum = 0;
  for (const auto& item : items) sum += std::invoke(value, item);
  return sum;
}

}  // namespace

double LabReport::earned() const {
  return SumOf(checks, &CheckReport::earned);
}

double LabReport::total() const {
  return SumOf(checks, [](const CheckReport& check) {
    return check.result.outcome == Outcome::kSkipped ? 0 : check.entry.points;
  });
}

double GradeReport::earned() const {
  return SumOf(labs, &LabReport::earned);
}

double GradeReport::total() const {
  return SumOf(labs, &LabReport::total);
}

double GradeReport::percent() const {
  return total() > 0 ? 100 * earned() / total() : 0;
}

std::vector<std::string> GradeReport::RerunArgs() const {
  std::vector<std::string> labs_args, checks_args;
  bool hidden = false;  // a hidden check's name is withheld: its labs are rerun whole
  for (const LabReport& lab : labs) {
    bool undecided = false;
    for (const CheckReport& check : lab.checks) {
      if (check.result.outcome != Outcome::kInconclusive) continue;
      undecided = true;
      hidden |= check.entry.hidden;
      // Checks shared by several labs are named once: --check applies to every lab graded.
      if (std::find(checks_args.begin(), checks_args.end(), check.entry.test) == checks_args.end())
        checks_args.insert(checks_args.end(), {"--check", check.entry.test});
    }
    if (undecided) labs_args.insert(labs_args.end(), {"--lab", lab.lab});
  }
  if (!hidden) labs_args.insert(labs_args.end(), checks_args.begin(), checks_args.end());
  return labs_args;
}

namespace {

std::string Points(double value) {
  std::string text = fmt::format("{:.2f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string Paint(const TextStyle& style, const char* code, const std::string& text) {
  return style.color ? fmt::format("\033[{}m{}\033[0m", code, text) : text;
}

/// The badge in front of a check: green for a pass, yellow for a skip, red for the rest.
std::string Badge(const TextStyle& style, Outcome outcome) {
  static const std::map<Outcome, const char*> kBadges = {
      {Outcome::kPassed, "PASS "},  {Outcome::kSkipped, "SKIP "},     {Outcome::kTimedOut, "TIME "},
      {Outcome::kCrashed, "CRASH"}, {Outcome::kNotBuilt, "BUILD"},    {Outcome::kKilled, "KILL "},
      {Outcome::kFailed, "FAIL "},  {Outcome::kInconclusive, "RERUN"}};
  const char* colour = outcome == Outcome::kPassed                                         ? "32"
                       : outcome == Outcome::kSkipped || outcome == Outcome::kInconclusive ? "33"
                                                                                           : "31";
  return Paint(style, colour, kBadges.at(outcome));
}

// A check that did not pass shows the lesson's hint, unless it says nothing about the
// program: skipped (does not apply here) or inconclusive (the machine was too busy).
bool Teaches(Outcome outcome) {
  return outcome != Outcome::kPassed && outcome != Outcome::kSkipped &&
         outcome != Outcome::kInconclusive;
}

bool Withheld(const CheckReport& check, bool show_hidden) {
  return check.entry.hidden && !show_hidden;
}

void PrintIndented(std::ostream& out, const std::string& text, const std::string& indent) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out << indent << line << '\n';
}

}  // namespace

void PrintCheck(std::ostream& out, const CheckReport& check, const TextStyle& style) {
  bool withheld = Withheld(check, style.show_hidden);
  std::string title = withheld ? "hidden check" : check.entry.title;
  out << fmt::format("  {} {:>5}/{:<3} {}", Badge(style, check.result.outcome),
                     Points(check.earned()), Points(check.entry.points), title);
  if (check.result.outcome != Outcome::kPassed || check.result.fraction < 1)
    out << " (" << OutcomeName(check.result.outcome) << ")";
  out << '\n';
  if (withheld || check.result.outcome == Outcome::kNotBuilt) return;
  if (!check.result.detail.empty()) PrintIndented(out, check.result.detail, "        ");
  if (Teaches(check.result.outcome) && !check.entry.hint.empty())
    out << "        " << Paint(style, "36", "hint: ") << check.entry.hint << '\n';
}

void PrintSummary(std::ostream& out, const GradeReport& report, const TextStyle& style) {
  out << '\n' << Paint(style, "1", "Summary") << " (" << report.implementation << ")\n";
  for (const LabReport& lab : report.labs) {
    out << fmt::format("  {:<52} {:>6}/{:<6}{}\n", lab.lab, Points(lab.earned()),
                       Points(lab.total()), lab.build_log.empty() ? "" : "  did not build");
    for (const CheckReport& check : lab.checks) {
      std::string name = Withheld(check, style.show_hidden) ? "(hidden)" : check.entry.test;
      out << fmt::format("    {:<50} {:>6}/{:<6} {}\n", name, Points(check.earned()),
                         Points(check.entry.points), OutcomeName(check.result.outcome));
    }
  }
  out << fmt::format("  {:<52} {:>6}/{:<6} {:.1f}%\n", "total", Points(report.earned()),
                     Points(report.total()), report.percent());
  if (report.wall_seconds > 0)
    out << fmt::format(
        "  time: {:.1f} s; floor {:.1f} s (the checks' own durations, fully "
        "overlapped but for the timed ones)\n",
        report.wall_seconds, report.floor_seconds);
  for (const std::string& warning : report.warnings)
    out << Paint(style, "33", "  warning: ") << warning << '\n';
  if (!report.complete) out << Paint(style, "33", "  incomplete: grading was interrupted") << '\n';
  if (std::vector<std::string> rerun = report.RerunArgs(); !rerun.empty())
    out << Paint(style, "33", "  incomplete: ")
        << fmt::format(
               "the machine was too busy to decide some checks (RERUN); grade them "
               "again: forklab grade {}",
               fmt::join(rerun, " "))
        << '\n';
}

nlohmann::json ToJson(const GradeReport& report, bool show_hidden) {
  nlohmann::json labs = nlohmann::json::array();
  for (const LabReport& lab : report.labs) {
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckReport& check : lab.checks) {
      nlohmann::json item = {{"points", check.entry.points},
                             {"earned", check.earned()},
                             {"outcome", OutcomeName(check.result.outcome)},
                             {"hidden", check.entry.hidden},
                             {"seconds", check.result.time.count()}};
      if (!Withheld(check, show_hidden)) {
        item["test"] = check.entry.test;
        if (!check.entry.profile.empty())
          item["profile"] = std::filesystem::path(check.entry.profile).stem().string();
        item["title"] = check.entry.title;
        item["detail"] = check.result.detail;
        if (check.result.outcome != Outcome::kPassed &&
            check.result.outcome != Outcome::kInconclusive)
          item["hint"] = check.entry.hint;
      }
      checks.push_back(std::move(item));
    }
    nlohmann::json item = {{"lab", lab.lab},
                           {"exe", lab.exe},
                           {"earned", lab.earned()},
                           {"total", lab.total()},
                           {"built", lab.build_log.empty()},
                           {"checks", std::move(checks)}};
    if (!lab.build_log.empty()) item["build_log"] = lab.build_log;
    labs.push_back(std::move(item));
  }
  std::vector<std::string> rerun = report.RerunArgs();
  return {{"implementation", report.implementation},
          {"complete", report.complete && rerun.empty()},
          {"rerun", rerun},
          {"isolation", report.isolation},
          {"warnings", report.warnings},
          {"earned", report.earned()},
          {"total", report.total()},
          {"percent", report.percent()},
          {"seconds", report.wall_seconds},
          {"floor_seconds", report.floor_seconds},
          {"labs", std::move(labs)}};
}

}  // namespace forklab
