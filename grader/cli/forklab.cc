// forklab: list the labs and their checks, and grade implementations against the contracts.
#include <fcntl.h>
#include <fmt/format.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "grading/builder.h"
#include "grading/check.h"
#include "grading/report.h"
#include "grading/rubric.h"
#include "harness/fault_profile.h"
#include "harness/proc.h"
#include "harness/subprocess.h"
#include "sandbox/sandbox.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

const std::vector<std::string> kLabs = {"fork_basics",        "fork_ping",   "fork_echo_server",
                                        "fork_sum",           "thread_ping", "thread_ping_functor",
                                        "thread_echo_server", "thread_sum"};

/// Where forklab's own parts are: the source tree (rubrics, labs/) and the build tree
/// (suites, references) this binary belongs to.
struct Layout {
  fs::path source = FORKLAB_SOURCE_DIR;
  fs::path build = fs::canonical("/proc/self/exe").parent_path().parent_path();

  fs::path suites() const { return build / "grader"; }
  fs::path rubric(const std::string& lab) const { return source / "labs" / lab / "rubric.toml"; }
  fs::path reference(const std::string& lab) const { return build / "reference" / lab; }
  fs::path fake_ping() const { return build / "fixtures" / "ping"; }
  fs::path sandbox() const { return build / "grader" / "forklab-sandbox"; }
  fs::path faults() const { return source / "fixtures" / "faults"; }
  fs::path fault_profile(const std::string& name) const { return faults() / (name + ".toml"); }
};

/// A fatal error of the grader itself (bad input): one line, exit 1.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void AddHiddenRubrics(const fs::path& hidden_dir, std::vector<Rubric>* rubrics) {
  for (const auto& file : fs::directory_iterator(hidden_dir)) {
    if (file.path().extension() != ".toml") continue;
    Rubric extra = LoadRubric(file.path(), hidden_dir, /*hidden=*/true);
    auto owner = std::find_if(rubrics->begin(), rubrics->end(),
                              [&](const Rubric& rubric) { return rubric.lab == extra.lab; });
    // Hidden tests of labs not being graded this time are simply not run.
    if (owner != rubrics->end()) MergeRubric(&*owner, extra);
  }
}

std::vector<Rubric> LoadRubrics(const Layout& layout, const std::vector<std::string>& labs,
                                const std::optional<fs::path>& hidden_dir) {
  std::vector<Rubric> rubrics;
  for (const std::string& lab : labs)
    rubrics.push_back(LoadRubric(layout.rubric(lab), layout.suites()));
  if (hidden_dir) AddHiddenRubrics(*hidden_dir, &rubrics);
  // A fault check names its profile; resolve it now so a bad one stops grading at once.
  for (Rubric& rubric : rubrics)
    for (RubricEntry& entry : rubric.entries)
      if (!entry.profile.empty()) {
        fs::path path = layout.fault_profile(entry.profile);
        if (!fs::exists(path))
          throw UsageError(rubric.lab + ": " + entry.test + ": no fault profile '" + entry.profile +
                           "' in " + path.parent_path().string());
        LoadFaultProfile(path);
        entry.profile = path.string();
      }
  return rubrics;
}

int List(const Layout& layout, const std::vector<std::string>& labs) {
  double total = 0;
  for (const Rubric& rubric : LoadRubrics(layout, labs, std::nullopt)) {
    fmt::print("{} ({} points)\n", rubric.lab, rubric.total());
    for (const RubricEntry& entry : rubric.entries) {
      std::string tags = entry.hidden ? " [hidden]" : "";
      if (!entry.profile.empty())
        tags += " [fault: " + fs::path(entry.profile).stem().string() + "]";
      fmt::print("  {:>4}  {:<48} {}{}\n", entry.points, entry.test, entry.title, tags);
    }
    total += rubric.total();
  }
  fmt::print("total {} points\n", total);

  fmt::print("\nfault profiles ({}):\n", layout.faults().string());
  std::vector<fs::path> profiles;
  for (const auto& file : fs::directory_iterator(layout.faults()))
    if (file.path().extension() == ".toml") profiles.push_back(file.path());
  std::sort(profiles.begin(), profiles.end());
  for (const fs::path& path : profiles) {
    FaultProfile profile = LoadFaultProfile(path);
    fmt::print("  {:<26} {}\n", profile.name, profile.description);
  }
  return 0;
}

