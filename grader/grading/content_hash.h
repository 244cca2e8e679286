// Content hashes: what a stored result was made from, so a rerun can tell what changed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace forklab {

/// A 64-bit FNV-1a hash, fed piece by piece. Stable across runs and machines (it detects
/// changes; it is no defence against someone forging a collision). Each piece is fed with its
/// length, so ("ab", "c") and ("a", "bc") differ.
class ContentHash {
 public:
  ContentHash& Add(std::string_view bytes);
  ContentHash& Add(double number);
  /// The file's bytes; a missing file adds a marker instead (it changes when one appears).
  ContentHash& AddFile(const std::filesystem::path& path);
  /// Every file under `dir` (relative paths in sorted order, contents, symlink targets),
  /// leaving out `.git` folders.
  ContentHash& AddTree(const std::filesystem::path& dir);
  /// 16 lowercase hex digits.
  std::string Hex() const;

 private:
  void Feed(std::string_view bytes);
  uint64_t state_ = 14695981039346656037ull;
};

}  // namespace forklab
