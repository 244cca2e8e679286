// Running the forklab CLI from a meta-test, and reading its JSON result.
#pragma once

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/subprocess.h"
#include "paths/build_paths.h"

namespace forklab {

inline const std::filesystem::path kBuild = build_paths::kBuildDir;
inline const std::filesystem::path kSource = build_paths::kSourceDir;

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
/// `json`. A grading runs two checks at a time unless `args` say otherwise (--jobs): ctest runs
/// several gradings at once already, and two keep a grading's waits overlapping without
/// crowding the cores further.
inline Grading Forklab(std::vector<std::string> args, bool json = true,
                       std::vector<std::string> prefix = {}) {
  namespace fs = std::filesystem;
  // One file per call, so gradings run at once from one test do not share it.
  static std::atomic<int> calls{0};
  fs::path output = fs::temp_directory_path() / ("forklab-meta-" + std::to_string(getpid()) + "-" +
                                                 std::to_string(calls++) + ".json");
  if (json) args.insert(args.end(), {"--format", "json", "--output", output.string()});
  if (!args.empty() && args.front() == "grade" &&
      std::find(args.begin(), args.end(), "--jobs") == args.end())
    args.insert(args.end(), {"--jobs", "2"});
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

/// Grades `args` (a "grade" command with its --lab and --check options), then grades again, as the
/// report says, the checks the machine was too busy to decide, up to `regrades` times: a batch's
/// way with inconclusive checks. Their new results replace the old in the returned result, whose
/// totals are recomputed; any still inconclusive stay so.
inline Grading GradeDecided(const std::vector<std::string>& args, int regrades = 3) {
  Grading grading = Forklab(args);
  for (int again = 0; again < regrades && grading.result.is_object() &&
                      !grading.result.value("rerun", nlohmann::json::array()).empty();
       ++again) {
    std::vector<std::string> rerun;  // args without their --lab and --check, then the report's
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--lab" || args[i] == "--check") {
        ++i;
        continue;
      }
      rerun.push_back(args[i]);
    }
    for (const auto& arg : grading.result["rerun"]) rerun.push_back(arg.get<std::string>());
    Grading regraded = Forklab(rerun);
    if (!regraded.result.is_object()) return regraded;
    for (auto& lab : grading.result["labs"])
      for (const auto& new_lab : regraded.result["labs"])
        if (new_lab["lab"] == lab["lab"])
          for (auto& check : lab["checks"])
            for (const auto& new_check : new_lab["checks"])
              if (new_check.value("test", "") == check.value("test", "?")) check = new_check;
    double earned = 0, total = 0;
    for (const auto& lab : grading.result["labs"])
      for (const auto& check : lab["checks"]) {
        earned += check["earned"].get<double>();
        if (check["outcome"] != "skipped") total += check["points"].get<double>();
      }
    grading.result["earned"] = earned;
    grading.result["total"] = total;
    grading.result["percent"] = total > 0 ? 100 * earned / total : 0;
    grading.result["rerun"] = regraded.result["rerun"];
  }
  return grading;
}

}  // namespace forklab
