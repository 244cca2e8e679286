#include "grading/report.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace forklab
