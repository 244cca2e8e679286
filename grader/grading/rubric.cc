#include "grading/rubric.h"

#include <toml++/toml.h>

#include "i18n/messages.h"

namespace forklab {

const std::string& RubricEntry::HintFor(const std::string& key) const {
  auto keyed = hints.find(key);
  return keyed != hints.end() ? keyed->second : hint;
}

double Rubric::total() const {
  double sum = 0;
  for (const RubricEntry& entry : entries) sum += entry.points;
  return sum;
}

namespace {

[[noreturn]] void Fail(const std::filesystem::path& path, const std::string& why) {
  throw RubricError(path.string() + ": " + why);
}

std::string RequiredString(const toml::table& table, std::string_view key,
                           const std::filesystem::path& path, const std::string& where) {
  auto value = table[key].value<std::string>();
  if (!value || value->empty()) Fail(path, where + "missing string '" + std::string(key) + "'");
  return *value;
}

// The optional array `key` of `table`, every item a string (`items` says what they are).
std::vector<std::string> StringArray(const toml::table& table, std::string_view key,
                                     const std::string& items, const std::filesystem::path& path) {
  std::vector<std::string> strings;
  const toml::node* node = table.get(key);
  if (!node) return strings;
  std::string bad = "'" + std::string(key) + "' must be an array of " + items;
  const toml::array* array = node->as_array();
  if (!array) Fail(path, bad);
  for (const toml::node& item : *array) {
    auto text = item.value<std::string>();
    if (!text) Fail(path, bad);
    strings.push_back(*text);
  }
  return strings;
}

}  // namespace

namespace {

toml::table ParseToml(const std::filesystem::path& path) {
  try {
    return toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    Fail(path, std::string(e.description()) + " at line " + std::to_string(e.source().begin.line));
  }
}

// Appends the [[test]] entries of `root` (read from `path`) to `rubric`.
void AddTests(const toml::table& root, const std::filesystem::path& path,
              const std::filesystem::path& suite_dir, const std::filesystem::path& default_suite,
              bool hidden, Rubric* rubric) {
  const toml::array* tests = root["test"].as_array();
  if (!tests || tests->empty()) Fail(path, "no [[test]] entries");
  for (size_t i = 0; i < tests->size(); ++i) {
    const toml::table* table = (*tests)[i].as_table();
    std::string where = "test #" + std::to_string(i + 1) + ": ";
    if (!table) Fail(path, where + "not a table");
    RubricEntry entry;
    entry.test = RequiredString(*table, "name", path, where);
    if (entry.test.find('.') == std::string::npos)
      Fail(path, where + "name '" + entry.test + "' is not Suite.Test");
    for (const RubricEntry& existing : rubric->entries)
      if (existing.test == entry.test) Fail(path, where + "'" + entry.test + "' listed twice");
    // What the student reads, in the student's language (i18n/messages.h; the catalogue
    // holds every shipped rubric's titles and hints).
    entry.title = Tr(RequiredString(*table, "title", path, where));
    auto points = (*table)["points"].value<double>();
    if (!points || *points < 0) Fail(path, where + "'points' must be a number >= 0");
    entry.points = *points;
    entry.hidden = hidden || (*table)["hidden"].value_or(false);
    std::string hint = (*table)["hint"].value_or(std::string());
    entry.hint = Tr(hint);
    if (const toml::node* hints = table->get("hints")) {
      std::string bad = where + "'hints' must be a table of strings: hints = { key = \"...\" }";
      if (!hints->as_table()) Fail(path, bad);
      for (const auto& [key, text] : *hints->as_table()) {
        if (!text.value<std::string>()) Fail(path, bad);
        entry.hints[std::string(key.str())] = Tr(*text.value<std::string>());
      }
    }
    int64_t timeout = (*table)["timeout"].value_or(int64_t{60});
    if (timeout <= 0 || timeout > 3600) Fail(path, where + "'timeout' must be 1..3600 seconds");
    entry.timeout = std::chrono::seconds(timeout);
    int64_t deadline = (*table)["deadline"].value_or(root["deadline"].value_or(int64_t{0}));
    if (deadline < 0 || deadline >= timeout)
      Fail(path, where + "'deadline' must be 0..timeout-1 seconds (the check concludes first)");
    entry.deadline = std::chrono::seconds(deadline);
    entry.profile = (*table)["profile"].value_or(std::string());
    if (const toml::node* exclusive = table->get("exclusive")) {
      if (!exclusive->is_boolean()) Fail(path, where + "'exclusive' must be true or false");
      entry.exclusive = exclusive->as_boolean()->get();
    }
    auto suite = (*table)["suite"].value<std::string>();
    entry.suite = suite ? suite_dir / *suite : default_suite;
    rubric->entries.push_back(std::move(entry));
  }
}

}  // namespace

Rubric LoadRubric(const std::filesystem::path& path, const std::filesystem::path& suite_dir,
                  bool hidden) {
  toml::table root = ParseToml(path);
  Rubric rubric;
  rubric.lab = RequiredString(root, "lab", path, "");
  std::filesystem::path default_suite = suite_dir / RequiredString(root, "suite", path, "");
  for (const std::string& name : StringArray(root, "include", "file names", path)) {
    std::filesystem::path included = path.parent_path() / name;
    if (!std::filesystem::exists(included)) Fail(path, "included file " + name + " not found");
    AddTests(ParseToml(included), included, suite_dir, default_suite, hidden, &rubric);
  }
  rubric.sample_args = StringArray(root, "sample_args", "strings", path);
  std::string unreachable = root["unreachable_faults"].value_or(std::string("fail"));
  if (unreachable != "fail" && unreachable != "skip")
    Fail(path, "unreachable_faults must be \"fail\" or \"skip\", not \"" + unreachable + "\"");
  rubric.skip_unreachable_faults = unreachable == "skip";
  rubric.stub = root["stub"].value_or(std::string());
  if (!rubric.stub.empty() &&
      rubric.stub.find_first_not_of("0123456789abcdef") != std::string::npos)
    Fail(path,
         "stub must be the lowercase hex digits of a content hash, not \"" + rubric.stub + "\"");
  if (root.contains("test") || rubric.entries.empty())
    AddTests(root, path, suite_dir, default_suite, hidden, &rubric);
  return rubric;
}

void MergeRubric(Rubric* rubric, const Rubric& extra) {
  // An instructor's hidden rubric may choose the skip for the lab.
  rubric->skip_unreachable_faults =
      rubric->skip_unreachable_faults || extra.skip_unreachable_faults;
  for (const RubricEntry& entry : extra.entries) {
    for (const RubricEntry& existing : rubric->entries)
      if (existing.test == entry.test && existing.suite == entry.suite)
        throw RubricError("rubric of " + rubric->lab + ": test '" + entry.test + "' listed twice");
    rubric->entries.push_back(entry);
  }
}

}  // namespace forklab
