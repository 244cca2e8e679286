#include "grading/submissions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "harness/subprocess.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

/// A scratch folder for a class, removed after each test.
class Submissions : public testing::Test {
 protected:
  void Write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file) << text;
  }
  /// A checkout with labs/ and one lab in it.
  void Checkout(const fs::path& dir) {
    Write(dir / "labs" / "CMakeLists.txt", "project(labs)\n");
    Write(dir / "labs" / "fork_basics" / "main.cc", "int main() {}\n");
  }
  void Tar(const fs::path& archive, const fs::path& dir) {
    SpawnOptions options;
    options.args = {"-czf", archive.string(), "-C", dir.string(), "."};
    ASSERT_TRUE(
        forklab::Run("/usr/bin/tar", options, std::chrono::seconds(30)).status->ExitedWith(0));
  }
  std::vector<std::string> Ids(const fs::path& given) {
    std::vector<std::string> ids;
    for (const Submission& submission : FindSubmissions(given)) ids.push_back(submission.id);
    return ids;
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_ = fs::temp_directory_path() / ("forklab-submissions-" + std::to_string(getpid()));
};

TEST_F(Submissions, AFolderOfEntriesSortedWithArchiveExtensionsDropped) {
  Checkout(root_ / "class" / "zoe");
  Write(root_ / "class" / "bob.zip", "");
  Write(root_ / "class" / "amy.tar.gz", "");
  Write(root_ / "class" / ".DS_Store", "");
  Write(root_ / "class" / "we ird", "");
  EXPECT_EQ(Ids(root_ / "class"), (std::vector<std::string>{"amy", "bob", "we_ird", "zoe"}));
}

TEST_F(Submissions, ACsvOfIdsAndPathsRelativeToIt) {
  Write(root_ / "class.csv", "student_id,path\r\ns2,b\n\"s1\",/abs/a\n");
  std::vector<Submission> found = FindSubmissions(root_ / "class.csv");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, "s1");
  EXPECT_EQ(found[0].source, "/abs/a");
  EXPECT_EQ(found[1].source, root_ / "b");
}

TEST_F(Submissions, AGradescopeExportNamesFoldersBySid) {
  Write(root_ / "export" / "submission_metadata.yml",
        "submission_101:\n  :submitters:\n  - :name: Ann\n    :sid: '2024001'\n"
        "    :email: ann@example.com\n  :created_at: 2026-01-01\nsubmission_102:\n"
        "  :submitters:\n  - :name: Ben\n");
  Checkout(root_ / "export" / "submission_101");
  Checkout(root_ / "export" / "submission_102");
  EXPECT_EQ(Ids(root_ / "export"), (std::vector<std::string>{"2024001", "submission_102"}));
}

TEST_F(Submissions, TwoEntriesWithOneIdAreAUsageError) {
  Write(root_ / "class" / "amy.zip", "");
  Write(root_ / "class" / "amy.tgz", "");
  EXPECT_THROW(FindSubmissions(root_ / "class"), SubmissionsError);
  EXPECT_THROW(FindSubmissions(root_ / "nothing"), SubmissionsError);
}

TEST_F(Submissions, ACheckoutIsGradedWhereItIs) {
  Checkout(root_ / "amy");
  PreparedSubmission prepared = PrepareSubmission({"amy", root_ / "amy"}, root_ / "work");
  EXPECT_EQ(prepared.problem, "");
  EXPECT_EQ(prepared.root, root_ / "amy");
}

TEST_F(Submissions, ACopyOfLabsBecomesTheLabsOfACheckout) {
  Checkout(root_ / "amy");
  PreparedSubmission prepared = PrepareSubmission({"amy", root_ / "amy" / "labs"}, root_ / "work");
  EXPECT_EQ(prepared.problem, "");
  EXPECT_TRUE(fs::exists(prepared.root / "labs" / "fork_basics" / "main.cc"));
}

TEST_F(Submissions, AnArchiveIsUnpackedAndItsWrappingFolderFound) {
  Checkout(root_ / "src" / "amy-main");
  Tar(root_ / "amy.tar.gz", root_ / "src");
  PreparedSubmission prepared = PrepareSubmission({"amy", root_ / "amy.tar.gz"}, root_ / "work");
  EXPECT_EQ(prepared.problem, "");
  EXPECT_TRUE(fs::exists(prepared.root / "labs" / "fork_basics" / "main.cc"));
  EXPECT_TRUE(prepared.root.string().starts_with((root_ / "work").string()));
}

TEST_F(Submissions, BadSubmissionsSayWhy) {
  fs::create_directories(root_ / "empty");
  EXPECT_EQ(PrepareSubmission({"e", root_ / "empty"}, root_ / "work").problem,
            "The submission folder is empty.");
  Write(root_ / "corrupt.zip", "not a zip");
  EXPECT_TRUE(PrepareSubmission({"c", root_ / "corrupt.zip"}, root_ / "work")
                  .problem.starts_with("The archive could not be unpacked: unzip"));
  Write(root_ / "nolabs" / "notes.txt", "hello");
  EXPECT_EQ(PrepareSubmission({"n", root_ / "nolabs"}, root_ / "work").problem,
            "The submission holds no labs/ folder and no lab of this course.");
  Write(root_ / "essay.docx", "");
  EXPECT_NE(PrepareSubmission({"d", root_ / "essay.docx"}, root_ / "work").problem, "");
}

TEST_F(Submissions, TheHashFollowsTheContentNotTheGitFolder) {
  Checkout(root_ / "amy");
  std::string before = SubmissionHash({"amy", root_ / "amy"});
  Write(root_ / "amy" / ".git" / "index", "changes with every clone");
  EXPECT_EQ(SubmissionHash({"amy", root_ / "amy"}), before);
  Write(root_ / "amy" / "labs" / "fork_basics" / "main.cc", "int main() { return 0; }\n");
  EXPECT_NE(SubmissionHash({"amy", root_ / "amy"}), before);
}

}  // namespace
}  // namespace forklab
