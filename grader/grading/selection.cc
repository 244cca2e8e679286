#include "grading/selection.h"

#include <fnmatch.h>

#include <algorithm>

#include "harness/fault_profile.h"

namespace forklab {
namespace {

void AddHiddenRubrics(const std::filesystem::path& hidden_dir, std::vector<Rubric>* rubrics) {
  for (const auto& file : std::filesystem::directory_iterator(hidden_dir)) {
    if (file.path().extension() != ".toml") continue;
    Rubric extra = LoadRubric(file.path(), hidden_dir, /*hidden=*/true);
    auto owner = std::find_if(rubrics->begin(), rubrics->end(),
                              [&](const Rubric& rubric) { return rubric.lab == extra.lab; });
    if (owner != rubrics->end()) MergeRubric(&*owner, extra);
  }
}

}  // namespace

std::vector<Rubric> LoadRubrics(const Layout& layout, const std::vector<std::string>& labs,
                                const std::optional<std::filesystem::path>& hidden_dir) {
  std::vector<Rubric> rubrics;
  for (const std::string& lab : labs)
    rubrics.push_back(LoadRubric(layout.rubric(lab), layout.suites()));
  if (hidden_dir) AddHiddenRubrics(*hidden_dir, &rubrics);
  for (Rubric& rubric : rubrics)
    for (RubricEntry& entry : rubric.entries)
      if (!entry.profile.empty()) {
        std::filesystem::path path = layout.fault_profile(entry.profile);
        if (!std::filesystem::exists(path))
          throw GradeRequestError(rubric.lab + ": " + entry.test + ": no fault profile '" +
                                  entry.profile + "' in " + path.parent_path().string());
        LoadFaultProfile(path);
        entry.profile = path.string();
      }
  return rubrics;
}

void KeepChecks(const std::vector<std::string>& patterns, std::vector<Rubric>* rubrics) {
  size_t kept = 0;
  for (Rubric& rubric : *rubrics) {
    std::erase_if(rubric.entries, [&](const RubricEntry& entry) {
      return std::none_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
        return fnmatch(pattern.c_str(), entry.test.c_str(), 0) == 0;
      });
    });
    kept += rubric.entries.size();
  }
  if (kept == 0) throw GradeRequestError("no check matches --check " + patterns.front());
}

}  // namespace forklab
