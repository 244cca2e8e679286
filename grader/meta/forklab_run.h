// Running the forklab CLI from a meta-test, and reading its JSON result.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/subprocess.h"

namespace forklab {

inline const std::filesystem::path kBuild = FORKLAB_BUILD_DIR;
inline const std::filesystem::path kSource = FORKLAB_SOURCE_DIR;

/// A forklab run: its exit status, its terminal output and, when asked, its JSON result.
struct Grading {
  RunResult run;
  nlohmann::json result;
};

/// Runs `forklab args...` (with `prefix` before it, e.g. setpriv), asking for JSON unless not
/// `json`.
inline Grading Forklab(std::vector<std::string> args, bool json = true,
                       std::vector<std::string> prefix = {}) {
  namespace fs = std::filesystem;
  fs::path output = fs::temp_directory_path() /
                    ("forklab-meta-" + std::to_string(getpid()) + "-" +
                     std::to_string(std::hash<std::string>{}(
                         testing::UnitTest::GetInstance()->current_test_info()->name())) +
                     ".json");
  if (json) args.insert(args.end(), {"--format", "json", "--output", output.string()});
  std::string forklab = (kBuild / "grader" / "forklab").string();
  SpawnOptions options;
  options.args = std::move(args);
  if (!prefix.empty()) {
    options.args.insert(options.args.begin(), forklab);
    options.args.insert(options.args.begin(), prefix.begin() + 1, prefix.end());
    forklab = prefix.front();
  }
  options.env["NO_COLOR"] = "1";
  Grading grading{Run(forklab, options, std::chrono::minutes(20)), nullptr};
  if (json && fs::exists(output)) {
    std::ifstream in(output);
    grading.result = nlohmann::json::parse(in, nullptr, false);
    fs::remove(output);
  }
  return grading;
}

}  // namespace forklab
