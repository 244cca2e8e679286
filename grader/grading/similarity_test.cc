#include "grading/similarity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "paths/build_paths.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

const fs::path kSource = build_paths::kSourceDir;

std::string Slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A class of one lab's sources, each a file of its own.
class Similarity : public testing::Test {
 protected:
  void SetUp() override {
    if (!SimilarityTesterFound()) GTEST_SKIP() << "sim_c++ (similarity-tester) is not installed";
    if (!fs::exists(kSource / "reference"))
      GTEST_SKIP() << "the references are not in the student edition";
  }
  void TearDown() override { fs::remove_all(root_); }
  LabSource Add(const std::string& id, const std::string& code) {
    fs::path file = root_ / "sources" / (id + ".cc");
    fs::create_directories(file.parent_path());
    std::ofstream(file) << code;
    return {id, file};
  }
  std::vector<SimilarPair> Pairs(const std::string& lab, const std::vector<LabSource>& sources) {
    return SimilarPairs(lab, sources, StarterCode(kSource / "labs" / lab), 80,
                        root_ / "work" / lab);
  }
  fs::path root_ = fs::temp_directory_path() / ("forklab-similarity-" + std::to_string(getpid()));
};

TEST_F(Similarity, ANearCopyWithRenamedVariablesIsListedIndependentWorkIsNot) {
  std::string reference = Slurp(kSource / "reference" / "fork_basics" / "main.cc");
  // The copy renames every identifier it declares, as one hiding a copy would.
  std::string renamed = std::regex_replace(reference, std::regex(R"(\bpid\b)"), "kid");
  renamed = std::regex_replace(renamed, std::regex(R"(\bstatus\b)"), "how_it_ended");
  ASSERT_NE(renamed, reference);
  std::vector<SimilarPair> pairs = Pairs(
      "fork_basics",
      {Add("ada", reference), Add("ben", renamed),
       Add("cy", Slurp(kSource / "fixtures" / "alternatives" / "fork_basics_pidfd" / "main.cc")),
       Add("stub", Slurp(kSource / "labs" / "fork_basics" / "main.cc"))});
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].a, "ada");
  EXPECT_EQ(pairs[0].b, "ben");
  EXPECT_GE(pairs[0].share_a, 95);
  EXPECT_FALSE(pairs[0].runs.empty());
}

TEST_F(Similarity, TheReferenceAndAnAlternativeAreNotListed) {
  std::vector<SimilarPair> pairs =
      Pairs("fork_ping", {Add("ada", Slurp(kSource / "reference" / "fork_ping" / "main.cc")),
                          Add("ben", Slurp(kSource / "fixtures" / "alternatives" /
                                           "fork_ping_signalfd" / "main.cc"))});
  EXPECT_TRUE(pairs.empty()) << pairs[0].share_a << "% and " << pairs[0].share_b << "%";
}

TEST(StarterCode, TheStubAndTheHandoutsCode) {
  std::string starter = StarterCode(kSource / "labs" / "fork_basics");
  EXPECT_NE(starter.find(Slurp(kSource / "labs" / "fork_basics" / "main.cc")), std::string::npos);
}

}  // namespace
}  // namespace forklab
