#include "grading/labs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "grading/content_hash.h"
#include "grading/layout.h"
#include "grading/rubric.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

TEST(Labs, TheListHasEveryLabOnce) {
  ASSERT_FALSE(Labs().empty());
  std::set<std::string> unique(Labs().begin(), Labs().end());
  EXPECT_EQ(unique.size(), Labs().size());
  for (const std::string& lab : Labs()) {
    EXPECT_FALSE(lab.empty());
    EXPECT_TRUE(IsLab(lab)) << lab;
  }
  EXPECT_FALSE(IsLab("no_such_lab"));
  EXPECT_FALSE(IsLab(""));
}

TEST(Labs, EveryLabHasARubricNamingIt) {
  for (const std::string& lab : Labs()) {
    std::filesystem::path path = Layout{build_paths::kSourceDir, ""}.rubric(lab);
    Rubric rubric = LoadRubric(path, "/suites");
    EXPECT_EQ(rubric.lab, lab) << path;
    EXPECT_FALSE(rubric.entries.empty()) << path;
  }
}

// The grader tells an untouched stub by its hash (grade.cc): a stub changed without its
// rubric's `stub` would be built and run again, check by check.
TEST(Labs, EveryRubricKnowsItsHandoutStub) {
  if (!std::filesystem::is_directory(std::filesystem::path(build_paths::kSourceDir) / "reference"))
    GTEST_SKIP() << "the student edition: labs/ holds a student's work, not the handout";
  for (const std::string& lab : Labs()) {
    Layout layout{build_paths::kSourceDir, ""};
    std::string hash = ContentHash().AddFile(layout.source / "labs" / lab / "main.cc").Hex();
    EXPECT_EQ(LoadRubric(layout.rubric(lab), "/suites").stub, hash)
        << layout.rubric(lab) << ": stub = \"" << hash << "\" (labs/" << lab
        << "/main.cc as handed out)";
  }
}

}  // namespace
}  // namespace forklab
