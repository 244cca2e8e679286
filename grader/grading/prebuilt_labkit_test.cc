#include "grading/prebuilt_labkit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

namespace fs = std::filesystem;

namespace forklab {
namespace {

/// A checkout's labs/ with its kit, a submission's copy of it and the checkout's built kit,
/// in a fresh directory.
class PrebuiltLabkit : public testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(root_);
    for (const fs::path& labs : {checkout_, submission_}) {
      Write(labs / "CMakeLists.txt", "add_subdirectory(common)\n");
      Write(labs / "common" / "CMakeLists.txt", "add_library(forklab_labkit STATIC ...)\n");
      Write(labs / "common" / "labkit" / "options.cc", "int options;\n");
      Write(labs / "fork_basics" / "main.cc", labs == checkout_ ? "stub\n" : "solution\n");
    }
    Write(archive_, "!<arch>\n");
    fs::last_write_time(archive_, fs::last_write_time(archive_) + std::chrono::hours(1));
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  std::optional<fs::path> Reusable() const {
    return ReusableLabkit(submission_, checkout_, archive_);
  }

  fs::path root_ =
      fs::temp_directory_path() / ("forklab-prebuilt-labkit-" + std::to_string(getpid()));
  fs::path checkout_ = root_ / "checkout" / "labs";
  fs::path submission_ = root_ / "submission" / "labs";
  fs::path archive_ = root_ / "build" / "libforklab_labkit.a";
};

TEST_F(PrebuiltLabkit, TheSameKitWithAnotherMainIsLinked) {
  EXPECT_EQ(Reusable(), archive_);
}

TEST_F(PrebuiltLabkit, AChangedKitFileIsCompiled) {
  Write(submission_ / "common" / "labkit" / "options.cc", "int options = 1;\n");
  EXPECT_EQ(Reusable(), std::nullopt);
}

TEST_F(PrebuiltLabkit, AChangedLabsCMakeListsIsCompiled) {
  Write(submission_ / "CMakeLists.txt", "add_subdirectory(common)\nadd_compile_options(-O0)\n");
  EXPECT_EQ(Reusable(), std::nullopt);
}

TEST_F(PrebuiltLabkit, AnAddedOrMissingKitFileIsCompiled) {
  Write(submission_ / "common" / "vector", "a header the kit's #include <vector> would find\n");
  EXPECT_EQ(Reusable(), std::nullopt);
  fs::remove(submission_ / "common" / "vector");
  fs::remove(submission_ / "common" / "labkit" / "options.cc");
  EXPECT_EQ(Reusable(), std::nullopt);
}

TEST_F(PrebuiltLabkit, ASymlinkToTheCheckoutsFileIsCompiled) {
  fs::remove(submission_ / "common" / "labkit" / "options.cc");
  fs::create_symlink(checkout_ / "common" / "labkit" / "options.cc",
                     submission_ / "common" / "labkit" / "options.cc");
  EXPECT_EQ(Reusable(), std::nullopt);
}

TEST_F(PrebuiltLabkit, AMissingOrStaleArchiveIsNotLinked) {
  fs::last_write_time(checkout_ / "common" / "labkit" / "options.cc",
                      fs::last_write_time(archive_) + std::chrono::hours(1));
  EXPECT_EQ(Reusable(), std::nullopt) << "the archive is older than the kit's sources";
  fs::remove(archive_);
  EXPECT_EQ(Reusable(), std::nullopt);
}

}  // namespace
}  // namespace forklab
