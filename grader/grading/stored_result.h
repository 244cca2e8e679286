// A batch's stored result of one submission: forklab's JSON result plus what it was made
// from, read back to merge a partial regrade and to render the platform files again.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "grading/report.h"
#include "grading/rubric.h"

namespace forklab {

/// One submission as a batch left it. `graded`: every check of the rubric has a result;
/// otherwise `problem` says why in one sentence (the archive is corrupt, forklab could not
/// run), and `result` holds whatever was graded (or null). The hashes say what the result was
/// made from: the submission's content, the grader's executables, and per check
/// ("lab/test") its rubric entry, suite, fault profile and reference.
struct StoredResult {
  std::string student_id;
  std::string source;
  bool graded = false;
  std::string problem;
  std::string submission_hash;
  std::string grader_hash;
  std::map<std::string, std::string> check_hashes;
  nlohmann::json result;  // forklab's JSON (grading/report.h ToJson, hidden checks shown)
};

nlohmann::json ToJson(const StoredResult& stored);
/// Throws nlohmann::json::exception when `json` is not a stored result.
StoredResult StoredResultFromJson(const nlohmann::json& json);

/// The stored result in `file`, or nullopt when there is none or it cannot be read (a rerun
/// then grades the submission afresh).
std::optional<StoredResult> ReadStoredResult(const std::filesystem::path& file);

/// Writes `text` to `file` through a temporary file in the same folder and a rename, so a
/// reader (or a crash) sees the old file or the new one, never a part.
void WriteFileAtomically(const std::filesystem::path& file, const std::string& text);

/// The report that `result` (forklab's JSON with hidden checks shown) was made from, as far
/// as the JSON tells: enough to render every format again and to merge.
GradeReport ReportFromJson(const nlohmann::json& result);

/// `base` with each check of `update` put in its place (by lab and test), in the order of
/// `rubrics`; a check of neither is left out, a lab's build comes from the newer run.
GradeReport MergeReports(const GradeReport& base, const GradeReport& update,
                         const std::vector<Rubric>& rubrics);

/// "lab/test": the key of a check in a stored result.
std::string CheckKey(const std::string& lab, const std::string& test);

}  // namespace forklab