std::atomic<bool> interrupted{false};

void OnInterrupt(int) {
  interrupted = true;
  InterruptRunningCheck();
}

// Keeps the rubric entries whose test name matches one of `patterns` (shell wildcards).
void KeepChecks(const std::vector<std::string>& patterns, std::vector<Rubric>* rubrics) {
  size_t kept = 0;
  for (Rubric& rubric : *rubrics) {
    std::erase_if(rubric.entries, [&](const RubricEntry& entry) {
      return std::none_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
        return fnmatch(pattern.c_str(), entry.test.c_str(), 0) == 0;
      });
    });
    kept += rubric.entries.size();
  }
  if (kept == 0) throw UsageError("no check matches --check " + patterns.front());
}

struct GradeOptions {
  std::string impl = "student";
  std::vector<std::string> labs;
  std::vector<std::string> checks;                 // test-name patterns; empty: every check
  std::vector<std::string> exes;                   // as given: PATH, or LAB=PATH
  std::map<std::string, std::string> exe_for_lab;  // resolved from `exes`
  std::string submission;
  std::string hidden;
  std::string format = "text";
  std::string output;
  std::optional<double> fail_under;
  bool show_hidden = false;
  // Containment (see the README's Security section).
  bool no_namespaces = false;
  int max_processes = 1024;
  int memory_mib = 512;
  int cpu_seconds = 60;
  int file_size_mib = 64;
  int open_files = 1024;
  int output_mib = 4;
  std::optional<int> timeout_seconds;  // every check's, instead of the rubrics'
};

