// The class's gradebook: one row per submission, for spreadsheets and LMS imports.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "grading/stored_result.h"

namespace forklab {

/// The gradebook's columns, in their stable order:
///   student_id, status ("graded" or "not graded"), total (points earned), possible (points
///   counted: a skipped check leaves them), percent, then each lab's points earned (the lab's
///   name), then each check's points earned ("lab:Suite.Test"): labs and checks in rubric order.
/// A submission that could not be graded has empty point cells; its reason is in
/// gradebook.json.
std::vector<std::string> GradebookColumns(const std::vector<StoredResult>& results);

/// gradebook.csv (RFC 4180: a header row, then one row per submission, sorted by student id;
/// points with two decimals).
std::string GradebookCsv(const std::vector<StoredResult>& results);

/// gradebook.json: {"columns": [...], "submissions": [stored result, ...]}, each with its full
/// result.
nlohmann::json GradebookJson(const std::vector<StoredResult>& results);

/// Writes gradebook.csv and gradebook.json into `dir`, atomically.
void WriteGradebook(const std::filesystem::path& dir, const std::vector<StoredResult>& results);

}  // namespace forklab
