// forklab: list the labs and their checks, and grade implementations against the contracts.
// Options are parsed and results printed here; what grading means is in grading/grade.h.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "grading/batch.h"
#include "grading/grade.h"
#include "grading/labs.h"
#include "grading/platforms.h"
#include "grading/report.h"
#include "grading/selection.h"
#include "harness/fault_profile.h"
#include "i18n/messages.h"
#include "i18n/usage_errors.h"
#include "paths/build_paths.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

// This forklab's own parts: its source tree, and the build tree this binary belongs to.
Layout ThisForklab() {
  return {build_paths::kSourceDir, fs::canonical("/proc/self/exe").parent_path().parent_path()};
}

int List(const Layout& layout, const std::vector<std::string>& labs) {
  double total = 0;
  for (const Rubric& rubric : LoadRubrics(layout, labs, std::nullopt)) {
    fmt::print("{}\n", Tr("{} ({} points)", rubric.lab, rubric.total()));
    for (const RubricEntry& entry : rubric.entries) {
      std::string tags = entry.hidden ? " [" + Tr("hidden") + "]" : "";
      if (!entry.profile.empty())
        tags += " [" + Tr("fault: {}", fs::path(entry.profile).stem().string()) + "]";
      fmt::print("  {:>4}  {:<48} {}{}\n", entry.points, entry.test, entry.title, tags);
    }
    total += rubric.total();
  }
  fmt::print("{}\n", Tr("total {} points", total));

  fmt::print("\n{}\n", Tr("fault profiles ({}):", layout.faults().string()));
  std::vector<fs::path> profiles;
  for (const auto& file : fs::directory_iterator(layout.faults()))
    if (file.path().extension() == ".toml") profiles.push_back(file.path());
  std::sort(profiles.begin(), profiles.end());
  for (const fs::path& path : profiles) {
    FaultProfile profile = LoadFaultProfile(path);
    fmt::print("  {:<26} {}\n", profile.name, Tr(profile.description));
  }
  return 0;
}

void OnInterrupt(int) {
  InterruptGrading();
  InterruptBatch();
}

constexpr const char* kLimitGroup = TrLater("Limits of each check");

/// The `grade` subcommand's options: the request, and how its result is shown.
struct GradeOptions {
  GradeRequest request;
  std::string impl = "student";
  std::vector<std::string> exes;     // as given: PATH, or LAB=PATH
  std::vector<std::string> formats;  // as given: text, or a file format (platforms.h)
  std::vector<std::string> outputs;  // one file per file format; the last may go to stdout
  std::optional<double> fail_under;
  bool show_hidden = false;
  bool verbose = false;
};

/// A file format and where it goes: a file, or stdout when `file` is empty.
struct Destination {
  Format format;
  std::string file;
};

/// Pairs each file format with its --output, in the order given. Every file format needs its
/// file, except one that may come last without one: that one is printed on stdout (and the
/// progress then goes to stderr). Throws CLI::ValidationError otherwise.
std::vector<Destination> Destinations(const GradeOptions& options) {
  std::vector<Destination> destinations;
  for (const std::string& name : options.formats)
    if (std::optional<Format> format = ParseFormat(name)) destinations.push_back({*format, ""});
  size_t files = options.outputs.size();
  if (files > destinations.size() || files + 1 < destinations.size())
    throw CLI::ValidationError(
        "--output", Tr("{} file format(s) but {} --output: give each --format (but text) its "
                       "--output, in order; only the last may go to stdout",
                       destinations.size(), files));
  for (size_t i = 0; i < files; ++i) destinations[i].file = options.outputs[i];
  return destinations;
}

// Progress goes to `printer` as the run goes on: warnings, each lab's name and its checks.
GradeProgress PrintProgress(std::ostream& out, ProgressPrinter& printer, const TextStyle& style) {
  GradeProgress progress;
  progress.warning = [&out, &style](const std::string& warning) {
    std::string label = Tr("warning: ");
    out << (style.color ? "\033[33m" + label + "\033[0m" : label) << warning << "\n";
  };
  progress.lab_started = [&printer](const std::string& lab) { printer.LabStarted(lab); };
  progress.lab_not_built = [&out](const std::string& log) {
    out << "  " << Tr("did not build:") << "\n" << log;
  };
  progress.check_done = [&printer](const CheckReport& check) { printer.CheckDone(check); };
  progress.lab_done = [&printer](const LabReport& lab) { printer.LabDone(lab); };
  return progress;
}

