#include "grading/submissions.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "grading/content_hash.h"
#include "grading/labs.h"
#include "harness/subprocess.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

constexpr const char* kArchiveExtensions[] = {".tar.gz", ".tgz", ".zip"};

std::string ArchiveExtension(const fs::path& path) {
  std::string name = path.filename().string();
  for (const char* extension : kArchiveExtensions)
    if (name.size() > std::string_view(extension).size() && name.ends_with(extension))
      return extension;
  return "";
}

std::string SafeId(std::string id) {
  for (char& c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("-_.@", c)) c = '_';
  if (id.empty() || id.front() == '.') id.insert(0, "_");
  return id;
}

std::string Trim(std::string text) {
  auto blank = [](unsigned char c) { return std::isspace(c) || c == '"' || c == '\''; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  return text.substr(start);
}

std::vector<Submission> FromCsv(const fs::path& csv) {
  std::ifstream in(csv);
  if (!in) throw SubmissionsError("cannot read " + csv.string());
  std::vector<Submission> found;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Trim(line).empty()) continue;
    size_t comma = line.find(',');
    if (comma == std::string::npos)
      throw SubmissionsError(fmt::format("{}:{}: expected student_id,path", csv.string(), number));
    std::string id = Trim(line.substr(0, comma));
    std::string path = Trim(line.substr(comma + 1));
    if (number == 1 && id == "student_id") continue;
    fs::path source = fs::path(path).is_absolute() ? fs::path(path) : csv.parent_path() / path;
    found.push_back({id, fs::absolute(source).lexically_normal()});
  }
  return found;
}

// Gradescope's submission_metadata.yml, read for what we need: each top-level
// `submission_<n>:` key and the first `:sid:` beneath it.
std::vector<Submission> FromGradescope(const fs::path& export_dir) {
  std::ifstream in(export_dir / "submission_metadata.yml");
  std::map<std::string, std::string> sid_of_folder;
  std::string line, folder;
  static const std::regex kFolder(R"(^([A-Za-z0-9_.-]+):\s*$)");
  static const std::regex kSid(R"(^\s*-?\s*:sid:\s*(.*)$)");
  std::smatch match;
  while (std::getline(in, line)) {
    if (std::regex_match(line, match, kFolder)) {
      folder = match[1];
    } else if (!folder.empty() && std::regex_match(line, match, kSid) &&
               !sid_of_folder.contains(folder)) {
      std::string sid = Trim(match[1]);
      if (!sid.empty()) sid_of_folder[folder] = sid;
    }
  }
  std::vector<Submission> found;
  for (const auto& entry : fs::directory_iterator(export_dir)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.starts_with(".")) continue;
    auto sid = sid_of_folder.find(name);
    found.push_back({sid == sid_of_folder.end() ? name : sid->second, entry.path()});
  }
  return found;
}

std::vector<Submission> FromFolder(const fs::path& dir) {
  std::vector<Submission> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) continue;
    std::string extension = ArchiveExtension(entry.path());
    found.push_back({name.substr(0, name.size() - extension.size()), entry.path()});
  }
  return found;
}

// A labs/ tree: its CMakeLists.txt and at least one lab folder.
bool IsLabsCopy(const fs::path& dir) {
  if (!fs::is_regular_file(dir / "CMakeLists.txt")) return false;
  const std::vector<std::string>& labs = Labs();
  return std::any_of(labs.begin(), labs.end(),
                     [&](const std::string& lab) { return fs::is_directory(dir / lab); });
}

// The folder to grade within `dir`, at most two levels down (an archive often wraps its
// content in one folder): one with labs/, or a copy of labs/ (returned as its parent's
// labs-to-be, flagged by `labs_copy`).
std::optional<fs::path> FindCheckout(const fs::path& dir, int depth, bool* labs_copy) {
  if (fs::is_directory(dir / "labs") && !fs::is_symlink(dir / "labs")) return dir;
  if (IsLabsCopy(dir)) {
    *labs_copy = true;
    return dir;
  }
  if (depth == 0) return std::nullopt;
  std::vector<fs::path> subdirs;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_directory() && !entry.is_symlink() &&
        !entry.path().filename().string().starts_with("."))
      subdirs.push_back(entry.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const fs::path& subdir : subdirs)
    if (auto found = FindCheckout(subdir, depth - 1, labs_copy)) return found;
  return std::nullopt;
}

