#include "grading/gradebook.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace forklab {
namespace {

constexpr const char* kFixedColumns[] = {"student_id", "status", "total", "possible", "percent"};

std::vector<const StoredResult*> ById(const std::vector<StoredResult>& results) {
  std::vector<const StoredResult*> sorted;
  for (const StoredResult& stored : results) sorted.push_back(&stored);
  std::sort(sorted.begin(), sorted.end(), [](const StoredResult* a, const StoredResult* b) {
    return a->student_id < b->student_id;
  });
  return sorted;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string Points(double value) {
  return fmt::format("{:.2f}", value);
}

// Every cell of one submission's row, by column.
std::map<std::string, std::string> Cells(const StoredResult& stored) {
  std::map<std::string, std::string> cells = {{"student_id", stored.student_id},
                                              {"status", stored.graded ? "graded" : "not graded"}};
  if (!stored.graded || stored.result.is_null()) return cells;
  const nlohmann::json& result = stored.result;
  cells["total"] = Points(result.at("earned").get<double>());
  cells["possible"] = Points(result.at("total").get<double>());
  cells["percent"] = Points(result.at("percent").get<double>());
  for (const nlohmann::json& lab : result.at("labs")) {
    std::string name = lab.at("lab").get<std::string>();
    cells[name] = Points(lab.at("earned").get<double>());
    for (const nlohmann::json& check : lab.at("checks"))
      cells[name + ":" + check.value("test", "")] = Points(check.at("earned").get<double>());
  }
  return cells;
}

}  // namespace

std::vector<std::string> GradebookColumns(const std::vector<StoredResult>& results) {
  std::vector<std::string> labs, checks;
  std::set<std::string> seen;
  auto add = [&seen](std::vector<std::string>* columns, const std::string& column) {
    if (seen.insert(column).second) columns->push_back(column);
  };
  for (const StoredResult* stored : ById(results)) {
    if (stored->result.is_null()) continue;
    for (const nlohmann::json& lab : stored->result.at("labs")) {
      std::string name = lab.at("lab").get<std::string>();
      add(&labs, name);
      for (const nlohmann::json& check : lab.at("checks"))
        add(&checks, name + ":" + check.value("test", ""));
    }
  }
  std::vector<std::string> columns(std::begin(kFixedColumns), std::end(kFixedColumns));
  columns.insert(columns.end(), labs.begin(), labs.end());
  columns.insert(columns.end(), checks.begin(), checks.end());
  return columns;
}

std::string GradebookCsv(const std::vector<StoredResult>& results) {
  std::vector<std::string> columns = GradebookColumns(results);
  std::string csv;
  auto row = [&csv](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) csv += (i ? "," : "") + CsvField(fields[i]);
    csv += "\r\n";
  };
  row(columns);
  for (const StoredResult* stored : ById(results)) {
    std::map<std::string, std::string> cells = Cells(*stored);
    std::vector<std::string> fields;
    for (const std::string& column : columns) fields.push_back(cells[column]);
    row(fields);
  }
  return csv;
}

nlohmann::json GradebookJson(const std::vector<StoredResult>& results) {
  nlohmann::json submissions = nlohmann::json::array();
  for (const StoredResult* stored : ById(results)) submissions.push_back(ToJson(*stored));
  return {{"columns", GradebookColumns(results)}, {"submissions", std::move(submissions)}};
}

void WriteGradebook(const std::filesystem::path& dir, const std::vector<StoredResult>& results) {
  WriteFileAtomically(dir / "gradebook.csv", GradebookCsv(results));
  WriteFileAtomically(dir / "gradebook.json", GradebookJson(results).dump(1) + "\n");
}

}  // namespace forklab
