#include "grading/content_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <vector>

namespace fs = std::filesystem;

namespace forklab {

void ContentHash::Feed(std::string_view bytes) {
  for (unsigned char byte : bytes) {
    state_ ^= byte;
    state_ *= 1099511628211ull;
  }
}

ContentHash& ContentHash::Add(std::string_view bytes) {
  Feed(fmt::format("{}:", bytes.size()));
  Feed(bytes);
  return *this;
}

ContentHash& ContentHash::Add(double number) {
  return Add(fmt::format("{}", number));
}

ContentHash& ContentHash::AddFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Add("(missing file)");
  std::vector<char> buffer(1 << 16);
  Feed("file:");
  while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0)
    Feed(std::string_view(buffer.data(), in.gcount()));
  return *this;
}

ContentHash& ContentHash::AddTree(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir, error); !error && it != end(it);
       it.increment(error)) {
    if (it->is_directory() && !it->is_symlink() && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    Add(fs::relative(file, dir).string());
    if (fs::is_symlink(file))
      Add("symlink:" + fs::read_symlink(file).string());
    else
      AddFile(file);
  }
  return *this;
}

std::string ContentHash::Hex() const {
  return fmt::format("{:016x}", state_);
}

}  // namespace forklab
