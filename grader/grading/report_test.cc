#include "grading/report.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

namespace forklab {
namespace {

CheckReport Check(const std::string& test, double points, Outcome outcome, double fraction,
                  bool hidden = false) {
  RubricEntry entry{test,         "title of " + test,      points, hidden,
                    "the lesson", std::chrono::seconds(1), "/s",   ""};
  return {entry, {outcome, fraction, "observed: detail of " + test, {}}};
}

GradeReport SampleReport() {
  LabReport lab{"fork_sum", "/x", "", {}};
  lab.checks = {Check("Sum.A", 2, Outcome::kPassed, 1), Check("Sum.B", 3, Outcome::kFailed, 0),
                Check("Sum.C", 4, Outcome::kPassed, 0.5), Check("Sum.D", 5, Outcome::kSkipped, 0),
                Check("Sum.Secret", 1, Outcome::kFailed, 0, /*hidden=*/true)};
  return {"reference", true, "namespaces", {}, {lab}};
}

TEST(Report, PointsCountPartialScoresAndLeaveSkippedOut) {
  GradeReport report = SampleReport();
  EXPECT_DOUBLE_EQ(report.labs[0].earned(), 4);  // 2 + 0 + 4 * 0.5 + 0 + 0
  EXPECT_DOUBLE_EQ(report.labs[0].total(), 10);  // the skipped 5 points leave the total
  EXPECT_DOUBLE_EQ(report.percent(), 40);
}

TEST(Report, AnInconclusiveCheckEarnsNothingStaysInTheTotalAndIsNamedToRerun) {
  GradeReport report = SampleReport();
  report.labs[0].checks[1].result.outcome = Outcome::kInconclusive;  // Sum.B, 3 points
  EXPECT_DOUBLE_EQ(report.labs[0].earned(), 4);
  EXPECT_DOUBLE_EQ(report.labs[0].total(), 10) << "an inconclusive check never raises a grade";
  EXPECT_EQ(report.RerunArgs(),
            (std::vector<std::string>{"--lab", "fork_sum", "--check", "Sum.B"}));
  std::ostringstream text;
  PrintSummary(text, report, TextStyle{});
  EXPECT_NE(text.str().find("incomplete: "), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("forklab grade --lab fork_sum --check Sum.B"), std::string::npos)
      << text.str();
  EXPECT_FALSE(ToJson(report, false)["complete"]);
  // A check of two labs is named once, after both labs.
  GradeReport two_labs = report;
  two_labs.labs.push_back(report.labs[0]);
  two_labs.labs[1].lab = "thread_sum";
  EXPECT_EQ(two_labs.RerunArgs(), (std::vector<std::string>{"--lab", "fork_sum", "--lab",
                                                            "thread_sum", "--check", "Sum.B"}));
  // A hidden check is not named: its lab is graded again.
  report.labs[0].checks[4].result.outcome = Outcome::kInconclusive;
  EXPECT_EQ(report.RerunArgs(), (std::vector<std::string>{"--lab", "fork_sum"}));
  EXPECT_TRUE(SampleReport().RerunArgs().empty());
  EXPECT_TRUE(ToJson(SampleReport(), false)["complete"]);
}

TEST(Report, HiddenDetailsAreWithheldFromStudents) {
  GradeReport report = SampleReport();
  std::ostringstream text;
  for (const CheckReport& check : report.labs[0].checks) PrintCheck(text, check, TextStyle{});
  PrintSummary(text, report, TextStyle{});
  EXPECT_EQ(text.str().find("Secret"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("hidden check"), std::string::npos);
  nlohmann::json json = ToJson(report, /*show_hidden=*/false);
  EXPECT_FALSE(json["labs"][0]["checks"][4].contains("test"));
  EXPECT_EQ(json["labs"][0]["checks"][4]["points"], 1.0);
  EXPECT_EQ(ToJson(report, true)["labs"][0]["checks"][4]["test"], "Sum.Secret");
}

TEST(Report, FailedChecksTeach) {
  std::ostringstream text;
  PrintCheck(text, Check("Sum.B", 3, Outcome::kFailed, 0), TextStyle{});
  EXPECT_NE(text.str().find("FAIL"), std::string::npos);
  EXPECT_NE(text.str().find("observed: detail of Sum.B"), std::string::npos);
  EXPECT_NE(text.str().find("hint: the lesson"), std::string::npos);
  EXPECT_EQ(text.str().find("\033["), std::string::npos);  // no colour unless asked
}

TEST(Report, TheHintFitsWhatTheCheckObserved) {
  CheckReport check = Check("Echo.Stamp", 2, Outcome::kFailed, 0);
  check.entry.hints = {{"stale", "take the time at each reply"}};
  check.result.hint_key = "stale";
  std::ostringstream text;
  PrintCheck(text, check, TextStyle{});
  EXPECT_NE(text.str().find("hint: take the time at each reply"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("the lesson"), std::string::npos) << text.str();
  // Not measured: the check named by the precondition gives the lesson, this one none.
  check.result.precondition = "Echo.Cause";
  EXPECT_EQ(check.hint(), "");
  GradeReport report{"x", true, "namespaces", {}, {LabReport{"lab", "/x", "", {check}}}};
  EXPECT_EQ(ToJson(report, false)["labs"][0]["checks"][0]["not_measured_because"], "Echo.Cause");
}

TEST(Report, SummaryUsesTheTitlesAligned) {
  GradeReport report = SampleReport();
  report.labs[0].checks[0].entry.title = "UTF-8 (你好) comes back byte for byte";
  std::ostringstream text;
  PrintSummary(text, report, TextStyle{});
  EXPECT_NE(text.str().find("title of Sum.B"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("    Sum.B"), std::string::npos) << text.str();
  // Every points column starts at the same terminal column, wide characters counted twice.
  std::istringstream lines(text.str());
  std::set<size_t> columns;
  for (std::string line; std::getline(lines, line);)
    if (size_t slash = line.find('/'); slash != std::string::npos && line.find("(") != 0)
      columns.insert(DisplayWidth(line.substr(0, slash)));
  EXPECT_EQ(columns.size(), 1u) << text.str();
  EXPECT_EQ(DisplayWidth("你好 ok"), 7u);
}

TEST(Report, EveryOutcomeIsNamedDistinctly) {
  std::set<std::string> names;
  for (Outcome outcome : {Outcome::kPassed, Outcome::kFailed, Outcome::kTimedOut, Outcome::kCrashed,
                          Outcome::kNotBuilt, Outcome::kSkipped, Outcome::kInconclusive})
    names.insert(OutcomeName(outcome));
  EXPECT_EQ(names.size(), 7u);
}

TEST(Report, JsonCarriesTotalsAndCompleteness) {
  GradeReport report = SampleReport();
  report.complete = false;
  nlohmann::json json = ToJson(report, false);
  EXPECT_EQ(json["complete"], false);
  EXPECT_DOUBLE_EQ(json["earned"].get<double>(), 4);
  EXPECT_DOUBLE_EQ(json["total"].get<double>(), 10);
  EXPECT_EQ(json["labs"][0]["checks"][1]["outcome"], "failed");
  EXPECT_EQ(json["labs"][0]["checks"][1]["hint"], "the lesson");
}

// What contained the checks is stated once per kind, in the summary and in the JSON, which
// also keeps it per check: "no cgroup" is never left unsaid.
TEST(Report, TheIsolationInForceIsSaidOnce) {
  GradeReport report = SampleReport();
  for (CheckReport& check : report.labs[0].checks)
    check.result.isolation = "namespaces (pid, net, mount, ipc); cgroup v1 pids+memory";
  report.labs[0].checks[4].result.isolation = "namespaces (pid, net, mount, ipc); no cgroup: x";
  EXPECT_EQ(report.IsolationInForce().size(), 2u);
  std::ostringstream text;
  PrintSummary(text, report, TextStyle{});
  std::string summary = text.str();
  size_t first = summary.find("isolation: namespaces (pid, net, mount, ipc); cgroup v1");
  ASSERT_NE(first, std::string::npos) << summary;
  EXPECT_EQ(summary.find("cgroup v1", first + 60), std::string::npos) << summary;
  EXPECT_NE(summary.find("isolation: namespaces (pid, net, mount, ipc); no cgroup: x"),
            std::string::npos)
      << summary;
  nlohmann::json json = ToJson(report, false);
  EXPECT_EQ(json["isolation_in_force"].size(), 2u);
  EXPECT_EQ(json["labs"][0]["checks"][4]["isolation"],
            "namespaces (pid, net, mount, ipc); no cgroup: x");
}

LabReport StubLab() {
  LabReport lab{"fork_sum", "/x", "", {}};
  lab.checks = {Check("Sum.A", 2, Outcome::kFailed, 0), Check("Sum.B", 3, Outcome::kFailed, 0)};
  lab.checks[1].result.detail = "stderr: \"fork_sum: not implemented\\n\"";
  return lab;
}

TEST(Report, AStubLabIsNotStarted) {
  EXPECT_TRUE(StubLab().not_started());
  EXPECT_FALSE(SampleReport().labs[0].not_started());  // it earned points
  LabReport broken = StubLab();
  broken.build_log = "main.cc:1: error";
  EXPECT_FALSE(broken.not_started());  // a build failure is said as itself
  LabReport quiet = StubLab();
  quiet.checks.pop_back();
  EXPECT_FALSE(quiet.not_started());  // failing without the stub's words: attempted
}

TEST(Report, ProgressShowsAStubLabAsOneLine) {
  std::ostringstream text;
  ProgressPrinter printer(text, TextStyle{});
  LabReport stub = StubLab();
  printer.LabStarted(stub.lab);
  for (const CheckReport& check : stub.checks) printer.CheckDone(check);
  printer.LabDone(stub);
  EXPECT_EQ(text.str(),
            "fork_sum\n  not started: labs/fork_sum/main.cc (its 2 checks fail: it says \"not "
            "implemented\")\n");
}

TEST(Report, ProgressKeepsEveryDetailOfAnAttemptedLab) {
  std::ostringstream text, expected;
  ProgressPrinter printer(text, TextStyle{});
  LabReport lab = SampleReport().labs[0];
  printer.LabStarted(lab.lab);
  for (const CheckReport& check : lab.checks) {
    printer.CheckDone(check);
    PrintCheck(expected, check, TextStyle{});
  }
  printer.LabDone(lab);
  EXPECT_EQ(text.str(), "fork_sum\n" + expected.str());
}

TEST(Report, TheSummaryEndsWithTheTotalAndListsOnlyWhatToFix) {
  GradeReport report = SampleReport();
  report.labs.push_back(StubLab());
  std::ostringstream text;
  PrintSummary(text, report, TextStyle{});
  std::string summary = text.str();
  EXPECT_NE(summary.find("not started: labs/fork_sum/main.cc"), std::string::npos) << summary;
  EXPECT_NE(summary.find("3 checks to fix"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Sum.B"), std::string::npos);
  EXPECT_EQ(summary.find("Sum.A "), std::string::npos) << "passed checks are above already";
  std::string last = summary.substr(summary.rfind('\n', summary.size() - 2) + 1);
  EXPECT_EQ(last.substr(0, 7), "  total") << summary;
  EXPECT_NE(last.find("4/15"), std::string::npos) << summary;
}

}  // namespace
}  // namespace forklab
