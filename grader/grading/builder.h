// Building a submission's labs/ tree, one lab at a time, so one broken lab costs only itself.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "grading/check.h"

namespace forklab {

/// One lab's build: the executable, or the compiler's message when it did not build.
struct LabBuild {
  bool ok = false;
  std::string exe;
  std::string log;
};

/// Configures a labs/ tree (the student part of a checkout: labs/CMakeLists.txt builds on its
/// own) into `build_dir` once, then builds each lab's target on demand. A failed configure
/// makes every lab's Build report it. A submission's CMake code is as untrusted as its
/// programs: cmake runs inside the sandbox, with the containment of the checks (the program's
/// uid included), and writes nothing but a copy of `build_dir` on a size-capped tmpfs, copied
/// back after each step unless the step filled it (its lab's log then says so). Given `labkit`
/// (ReusableLabkit), the build links that archive, shown read-only, instead of compiling
/// labs/common.
class LabBuilder {
 public:
  LabBuilder(std::filesystem::path labs_dir, std::filesystem::path build_dir,
             Containment containment, std::optional<std::filesystem::path> labkit = std::nullopt);
  LabBuild Build(const std::string& lab);

 private:
  /// Runs cmake with `args`; returns the compiler's message and the limits it met when it
  /// fails, empty on success.
  std::string RunCmake(const std::vector<std::string>& args);

  std::filesystem::path labs_dir_;
  std::filesystem::path build_dir_;
  Containment containment_;
  std::optional<std::filesystem::path> labkit_;
  std::mutex mutex_;  // one build at a time within this grading, too
  bool configured_ = false;
  std::string configure_error_;
};

/// Keeps the lines of a build log that explain the failure (errors and their context),
/// at most `max_lines` of them.
std::string CompilerMessage(const std::string& log, size_t max_lines = 40);

}  // namespace forklab