int RunGrade(const Layout& layout, const GradeOptions& options) {
  std::vector<Destination> destinations = Destinations(options);
  bool result_to_stdout = !destinations.empty() && destinations.back().file.empty();
  std::ostream& progress = result_to_stdout ? std::cerr : std::cout;
  TextStyle style;
  style.show_hidden = options.show_hidden;
  style.verbose = options.verbose;
  int progress_fd = result_to_stdout ? STDERR_FILENO : STDOUT_FILENO;
  style.color = isatty(progress_fd) && !std::getenv("NO_COLOR");

  GradeRequest request = options.request;
  // The HTML report draws each check's process timeline: the suites record them only then.
  request.timelines = std::any_of(destinations.begin(), destinations.end(),
                                  [](const Destination& d) { return d.format == Format::kHtml; });
  ProgressPrinter printer(progress, style);
  GradeReport report = Grade(layout, request, PrintProgress(progress, printer, style));
  PrintSummary(progress, report, style);

  // Every file is written, interrupted or not: a partial result says it is incomplete.
  for (const Destination& destination : destinations) {
    std::string text = Render(report, destination.format, options.show_hidden);
    if (destination.file.empty()) {
      std::cout << text;
      continue;
    }
    std::ofstream out(destination.file);
    out << text;
    if (!out.flush()) throw std::runtime_error(Tr("cannot write {}", destination.file));
  }
  if (!report.complete) return 130;
  if (options.fail_under && report.percent() < *options.fail_under) {
    std::cerr << "forklab: "
              << Tr("score {:.1f}% is under --fail-under {}", report.percent(), *options.fail_under)
              << "\n";
    return 1;
  }
  return 0;
}

/// How long, said briefly: "45 s", "12 min", "2 h 5 min".
std::string Duration(double seconds) {
  if (seconds < 90) return fmt::format("{:.0f} s", seconds);
  if (seconds < 5400) return fmt::format("{:.0f} min", seconds / 60);
  return fmt::format("{} h {} min", static_cast<int>(seconds / 3600),
                     static_cast<int>(seconds / 60) % 60);
}

/// The rate and the time left, from the submissions graded in this run.
std::string Pace(const BatchCounts& counts) {
  if (counts.graded_now == 0 || counts.elapsed.count() <= 0) return "";
  double per_minute = 60 * counts.graded_now / counts.elapsed.count();
  double left = (counts.total - counts.done) * counts.elapsed.count() / counts.graded_now;
  return Tr(", {:.1f}/min, about {} left", per_minute, Duration(left));
}

std::string Standing(const StoredResult& stored) {
  if (!stored.graded) return Tr("not graded: {}", stored.problem);
  const nlohmann::json& result = stored.result;
  return fmt::format("{:g}/{:g} ({:.1f}%)", result.at("earned").get<double>(),
                     result.at("total").get<double>(), result.at("percent").get<double>());
}

/// Progress on a terminal: each finished submission on a line of its own, under a status line
/// rewritten in place (done/total, rate, ETA, the submission at work). On a pipe, plain lines.
BatchProgress PrintBatchProgress(bool terminal) {
  BatchProgress progress;
  progress.started = [terminal](const BatchCounts& counts, const std::string& id) {
    if (terminal)
      fmt::print(stderr, "\r\033[K[{}/{}{}] {}", counts.done, counts.total, Pace(counts),
                 Tr("grading {}", id));
    else
      fmt::print("[{}/{}] {}\n", counts.done, counts.total, Tr("grading {}", id));
    std::fflush(terminal ? stderr : stdout);
  };
  progress.finished = [terminal](const BatchCounts& counts, const StoredResult& stored) {
    if (terminal) fmt::print(stderr, "\r\033[K");
    fmt::print("[{}/{}{}] {}: {}\n", counts.done, counts.total, Pace(counts), stored.student_id,
               Standing(stored));
    std::fflush(stdout);
  };
  return progress;
}

