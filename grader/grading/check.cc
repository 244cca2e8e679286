#include "grading/check.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <utility>

#include "harness/confinement.h"
#include "harness/subprocess.h"
#include "i18n/messages.h"
#include "sandbox/protocol.h"

namespace forklab {

const char* OutcomeName(Outcome outcome) {
  static constexpr std::pair<Outcome, const char*> kNames[] = {
      {Outcome::kPassed, TrLater("passed")},
      {Outcome::kFailed, TrLater("failed")},
      {Outcome::kTimedOut, TrLater("timed out")},
      {Outcome::kCrashed, TrLater("crashed")},
      {Outcome::kNotBuilt, TrLater("did not build")},
      {Outcome::kSkipped, TrLater("skipped")},
      {Outcome::kKilled, TrLater("killed")},
      {Outcome::kInconclusive, TrLater("inconclusive")}};
  for (const auto& [named, name] : kNames)
    if (named == outcome) return name;
  return "unknown";
}

namespace {

// The sandboxes running now, for InterruptRunningChecks: a fixed table of slots (0: free), since
// a signal handler can neither lock nor allocate.
std::array<std::atomic<pid_t>, kMaxRunningChecks> running_sandboxes{};

/// Holds a sandbox's slot in running_sandboxes while it runs.
class RunningSandbox {
 public:
  explicit RunningSandbox(pid_t pid) {
    for (std::atomic<pid_t>& candidate : running_sandboxes) {
      pid_t free = 0;
      if (candidate.compare_exchange_strong(free, pid)) {
        slot_ = &candidate;
        return;
      }
    }
    throw std::logic_error("more than kMaxRunningChecks checks run at once");
  }
  ~RunningSandbox() { *slot_ = 0; }
  RunningSandbox(const RunningSandbox&) = delete;
  RunningSandbox& operator=(const RunningSandbox&) = delete;

 private:
  std::atomic<pid_t>* slot_ = nullptr;
};

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
std::string CleanAssertion(const std::string& failure) {
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
    return Tr("{} was {}, expected {}", match[1].str(), match[2].str(), match[3].str());
  if (std::regex_search(text, match, equality)) {
    std::string actual = match[2].matched ? match[2].str() : match[1].str();
    std::string expected = match[4].matched ? match[4].str() : match[3].str();
    return Tr("{} was {}, expected {}", match[1].str(), actual, expected);
  }
  if (std::regex_search(text, match, comparison))
    return Tr("expected {} {} {}, but they were {}", match[1].str(), match[2].str(), match[3].str(),
              std::regex_replace(match[4].str(), std::regex(" vs "), " / "));
  return text == "Failed\n" || text == "Failed" ? Tr("failed") : text;
}

// GoogleTest's JSON report writes each byte of a non-ASCII message as its own \u00XX, so the
// text read back holds the UTF-8 bytes as Latin-1 characters (你 reads as "ä½ ").
// Those characters, each one byte again, are the message as the suite wrote it (Chinese
// feedback, a program's UTF-8 output). A character above U+00FF cannot come from GoogleTest:
// such text is kept as it is.
std::string GoogleTestText(const std::string& text) {
  std::string bytes;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      bytes += text[i];
    } else if ((lead & 0xE0) == 0xC0 && lead <= 0xC3 && i + 1 < text.size()) {
      bytes += static_cast<char>(((lead & 0x03) << 6) | (text[++i] & 0x3F));
    } else {
      return text;
    }
  }
  return bytes;
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
      if (run.contains(kTimelineProperty) && run[kTimelineProperty].is_string())
        result.timeline = ProcessTimeline::FromJson(run[kTimelineProperty].get<std::string>());
      if (run.contains(kSpeedupProperty) && run[kSpeedupProperty].is_string())
        result.speedup = SpeedupMeasurement::FromJson(run[kSpeedupProperty].get<std::string>());
      if (run.contains(kRequiredWaitProperty) && run[kRequiredWaitProperty].is_string())
        result.required_wait = std::chrono::duration<double>(
            std::strtod(run[kRequiredWaitProperty].get<std::string>().c_str(), nullptr));
      if (run.value("result", "") == "SKIPPED") {
        result.detail = SkipReason(console);
        result.outcome = result.detail.starts_with(kInconclusiveTag) ? Outcome::kInconclusive
                                                                     : Outcome::kSkipped;
        return result;
      }
      result.hint_key = run.value("hint", "");
      result.precondition = run.value("precondition", "");
      if (run.contains("failures")) {
        for (const auto& failure : run["failures"])
          result.detail += PlainFailure(GoogleTestText(failure.value("failure", ""))) + "\n";
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
      if (run.contains("note")) result.detail = GoogleTestText(run["note"].get<std::string>());
      return result;
    }
  }
  result.detail = Tr("the suite has no test named {} (rubric and suite disagree)", test);
  return result;
}

}  // namespace