std::string Program(const std::string& name) {
  std::stringstream path(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(path, dir, ':'))
    if (access((fs::path(dir) / name).c_str(), X_OK) == 0) return fs::path(dir) / name;
  return name;
}

// Unpacks `archive` into `into`; empty on success, else why not. GNU tar and Info-ZIP unzip
// both refuse members with `..` or an absolute path; neither restores owners here.
std::string Unpack(const fs::path& archive, const std::string& extension, const fs::path& into) {
  SpawnOptions options;
  if (extension == ".zip")
    options.args = {"-q", "-o", archive.string(), "-d", into.string()};
  else
    options.args = {
        "-x", "-z",         "--no-same-owner", "--no-same-permissions", "-f", archive.string(),
        "-C", into.string()};
  std::string program = Program(extension == ".zip" ? "unzip" : "tar");
  RunResult run = Run(program, options, std::chrono::minutes(2));
  if (run.status && run.status->ExitedWith(0)) return "";
  // The unpacker's complaint, on one line.
  std::string said;
  for (const std::string& line : SplitLines(run.err.empty() ? run.out : run.err)) {
    std::string trimmed = Trim(line);
    if (!trimmed.empty()) said += (said.empty() ? "" : " ") + trimmed;
  }
  if (said.size() > 300) said = said.substr(0, 300) + "...";
  std::string ended = run.status ? run.status->Describe() : "timed out";
  return fmt::format("{} ({}): {}", fs::path(program).filename().string(), ended, said);
}

}  // namespace

std::vector<Submission> FindSubmissions(const fs::path& given) {
  if (!fs::exists(given)) throw SubmissionsError("no such file or folder: " + given.string());
  fs::path path = fs::absolute(given).lexically_normal();
  std::vector<Submission> found;
  if (fs::is_regular_file(path))
    found = FromCsv(path);
  else if (fs::is_regular_file(path / "submission_metadata.yml"))
    found = FromGradescope(path);
  else
    found = FromFolder(path);
  for (Submission& submission : found) submission.id = SafeId(submission.id);
  std::sort(found.begin(), found.end(),
            [](const Submission& a, const Submission& b) { return a.id < b.id; });
  for (size_t i = 1; i < found.size(); ++i)
    if (found[i].id == found[i - 1].id)
      throw SubmissionsError(fmt::format("two submissions have the id {}: {} and {}", found[i].id,
                                         found[i - 1].source.string(), found[i].source.string()));
  return found;
}

PreparedSubmission PrepareSubmission(const Submission& submission, const fs::path& work_dir) {
  const fs::path& source = submission.source;
  std::string extension = ArchiveExtension(source);
  if (!fs::exists(source))
    return {{}, fmt::format("The submission {} does not exist.", source.string())};
  if (fs::is_directory(source) && fs::is_empty(source))
    return {{}, "The submission folder is empty."};
  bool labs_copy = false;
  fs::path unpacked = work_dir / "unpacked";
  fs::remove_all(work_dir);
  fs::create_directories(unpacked);
  std::optional<fs::path> checkout;
  if (fs::is_directory(source)) {
    checkout = FindCheckout(source, 2, &labs_copy);
  } else if (!extension.empty()) {
    std::string problem = Unpack(source, extension, unpacked);
    if (!problem.empty())
      return {{}, fmt::format("The archive could not be unpacked: {}", problem)};
    if (fs::is_empty(unpacked)) return {{}, "The archive is empty."};
    checkout = FindCheckout(unpacked, 2, &labs_copy);
  } else {
    return {{}, "The submission is neither a folder nor a .zip or .tar.gz archive."};
  }
  if (!checkout) return {{}, "The submission holds no labs/ folder and no lab of this course."};
  if (!labs_copy) return {*checkout, ""};
  // A copy of labs/ itself: graded as the labs/ of a checkout of its own.
  fs::path root = work_dir / "checkout";
  fs::create_directories(root);
  fs::copy(*checkout, root / "labs", fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return {root, ""};
}

std::string SubmissionHash(const Submission& submission) {
  ContentHash hash;
  if (fs::is_directory(submission.source))
    hash.AddTree(submission.source);
  else
    hash.AddFile(submission.source);
  return hash.Hex();
}

}  // namespace forklab
