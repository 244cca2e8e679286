#include "grading/secrets.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace forklab {
namespace {

using Paths = std::vector<std::filesystem::path>;

/// A source and a build tree under a fresh temporary directory, removed afterwards; each has
/// a reference/ directory unless a test removes it.
class Secrets : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/forklab-secrets-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    layout_ = {root_ / "src", root_ / "build"};
    std::filesystem::create_directories(layout_.source / "reference");
    std::filesystem::create_directories(layout_.build / "reference");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
  Layout layout_;
};

TEST_F(Secrets, TheReferencesAndTheHiddenTestsAreSecret) {
  Paths references{layout_.source / "reference", layout_.build / "reference"};
  EXPECT_EQ(SecretDirs(layout_, std::nullopt), references);
  references.push_back("/tmp");
  EXPECT_EQ(SecretDirs(layout_, std::filesystem::path("/tmp/../tmp")), references);
}

TEST_F(Secrets, AnAbsentReferenceDirectoryHidesNothing) {
  // The student edition: no reference/ sources, only what the build put in build/reference.
  std::filesystem::remove(layout_.source / "reference");
  EXPECT_EQ(SecretDirs(layout_, std::nullopt), (Paths{layout_.build / "reference"}));
}

TEST_F(Secrets, AReferenceSeesItsOwnDirectoryOnly) {
  Paths secrets = SecretDirs(layout_, std::nullopt);
  std::string source = (layout_.source / "reference").string();
  std::string build = (layout_.build / "reference").string();
  EXPECT_EQ(SecretsHiddenFrom("/home/student/labs/fork_sum", secrets),
            (std::vector<std::string>{source, build}));
  EXPECT_EQ(SecretsHiddenFrom(build + "/fork_sum", secrets), (std::vector<std::string>{source}));
  // A sibling whose name only starts like a secret directory is not inside it.
  EXPECT_EQ(SecretsHiddenFrom(build + "2/fork_sum", secrets).size(), 2u);
}

}  // namespace
}  // namespace forklab
