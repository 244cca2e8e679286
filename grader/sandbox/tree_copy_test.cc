#include "sandbox/tree_copy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace forklab {
namespace {

namespace fs = std::filesystem;

/// A fresh directory with `from` and `to` inside, removed at the end.
struct Scratch {
  fs::path root;
  fs::path from, to;
  Scratch() {
    std::string pattern = (fs::temp_directory_path() / "forklab-tree-copy-XXXXXX").string();
    root = mkdtemp(pattern.data());
    from = root / "from";
    to = root / "to";
    fs::create_directories(from / "labs" / "CMakeFiles");
    fs::create_directories(to);
  }
  ~Scratch() { fs::remove_all(root); }
};

struct timespec ModifiedAt(const fs::path& path) {
  struct stat info = {};
  EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
  return info.st_mtim;
}

TEST(TreeCopy, KeepsFilesModesTimesAndLinksAsLinks) {
  Scratch dir;
  std::ofstream(dir.from / "labs" / "fork_basics") << "an executable";
  fs::permissions(dir.from / "labs" / "fork_basics", fs::perms::owner_all | fs::perms::group_exec);
  const struct timespec old[2] = {{1000, 5}, {1000, 5}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir.from / "labs" / "fork_basics").c_str(), old, 0), 0);
  fs::create_symlink("/etc/hostname", dir.from / "labs" / "outside");
  ASSERT_EQ(mkfifo((dir.from / "labs" / "fifo").c_str(), 0600), 0);
  std::ofstream(dir.to / "stale") << "gone after the copy";

  EXPECT_TRUE(SyncTree(dir.from, dir.to));
  fs::path exe = dir.to / "labs" / "fork_basics";
  EXPECT_EQ(fs::status(exe).permissions(), fs::perms::owner_all | fs::perms::group_exec);
  EXPECT_EQ(ModifiedAt(exe).tv_sec, 1000);
  EXPECT_EQ(ModifiedAt(exe).tv_nsec, 5);
  EXPECT_TRUE(fs::is_directory(dir.to / "labs" / "CMakeFiles"));
  EXPECT_TRUE(fs::is_symlink(dir.to / "labs" / "outside")) << "a link was followed";
  EXPECT_EQ(fs::read_symlink(dir.to / "labs" / "outside"), "/etc/hostname");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.to / "labs" / "fifo")));
  EXPECT_FALSE(fs::exists(dir.to / "stale"));
}

TEST(TreeCopy, AnUnchangedFileIsNotWrittenAgainAndAChangedOneIs) {
  Scratch dir;
  std::ofstream(dir.from / "kept") << "same";
  std::ofstream(dir.from / "changed") << "old";
  ASSERT_TRUE(SyncTree(dir.from, dir.to));
  struct stat kept_before = {};
  ASSERT_EQ(lstat((dir.to / "kept").c_str(), &kept_before), 0);
  std::ofstream(dir.from / "changed") << "newer and longer";
  ASSERT_TRUE(SyncTree(dir.from, dir.to));
  struct stat kept_after = {};
  ASSERT_EQ(lstat((dir.to / "kept").c_str(), &kept_after), 0);
  EXPECT_EQ(kept_after.st_ino, kept_before.st_ino) << "an unchanged file was copied again";
  std::ifstream changed(dir.to / "changed");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(changed), {}), "newer and longer");
}

TEST(TreeCopy, BytesCountEveryHardLinkAndASparseFileWhole) {
  Scratch dir;
  std::ofstream(dir.from / "file") << std::string(1000, 'x');
  fs::create_hard_link(dir.from / "file", dir.from / "labs" / "link");
  fs::create_symlink(dir.from / "file", dir.from / "symlink");
  ASSERT_EQ(truncate((dir.from / "file").c_str(), 1 << 20), 0);
  EXPECT_EQ(TreeBytes(dir.from), 2u << 20);
}

TEST(TreeCopy, ExceedsByBytesOrByNames) {
  Scratch dir;
  std::ofstream(dir.from / "a") << std::string(1000, 'x');
  std::ofstream(dir.from / "labs" / "b") << std::string(24, 'x');
  EXPECT_FALSE(TreeExceeds(dir.from, 1024, 8));
  EXPECT_TRUE(TreeExceeds(dir.from, 1023, 8));
  EXPECT_TRUE(TreeExceeds(dir.from, 1 << 20, 3)) << "a, labs, labs/CMakeFiles, labs/b: four";
  EXPECT_FALSE(TreeExceeds(dir.from, 1 << 20, 4));
}

}  // namespace
}  // namespace forklab
