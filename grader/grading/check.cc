#include "grading/check.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness/subprocess.h"

namespace forklab {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPassed:
      return "passed";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kTimedOut:
      return "timed out";
    case Outcome::kCrashed:
      return "crashed";
    case Outcome::kNotBuilt:
      return "did not build";
    case Outcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

namespace {

// The process group of the suite running the current check, for InterruptRunningCheck.
std::atomic<pid_t> running_check_group{0};

/// A scratch file removed when the check is done, whatever happens.
struct ScratchFile {
  std::filesystem::path path;
  ScratchFile() {
    std::string name = (std::filesystem::temp_directory_path() / "forklab-check-XXXXXX").string();
    int fd = mkstemp(name.data());
    if (fd < 0) throw std::runtime_error("cannot create a temporary file");
    close(fd);
    path = name;
  }
  ~ScratchFile() { std::filesystem::remove(path); }
};

// GoogleTest prefixes each failure with "file:line" and the assertion's own wording
// ("Expected equality of these values:", "Which is: 4"); the suites follow it with the
// message written for students. Keep that message, or the whole text when there is none.
std::string CleanFailure(const std::string& failure) {
  static const std::regex location(R"(^[^\n]*\.(cc|cpp|h):\d+\n)");
  static const std::regex boilerplate(
      R"(^(Expected|Value of:|Actual:|Which is:|Failed$|The difference|  ))");
  // A predicate's AssertionResult carries its explanation in "Actual: false (...)".
  static const std::regex predicate(
      R"(^Value of: [^\n]*\n  Actual: false \(([\s\S]*)\)\nExpected: true\n?([\s\S]*)$)");
  static const std::regex indent(R"(\n  )");
  std::string text =
      std::regex_replace(failure, location, "", std::regex_constants::format_first_only);
  if (std::smatch match; std::regex_match(text, match, predicate))
    return std::regex_replace(match[1].str(), indent, "\n") + "\n" + match[2].str();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (!std::regex_search(text.substr(start, end - start), boilerplate)) break;
    start = end + 1;
  }
  return start < text.size() ? text.substr(start) : text;
}

// A suite reports the program's death with ExitStatus::Describe(): "killed by SIGSEGV ...".
// SIGKILL is the harness's own doing (a timeout), not a crash of the program.
bool MentionsCrash(const std::string& text) {
  static const std::regex crash(R"(killed by SIG(SEGV|BUS|ABRT|FPE|ILL|SYS|TRAP|PIPE))");
  return std::regex_search(text, crash);
}

// GoogleTest's JSON has no skip message; its console output does: "file:line: Skipped\n<why>".
std::string SkipReason(const std::string& console) {
  size_t start = console.find(": Skipped\n");
  if (start == std::string::npos) return "";
  start += 10;
  size_t end = console.find("[  SKIPPED ]", start);
  std::string reason = console.substr(start, end == std::string::npos ? end : end - start);
  while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) reason.pop_back();
  return reason;
}

CheckResult FromReport(const nlohmann::json& report, const std::string& test,
                       const std::string& console) {
  CheckResult result;
  for (const auto& suite : report.value("testsuites", nlohmann::json::array())) {
    for (const auto& run : suite.value("testsuite", nlohmann::json::array())) {
      if (suite.value("name", "") + "." + run.value("name", "") != test) continue;
      if (run.value("status", "") == "NOTRUN") break;
      if (run.value("result", "") == "SKIPPED") {
        result.outcome = Outcome::kSkipped;
        result.detail = SkipReason(console);
        return result;
      }
      if (run.contains("failures")) {
        for (const auto& failure : run["failures"])
          result.detail += CleanFailure(failure.value("failure", "")) + "\n";
        result.outcome = MentionsCrash(result.detail) ? Outcome::kCrashed : Outcome::kFailed;
        return result;
      }
      result.outcome = Outcome::kPassed;
      result.fraction = 1;
      if (run.contains("fraction")) {
        const auto& value = run["fraction"];
        double fraction =
            value.is_string() ? std::stod(value.get<std::string>()) : value.get<double>();
        result.fraction = std::clamp(fraction, 0.0, 1.0);
      }
      if (run.contains("note")) result.detail = run["note"].get<std::string>();
      return result;
    }
  }
  result.detail = "the suite has no test named " + test + " (rubric and suite disagree)";
  return result;
}

}  // namespace

CheckResult RunCheck(const RubricEntry& entry, const Target& target) {
  ScratchFile report_file;
  SpawnOptions options;
  options.args = {"--gtest_filter=" + entry.test,
                  "--gtest_output=json:" + report_file.path.string(),
                  "--exe",
                  target.exe,
                  "--lab",
                  target.lab};
  options.env = target.env;
  if (!entry.profile.empty()) options.env["FORKLAB_FAULT_PROFILE"] = entry.profile;
  std::unique_ptr<Subprocess> suite;
  try {
    suite = Subprocess::Start(entry.suite.string(), options);
  } catch (const std::runtime_error& e) {
    return {Outcome::kCrashed, 0, std::string("cannot start the suite: ") + e.what(), {}};
  }
  running_check_group = suite->pid();
  std::optional<ExitStatus> status = suite->Wait(entry.timeout);
  running_check_group = 0;
  suite->KillTree();

  CheckResult result;
  result.time = suite->wall_time();
  if (!status) {
    result.outcome = Outcome::kTimedOut;
    result.detail = "no result within " + std::to_string(entry.timeout.count()) +
                    " s: the program hung or never answered (the check was killed)";
    return result;
  }
  std::ifstream in(report_file.path);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    result.outcome = Outcome::kCrashed;
    result.detail = "the check itself died (" + status->Describe() + ")";
    if (!suite->stderr_text().empty()) result.detail += ": " + suite->stderr_text().substr(0, 2000);
    return result;
  }
  CheckResult parsed = FromReport(report, entry.test, suite->stdout_text());
  parsed.time = result.time;
  return parsed;
}

void InterruptRunningCheck() {
  if (pid_t group = running_check_group.load(); group > 0) kill(-group, SIGKILL);
}

}  // namespace forklab
