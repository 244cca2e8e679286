#include "grading/stored_result.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace fs = std::filesystem;

namespace forklab {
namespace {

CheckReport Check(const std::string& test, double points, Outcome outcome, double fraction = 1) {
  CheckReport check;
  check.entry.test = test;
  check.entry.title = "title of " + test;
  check.entry.points = points;
  check.entry.hint = outcome == Outcome::kPassed ? "" : "the lesson";
  check.result = {outcome, fraction, "detail of " + test, std::chrono::duration<double>(1.5)};
  return check;
}

GradeReport Report(std::vector<CheckReport> checks) {
  GradeReport report;
  report.implementation = "/class/amy";
  report.isolation = "namespaces";
  report.labs.push_back({"fork_sum", "/build/fork_sum", "", std::move(checks)});
  return report;
}

Rubric SumRubric() {
  Rubric rubric;
  rubric.lab = "fork_sum";
  for (const char* test : {"Sum.A", "Sum.B", "Sum.C"}) {
    RubricEntry entry;
    entry.test = test;
    rubric.entries.push_back(entry);
  }
  return rubric;
}

TEST(ReportFromJson, GivesBackTheJsonItWasMadeFrom) {
  GradeReport report =
      Report({Check("Sum.A", 2, Outcome::kPassed, 0.5), Check("Sum.B", 3, Outcome::kFailed, 0),
              Check("Sum.C", 1, Outcome::kSkipped, 0)});
  report.labs[0].checks[0].result.required_wait = std::chrono::milliseconds(1500);
  nlohmann::json json = ToJson(report, true);
  EXPECT_EQ(ToJson(ReportFromJson(json), true), json);
}

TEST(MergeReports, TheUpdatedChecksReplaceTheirOldResultsInRubricOrder) {
  GradeReport base =
      Report({Check("Sum.A", 2, Outcome::kFailed, 0), Check("Sum.B", 3, Outcome::kPassed)});
  GradeReport update =
      Report({Check("Sum.C", 1, Outcome::kPassed), Check("Sum.A", 2, Outcome::kPassed)});
  GradeReport merged = MergeReports(base, update, {SumRubric()});
  ASSERT_EQ(merged.labs.size(), 1u);
  ASSERT_EQ(merged.labs[0].checks.size(), 3u);
  EXPECT_EQ(merged.labs[0].checks[0].entry.test, "Sum.A");
  EXPECT_EQ(merged.labs[0].checks[0].result.outcome, Outcome::kPassed);
  EXPECT_EQ(merged.labs[0].checks[2].entry.test, "Sum.C");
  EXPECT_DOUBLE_EQ(merged.earned(), 6);
}

TEST(MergeReports, AChecksGoneFromTheRubricIsDropped) {
  Rubric rubric = SumRubric();
  rubric.entries.pop_back();
  GradeReport merged =
      MergeReports(Report({Check("Sum.C", 1, Outcome::kPassed)}), GradeReport{}, {rubric});
  EXPECT_TRUE(merged.labs.at(0).checks.empty());
}

TEST(ReportFromJson, EveryOutcomeReadsBack) {
  // A batch stores every result and reads it back to merge a regrade into it: an outcome it
  // cannot read back would stop the whole batch.
  for (Outcome outcome :
       {Outcome::kPassed, Outcome::kFailed, Outcome::kTimedOut, Outcome::kCrashed,
        Outcome::kNotBuilt, Outcome::kSkipped, Outcome::kKilled, Outcome::kInconclusive}) {
    GradeReport read = ReportFromJson(ToJson(Report({Check("Sum.A", 2, outcome, 0)}), true));
    ASSERT_EQ(read.labs.size(), 1u);
    EXPECT_EQ(read.labs[0].checks.at(0).result.outcome, outcome) << OutcomeName(outcome);
  }
}

TEST(StoredResult, WrittenAtomicallyAndReadBack) {
  fs::path file = fs::temp_directory_path() / ("forklab-stored-" + std::to_string(getpid()));
  StoredResult stored{"amy",
                      "/class/amy",
                      true,
                      "",
                      "s1",
                      "g1",
                      {{"fork_sum/Sum.A", "c1"}},
                      ToJson(Report({Check("Sum.A", 2, Outcome::kPassed)}), true)};
  WriteFileAtomically(file, ToJson(stored).dump());
  std::optional<StoredResult> read = ReadStoredResult(file);
  ASSERT_TRUE(read);
  EXPECT_EQ(ToJson(*read), ToJson(stored));
  std::ofstream(file) << "{\"cut short";
  EXPECT_FALSE(ReadStoredResult(file));
  fs::remove(file);
}

}  // namespace
}  // namespace forklab
