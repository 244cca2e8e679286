// The protocol between forklab, forklab-sandbox and the suites: the descriptors a suite is
// given, the environment it reads, the sandbox's probe answer and its result file. Every side
// names them from here.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace forklab {

/// The suite's results channel, held by the sandbox: GoogleTest writes its JSON report to
/// /proc/self/fd/3. Close-on-exec in the suite, so the program under test never holds it.
inline constexpr int kReportFd = 3;
/// The suite's descriptor of the file the policy passes it (the reference, which the run's
/// view hides): it runs it as /proc/self/fd/4. Close-on-exec there, so the program under
/// test never holds it; the suite is non-dumpable, so no other process can open it.
inline constexpr int kPassedFileFd = 4;
/// "/proc/self/fd/<fd>": how the suite names a descriptor it was given.
std::string FdPath(int fd);

/// The environment a suite reads (each also has a command-line flag, which wins).
inline constexpr char kExeEnv[] = "FORKLAB_EXE";                     // the executable under test
inline constexpr char kLabEnv[] = "FORKLAB_LAB";                     // the lab it implements
inline constexpr char kFakePingEnv[] = "FORKLAB_FAKE_PING";          // the fake ping command
inline constexpr char kReferenceEnv[] = "FORKLAB_REFERENCE";         // the lab's reference
inline constexpr char kFaultProfileEnv[] = "FORKLAB_FAULT_PROFILE";  // a fault check's profile
inline constexpr char kCheckEnv[] = "FORKLAB_CHECK";  // the one test to run (a gtest filter)
/// The student's language ("zh"; unset or "en": English): the suite writes its failure
/// messages from the catalogue <build>/locale/<lang>/LC_MESSAGES/forklab.mo (kLocaleDir),
/// which the run's view of the tree must hold.
inline constexpr char kLangEnv[] = "FORKLAB_LANG";
/// The build tree's folder of compiled catalogues (i18n/messages.h: LocaleDir()).
inline constexpr char kLocaleDir[] = "locale";
/// "skip": a fault check its injection cannot reach is skipped; unset or "fail": failed.
inline constexpr char kUnreachableFaultsEnv[] = "FORKLAB_UNREACHABLE_FAULTS";
/// Set by the grader only: the suite runs inside the sandbox and confines every program it
/// starts as Confinement::Parse of this says.
inline constexpr char kConfineEnv[] = "FORKLAB_CONFINE";

/// Set by the grader when the report draws process timelines: the suite then records one per
/// check (harness/timeline.h) and returns it in the GoogleTest property kTimelineProperty.
inline constexpr char kTimelineEnv[] = "FORKLAB_TIMELINE";
/// The test property (RecordProperty, in the report on kReportFd) holding
/// ProcessTimeline::ToJson() of the check.
inline constexpr char kTimelineProperty[] = "forklab_timeline";
/// The test property holding the seconds of waiting the check's contract imposes (sleeps the
/// program must take, timeouts the check proves, timed runs it measures; suites/required_wait.h):
/// the grader's floor of a run is made of these.
inline constexpr char kRequiredWaitProperty[] = "forklab_required_wait";

/// What the processes a check started did while it ran, sampled from /proc every few
/// milliseconds: the HTML report draws it. Times are seconds since the check began. A process
/// is a zombie from `exited` (first seen in state Z) to `reaped` (gone from /proc); one never
/// seen as a zombie was reaped at once (`exited` == `reaped`). Unset times: still there when
/// the recording ended.
struct ProcessTimeline {
  struct Process {
    int pid = 0;
    int ppid = 0;
    std::string name;  // comm: the executable's name
    double started = 0;
    std::optional<double> exited;
    std::optional<double> reaped;
    bool operator==(const Process&) const = default;
  };
  /// The whole tree at one moment; kept only when a count changed, and at the end.
  struct Sample {
    double at = 0;
    int processes = 0;  // live ones
    int threads = 0;    // over the live processes
    int zombies = 0;
    int connections = 0;  // connected TCP sockets held (echo servers: their clients)
    bool operator==(const Sample&) const = default;
  };
  /// Something the harness did to the program at `at`: a fault switched on, say.
  struct Mark {
    double at = 0;
    std::string text;
    bool operator==(const Mark&) const = default;
  };
  double period = 0;  // seconds between samples
  double ended = 0;
  bool capped = false;  // more processes than kept (a fork flood): the first ones are shown
  std::vector<Process> processes;
  std::vector<Sample> samples;
  std::vector<Mark> marks;

