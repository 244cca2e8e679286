#include "grading/batch.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

Rubric TwoChecks() {
  Rubric rubric;
  rubric.lab = "fork_basics";
  for (const char* test : {"ForkBasics.LinesInOrder", "ForkBasics.ExitsZero"}) {
    RubricEntry entry;
    entry.test = test;
    rubric.entries.push_back(entry);
  }
  return rubric;
}

GraderHashes Hashes(const std::string& lines_in_order) {
  return {"grader-1",
          {{"fork_basics/ForkBasics.LinesInOrder", lines_in_order},
           {"fork_basics/ForkBasics.ExitsZero", "exits-1"}}};
}

StoredResult StoredWith(const GraderHashes& hashes) {
  StoredResult stored;
  stored.student_id = "alice";
  stored.graded = true;
  stored.submission_hash = "submission-1";
  stored.grader_hash = hashes.grader;
  stored.check_hashes = hashes.check;
  return stored;
}

TEST(PlanRegrade, NothingWhenNothingChanged) {
  GraderHashes hashes = Hashes("lines-1");
  EXPECT_TRUE(
      PlanRegrade({TwoChecks()}, hashes, StoredWith(hashes), "submission-1", false).empty());
}

TEST(PlanRegrade, OnlyTheCheckWhoseEntryChanged) {
  StoredResult stored = StoredWith(Hashes("lines-1"));
  CheckPlan plan = PlanRegrade({TwoChecks()}, Hashes("lines-2"), stored, "submission-1", false);
  EXPECT_EQ(plan, (CheckPlan{{"fork_basics", {"ForkBasics.LinesInOrder"}}}));
}

TEST(PlanRegrade, EveryCheckWhenTheSubmissionTheGraderChangedOrForced) {
  GraderHashes hashes = Hashes("lines-1");
  CheckPlan all = {{"fork_basics", {"ForkBasics.LinesInOrder", "ForkBasics.ExitsZero"}}};
  StoredResult stored = StoredWith(hashes);
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, stored, "submission-2", false), all);
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, stored, "submission-1", true), all);
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, std::nullopt, "submission-1", false), all);
  stored.grader_hash = "grader-0";
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, stored, "submission-1", false), all);
}

TEST(PlanRegrade, ACheckNewToTheRubric) {
  GraderHashes hashes = Hashes("lines-1");
  StoredResult stored = StoredWith(hashes);
  stored.check_hashes.erase("fork_basics/ForkBasics.ExitsZero");
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, stored, "submission-1", false),
            (CheckPlan{{"fork_basics", {"ForkBasics.ExitsZero"}}}));
}

TEST(PlanRegrade, ACheckLeftInconclusive) {
  GraderHashes hashes = Hashes("lines-1");
  StoredResult stored = StoredWith(hashes);
  stored.result = {{"labs",
                    {{{"lab", "fork_basics"},
                      {"checks",
                       {{{"test", "ForkBasics.LinesInOrder"}, {"outcome", "passed"}},
                        {{"test", "ForkBasics.ExitsZero"}, {"outcome", "inconclusive"}}}}}}}};
  EXPECT_EQ(PlanRegrade({TwoChecks()}, hashes, stored, "submission-1", false),
            (CheckPlan{{"fork_basics", {"ForkBasics.ExitsZero"}}}));
}

TEST(SplitTimed, TheRubricsExclusiveChecksApart) {
  Rubric rubric = TwoChecks();
  rubric.entries[1].exclusive = true;
  Rubric other = TwoChecks();
  other.lab = "fork_sum";  // the same test names, none exclusive in this lab
  CheckPlan plan = {{"fork_basics", {"ForkBasics.LinesInOrder", "ForkBasics.ExitsZero"}},
                    {"fork_sum", {"ForkBasics.ExitsZero"}}};
  auto [untimed, timed] = SplitTimed(plan, {rubric, other});
  EXPECT_EQ(untimed, (CheckPlan{{"fork_basics", {"ForkBasics.LinesInOrder"}},
                                {"fork_sum", {"ForkBasics.ExitsZero"}}}));
  EXPECT_EQ(timed, (CheckPlan{{"fork_basics", {"ForkBasics.ExitsZero"}}}));
}

TEST(FormatFileName, OneFilePerFormat) {
  EXPECT_EQ(FormatFileName("json"), "forklab.json");
  EXPECT_EQ(FormatFileName("junit"), "junit.xml");
  EXPECT_EQ(FormatFileName("html"), "report.html");
  EXPECT_EQ(FormatFileName("gradescope"), "gradescope.json");
}

}  // namespace
}  // namespace forklab
