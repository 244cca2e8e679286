#include "grading/labs.h"

#include <gtest/gtest.h>

#include <set>

#include "grading/layout.h"
#include "grading/rubric.h"

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
    std::filesystem::path path = Layout{FORKLAB_SOURCE_DIR, ""}.rubric(lab);
    Rubric rubric = LoadRubric(path, "/suites");
    EXPECT_EQ(rubric.lab, lab) << path;
    EXPECT_FALSE(rubric.entries.empty()) << path;
  }
}

}  // namespace
}  // namespace forklab
