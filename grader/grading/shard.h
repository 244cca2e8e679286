// Spreading a class over machines: which submissions a shard grades, and putting the shards'
// outputs back together.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace forklab {

/// Shard `index` of `count` (1-based, as `--shard I/N`, Slurm's array index and a CI matrix
/// give it).
struct Shard {
  int index = 1;
  int count = 1;
};

/// "I/N" with 1 <= I <= N, or nullopt.
std::optional<Shard> ParseShard(std::string_view text);

/// Whether `shard` grades the submission of `student_id`: decided by the id's content hash
/// alone, so each id has one shard whatever the rest of the class, on every machine.
bool InShard(const std::string& student_id, const Shard& shard);

/// Why shard outputs cannot be merged; what() is one line.
struct MergeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What a batch output says of itself (`batch.json`): the class it was cut from, its shard,
/// and the ids it grades.
struct ShardManifest {
  std::vector<std::string> class_ids;  // every submission of the class, sorted
  Shard shard;
  std::vector<std::string> ids;  // this shard's, sorted
};

ShardManifest ReadShardManifest(const std::filesystem::path& batch_dir);
void WriteShardManifest(const std::filesystem::path& batch_dir, const ShardManifest& manifest);

/// Checks that `dirs` are the N shards of one class, each once, each finished (a stored
/// result for every id it owns); throws MergeError naming the first problem. Returns the
/// manifests, in `dirs` order.
std::vector<ShardManifest> CheckShardsComplete(const std::vector<std::filesystem::path>& dirs);

}  // namespace forklab
