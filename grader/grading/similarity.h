// Similarity across a class, offline: Dick Grune's similarity tester (Debian's
// similarity-tester, `sim_c++`) compares every pair of submissions of a lab, with the starter
// code (the stub and the handout's code) taken out first, as MOSS's -b does.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace forklab {

/// One lab's sources of one submission, as compared.
struct LabSource {
  std::string student_id;
  std::filesystem::path file;  // the lab's C++ sources, concatenated
};

/// A pair of submissions that share code beyond the starter code: `share_a` is the share
/// (percent) of a's code found in b's, `share_b` of b's in a's. `runs` are the line ranges
/// that match, in a's file and b's file.
struct SimilarPair {
  std::string lab;
  std::string a, b;  // student ids, a < b
  int share_a = 0;
  int share_b = 0;
  std::vector<std::pair<std::pair<int, int>, std::pair<int, int>>> runs;
};

/// Whether `sim_c++` is installed (Debian's similarity-tester).
bool SimilarityTesterFound();

/// Concatenates the C++ sources (.cc, .cpp, .h, .hpp) under `lab_dir`, sorted by path, into
/// `into`; returns false when there are none.
bool CollectLabSources(const std::filesystem::path& lab_dir, const std::filesystem::path& into);

/// The starter code of a lab: the stub's sources and the code blocks of its handouts.
std::string StarterCode(const std::filesystem::path& course_lab_dir);

/// The pairs of `sources` (one lab) whose smaller share is at least `threshold` percent,
/// most similar first. `starter` is removed from each file before comparing; `work_dir`
/// holds the files compared. Empty when sim_c++ is missing.
std::vector<SimilarPair> SimilarPairs(const std::string& lab, const std::vector<LabSource>& sources,
                                      const std::string& starter, int threshold,
                                      const std::filesystem::path& work_dir);

}  // namespace forklab
