#include "grading/shard.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "grading/content_hash.h"
#include "grading/stored_result.h"

namespace fs = std::filesystem;

namespace forklab {

std::optional<Shard> ParseShard(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Shard shard;
  auto parse = [](std::string_view digits, int* value) {
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), *value);
    return error == std::errc() && end == digits.data() + digits.size();
  };
  if (!parse(text.substr(0, slash), &shard.index) || !parse(text.substr(slash + 1), &shard.count))
    return std::nullopt;
  if (shard.count < 1 || shard.index < 1 || shard.index > shard.count) return std::nullopt;
  return shard;
}

bool InShard(const std::string& student_id, const Shard& shard) {
  uint64_t hash = std::stoull(ContentHash().Add(student_id).Hex(), nullptr, 16);
  return static_cast<int>(hash % shard.count) == shard.index - 1;
}

ShardManifest ReadShardManifest(const fs::path& batch_dir) {
  std::ifstream in(batch_dir / "batch.json");
  if (!in)
    throw MergeError(fmt::format("{} is no batch output (no batch.json)", batch_dir.string()));
  try {
    nlohmann::json json = nlohmann::json::parse(in);
    ShardManifest manifest;
    manifest.class_ids = json.at("class").get<std::vector<std::string>>();
    manifest.shard.index = json.at("shard").at("index").get<int>();
    manifest.shard.count = json.at("shard").at("count").get<int>();
    manifest.ids = json.at("ids").get<std::vector<std::string>>();
    return manifest;
  } catch (const nlohmann::json::exception& e) {
    throw MergeError(fmt::format("{}/batch.json cannot be read: {}", batch_dir.string(), e.what()));
  }
}

void WriteShardManifest(const fs::path& batch_dir, const ShardManifest& manifest) {
  nlohmann::json json = {
      {"class", manifest.class_ids},
      {"shard", {{"index", manifest.shard.index}, {"count", manifest.shard.count}}},
      {"ids", manifest.ids}};
  WriteFileAtomically(batch_dir / "batch.json", json.dump(2) + "\n");
}

std::vector<ShardManifest> CheckShardsComplete(const std::vector<fs::path>& dirs) {
  std::vector<ShardManifest> manifests;
  std::map<int, fs::path> dir_of_shard;
  std::map<std::string, fs::path> dir_of_id;
  for (const fs::path& dir : dirs) {
    ShardManifest manifest = ReadShardManifest(dir);
    if (!manifests.empty() && (manifest.shard.count != manifests.front().shard.count ||
                               manifest.class_ids != manifests.front().class_ids))
      throw MergeError(
          fmt::format("{} and {} are shards of different batches (another class or "
                      "another shard count)",
                      dirs.front().string(), dir.string()));
    auto [given, fresh] = dir_of_shard.emplace(manifest.shard.index, dir);
    if (!fresh)
      throw MergeError(fmt::format("shard {}/{} is given twice: {} and {}", manifest.shard.index,
                                   manifest.shard.count, given->second.string(), dir.string()));
    for (const std::string& id : manifest.ids) {
      auto [owner, unique] = dir_of_id.emplace(id, dir);
      if (!unique)
        throw MergeError(fmt::format("submission {} is in two shards: {} and {}", id,
                                     owner->second.string(), dir.string()));
      if (!fs::exists(dir / "submissions" / id / "record.json"))
        throw MergeError(
            fmt::format("{} is unfinished: submission {} has no result (rerun its "
                        "forklab batch to finish it)",
                        dir.string(), id));
    }
    manifests.push_back(std::move(manifest));
  }
  if (manifests.empty()) throw MergeError("no batch output to merge");
  int count = manifests.front().shard.count;
  for (int index = 1; index <= count; ++index)
    if (!dir_of_shard.contains(index))
      throw MergeError(
          fmt::format("shard {}/{} is missing: merge needs all {} shards", index, count, count));
  for (const std::string& id : manifests.front().class_ids)
    if (!dir_of_id.contains(id)) throw MergeError(fmt::format("submission {} is in no shard", id));
  return manifests;
}

}  // namespace forklab
