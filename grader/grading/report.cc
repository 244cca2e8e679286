#include "grading/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "i18n/messages.h"

namespace forklab {

double CheckReport::earned() const {
  return result.outcome == Outcome::kPassed ? entry.points * result.fraction : 0;
}

bool CheckReport::to_fix() const {
  bool passed = result.outcome == Outcome::kPassed && result.fraction >= 1;
  return !passed && result.outcome != Outcome::kSkipped;
}

// A check that did not pass shows the lesson's hint, unless it says nothing about the
// program: skipped (does not apply here), inconclusive (the machine was too busy), or not
// measured (the precondition's check names the cause).
std::string CheckReport::hint() const {
  if (result.outcome == Outcome::kPassed || result.outcome == Outcome::kSkipped ||
      result.outcome == Outcome::kInconclusive || !result.precondition.empty())
    return "";
  return entry.HintFor(result.hint_key);
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

std::string LabReport::source() const {
  return "labs/" + lab + "/main.cc";
}

std::string LabReport::state() const {
  if (!build_log.empty()) return Tr("did not build: {}", source());
  if (not_started()) return Tr("not started: {}", source());
  auto to_fix = std::ranges::count_if(checks, &CheckReport::to_fix);
  bool all_skipped = std::ranges::all_of(
      checks, [](const CheckReport& check) { return check.result.outcome == Outcome::kSkipped; });
  if (all_skipped) return Tr("every check skipped");
  if (to_fix == 0) return Tr("all passed");
  if (to_fix == 1) return Tr("1 check to fix");
  return Tr("{} checks to fix", to_fix);
}

bool LabReport::not_started() const {
  if (!build_log.empty() || earned() > 0) return false;
  std::string stub_says = lab + ": not implemented";
  for (const CheckReport& check : checks)
    if (check.result.detail.find(stub_says) != std::string::npos) return true;
  return false;
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

std::vector<std::string> GradeReport::IsolationInForce() const {
  std::vector<std::string> seen;
  for (const LabReport& lab : labs)
    for (const CheckReport& check : lab.checks)
      if (const std::string& isolation = check.result.isolation;
          !isolation.empty() && std::find(seen.begin(), seen.end(), isolation) == seen.end())
        seen.push_back(isolation);
  return seen;
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

bool Withheld(const CheckReport& check, bool show_hidden) {
  return check.entry.hidden && !show_hidden;
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80       ? 1
                    : lead >> 5 == 6  ? 2
                    : lead >> 4 == 14 ? 3
                    : lead >> 3 == 30 ? 4
                                      : 1;
    char32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length && i + k < text.size(); ++k)
      code = code << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    // East Asian wide and fullwidth characters take two columns on a terminal.
    bool wide = (code >= 0x1100 && code <= 0x115F) || (code >= 0x2E80 && code <= 0xA4CF) ||
                (code >= 0xAC00 && code <= 0xD7A3) || (code >= 0xF900 && code <= 0xFAFF) ||
                (code >= 0xFE30 && code <= 0xFE4F) || (code >= 0xFF00 && code <= 0xFF60) ||
                (code >= 0xFFE0 && code <= 0xFFE6) || (code >= 0x1F300 && code <= 0x1FAFF);
    width += wide ? 2 : 1;
    i += length;
  }
  return width;
}

namespace {

/// `text` and spaces up to `width` terminal columns.
std::string PadTo(const std::string& text, size_t width) {
  size_t used = DisplayWidth(text);
  return used >= width ? text : text + std::string(width - used, ' ');
}

void PrintIndented(std::ostream& out, const std::string& text, const std::string& indent) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) out << indent << line << '\n';
}

}  // namespace

void PrintCheck(std::ostream& out, const CheckReport& check, const TextStyle& style) {
  bool withheld = Withheld(check, style.show_hidden);
  std::string title = withheld ? Tr("hidden check") : check.entry.title;
  out << fmt::format("  {} {:>5}/{:<3} {}", Badge(style, check.result.outcome),
                     Points(check.earned()), Points(check.entry.points), title);
  if (check.result.outcome != Outcome::kPassed || check.result.fraction < 1)
    out << " (" << Tr(OutcomeName(check.result.outcome)) << ")";
  out << '\n';
  if (withheld || check.result.outcome == Outcome::kNotBuilt) return;
  if (!check.result.detail.empty()) PrintIndented(out, check.result.detail, "        ");
  if (style.verbose && !check.result.fault_points.empty())
    out << "        " << Tr("fault points: ") << check.result.fault_points << '\n';
  if (std::string hint = check.hint(); !hint.empty())
    out << "        " << Paint(style, "36", Tr("hint: ")) << hint << '\n';
}

