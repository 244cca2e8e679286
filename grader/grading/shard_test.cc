#include "grading/shard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace forklab {
namespace {

TEST(ParseShard, IndexOfCount) {
  std::optional<Shard> shard = ParseShard("2/3");
  ASSERT_TRUE(shard);
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 3);
  for (const char* bad : {"0/3", "4/3", "1/0", "1", "a/b", "1/3x", "-1/3", ""})
    EXPECT_FALSE(ParseShard(bad)) << bad;
}

TEST(InShard, EachIdInExactlyOneShardAndTheSameOnEveryCall) {
  std::vector<size_t> sizes(3);
  for (int i = 0; i < 300; ++i) {
    std::string id = "student" + std::to_string(i);
    int owners = 0;
    for (int index = 1; index <= 3; ++index)
      if (InShard(id, {index, 3})) {
        ++owners;
        ++sizes[index - 1];
        EXPECT_TRUE(InShard(id, {index, 3}));
      }
    EXPECT_EQ(owners, 1) << id;
  }
  for (size_t size : sizes) EXPECT_GT(size, 50u);  // spread, not lumped
}

/// A batch output folder of a shard, with a record per id (or without, to leave a gap).
class ShardDirs : public testing::Test {
 protected:
  fs::path Dir(int index, int count, const std::vector<std::string>& ids, bool finished = true) {
    fs::path dir = root_ / ("shard" + std::to_string(index) + "of" + std::to_string(count) + "-" +
                            std::to_string(made_++));
    fs::create_directories(dir);
    WriteShardManifest(dir, {{"a", "b", "c"}, {index, count}, ids});
    for (const std::string& id : ids) {
      fs::create_directories(dir / "submissions" / id);
      if (finished) std::ofstream(dir / "submissions" / id / "record.json") << "{}";
    }
    return dir;
  }
  std::string MergeFails(const std::vector<fs::path>& dirs) {
    try {
      CheckShardsComplete(dirs);
    } catch (const MergeError& e) {
      return e.what();
    }
    return "";
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_ = fs::temp_directory_path() / ("forklab-shard-test-" + std::to_string(getpid()));
  int made_ = 0;
};

TEST_F(ShardDirs, AllShardsOnceAreMerged) {
  EXPECT_EQ(CheckShardsComplete({Dir(1, 2, {"a", "c"}), Dir(2, 2, {"b"})}).size(), 2u);
}

TEST_F(ShardDirs, AMissingShardIsRefused) {
  std::string error = MergeFails({Dir(1, 3, {"a"}), Dir(3, 3, {"c"})});
  EXPECT_EQ(error, "shard 2/3 is missing: merge needs all 3 shards");
}

TEST_F(ShardDirs, AShardGivenTwiceIsRefused) {
  std::string error = MergeFails({Dir(1, 2, {"a"}), Dir(1, 2, {"a"}), Dir(2, 2, {"b", "c"})});
  EXPECT_NE(error.find("shard 1/2 is given twice"), std::string::npos) << error;
}

TEST_F(ShardDirs, AStudentInTwoShardsIsRefused) {
  std::string error = MergeFails({Dir(1, 2, {"a", "b"}), Dir(2, 2, {"b", "c"})});
  EXPECT_NE(error.find("submission b is in two shards"), std::string::npos) << error;
}

TEST_F(ShardDirs, AnUnfinishedShardIsRefused) {
  std::string error = MergeFails({Dir(1, 2, {"a"}), Dir(2, 2, {"b", "c"}, false)});
  EXPECT_NE(error.find("is unfinished: submission b has no result"), std::string::npos) << error;
}

TEST_F(ShardDirs, ANonBatchFolderIsRefused) {
  fs::create_directories(root_ / "plain");
  EXPECT_NE(MergeFails({root_ / "plain"}).find("no batch output"), std::string::npos);
}

}  // namespace
}  // namespace forklab
