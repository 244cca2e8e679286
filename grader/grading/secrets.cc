#include "grading/secrets.h"

namespace forklab {

std::vector<std::filesystem::path> SecretDirs(
    const Layout& layout, const std::optional<std::filesystem::path>& hidden_dir) {
  std::vector<std::filesystem::path> dirs;
  // The student edition has no reference/ in its source tree: nothing there to hide.
  for (const std::filesystem::path& dir : {layout.source / "reference", layout.build / "reference"})
    if (std::filesystem::is_directory(dir)) dirs.push_back(dir);
  if (hidden_dir) dirs.push_back(std::filesystem::canonical(*hidden_dir));
  return dirs;
}

std::vector<std::string> SecretsHiddenFrom(const std::string& exe,
                                           const std::vector<std::filesystem::path>& secrets) {
  std::vector<std::string> hidden;
  for (const std::filesystem::path& dir : secrets)
    if (!exe.starts_with(dir.string() + "/")) hidden.push_back(dir.string());
  return hidden;
}

}  // namespace forklab