void PrintSummary(std::ostream& out, const GradeReport& report, const TextStyle& style) {
  out << '\n' << Paint(style, "1", Tr("Summary")) << " (" << report.implementation << ")\n";
  for (const std::string& isolation : report.IsolationInForce())
    out << "  " << Tr("isolation: {}", isolation) << '\n';
  // The checks by the titles the list above shows, every column aligned for the longest.
  auto name_of = [&](const CheckReport& check) {
    return Withheld(check, style.show_hidden) ? Tr("(hidden check)") : check.entry.title;
  };
  size_t width = DisplayWidth(Tr("total"));
  for (const LabReport& lab : report.labs) {
    width = std::max(width, DisplayWidth(lab.lab));
    if (!lab.build_log.empty() || lab.not_started()) continue;  // its checks are not listed
    for (const CheckReport& check : lab.checks)
      if (check.to_fix()) width = std::max(width, DisplayWidth(name_of(check)) + 2);
  }
  for (const LabReport& lab : report.labs) {
    out << fmt::format("  {} {:>6}/{:<6} {}\n", PadTo(lab.lab, width), Points(lab.earned()),
                       Points(lab.total()), lab.state());
    if (!lab.build_log.empty() || lab.not_started()) continue;
    for (const CheckReport& check : lab.checks) {
      if (!check.to_fix()) continue;
      out << fmt::format("    {} {:>6}/{:<6} {}\n", PadTo(name_of(check), width - 2),
                         Points(check.earned()), Points(check.entry.points),
                         Tr(OutcomeName(check.result.outcome)));
    }
  }
  if (report.wall_seconds > 0)
    out << "  "
        << Tr("time: {} s; floor {} s (the waits the checks require, overlapped but for the "
              "timed ones)",
              fmt::format("{:.1f}", report.wall_seconds),
              fmt::format("{:.1f}", report.floor_seconds))
        << '\n';
  for (const std::string& warning : report.warnings)
    out << Paint(style, "33", "  " + Tr("warning: ")) << warning << '\n';
  if (!report.complete)
    out << Paint(style, "33", "  " + Tr("incomplete: grading was interrupted")) << '\n';
  if (std::vector<std::string> rerun = report.RerunArgs(); !rerun.empty())
    out << Paint(style, "33", "  " + Tr("incomplete: "))
        << Tr("the machine was too busy to decide some checks (RERUN); grade them again: "
              "forklab grade {}",
              fmt::format("{}", fmt::join(rerun, " ")))
        << '\n';
  out << Paint(style, "1",
               fmt::format("  {} {:>6}/{:<6} {:.1f}%", PadTo(Tr("total"), width),
                           Points(report.earned()), Points(report.total()), report.percent()))
      << '\n';
}

void ProgressPrinter::LabStarted(const std::string& lab) {
  lab_ = lab;
  held_.clear();
  releasing_ = false;
  out_ << (style_.color ? "\033[1m" + lab + "\033[0m" : lab) << '\n';
}

void ProgressPrinter::CheckDone(const CheckReport& check) {
  held_.push_back(check);
  if (check.earned() > 0) releasing_ = true;
  if (releasing_) Release();
}

void ProgressPrinter::LabDone(const LabReport& lab) {
  if (!releasing_ && lab.not_started()) {
    held_.clear();
    out_ << "  "
         << Paint(style_, "33",
                  Tr("not started: {} (its {} checks fail: it says \"not implemented\")",
                     lab.source(), lab.checks.size()))
         << '\n';
    return;
  }
  Release();
}

void ProgressPrinter::Release() {
  for (const CheckReport& check : held_) PrintCheck(out_, check, style_);
  held_.clear();
  out_.flush();
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
                             {"seconds", check.result.time.count()},
                             {"required_wait_seconds", check.result.required_wait.count()}};
      if (check.entry.deadline.count() > 0) item["deadline"] = check.entry.deadline.count();
      if (!check.result.isolation.empty()) item["isolation"] = check.result.isolation;
      if (!Withheld(check, show_hidden)) {
        item["test"] = check.entry.test;
        if (!check.entry.profile.empty())
          item["profile"] = std::filesystem::path(check.entry.profile).stem().string();
        item["title"] = check.entry.title;
        item["detail"] = check.result.detail;
        if (std::string hint = check.hint(); !hint.empty()) item["hint"] = hint;
        if (!check.result.fault_points.empty()) item["fault_points"] = check.result.fault_points;
        if (!check.result.precondition.empty())
          item["not_measured_because"] = check.result.precondition;
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
          {"isolation_in_force", report.IsolationInForce()},
          {"warnings", report.warnings},
          {"earned", report.earned()},
          {"total", report.total()},
          {"percent", report.percent()},
          {"seconds", report.wall_seconds},
          {"floor_seconds", report.floor_seconds},
          {"labs", std::move(labs)}};
}

}  // namespace forklab
