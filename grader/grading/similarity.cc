#include "grading/similarity.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "harness/subprocess.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

constexpr const char* kSimulator = "/usr/bin/sim_c++";

std::string Slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Sim(const std::vector<std::string>& args) {
  SpawnOptions options;
  options.args = args;
  RunResult run = Run(kSimulator, options, std::chrono::minutes(10));
  return run.out;
}

/// Runs "a: line 3-9 |b: line 1-7 [40]" of `sim_c++ -n`, as ((3, 9), (1, 7)).
std::vector<std::pair<std::pair<int, int>, std::pair<int, int>>> Runs(const std::string& output) {
  static const std::regex kRun(R"(^(.*): line (\d+)-(\d+)\s*\|(.*): line (\d+)-(\d+)\s*\[\d+\])");
  std::vector<std::pair<std::pair<int, int>, std::pair<int, int>>> runs;
  std::smatch match;
  for (const std::string& line : SplitLines(output))
    if (std::regex_search(line, match, kRun))
      runs.push_back(
          {{std::stoi(match[2]), std::stoi(match[3])}, {std::stoi(match[5]), std::stoi(match[6])}});
  return runs;
}

/// `file` with the lines that match `base` blanked (kept as empty lines, so line numbers
/// still point into the original).
std::string WithoutBase(const fs::path& file, const fs::path& base) {
  std::vector<std::string> lines = SplitLines(Slurp(file));
  for (const auto& [ours, theirs] :
       Runs(Sim({"-n", "-T", "-S", file.string(), "/", base.string()})))
    for (int line = ours.first; line <= ours.second && line <= static_cast<int>(lines.size());
         ++line)
      lines[line - 1].clear();
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

}  // namespace

bool SimilarityTesterFound() {
  return access(kSimulator, X_OK) == 0;
}

bool CollectLabSources(const fs::path& lab_dir, const fs::path& into) {
  std::vector<fs::path> files;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(lab_dir, error); !error && it != end(it);
       it.increment(error)) {
    std::string extension = it->path().extension().string();
    if (it->is_regular_file() && !it->is_symlink() &&
        (extension == ".cc" || extension == ".cpp" || extension == ".h" || extension == ".hpp"))
      files.push_back(it->path());
  }
  if (files.empty()) return false;
  std::sort(files.begin(), files.end());
  fs::create_directories(into.parent_path());
  std::ofstream out(into, std::ios::binary);
  for (const fs::path& file : files) out << Slurp(file) << "\n";
  return true;
}

std::string StarterCode(const fs::path& course_lab_dir) {
  fs::path stub = fs::temp_directory_path() / fmt::format("forklab-starter-{}.cc", getpid());
  std::string code;
  if (CollectLabSources(course_lab_dir, stub)) code = Slurp(stub);
  fs::remove(stub);
  for (const char* handout : {"README.md", "README.zh.md"}) {
    bool inside = false;
    for (const std::string& line : SplitLines(Slurp(course_lab_dir / handout))) {
      if (line.starts_with("```")) {
        inside = !inside;
        continue;
      }
      if (inside) code += line + "\n";
    }
  }
  return code;
}

std::vector<SimilarPair> SimilarPairs(const std::string& lab, const std::vector<LabSource>& sources,
                                      const std::string& starter, int threshold,
                                      const fs::path& work_dir) {
  if (!SimilarityTesterFound() || sources.size() < 2) return {};
  fs::create_directories(work_dir);
  fs::path base = work_dir / "starter.cc";
  std::ofstream(base, std::ios::binary) << starter;
  std::vector<std::string> args = {"-p", "-e", "-a", "-T", "-t", "1"};
  std::map<std::string, std::string> id_of_file;
  for (const LabSource& source : sources) {
    fs::path stripped = work_dir / (source.student_id + ".cc");
    std::ofstream(stripped, std::ios::binary) << WithoutBase(source.file, base);
    id_of_file[stripped.string()] = source.student_id;
    args.push_back(stripped.string());
  }
  // "F consists for x % of G material": x% of F's code is found in G.
  static const std::regex kShare(R"(^(.*) consists for (\d+) % of (.*) material$)");
  std::map<std::pair<std::string, std::string>, int> share;
  std::smatch match;
  for (const std::string& line : SplitLines(Sim(args)))
    if (std::regex_match(line, match, kShare) && id_of_file.contains(match[1]) &&
        id_of_file.contains(match[3]))
      share[{id_of_file[match[1]], id_of_file[match[3]]}] = std::stoi(match[2]);

  std::vector<SimilarPair> pairs;
  for (const auto& [key, a_in_b] : share) {
    const auto& [a, b] = key;
    if (a >= b) continue;
    auto reverse = share.find({b, a});
    int b_in_a = reverse == share.end() ? 0 : reverse->second;
    if (std::min(a_in_b, b_in_a) < threshold) continue;
    SimilarPair pair{lab, a, b, a_in_b, b_in_a, {}};
    pair.runs = Runs(Sim({"-n", "-T", "-S", (work_dir / (a + ".cc")).string(), "/",
                          (work_dir / (b + ".cc")).string()}));
    pairs.push_back(std::move(pair));
  }
  std::sort(pairs.begin(), pairs.end(), [](const SimilarPair& x, const SimilarPair& y) {
    return std::min(x.share_a, x.share_b) > std::min(y.share_a, y.share_b);
  });
  return pairs;
}

}  // namespace forklab
