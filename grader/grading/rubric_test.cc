#include "grading/rubric.h"

#include <gtest/gtest.h>

#include <fstream>

namespace forklab {
namespace {

/// A scratch directory of rubric files, removed after the test.
class RubricTest : public testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("forklab-rubric-" + std::to_string(getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_ / "common"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string ErrorOf(const std::string& text) {
    try {
      LoadRubric(Write("bad.toml", text), "/suites");
    } catch (const RubricError& e) {
      return e.what();
    }
    return "(no error)";
  }
};

TEST_F(RubricTest, ReadsTheSampleArguments) {
  Rubric rubric = LoadRubric(Write("r.toml", R"(
lab = "fork_sum"
suite = "sum_suite"
sample_args = ["--workers", "1"]
[[test]]
name = "Sum.SumsAreRight"
title = "sums"
points = 3
)"),
                             "/suites");
  EXPECT_EQ(rubric.sample_args, (std::vector<std::string>{"--workers", "1"}));
  EXPECT_NE(ErrorOf("lab = \"x\"\nsuite = \"s\"\nsample_args = [1]\n"
                    "[[test]]\nname = \"A.B\"\ntitle = \"t\"\npoints = 1\n")
                .find("'sample_args' must be an array of strings"),
            std::string::npos);
}

// An instructor grading another language may skip the fault checks the injection cannot
// reach; failing them is the default, and anything else is refused.
TEST_F(RubricTest, ReadsTheUnreachableFaultsPolicy) {
  const std::string tests = "[[test]]\nname = \"A.One\"\ntitle = \"one\"\npoints = 1\n";
  EXPECT_FALSE(LoadRubric(Write("f.toml", "lab = \"l\"\nsuite = \"s\"\n" + tests), "/suites")
                   .skip_unreachable_faults);
  EXPECT_TRUE(LoadRubric(Write("s.toml",
                               "lab = \"l\"\nsuite = \"s\"\n"
                               "unreachable_faults = \"skip\"\n" +
                                   tests),
                         "/suites")
                  .skip_unreachable_faults);
  EXPECT_NE(ErrorOf("lab = \"l\"\nsuite = \"s\"\nunreachable_faults = \"maybe\"\n" + tests)
                .find("unreachable_faults must be"),
            std::string::npos);
}

TEST_F(RubricTest, ReadsEntriesInOrderWithDefaults) {
  Rubric rubric = LoadRubric(Write("r.toml", R"(
lab = "fork_sum"
suite = "sum_suite"
[[test]]
name = "Sum.SumsAreRight"
title = "sums"
points = 3
hint = "loop"
hints = { closed_form = "no formula: add in a loop" }
[[test]]
name = "Sum.Hidden"
title = "secret"
points = 1.5
hidden = true
timeout = 5
deadline = 3
suite = "other_suite"
exclusive = true
)"),
                             "/suites");
  EXPECT_EQ(rubric.lab, "fork_sum");
  ASSERT_EQ(rubric.entries.size(), 2u);
  EXPECT_EQ(rubric.entries[0].test, "Sum.SumsAreRight");
  EXPECT_EQ(rubric.entries[0].suite, "/suites/sum_suite");
  EXPECT_EQ(rubric.entries[0].timeout, std::chrono::seconds(60));
  EXPECT_FALSE(rubric.entries[0].hidden);
  EXPECT_EQ(rubric.entries[0].hint, "loop");
  // A keyed hint when the check picks its key, the default for any other key.
  EXPECT_EQ(rubric.entries[0].HintFor("closed_form"), "no formula: add in a loop");
  EXPECT_EQ(rubric.entries[0].HintFor(""), "loop");
  EXPECT_EQ(rubric.entries[0].HintFor("unknown"), "loop");
  EXPECT_TRUE(rubric.entries[1].hidden);
  EXPECT_EQ(rubric.entries[1].suite, "/suites/other_suite");
  EXPECT_EQ(rubric.entries[1].timeout, std::chrono::seconds(5));
  EXPECT_EQ(rubric.entries[0].deadline, std::chrono::seconds(0)) << "none declared";
  EXPECT_EQ(rubric.entries[1].deadline, std::chrono::seconds(3));
  EXPECT_FALSE(rubric.entries[0].exclusive) << "a check runs beside others unless told";
  EXPECT_TRUE(rubric.entries[1].exclusive);
  EXPECT_DOUBLE_EQ(rubric.total(), 4.5);
}

TEST_F(RubricTest, IncludesSharedEntriesFirst) {
  Write("common/shared.toml", "[[test]]\nname = \"A.One\"\ntitle = \"one\"\npoints = 1\n");
  Rubric rubric = LoadRubric(Write("r.toml", R"(
lab = "thread_ping"
suite = "ping_suite"
include = ["common/shared.toml"]
[[test]]
name = "A.Two"
title = "two"
points = 2
)"),
                             "/suites");
  ASSERT_EQ(rubric.entries.size(), 2u);
  EXPECT_EQ(rubric.entries[0].test, "A.One");
  EXPECT_EQ(rubric.entries[0].suite, "/suites/ping_suite");
  EXPECT_EQ(rubric.entries[1].test, "A.Two");
}

TEST_F(RubricTest, HiddenDirectoryForcesHidden) {
  Rubric rubric = LoadRubric(
      Write("h.toml",
            "lab = \"x\"\nsuite = \"s\"\n[[test]]\nname = \"A.B\"\ntitle = \"t\"\npoints = 1\n"),
      dir_, /*hidden=*/true);
  EXPECT_TRUE(rubric.entries[0].hidden);
  EXPECT_EQ(rubric.entries[0].suite, dir_ / "s");
}

TEST_F(RubricTest, ErrorsNameTheFileAndTheReason) {
  EXPECT_NE(ErrorOf("lab = ").find("bad.toml: "), std::string::npos);
  EXPECT_NE(ErrorOf("suite = \"s\"").find("missing string 'lab'"), std::string::npos);
  EXPECT_NE(ErrorOf("lab = \"l\"\nsuite = \"s\"").find("no [[test]] entries"), std::string::npos);
  std::string entry = "lab = \"l\"\nsuite = \"s\"\n[[test]]\nname = \"A.B\"\ntitle = \"t\"\n";
  EXPECT_NE(ErrorOf(entry + "points = -1").find("'points' must be"), std::string::npos);
  EXPECT_NE(ErrorOf(entry + "points = 1\ntimeout = 0").find("'timeout'"), std::string::npos);
  EXPECT_NE(ErrorOf(entry + "points = 1\ntimeout = 5\ndeadline = 5").find("'deadline'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry + "points = 1\nexclusive = \"yes\"").find("'exclusive' must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry + "points = 1\nhints = { stale = 1 }").find("'hints' must be a table"),
            std::string::npos);
  EXPECT_NE(ErrorOf(entry + "points = 1\n" + "[[test]]\nname = \"A.B\"\ntitle = \"t\"\npoints = 1")
                .find("listed twice"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("lab = \"l\"\nsuite = \"s\"\n[[test]]\nname = \"NoDot\"\ntitle = \"t\"\npoints = 1")
          .find("not Suite.Test"),
      std::string::npos);
  EXPECT_NE(ErrorOf("lab = \"l\"\nsuite = \"s\"\ninclude = [\"missing.toml\"]").find("not found"),
            std::string::npos);
}

TEST_F(RubricTest, MergeAddsHiddenTestsAndRefusesDuplicates) {
  Rubric rubric{"l", {{"A.B", "t", 1, false, "", std::chrono::seconds(1), "/s", ""}}, {}};
  Rubric extra{"l", {{"A.C", "t", 2, true, "", std::chrono::seconds(1), "/h", ""}}, {}};
  MergeRubric(&rubric, extra);
  EXPECT_EQ(rubric.entries.size(), 2u);
  EXPECT_DOUBLE_EQ(rubric.total(), 3);
  EXPECT_THROW(MergeRubric(&rubric, extra), RubricError);
}

}  // namespace
}  // namespace forklab