// A failure inside SCOPED_TRACE ends with GoogleTest's "Google Test trace:" and one
// "file:line: what" per trace: the assertion, then what was being checked, in plain words.
std::string PlainFailure(const std::string& failure) {
  static const std::string kTrace = "\nGoogle Test trace:\n";
  static const std::regex location(R"(^[^\n]*\.(cc|cpp|h):\d+: )");
  size_t trace = failure.find(kTrace);
  if (trace == std::string::npos) return CleanAssertion(failure);
  std::string text = CleanAssertion(failure.substr(0, trace));
  std::istringstream traces(failure.substr(trace + kTrace.size()));
  for (std::string line; std::getline(traces, line);)
    if (!line.empty())
      text += "\n" + Tr("while checking {}", std::regex_replace(line, location, ""));
  return text;
}

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
      notes += Tr("contained: {}", event.text) + "\n";
    } else {
      ended += event.text + "\n";
      only_wall_time = only_wall_time && event.kind == Kind::kWallTime;
    }
  }
  const std::string& console = run.console;
  for (const std::string& line : ContainmentEventsIn(console))
    notes += Tr("contained: {}", line) + "\n";

  nlohmann::json report = nlohmann::json::parse(run.report, nullptr, false);
  if (!ended.empty()) {
    result.outcome = only_wall_time ? Outcome::kTimedOut : Outcome::kKilled;
    result.detail = ended;
    if (only_wall_time)
      result.detail +=
          Tr("no result within {} s: the program hung or never answered", timeout.count()) + "\n";
  } else if (report.is_discarded()) {
    result.outcome = Outcome::kCrashed;
    std::string how = Tr("it was killed");
    if (run.suite_exited) {
      int status = run.suite_wait_status;
      how = WIFSIGNALED(status) ? Tr("killed by SIG{}", sigabbrev_np(WTERMSIG(status)))
                                : Tr("exit {}", WEXITSTATUS(status));
    }
    result.detail =
        Tr("the check itself died ({}; the program under test may have killed it)", how) + "\n";
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
    run.failure = Tr("cannot start the sandbox: {}", e.what());
    return run;
  }
  std::optional<ExitStatus> status;
  {
    RunningSandbox running(sandbox->pid());
    status = sandbox->Wait(wall + kSandboxGrace);
  }
  sandbox->KillTree();
  run.time = sandbox->wall_time();

  std::ifstream in(result_file);
  std::optional<SandboxResult> result =
      SandboxResult::FromJson(std::string(std::istreambuf_iterator<char>(in), {}));
  if (result) run.result = std::move(*result);
  if (!status || !result) {
    std::string why = status ? status->Describe() : Tr("hung");
    run.failure = Tr("the sandbox failed ({}): {}", why, sandbox->stderr_text().substr(0, 2000));
  }
  return run;
}

namespace {

// `word` as one shell word: as it is when it needs no quoting, else in single quotes.
std::string ShellWord(const std::string& word) {
  static const std::regex plain(R"(^[A-Za-z0-9_./=:,+-]+$)");
  if (std::regex_match(word, plain)) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::string ReplayCommand(const RubricEntry& entry, const Target& target) {
  std::string command;
  for (const std::string& word : {entry.suite.string(), std::string("--exe"), target.exe,
                                  std::string("--lab"), target.lab, "--gtest_filter=" + entry.test})
    command += (command.empty() ? "" : " ") + ShellWord(word);
  return command;
}

CheckResult RunCheck(const RubricEntry& entry, const Target& target) {
  std::map<std::string, std::string> env = target.env;
  // The check is named in the environment, which only the sandbox and the suite can read,
  // not on a command line, which the program under test could.
  env[kCheckEnv] = entry.test;
  if (!entry.profile.empty()) env[kFaultProfileEnv] = entry.profile;
  if (CurrentLanguage() != "en") env[kLangEnv] = CurrentLanguage();
  SandboxRun run =
      RunSandbox(target.containment.sandbox, SandboxArgs(entry, target), env, entry.timeout);
  CheckResult result;
  if (run.failure.empty()) {
    result = FromSandbox(run.result, entry.test, entry.timeout);
  } else {
    result.outcome = Outcome::kCrashed;
    result.detail = run.failure + "\n";
  }
  result.time = run.time;
  result.isolation = run.result.isolation;
  if (result.outcome != Outcome::kPassed && result.outcome != Outcome::kSkipped) {
    if (!result.detail.empty() && result.detail.back() != '\n') result.detail += '\n';
    result.detail += "replay: " + ReplayCommand(entry, target) + "\n";
  }
  return result;
}

void InterruptRunningChecks() {
  // Each sandbox ends its run, removes its cgroup and reports it interrupted.
  for (const std::atomic<pid_t>& slot : running_sandboxes)
    if (pid_t sandbox = slot.load(); sandbox > 0) kill(sandbox, SIGTERM);
}

}  // namespace forklab