  std::string ToJson() const;
  /// Parses ToJson()'s form; nullopt for anything else.
  static std::optional<ProcessTimeline> FromJson(const std::string& json);
  bool operator==(const ProcessTimeline&) const = default;
};

/// The test property in which the sums' speedup check returns what it measured
/// (SpeedupMeasurement::ToJson): the HTML report's chart, Gradescope's leaderboard.
inline constexpr char kSpeedupProperty[] = "forklab_speedup";

/// Speedups measured side by side: at `workers[i]` workers, the submission's
/// `submission[i]` and the baseline's `baseline[i]` (1 at one worker, by definition).
struct SpeedupMeasurement {
  std::string baseline_name;  // "the reference", "the calibration program"
  std::vector<int> workers;
  std::vector<double> submission;
  std::vector<double> baseline;

  std::string ToJson() const;
  /// Parses ToJson()'s form; nullopt for anything else (or lists of unequal lengths).
  static std::optional<SpeedupMeasurement> FromJson(const std::string& json);
  bool operator==(const SpeedupMeasurement&) const = default;
};

/// Suites write containment events (a flood cut short, say) to stderr as lines starting with
/// this tag; the grader lists them in the report. The program under test cannot reach the
/// suite's stderr (see the README's Security section).
inline constexpr char kContainmentTag[] = "forklab-containment: ";
/// The tagged line for `event`, newline included.
std::string ContainmentLine(const std::string& event);
/// The events of the tagged lines in a suite's console, in order, without their tag.
std::vector<std::string> ContainmentEventsIn(const std::string& console);

/// A suite skips a check with a reason that starts with this when the machine could not
/// decide it (too busy to measure): the grader reports it "inconclusive", earning nothing, and
/// names it to rerun. A plain skip means the check does not apply here (one core, say).
inline constexpr char kInconclusiveTag[] = "inconclusive: ";

/// forklab-sandbox's flag that asks for a ProbeAnswer.
inline constexpr char kProbeFlag[] = "--probe";
/// What `forklab-sandbox --probe` prints on one line: whether this machine lets the sandbox
/// create its namespaces, or why it falls back to a process group, a subreaper and rlimits.
struct ProbeAnswer {
  std::optional<std::string> fallback;  // nullopt: namespaces work; else why not

  /// "namespaces", or "fallback: <why>".
  std::string ToString() const;
  /// Parses ToString()'s form (a trailing newline allowed); nullopt for anything else.
  static std::optional<ProbeAnswer> Parse(const std::string& text);
};

/// One thing the containment did or saw, as the student report states it. Every kind but
/// kNote ended the run, and so the check; a note leaves the check's own result standing.
struct ContainmentEvent {
  enum class Kind { kWallTime, kLimit, kLeftRunning, kInterrupted, kNote };
  Kind kind = Kind::kNote;
  std::string text;  // "killed: exceeded 64 processes (fork refused 3 times)"

  /// The kind as the results file spells it: "wall time", "limit", "left running", ...
  static const char* Name(Kind kind);
  bool operator==(const ContainmentEvent&) const = default;
};

/// How a sandboxed run went, as forklab-sandbox writes it to its --result file. `report` is
/// what the suite wrote on kReportFd (its results), `console` its stdout and stderr, capped.
/// The program under test can reach neither.
struct SandboxResult {
  std::string isolation;  // the mechanisms in force, or "fallback: <why>"
  bool fallback = false;
  bool suite_exited = false;     // false: killed by the sandbox (a limit, or interrupted)
  int suite_wait_status = 0;     // waitpid's status, when suite_exited
  bool build_tree_full = false;  // the run filled its build tree's tmpfs: nothing was kept
  std::string report;
  std::string console;
  std::vector<ContainmentEvent> events;

  /// One line of JSON.
  std::string ToJson() const;
  /// Parses ToJson()'s form; nullopt when `json` is not a result (a cut or missing file).
  static std::optional<SandboxResult> FromJson(const std::string& json);
  bool operator==(const SandboxResult&) const = default;
};

}  // namespace forklab