/// Prints which submissions could not be graded, and why; returns how many.
size_t ReportUngraded(const std::vector<StoredResult>& results) {
  std::vector<const StoredResult*> ungraded;
  for (const StoredResult& stored : results)
    if (!stored.graded) ungraded.push_back(&stored);
  if (!ungraded.empty())
    std::cerr << "forklab: "
              << Tr("{} of {} submissions could not be graded:", ungraded.size(), results.size())
              << "\n";
  for (const StoredResult* stored : ungraded)
    std::cerr << fmt::format("  {}: {}\n", stored->student_id,
                             stored->problem.empty() ? Tr("not graded yet") : stored->problem);
  return ungraded.size();
}

int RunBatchCommand(const Layout& layout, const BatchRequest& request) {
  BatchOutcome outcome = RunBatch(layout, request, PrintBatchProgress(isatty(STDERR_FILENO)));
  WriteClassFiles(layout, request.out, outcome.results);
  std::cout << Tr("The gradebook is in {}.", (request.out / "gradebook.csv").string()) << "\n";
  size_t ungraded = ReportUngraded(outcome.results);
  if (outcome.interrupted) {
    std::cerr << "forklab: " << Tr("interrupted; run the same command again to finish the batch.")
              << "\n";
    return 130;
  }
  return ungraded == 0 ? 0 : 1;
}

/// The options of `grade` given on a `batch` command line, to pass on to each grading.
std::vector<std::string> GivenLimitOptions(CLI::App* batch) {
  std::vector<std::string> given;
  for (const CLI::Option* option : batch->get_options()) {
    if (option->count() == 0 || option->get_group() != Tr(kLimitGroup)) continue;
    given.push_back(option->get_name());
    if (option->get_type_size() != 0)
      for (const std::string& value : option->results()) given.push_back(value);
  }
  return given;
}

/// The options that limit each check, shared by `grade` and `batch` (which passes the given
/// ones on to every grading).
void AddLimitOptions(CLI::App* app, GradeRequest* request) {
  // One group, which `batch` reads back to pass the options on (GivenLimitOptions).
  app->option_defaults()->group(Tr(kLimitGroup));
  app->add_flag("--no-namespaces", request->limits.no_namespaces,
                Tr("Contain checks without namespaces (the fallback; for testing it)"));
  app->add_option("--max-processes", request->limits.max_processes,
                  Tr("Processes and threads of one check, the suite's included"))
      ->check(CLI::Range(16, 100000))
      ->capture_default_str();
  app->add_option("--memory", request->limits.memory_mib, Tr("Memory of one check, MiB"))
      ->check(CLI::Range(64, 1 << 20))
      ->capture_default_str();
  app->add_option("--cpu-limit", request->limits.cpu_seconds, Tr("CPU seconds of one program run"))
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app->add_option("--file-size-limit", request->limits.file_size_mib,
                  Tr("Largest file a program writes, MiB"))
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--open-files", request->limits.open_files, Tr("Open files of one program"))
      ->check(CLI::Range(32, 1 << 20))
      ->capture_default_str();
  app->add_option("--timeout", request->timeout_seconds,
                  Tr("Seconds each check may take, instead of the rubrics' timeouts"))
      ->check(CLI::Range(1, 3600));
  app->add_option("--output-limit", request->limits.output_mib,
                  Tr("Output kept per stream of a program, MiB (the rest is counted)"))
      ->check(CLI::Range(1, 1 << 12))
      ->capture_default_str();
  app->option_defaults()->group(Tr("Options"));
}

/// Makes --help speak the current language: its labels, the help flag and the groups. The
/// options' names stay as they are.
void SpeakTheLanguage(CLI::App& app) {
  app.set_help_flag("-h,--help", Tr("Print this help message and exit"));
  app.option_defaults()->group(Tr("Options"));
  std::shared_ptr<CLI::FormatterBase> formatter = app.get_formatter();
  for (const char* label :
       {TrLater("Usage"), TrLater("OPTIONS"), TrLater("SUBCOMMAND"), TrLater("SUBCOMMANDS"),
        TrLater("Positionals"), TrLater("REQUIRED"), TrLater("Excludes"), TrLater("Needs")})
    formatter->label(label, Tr(label));
}

