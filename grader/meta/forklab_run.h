// Running the forklab CLI from a meta-test, and reading its JSON result.
#pragma once

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/subprocess.h"

namespace forklab {

inline const std::filesystem::path kBuild = FORKLAB_BUILD_DIR;
inline const std::filesystem::path kSource = FORKLAB_SOURCE_DIR;

/// The fixture programs of one kind (fixtures/<kind>/<name>/) that have a `manifest` file,
/// each as its name and its parsed manifest, sorted by name.
inline std::vector<std::pair<std::string, toml::table>> FixtureManifests(
    const std::string& kind, const std::string& manifest) {
  std::vector<std::pair<std::string, toml::table>> manifests;
  for (const auto& dir : std::filesystem::directory_iterator(kSource / "fixtures" / kind)) {
    std::filesystem::path file = dir.path() / manifest;
    if (std::filesystem::exists(file))
      manifests.emplace_back(dir.path().filename(), toml::parse_file(file.string()));
  }
  std::sort(manifests.begin(), manifests.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return manifests;
}

/// Adds the strings of the manifest's array `key` (if it has one) to `out`.
template <class Output>
void ManifestStrings(const toml::table& manifest, const char* key, Output out) {
  if (const toml::array* list = manifest[key].as_array())
    for (const auto& item : *list) *out++ = item.value_or(std::string());
}

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
  // The reports are read in English (a mutant's `says`), whatever the developer's locale.
  options.unset_env = {"LC_ALL", "LC_MESSAGES", "LANG"};
  Grading grading{Run(forklab, options, std::chrono::minutes(20)), nullptr};
  if (json && fs::exists(output)) {
    std::ifstream in(output);
    grading.result = nlohmann::json::parse(in, nullptr, false);
    fs::remove(output);
  }
  return grading;
}

}  // namespace forklab
