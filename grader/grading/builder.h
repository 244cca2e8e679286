// Building a submission's labs/ tree, one lab at a time, so one broken lab costs only itself.
#pragma once

#include <filesystem>
#include <string>

namespace forklab {

/// One lab's build: the executable, or the compiler's message when it did not build.
struct LabBuild {
  bool ok = false;
  std::string exe;
  std::string log;
};

/// Configures a labs/ tree (the student part of a checkout: labs/CMakeLists.txt builds on its
/// own) into `build_dir` once, then builds each lab's target on demand. A failed configure
/// makes every lab's Build report it.
class LabBuilder {
 public:
  LabBuilder(std::filesystem::path labs_dir, std::filesystem::path build_dir);
  LabBuild Build(const std::string& lab);

 private:
  std::filesystem::path labs_dir_;
  std::filesystem::path build_dir_;
  bool configured_ = false;
  std::string configure_error_;
};

/// Keeps the lines of a build log that explain the failure (errors and their context),
/// at most `max_lines` of them.
std::string CompilerMessage(const std::string& log, size_t max_lines = 40);

}  // namespace forklab
