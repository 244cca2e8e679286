#include "grading/selection.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "paths/build_paths.h"

namespace forklab {
namespace {

/// The real source tree's rubrics and fault profiles, and a scratch hidden-tests directory.
class SelectionTest : public testing::Test {
 protected:
  Layout layout_{build_paths::kSourceDir, "/build"};
  std::filesystem::path hidden_ =
      std::filesystem::temp_directory_path() / ("forklab-selection-" + std::to_string(getpid()));
  void SetUp() override { std::filesystem::create_directories(hidden_); }
  void TearDown() override { std::filesystem::remove_all(hidden_); }

  void WriteHidden(const std::string& file, const std::string& lab, const std::string& extra) {
    std::ofstream(hidden_ / file) << "lab = \"" << lab << "\"\nsuite = \"hidden_suite\"\n"
                                  << "[[test]]\nname = \"Hidden.Check\"\ntitle = \"t\"\n"
                                  << "points = 1\n"
                                  << extra;
  }
};

TEST_F(SelectionTest, FaultProfilesAreResolvedToTheirFiles) {
  std::vector<Rubric> rubrics = LoadRubrics(layout_, {"fork_basics"}, std::nullopt);
  ASSERT_EQ(rubrics.size(), 1u);
  EXPECT_EQ(rubrics[0].lab, "fork_basics");
  int faults = 0;
  for (const RubricEntry& entry : rubrics[0].entries) {
    EXPECT_EQ(entry.suite, "/build/grader/fork_basics_suite");
    if (entry.profile.empty()) continue;
    ++faults;
    EXPECT_TRUE(std::filesystem::exists(entry.profile)) << entry.profile;
    EXPECT_EQ(std::filesystem::path(entry.profile).parent_path(), layout_.faults());
  }
  EXPECT_GT(faults, 0);
}

TEST_F(SelectionTest, HiddenRubricsJoinOnlyTheLabsGraded) {
  WriteHidden("basics.toml", "fork_basics", "");
  WriteHidden("sum.toml", "fork_sum", "");
  size_t shown = LoadRubrics(layout_, {"fork_basics"}, std::nullopt)[0].entries.size();
  std::vector<Rubric> rubrics = LoadRubrics(layout_, {"fork_basics"}, hidden_);
  ASSERT_EQ(rubrics.size(), 1u);
  ASSERT_EQ(rubrics[0].entries.size(), shown + 1);
  const RubricEntry& hidden = rubrics[0].entries.back();
  EXPECT_EQ(hidden.test, "Hidden.Check");
  EXPECT_TRUE(hidden.hidden);
  EXPECT_EQ(hidden.suite, hidden_ / "hidden_suite");
}

TEST_F(SelectionTest, AnUnknownFaultProfileStopsTheRun) {
  WriteHidden("basics.toml", "fork_basics", "profile = \"no-such-profile\"\n");
  try {
    LoadRubrics(layout_, {"fork_basics"}, hidden_);
    FAIL() << "an unknown profile was accepted";
  } catch (const GradeRequestError& e) {
    EXPECT_STREQ(e.what(), ("fork_basics: Hidden.Check: no fault profile 'no-such-profile' in " +
                            layout_.faults().string())
                               .c_str());
  }
}

TEST_F(SelectionTest, KeepChecksFiltersByWildcard) {
  std::vector<Rubric> rubrics = LoadRubrics(layout_, {"fork_basics", "fork_sum"}, std::nullopt);
  KeepChecks({"ForkBasics.Lines*"}, &rubrics);
  ASSERT_EQ(rubrics.size(), 2u);
  ASSERT_FALSE(rubrics[0].entries.empty());
  for (const RubricEntry& entry : rubrics[0].entries)
    EXPECT_TRUE(entry.test.starts_with("ForkBasics.Lines")) << entry.test;
  EXPECT_TRUE(rubrics[1].entries.empty());

  EXPECT_THROW(KeepChecks({"Nothing.*"}, &rubrics), GradeRequestError);
}

}  // namespace
}  // namespace forklab
