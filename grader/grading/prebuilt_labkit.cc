#include "grading/prebuilt_labkit.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace fs = std::filesystem;

namespace forklab {

namespace {

/// The kit's files of a labs/ tree by path relative to it (labs/CMakeLists.txt and everything
/// under common/), each with its modification time; nullopt when one is neither a regular file
/// nor a directory (a symlink could show the grader's own files as a student's).
std::optional<std::map<fs::path, fs::file_time_type>> KitFiles(const fs::path& labs) {
  std::map<fs::path, fs::file_time_type> files;
  std::error_code error;
  auto add = [&](const fs::path& path) {
    fs::file_status status = fs::symlink_status(path, error);
    if (error || !fs::is_regular_file(status)) return false;
    files[fs::relative(path, labs, error)] = fs::last_write_time(path, error);
    return !error;
  };
  if (!add(labs / "CMakeLists.txt") || !fs::is_directory(fs::symlink_status(labs / "common")))
    return std::nullopt;
  for (auto entry = fs::recursive_directory_iterator(labs / "common", error);
       !error && entry != fs::recursive_directory_iterator(); entry.increment(error)) {
    fs::file_status status = entry->symlink_status(error);
    if (error) return std::nullopt;
    if (fs::is_directory(status)) continue;
    if (!add(entry->path())) return std::nullopt;
  }
  if (error) return std::nullopt;
  return files;
}

bool SameBytes(const fs::path& a, const fs::path& b) {
  std::ifstream first(a, std::ios::binary), second(b, std::ios::binary);
  if (!first || !second) return false;
  return std::equal(std::istreambuf_iterator<char>(first), std::istreambuf_iterator<char>(),
                    std::istreambuf_iterator<char>(second), std::istreambuf_iterator<char>());
}

}  // namespace

bool SameLabkit(const fs::path& submission_labs, const fs::path& checkout_labs) {
  auto theirs = KitFiles(submission_labs);
  auto ours = KitFiles(checkout_labs);
  if (!theirs || !ours || theirs->size() != ours->size()) return false;
  return std::ranges::all_of(*ours, [&](const auto& file) {
    return theirs->count(file.first) &&
           SameBytes(submission_labs / file.first, checkout_labs / file.first);
  });
}

std::optional<fs::path> ReusableLabkit(const fs::path& submission_labs,
                                       const fs::path& checkout_labs, const fs::path& archive) {
  std::error_code error;
  fs::file_status status = fs::status(archive, error);
  if (error || !fs::is_regular_file(status)) return std::nullopt;
  fs::file_time_type built = fs::last_write_time(archive, error);
  auto kit = KitFiles(checkout_labs);
  if (error || !kit || !SameLabkit(submission_labs, checkout_labs)) return std::nullopt;
  bool older = std::ranges::all_of(*kit, [&](const auto& file) { return file.second <= built; });
  if (!older) return std::nullopt;
  return archive;
}

}  // namespace forklab
