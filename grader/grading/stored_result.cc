#include "grading/stored_result.h"

#include <unistd.h>

#include <fstream>

namespace fs = std::filesystem;

namespace forklab {
namespace {

Outcome OutcomeNamed(const std::string& name) {
  for (Outcome outcome :
       {Outcome::kPassed, Outcome::kFailed, Outcome::kTimedOut, Outcome::kCrashed,
        Outcome::kNotBuilt, Outcome::kSkipped, Outcome::kKilled, Outcome::kInconclusive})
    if (name == OutcomeName(outcome)) return outcome;
  throw std::runtime_error("unknown outcome in a stored result: " + name);
}

CheckReport CheckFromJson(const nlohmann::json& json) {
  CheckReport check;
  check.entry.test = json.value("test", "");
  check.entry.title = json.value("title", "");
  check.entry.points = json.at("points").get<double>();
  check.entry.hidden = json.value("hidden", false);
  check.entry.hint = json.value("hint", "");
  check.entry.profile = json.value("profile", "");
  check.result.outcome = OutcomeNamed(json.at("outcome").get<std::string>());
  double earned = json.value("earned", 0.0);
  check.result.fraction = check.entry.points > 0                     ? earned / check.entry.points
                          : check.result.outcome == Outcome::kPassed ? 1
                                                                     : 0;
  check.result.detail = json.value("detail", "");
  check.result.time = std::chrono::duration<double>(json.value("seconds", 0.0));
  check.result.isolation = json.value("isolation", "");
  check.result.required_wait =
      std::chrono::duration<double>(json.value("required_wait_seconds", 0.0));
  return check;
}

}  // namespace

std::string CheckKey(const std::string& lab, const std::string& test) {
  return lab + "/" + test;
}

nlohmann::json ToJson(const StoredResult& stored) {
  return {{"student_id", stored.student_id},
          {"source", stored.source},
          {"graded", stored.graded},
          {"problem", stored.problem},
          {"hashes",
           {{"submission", stored.submission_hash},
            {"grader", stored.grader_hash},
            {"checks", stored.check_hashes}}},
          {"result", stored.result}};
}

StoredResult StoredResultFromJson(const nlohmann::json& json) {
  StoredResult stored;
  stored.student_id = json.at("student_id").get<std::string>();
  stored.source = json.at("source").get<std::string>();
  stored.graded = json.at("graded").get<bool>();
  stored.problem = json.at("problem").get<std::string>();
  const nlohmann::json& hashes = json.at("hashes");
  stored.submission_hash = hashes.at("submission").get<std::string>();
  stored.grader_hash = hashes.at("grader").get<std::string>();
  stored.check_hashes = hashes.at("checks").get<std::map<std::string, std::string>>();
  stored.result = json.at("result");
  return stored;
}

std::optional<StoredResult> ReadStoredResult(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    return StoredResultFromJson(nlohmann::json::parse(in));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void WriteFileAtomically(const fs::path& file, const std::string& text) {
  fs::path temporary = file;
  temporary += ".tmp" + std::to_string(getpid()) + "." + std::to_string(gettid());
  {
    std::ofstream out(temporary, std::ios::binary);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::rename(temporary, file);
}

GradeReport ReportFromJson(const nlohmann::json& result) {
  GradeReport report;
  report.implementation = result.value("implementation", "");
  report.complete = result.value("complete", true);
  report.isolation = result.value("isolation", "");
  report.warnings = result.value("warnings", std::vector<std::string>{});
  for (const nlohmann::json& lab_json : result.at("labs")) {
    LabReport lab;
    lab.lab = lab_json.at("lab").get<std::string>();
    lab.exe = lab_json.value("exe", "");
    lab.build_log = lab_json.value("build_log", "");
    for (const nlohmann::json& check : lab_json.at("checks"))
      lab.checks.push_back(CheckFromJson(check));
    report.labs.push_back(std::move(lab));
  }
  return report;
}

GradeReport MergeReports(const GradeReport& base, const GradeReport& update,
                         const std::vector<Rubric>& rubrics) {
  auto find_lab = [](const GradeReport& report, const std::string& lab) -> const LabReport* {
    for (const LabReport& candidate : report.labs)
      if (candidate.lab == lab) return &candidate;
    return nullptr;
  };
  auto find_check = [](const LabReport* lab, const std::string& test) -> const CheckReport* {
    if (!lab) return nullptr;
    for (const CheckReport& check : lab->checks)
      if (check.entry.test == test) return &check;
    return nullptr;
  };
  GradeReport merged = update;
  merged.complete = true;
  merged.labs.clear();
  for (const Rubric& rubric : rubrics) {
    const LabReport* newer = find_lab(update, rubric.lab);
    const LabReport* older = find_lab(base, rubric.lab);
    if (!newer && !older) continue;
    LabReport lab = newer ? *newer : *older;
    lab.checks.clear();
    for (const RubricEntry& entry : rubric.entries) {
      const CheckReport* check = find_check(newer, entry.test);
      if (!check) check = find_check(older, entry.test);
      if (check) lab.checks.push_back(*check);
    }
    merged.labs.push_back(std::move(lab));
  }
  return merged;
}

}  // namespace forklab
