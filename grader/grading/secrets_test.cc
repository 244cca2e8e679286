#include "grading/secrets.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

const Layout kLayout{"/src", "/build"};

TEST(Secrets, TheReferencesAndTheHiddenTestsAreSecret) {
  using Paths = std::vector<std::filesystem::path>;
  EXPECT_EQ(SecretDirs(kLayout, std::nullopt), (Paths{"/src/reference", "/build/reference"}));
  EXPECT_EQ(SecretDirs(kLayout, std::filesystem::path("/tmp/../tmp")),
            (Paths{"/src/reference", "/build/reference", "/tmp"}));
}

TEST(Secrets, AReferenceSeesItsOwnDirectoryOnly) {
  std::vector<std::filesystem::path> secrets = SecretDirs(kLayout, std::nullopt);
  EXPECT_EQ(SecretsHiddenFrom("/home/student/labs/fork_sum", secrets),
            (std::vector<std::string>{"/src/reference", "/build/reference"}));
  EXPECT_EQ(SecretsHiddenFrom("/build/reference/fork_sum", secrets),
            (std::vector<std::string>{"/src/reference"}));
  // A sibling whose name only starts like a secret directory is not inside it.
  EXPECT_EQ(SecretsHiddenFrom("/build/reference2/fork_sum", secrets).size(), 2u);
}

}  // namespace
}  // namespace forklab
