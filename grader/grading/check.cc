#include "grading/check.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <utility>

#include "harness/confinement.h"
#include "harness/subprocess.h"
#include "sandbox/protocol.h"

namespace forklab {

const char* OutcomeName(Outcome outcome) {
  static constexpr std::pair<Outcome, const char*> kNames[] = {
      {Outcome::kPassed, "passed"},          {Outcome::kFailed, "failed"},
      {Outcome::kTimedOut, "timed out"},     {Outcome::kCrashed, "crashed"},
      {Outcome::kNotBuilt, "did not build"}, {Outcome::kSkipped, "skipped"},
      {Outcome::kKilled, "killed"}};
  for (const auto& [named, name] : kNames)
    if (named == outcome) return name;
  return "unknown";
}

namespace {

// The sandbox running the current check, for InterruptRunningCheck.
std::atomic<pid_t> running_sandbox{0};

// How long the grader waits past a check's own timeout for the sandbox to report it: the
// sandbox kills the run at the timeout; this only catches a sandbox that itself hangs.
constexpr std::chrono::seconds kSandboxGrace{20};

/// A private directory (0700, outside every sandbox's view) removed when the check is done.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string name = (std::filesystem::temp_directory_path() / "forklab-check-XXXXXX").string();
    if (!mkdtemp(name.data())) throw std::runtime_error("cannot create a temporary directory");
    path = name;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// GoogleTest prefixes each failure with "file:line" and the assertion's own wording
// ("Expected equality of these values:", "Which is: 4"); the suites follow it with the
// message written for students. Keep that message. An assertion without one is put in plain
// words ("clients.size() was 1, expected 2"): no student reads GoogleTest's wording.
std::string CleanFailure(const std::string& failure) {
  static const std::regex location(R"(^[^\n]*\.(cc|cpp|h):\d+\n)");
  static const std::regex boilerplate(
      R"(^(Expected|Value of:|Actual:|Which is:|With diff:|Failed$|The difference|  ))");
  // A predicate's AssertionResult carries its explanation in "Actual: false (...)".
  static const std::regex predicate(
      R"(^Value of: [^\n]*\n  Actual: (?:false|true) \(([\s\S]*)\)\nExpected: (?:true|false)\n?([\s\S]*)$)");
  static const std::regex boolean(
      R"(^Value of: ([^\n]*)\n  Actual: (\w+)\nExpected: (\w+)\n?([\s\S]*)$)");
  static const std::regex equality(
      R"(^Expected equality of these values:\n  ([^\n]*)\n(?:    Which is: ([^\n]*)\n)?  ([^\n]*)\n?(?:    Which is: ([^\n]*)\n?)?)");
  static const std::regex comparison(
      R"(^Expected: \(([^\n]*)\) (\S+) \(([^\n]*)\), actual: ([^\n]*))");
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
  if (start < text.size()) return text.substr(start);
  // No message of the suite's: the assertion itself, in plain words.
  std::smatch match;
  if (std::regex_match(text, match, boolean))
    return match[1].str() + " was " + match[2].str() + ", expected " + match[3].str();
  if (std::regex_search(text, match, equality)) {
    std::string actual = match[2].matched ? match[2].str() : match[1].str();
    std::string expected = match[4].matched ? match[4].str() : match[3].str();
    return match[1].str() + " was " + actual + ", expected " + expected;
  }
  if (std::regex_search(text, match, comparison))
    return "expected " + match[1].str() + " " + match[2].str() + " " + match[3].str() +
           ", but they were " + std::regex_replace(match[4].str(), std::regex(" vs "), " and ");
  return text == "Failed\n" || text == "Failed" ? "failed" : text;
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

std::vector<std::string> Containment::SandboxOptions() const {
  std::vector<std::string> args;
  if (!namespaces) args.push_back("--no-namespaces");
  if (max_processes > 0)
    args.insert(args.end(), {"--max-processes", std::to_string(max_processes)});
  if (memory_mib > 0) args.insert(args.end(), {"--memory", std::to_string(memory_mib)});
  if (cpus > 0) args.insert(args.end(), {"--cpus", std::to_string(cpus)});
  // The run sees the system and these, nothing else of the machine.
  for (const std::string& path : view) args.insert(args.end(), {"--view", path});
  for (const std::string& dir : hide) args.insert(args.end(), {"--hide", dir});
  return args;
}

namespace {

// The sandbox's command line for one check: its limits and views, then the suite's own.
std::vector<std::string> SandboxArgs(const RubricEntry& entry, const Target& target) {
  const Containment& containment = target.containment;
  std::vector<std::string> args = containment.SandboxOptions();
  if (std::filesystem::exists(target.exe)) args.insert(args.end(), {"--view", target.exe});
  if (!containment.reference.empty())
    args.insert(args.end(), {"--pass-file", containment.reference});
  args.insert(args.end(), {"--env", std::string(kConfineEnv) + "=" + containment.program.ToString(),
                           "--", entry.suite.string(), "--gtest_output=json:" + FdPath(kReportFd),
                           "--exe", target.exe, "--lab", target.lab});
  return args;
}

CheckResult FromSandbox(const SandboxResult& run, const std::string& test,
                        std::chrono::seconds timeout) {
  CheckResult result;
  using Kind = ContainmentEvent::Kind;
  std::string ended, notes;
  bool only_wall_time = true;  // a limit hit is the cause; the wall time is then its effect
  for (const ContainmentEvent& event : run.events) {
    if (event.kind == Kind::kNote) {
      notes += "contained: " + event.text + "\n";
    } else {
      ended += event.text + "\n";
      only_wall_time = only_wall_time && event.kind == Kind::kWallTime;
    }
  }
  const std::string& console = run.console;
  for (const std::string& line : ContainmentEventsIn(console)) notes += "contained: " + line + "\n";

  nlohmann::json report = nlohmann::json::parse(run.report, nullptr, false);
  if (!ended.empty()) {
    result.outcome = only_wall_time ? Outcome::kTimedOut : Outcome::kKilled;
    result.detail = ended;
    if (only_wall_time)
      result.detail += "no result within " + std::to_string(timeout.count()) +
                       " s: the program hung or never answered\n";
  } else if (report.is_discarded()) {
    result.outcome = Outcome::kCrashed;
    std::string how = "it was killed";
    if (run.suite_exited) {
      int status = run.suite_wait_status;
      how = WIFSIGNALED(status) ? std::string("killed by ") + sigabbrev_np(WTERMSIG(status))
                                : "exit " + std::to_string(WEXITSTATUS(status));
    }
    result.detail = "the check itself died (" + how +
                    "; the program under test may have "
                    "killed it)\n";
    if (!console.empty()) result.detail += console.substr(0, 2000);
  } else {
    result = FromReport(report, test, console);
  }
  result.detail += notes;
  return result;
}

}  // namespace

SandboxRun RunSandbox(const std::string& sandbox_exe, std::vector<std::string> args,
                      const std::map<std::string, std::string>& env, std::chrono::seconds wall) {
  SandboxRun run;
  ScratchDir scratch;
  std::filesystem::path result_file = scratch.path / "result.json";
  SpawnOptions options;
  options.args = {"--result", result_file.string(), "--wall", std::to_string(wall.count())};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.env = env;
  std::unique_ptr<Subprocess> sandbox;
  try {
    sandbox = Subprocess::Start(sandbox_exe, options);
  } catch (const std::runtime_error& e) {
    run.failure = std::string("cannot start the sandbox: ") + e.what();
    return run;
  }
  running_sandbox = sandbox->pid();
  std::optional<ExitStatus> status = sandbox->Wait(wall + kSandboxGrace);
  running_sandbox = 0;
  sandbox->KillTree();
  run.time = sandbox->wall_time();

  std::ifstream in(result_file);
  std::optional<SandboxResult> result =
      SandboxResult::FromJson(std::string(std::istreambuf_iterator<char>(in), {}));
  if (result) run.result = std::move(*result);
  if (!status || !result) {
    std::string why = status ? status->Describe() : "hung";
    run.failure = "the sandbox failed (" + why + "): " + sandbox->stderr_text().substr(0, 2000);
  }
  return run;
}

CheckResult RunCheck(const RubricEntry& entry, const Target& target) {
  std::map<std::string, std::string> env = target.env;
  // The check is named in the environment, which only the sandbox and the suite can read,
  // not on a command line, which the program under test could.
  env[kCheckEnv] = entry.test;
  if (!entry.profile.empty()) env[kFaultProfileEnv] = entry.profile;
  SandboxRun run =
      RunSandbox(target.containment.sandbox, SandboxArgs(entry, target), env, entry.timeout);
  if (!run.failure.empty()) return {Outcome::kCrashed, 0, run.failure, run.time};
  CheckResult result = FromSandbox(run.result, entry.test, entry.timeout);
  result.time = run.time;
  return result;
}

void InterruptRunningCheck() {
  // The sandbox ends the run, removes its cgroup and reports it interrupted.
  if (pid_t sandbox = running_sandbox.load(); sandbox > 0) kill(sandbox, SIGTERM);
}

}  // namespace forklab