/// Makes the report speak the student's language: --lang (looked for before parsing, so that
/// usage errors speak it too), else LC_ALL, LC_MESSAGES or LANG. A catalogue that cannot be
/// read is said once; the report then stays English.
void ChooseLanguage(int argc, char** argv) {
  std::string language = LanguageFromEnvironment();
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--lang" && i + 1 < argc)
      language = CatalogueLanguage(argv[i + 1]);
    else if (arg.starts_with("--lang="))
      language = CatalogueLanguage(std::string(arg.substr(7)));
  }
  if (std::optional<std::string> why = UseLanguage(language))
    std::cerr << "forklab: warning: " << *why << "\n";
}

}  // namespace
}  // namespace forklab

int main(int argc, char** argv) {
  using namespace forklab;
  ChooseLanguage(argc, argv);
  CLI::App app{Tr("forklab: grade process and thread labs against their contracts"), "forklab"};
  app.require_subcommand(1);
  SpeakTheLanguage(app);
  // Read by ChooseLanguage before parsing; declared so that it parses and shows in --help.
  std::string language;
  app.add_option("--lang", language,
                 Tr("The report's language: en or zh (default: from LC_ALL, LC_MESSAGES or LANG)"));
  app.fallthrough();

  std::vector<std::string> list_labs;
  CLI::App* list = app.add_subcommand("list", Tr("List the labs, their checks and points"));
  list->add_option("--lab", list_labs, Tr("Only this lab (repeatable)"))
      ->check(CLI::IsMember(Labs()));

  GradeOptions options;
  std::string fail_under;
  CLI::App* grade =
      app.add_subcommand("grade", Tr("Build and grade labs (the student's by default)"));
  grade->add_option("--impl", options.impl, Tr("student (build labs/) or reference"))
      ->check(CLI::IsMember({"student", "reference"}));
  grade->add_option("--lab", options.request.labs, Tr("Grade only this lab (repeatable)"))
      ->check(CLI::IsMember(Labs()));
  grade->add_option("--check", options.request.checks,
                    Tr("Run only the checks whose test name matches (wildcards; repeatable)"));
  CLI::Option* exe =
      grade->add_option("--exe", options.exes,
                        Tr("Grade this executable, in any language: PATH with one --lab, or "
                           "LAB=PATH (repeatable)"));
  grade
      ->add_option("--submission", options.request.submission,
                   Tr("Grade the labs/ of another checkout"))
      ->check(CLI::ExistingDirectory)
      ->excludes(exe);
  grade
      ->add_option("--hidden", options.request.hidden, Tr("Directory of hidden rubrics and suites"))
      ->check(CLI::ExistingDirectory);
  std::vector<std::string> format_names = {"text"};
  for (Format format : AllFormats()) format_names.push_back(FormatName(format));
  grade
      ->add_option("--format", options.formats,
                   Tr("text (the default), or a file format written to the matching --output "
                      "(repeatable; the last one without an --output goes to stdout)"))
      ->check(CLI::IsMember(format_names));
  grade->add_option("--output", options.outputs,
                    Tr("Write the next file format to this file (repeatable, in --format order)"));
  grade
      ->add_option("--fail-under", options.fail_under,
                   Tr("Exit 1 when the score is below this percentage"))
      ->check(CLI::Range(0.0, 100.0));
  grade->add_flag("--show-hidden", options.show_hidden,
                  Tr("Show hidden checks' details (instructors)"));
  grade->add_flag("--skip-unreachable-faults", options.request.skip_unreachable_faults,
                  Tr("Skip, rather than fail, fault checks that cannot reach the program (a static "
                     "binary: another language)"));
  grade->add_flag("--verbose", options.verbose,
                  Tr("Show the fault checks' failure points, probabilities and seeds"));
  AddLimitOptions(grade, &options.request);
  options.request.jobs = DefaultJobs();
  grade
      ->add_option(
          "--jobs,-j", options.request.jobs,
          Tr("Checks run at once (timing checks and builds run alone); 1: one after another"))
      ->check(CLI::Range(1, kMaxRunningChecks))
      ->capture_default_str();

  BatchRequest batch_request;
  std::string shard = "1/1";
  GradeRequest batch_limits;  // parsed only to validate; passed on as given
  CLI::App* batch = app.add_subcommand(
      "batch", Tr("Grade a class: a folder of submissions, a Gradescope export or a CSV"));
  batch
      ->add_option("SUBMISSIONS", batch_request.submissions,
                   Tr("A folder (one submission per entry: a checkout, a copy of labs/, a .zip or "
                      ".tar.gz), a Gradescope export, or a CSV of student_id,path"))
      ->required()
      ->check(CLI::ExistingPath);
  batch->add_option("--out", batch_request.out, Tr("Folder of the gradebook and results"))
      ->required();
  batch->add_option("--jobs", batch_request.jobs, Tr("Submissions graded at once"))
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  batch->add_option("--shard", shard, Tr("Grade only shard I of N (I/N, by student id)"))
      ->check([](const std::string& text) {
        return ParseShard(text) ? std::string() : Tr("expected I/N with 1 <= I <= N");
      })
      ->capture_default_str();
  batch->add_option("--lab", batch_request.labs, Tr("Grade only this lab (repeatable)"))
      ->check(CLI::IsMember(Labs()));
  batch->add_option("--check", batch_request.checks,
                    Tr("Run only the checks whose test name matches (wildcards; repeatable)"));
  batch->add_option("--regrade", batch_request.regrade,
                    Tr("Regrade these student ids even when nothing changed"));
  batch->add_option("--hidden", batch_request.hidden, Tr("Directory of hidden rubrics and suites"))
      ->check(CLI::ExistingDirectory);
  AddLimitOptions(batch, &batch_limits);

  std::vector<std::string> merge_dirs;
  std::string merge_out;
  CLI::App* merge =
      app.add_subcommand("merge", Tr("Merge the outputs of a batch's shards into one gradebook"));
  merge->add_option("DIRS", merge_dirs, Tr("Every shard's --out folder"))
      ->required()
      ->check(CLI::ExistingDirectory);
  merge->add_option("--out", merge_out, Tr("Folder of the merged gradebook"))->required();

  for (CLI::App* subcommand : {list, grade, batch, merge}) subcommand->group(Tr("Subcommands"));

  try {
    app.parse(argc, argv);
    batch_request.shard = ParseShard(shard).value_or(Shard{});
    if (batch->parsed()) {
      batch_request.grade_options = GivenLimitOptions(batch);
      if (!batch_request.hidden.empty())
        batch_request.hidden = std::filesystem::absolute(batch_request.hidden).string();
    }
    for (const std::string& given : options.exes) {
      size_t equals = given.find('=');
      bool named = equals != std::string::npos && IsLab(given.substr(0, equals));
      if (!named && options.request.labs.size() != 1)
        throw CLI::ValidationError("--exe",
                                   Tr("--exe PATH needs exactly one --lab (or use LAB=PATH)"));
      std::string lab = named ? given.substr(0, equals) : options.request.labs.front();
      std::string path = named ? given.substr(equals + 1) : given;
      if (!std::filesystem::is_regular_file(path))
        throw CLI::ValidationError("--exe", Tr("no such file: {}", path));
      options.request.exe_for_lab[lab] = std::filesystem::absolute(path).string();
      if (named && std::find(options.request.labs.begin(), options.request.labs.end(), lab) ==
                       options.request.labs.end())
        options.request.labs.push_back(lab);
    }
    if (!options.exes.empty() && options.request.exe_for_lab.size() != options.request.labs.size())
      throw CLI::ValidationError("--exe", Tr("every graded --lab needs its --exe"));
    if (!options.exes.empty() && options.impl == "reference")
      throw CLI::ValidationError("--exe", Tr("--exe and --impl reference exclude each other"));
    options.request.reference = options.impl == "reference";
    Destinations(options);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "forklab: " << TranslatedUsageError(e.what()) << "\n"
              << Tr("Run 'forklab --help' for usage.") << "\n";
    return 2;
  }

  try {
    Layout layout = ThisForklab();
    if (list->parsed()) return List(layout, list_labs.empty() ? Labs() : list_labs);
    if (merge->parsed()) {
      std::vector<fs::path> dirs(merge_dirs.begin(), merge_dirs.end());
      std::vector<StoredResult> results = MergeShards(layout, dirs, merge_out);
      std::cout << Tr("Merged {} submissions from {} shards into {}.", results.size(), dirs.size(),
                      merge_out)
                << "\n";
      return 0;
    }
    struct sigaction action {};
    action.sa_handler = OnInterrupt;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    if (batch->parsed()) return RunBatchCommand(layout, batch_request);
    return RunGrade(layout, options);
  } catch (const SubmissionsError& e) {
    std::cerr << "forklab: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "forklab: " << e.what() << "\n";
    return 1;
  }
}