// Whether another uid (not root, none of our groups) can reach and run what is at `path`:
// every directory on the way must let others search it; a file must let them read and run it.
bool OthersCanRun(const fs::path& path) {
  struct stat info;
  mode_t needed = fs::is_directory(path) ? S_IXOTH : S_IROTH | S_IXOTH;
  if (stat(path.c_str(), &info) != 0 || (info.st_mode & needed) != needed) return false;
  for (fs::path dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (stat(dir.c_str(), &info) != 0 || !(info.st_mode & S_IXOTH)) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

// Processes (threads included) that uid `uid` runs now, which RLIMIT_NPROC counts too.
int ProcessesOf(uid_t uid) {
  int count = 0;
  for (const ProcStat& process : ListProcesses())
    if (process.uid == uid) count += process.threads;
  return count;
}

/// The containment of every check of this run, and the warnings to show once.
Containment MakeContainment(const Layout& layout, const GradeOptions& options,
                            const std::vector<fs::path>& program_paths,
                            std::vector<std::string>* warnings, std::string* isolation) {
  Containment containment;
  containment.sandbox = layout.sandbox().string();
  containment.namespaces = !options.no_namespaces;
  containment.max_processes = options.max_processes;
  containment.memory_mib = options.memory_mib;
  containment.keep = {layout.source.string(), layout.build.string()};
  SpawnOptions probe_options;
  probe_options.args = {"--probe"};
  RunResult probe = Run(containment.sandbox, probe_options, std::chrono::seconds(30));
  std::string probed = probe.out.substr(0, probe.out.find('\n'));
  if (!probe.status || !probe.status->ExitedWith(0) || probed.empty())
    throw UsageError("cannot run " + containment.sandbox + ": " + probe.err);
  if (options.no_namespaces) probed = "fallback: namespaces switched off (--no-namespaces)";
  *isolation = probed;
  if (probed != "namespaces") {
    containment.namespaces = false;
    warnings->push_back("containment is weaker here: " + probed.substr(10) +
                        ". Checks run in a process group with a subreaper and rlimits only; a "
                        "hostile submission could reach the network, files and results.");
  }

  Confinement& program = containment.program;
  program.cpu_seconds = options.cpu_seconds;
  program.file_size_bytes = static_cast<rlim_t>(options.file_size_mib) << 20;
  program.open_files = options.open_files;
  program.output_bytes = static_cast<size_t>(options.output_mib) << 20;
  if (geteuid() == 0) {
    // A uid of this run's own: RLIMIT_NPROC then counts this run's programs and nothing else.
    uid_t uid = kProgramUids + getpid() % kProgramUidCount;
    bool reachable = std::all_of(program_paths.begin(), program_paths.end(), OthersCanRun);
    if (reachable) {
      program.uid = uid;
      program.processes = options.max_processes;
    } else {
      warnings->push_back(
          "the program under test runs as root: a directory on the way to it "
          "is closed to other users (chmod o+x it to run programs as uid " +
          std::to_string(uid) + ")");
    }
  } else {
    program.processes = ProcessesOf(getuid()) + options.max_processes;
  }
  if (!program.uid)
    program.address_space_bytes =
        std::max<rlim_t>(static_cast<rlim_t>(options.memory_mib) << 20, rlim_t{2} << 30);
  return containment;
}

/// Builds (or finds) each lab's executable and runs its rubric's checks, printing progress.
GradeReport Grade(const Layout& layout, const GradeOptions& options, std::ostream& progress,
                  const TextStyle& style) {
  std::optional<fs::path> hidden;
  if (!options.hidden.empty()) hidden = options.hidden;
  std::vector<Rubric> rubrics = LoadRubrics(layout, options.labs, hidden);
  if (!options.checks.empty()) KeepChecks(options.checks, &rubrics);
  if (options.timeout_seconds)
    for (Rubric& rubric : rubrics)
      for (RubricEntry& entry : rubric.entries)
        entry.timeout = std::chrono::seconds(*options.timeout_seconds);

  std::optional<fs::path> submission;  // the checkout whose labs/ is built and graded
  GradeReport report;
  if (!options.exe_for_lab.empty()) {
    for (const auto& [lab, exe] : options.exe_for_lab)
      report.implementation += (report.implementation.empty() ? "" : ", ") + exe;
  } else if (options.impl == "reference") {
    report.implementation = "reference";
  } else {
    fs::path root = options.submission.empty() ? layout.source : fs::path(options.submission);
    if (!fs::is_directory(root / "labs"))
      throw UsageError("no labs/ directory in " + root.string());
    report.implementation = options.submission.empty() ? "student labs/" : root.string();
    submission = fs::absolute(root);
  }

  std::vector<fs::path> program_paths = {layout.fake_ping()};
  for (const auto& [lab, exe] : options.exe_for_lab) program_paths.push_back(exe);
  if (options.impl == "reference") program_paths.push_back(layout.reference(rubrics.front().lab));
  // The build runs as the program's uid too: it reads the submission, writes under build/.
  if (submission) program_paths.insert(program_paths.end(), {layout.build, *submission / "labs"});
  std::vector<std::string> warnings;
  Containment containment =
      MakeContainment(layout, options, program_paths, &warnings, &report.isolation);
  for (const std::string& warning : warnings) {
    progress << (style.color ? "\033[33mwarning:\033[0m " : "warning: ") << warning << "\n";
    report.warnings.push_back(warning);
  }
  std::vector<fs::path> secret_dirs = {layout.source / "reference", layout.build / "reference"};
  if (hidden) secret_dirs.push_back(fs::canonical(*hidden));
  std::optional<LabBuilder> builder;
  if (submission) {
    Containment build_containment = containment;
    for (const fs::path& dir : secret_dirs) build_containment.hide.push_back(dir.string());
    // One build tree per submission path, so regrading one is incremental.
    std::string key = std::to_string(std::hash<std::string>{}(submission->string()));
    builder.emplace(*submission / "labs", layout.build / "submissions" / key, build_containment);
  }

  for (const Rubric& rubric : rubrics) {
    if (interrupted) break;
    auto given = options.exe_for_lab.find(rubric.lab);
    LabReport lab{rubric.lab, given == options.exe_for_lab.end() ? "" : given->second, "", {}};
    progress << fmt::format("{}\n", style.color ? "\033[1m" + rubric.lab + "\033[0m" : rubric.lab);
    if (builder) {
      LabBuild build = builder->Build(rubric.lab);
      lab.exe = build.exe;
      if (!build.ok) lab.build_log = build.log;
    } else if (lab.exe.empty()) {
      lab.exe = layout.reference(rubric.lab).string();
    }
    if (!lab.build_log.empty()) progress << "  did not build:\n" << lab.build_log;
    Target target{
        rubric.lab, lab.exe, {{"FORKLAB_FAKE_PING", layout.fake_ping().string()}}, containment};
    // The references and hidden tests are out of the program's sight, unless it is one.
    for (const fs::path& dir : secret_dirs)
      if (!lab.exe.starts_with(dir.string() + "/")) target.containment.hide.push_back(dir);
    // The suite times the reference in the same run; it gets it as a descriptor.
    target.containment.reference = layout.reference(rubric.lab);
    target.env["FORKLAB_REFERENCE"] = "/proc/self/fd/" + std::to_string(kPassedFileFd);
    for (const RubricEntry& entry : rubric.entries) {
      if (interrupted) break;
      CheckReport check{entry, {}};
      if (!lab.build_log.empty()) {
        check.result = {Outcome::kNotBuilt, 0, "", {}};
      } else {
        check.result = RunCheck(entry, target);
        // As a subreaper, forklab inherits every orphan of the check: none may outlive it.
        KillDescendants();
        if (interrupted) break;  // the check was killed by us: no result to keep
        if (!entry.profile.empty() && check.result.outcome != Outcome::kPassed &&
            check.result.outcome != Outcome::kSkipped) {
          // Every failed fault check says which fault it ran under, if the suite did not.
          std::string explained = LoadFaultProfile(entry.profile).Explain();
          if (check.result.detail.find(explained) == std::string::npos)
            check.result.detail = "injected: " + explained + "\n" + check.result.detail;
        }
      }
      PrintCheck(progress, check, style);
      lab.checks.push_back(std::move(check));
    }
    report.labs.push_back(std::move(lab));
  }
  report.complete = !interrupted;
  return report;
}

int RunGrade(const Layout& layout, const GradeOptions& options) {
  bool json_to_stdout = options.format == "json" && options.output.empty();
  std::ostream& progress = json_to_stdout ? std::cerr : std::cout;
  TextStyle style;
  style.show_hidden = options.show_hidden;
  int progress_fd = json_to_stdout ? STDERR_FILENO : STDOUT_FILENO;
  style.color = isatty(progress_fd) && !std::getenv("NO_COLOR");

  GradeReport report = Grade(layout, options, progress, style);
  PrintSummary(progress, report, style);

  if (options.format == "json") {
    std::string json = ToJson(report, options.show_hidden).dump(2) + "\n";
    if (json_to_stdout) {
      std::cout << json;
    } else {
      std::ofstream out(options.output);
      out << json;
      if (!out.flush()) throw UsageError("cannot write " + options.output);
    }
  }
  if (!report.complete) return 130;
  if (options.fail_under && report.percent() < *options.fail_under) {
    std::cerr << fmt::format("forklab: score {:.1f}% is under --fail-under {}\n", report.percent(),
                             *options.fail_under);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace forklab

int main(int argc, char** argv) {
  using namespace forklab;
  CLI::App app{"forklab: grade process and thread labs against their contracts", "forklab"};
  app.require_subcommand(1);

  std::vector<std::string> list_labs;
  CLI::App* list = app.add_subcommand("list", "List the labs, their checks and points");
  list->add_option("--lab", list_labs, "Only this lab (repeatable)")->check(CLI::IsMember(kLabs));

  GradeOptions options;
  std::string fail_under;
  CLI::App* grade = app.add_subcommand("grade", "Build and grade labs (the student's by default)");
  grade->add_option("--impl", options.impl, "student (build labs/) or reference")
      ->check(CLI::IsMember({"student", "reference"}));
  grade->add_option("--lab", options.labs, "Grade only this lab (repeatable)")
      ->check(CLI::IsMember(kLabs));
  grade->add_option("--check", options.checks,
                    "Run only the checks whose test name matches (wildcards; repeatable)");
  CLI::Option* exe =
      grade->add_option("--exe", options.exes,
                        "Grade this executable, in any language: PATH with one --lab, or "
                        "LAB=PATH (repeatable)");
  grade->add_option("--submission", options.submission, "Grade the labs/ of another checkout")
      ->check(CLI::ExistingDirectory)
      ->excludes(exe);
  grade->add_option("--hidden", options.hidden, "Directory of hidden rubrics and suites")
      ->check(CLI::ExistingDirectory);
  grade->add_option("--format", options.format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  grade->add_option("--output", options.output, "Write the JSON result to this file");
  grade
      ->add_option("--fail-under", options.fail_under,
                   "Exit 1 when the score is below this percentage")
      ->check(CLI::Range(0.0, 100.0));
  grade->add_flag("--show-hidden", options.show_hidden,
                  "Show hidden checks' details (instructors)");
  grade->add_flag("--no-namespaces", options.no_namespaces,
                  "Contain checks without namespaces (the fallback; for testing it)");
  grade
      ->add_option("--max-processes", options.max_processes,
                   "Processes and threads of one check, the suite's included")
      ->check(CLI::Range(16, 100000))
      ->capture_default_str();
  grade->add_option("--memory", options.memory_mib, "Memory of one check, MiB")
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  grade->add_option("--cpu-limit", options.cpu_seconds, "CPU seconds of one program run")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  grade
      ->add_option("--file-size-limit", options.file_size_mib, "Largest file a program writes, MiB")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  grade->add_option("--open-files", options.open_files, "Open files of one program")
      ->check(CLI::Range(32, 1 << 20))
      ->capture_default_str();
  grade
      ->add_option("--timeout", options.timeout_seconds,
                   "Seconds each check may take, instead of the rubrics' timeouts")
      ->check(CLI::Range(1, 3600));
  grade
      ->add_option("--output-limit", options.output_mib,
                   "Output kept per stream of a program, MiB (the rest is counted)")
      ->check(CLI::Range(1, 1 << 12))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
    for (const std::string& given : options.exes) {
      size_t equals = given.find('=');
      bool named = equals != std::string::npos &&
                   std::find(kLabs.begin(), kLabs.end(), given.substr(0, equals)) != kLabs.end();
      if (!named && options.labs.size() != 1)
        throw CLI::ValidationError("--exe", "--exe PATH needs exactly one --lab (or use LAB=PATH)");
      std::string lab = named ? given.substr(0, equals) : options.labs.front();
      std::string path = named ? given.substr(equals + 1) : given;
      if (!std::filesystem::is_regular_file(path))
        throw CLI::ValidationError("--exe", "no such file: " + path);
      options.exe_for_lab[lab] = std::filesystem::absolute(path).string();
      if (named && std::find(options.labs.begin(), options.labs.end(), lab) == options.labs.end())
        options.labs.push_back(lab);
    }
    if (!options.exes.empty() && options.exe_for_lab.size() != options.labs.size())
      throw CLI::ValidationError("--exe", "every graded --lab needs its --exe");
    if (!options.exes.empty() && options.impl == "reference")
      throw CLI::ValidationError("--exe", "--exe and --impl reference exclude each other");
    if (!options.output.empty() && options.format != "json")
      throw CLI::ValidationError("--output", "--output needs --format json");
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "forklab: " << e.what() << "\n"
              << "Run 'forklab --help' for usage.\n";
    return 2;
  }

  try {
    Layout layout;
    if (list->parsed()) return List(layout, list_labs.empty() ? kLabs : list_labs);
    if (options.labs.empty()) options.labs = kLabs;
    // Orphans of graded programs come to us, so none escapes the sweep after each check.
    BecomeSubreaper();
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    return RunGrade(layout, options);
  } catch (const std::exception& e) {
    std::cerr << "forklab: " << e.what() << "\n";
    return 1;
  }
}
