// The fork_basics contract, checked from outside.
//
// A run is watched while it happens: each stdout line is stamped with the time it arrived,
// and between lines the program's children are sampled from /proc (alive or zombie, and how
// many bytes each has written). Sleeps are short and chosen by the test; times are only ever
// compared with those sleeps, never asserted in absolute terms. The long default sleeps are
// read from /proc as the program requests them, and timed only when they cannot be read.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/subprocess.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "suites/claims.h"
#include "suites/quoted.h"
#include "suites/required_wait.h"
#include "suites/suite.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;

/// One run of the program, as observed from outside while it ran. Times are seconds since
/// the start.
struct Timeline {
  struct Line {
    std::string text;
    double at = 0;  // when the grader read it
  };
  pid_t pid = 0;
  double sleeps = 0;  // the contract's sleeps for this run: when it should have ended
  std::vector<Line> lines;
  std::optional<ExitStatus> status;  // nullopt: still running at the time limit, killed
  double exited_at = 0;
  /// When the grader stopped waiting because no child had appeared in time for the sleeps to
  /// fit the time limit (Observe's `child_by`); 0 if it did not.
  double childless_at = 0;
  std::string err;
  /// Children seen alive, with the first and last time each was.
  std::map<pid_t, std::pair<double, double>> alive_seen;
  /// Zombie children, with the first and last time each was seen as one.
  std::map<pid_t, std::pair<double, double>> zombie_seen;
  /// The most bytes each live child had written, when /proc/PID/io could be read.
  std::map<pid_t, long> bytes_written;
  /// Processes re-parented to the grader (its subreaper) once the program had exited: the
  /// program's orphans, which nobody waited for.
  std::vector<pid_t> left_behind;

  /// Records what the program's children are doing `at` seconds into the run.
  void SampleChildren(double at) {
    for (const ProcStat& child : StatsOfChildren(pid)) {
      if (child.zombie()) {
        zombie_seen.try_emplace(child.pid, at, at).first->second.second = at;
        continue;
      }
      alive_seen.try_emplace(child.pid, at, at).first->second.second = at;
      if (std::optional<long> bytes = WrittenBytes(child.pid)) {
        long& most = bytes_written[child.pid];
        most = std::max(most, *bytes);
      }
    }
  }

  std::vector<std::string> Texts() const {
    std::vector<std::string> texts;
    for (const Line& line : lines) texts.push_back(line.text);
    return texts;
  }
  /// The first line matching `pattern`, or nullptr.
  const Line* Find(const std::regex& pattern) const {
    for (const Line& line : lines) {
      if (std::regex_match(line.text, pattern)) return &line;
    }
    return nullptr;
  }
  const Line* Find(const std::string& text) const {
    for (const Line& line : lines) {
      if (line.text == text) return &line;
    }
    return nullptr;
  }
  /// The longest time one child was seen as a zombie.
  double LongestZombie(pid_t* which) const {
    double longest = -1;
    for (const auto& [child, seen] : zombie_seen) {
      if (seen.second - seen.first > longest) {
        longest = seen.second - seen.first;
        *which = child;
      }
    }
    return longest;
  }
};

std::string Describe(const Timeline& timeline) {
  std::ostringstream text;
  text << "stdout:";
  for (const Timeline::Line& line : timeline.lines)
    text << "\n  [" << line.at << " s] " << line.text;
  text << "\nstderr: " << (timeline.err.empty() ? Tr("(empty)") : timeline.err);
  text << "\n";
  if (timeline.status) {
    text << Tr("exit: {}", timeline.status->Describe());
  } else if (timeline.childless_at > 0) {
    text << Tr(
        "exit: none: no child {} s after the start, too late for its sleeps ({} s in all) to "
        "end in time; the grader stopped waiting and killed it",
        fmt::format("{:.1f}", timeline.childless_at), fmt::format("{:.1f}", timeline.sleeps));
  } else {
    text << Tr(
        "exit: none: still running {} s after its sleeps ({} s in all) should have ended; "
        "the grader stopped waiting and killed it",
        fmt::format("{:.1f}", timeline.exited_at - timeline.sleeps),
        fmt::format("{:.1f}", timeline.sleeps));
  }
  return text.str();
}

/// How long a run whose sleeps add up to `sleeps` seconds may take: the sleeps plus what
/// starting a process and a busy machine add. A program still running then never ends on its
/// own, and waiting longer would only tell the same.
milliseconds RunLimit(double sleeps) {
  constexpr milliseconds kSlack(5000);
  return milliseconds(static_cast<long>(sleeps * 1000)) + kSlack;
}

/// The contract's sleeps in `args` (--child-sleep, --after-sleep; the defaults are 10 and 15).
double SleepsOf(const std::vector<std::string>& args) {
  double child = 10, after = 15;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--child-sleep") child = std::stod(args[i + 1]);
    if (args[i] == "--after-sleep") after = std::stod(args[i + 1]);
  }
  return child + after;
}

/// A failure message: what went wrong, then the run as it was observed.
std::string Told(const std::string& why, const Timeline& run) {
  return why + "\n" + Describe(run);
}

/// Runs the program under test with `args`, watching it (harness/watch.h) until it exits or
/// its sleeps and a few seconds more have passed (RunLimit): each stdout line stamped as it
/// arrives, its children sampled about every 20 ms. Given `child_by`, it stops waiting then if
/// no child has appeared: the caller's claim needs sleeps that could no longer end in time.
Timeline Observe(const std::vector<std::string>& args,
                 std::optional<milliseconds> child_by = std::nullopt) {
  Timeline timeline;
  timeline.sleeps = SleepsOf(args);
  RequireWait(std::chrono::duration<double>(timeline.sleeps));
  const milliseconds limit = RunLimit(timeline.sleeps);
  std::unique_ptr<Subprocess> program = Subprocess::Start(ExeUnderTest(), ProgramOptions(args));
  timeline.pid = program->pid();
  std::function<bool(double)> childless = nullptr;  // ends the watch: no child by `child_by`
  if (child_by)
    childless = [&, by = std::chrono::duration<double>(*child_by).count()](double at) {
      if (at < by || !timeline.alive_seen.empty() || !timeline.zombie_seen.empty()) return false;
      timeline.childless_at = at;
      return true;
    };
  Watched watched = Watch(*program, limit,
                          {.sample = [&](double at) { timeline.SampleChildren(at); },
                           .line =
                               [&](const std::string& text, double at) {
                                 timeline.lines.push_back({text, at});
                               },
                           .until = childless},
                          milliseconds(20));
  timeline.status = watched.status;
  timeline.exited_at = watched.ended_at;
  if (timeline.status) {
    // Orphans were re-parented to us when the program exited, before we reaped it.
    timeline.left_behind = DescendantsOf(getpid());
  } else {
    program->KillTree();
  }
  timeline.err = program->stderr_text();
  return timeline;
}

const std::regex kReapedLine(R"(reaped (\d{1,9}) (\d{1,3}))");

/// The pid and status of the `reaped` line.
std::optional<std::pair<pid_t, int>> Reaped(const Timeline& timeline) {
  const Timeline::Line* line = timeline.Find(kReapedLine);
  if (!line) return std::nullopt;
  std::smatch match;
  std::regex_match(line->text, match, kReapedLine);
  return std::make_pair(static_cast<pid_t>(std::stol(match[1])), std::stoi(match[2]));
}

/// Every test leaves nothing behind, whatever the program did (ProgramTest).
class ForkBasics : public ProgramTest {};

// Short sleeps: the child lives long enough to be sampled many times, and the after-sleep
// window is long enough that a zombie left in it cannot be missed.
const std::vector<std::string> kShortRun = {"--child-sleep", "0.5", "--after-sleep", "1.5"};

TEST_F(ForkBasics, LinesInOrder) {
  Timeline run = Observe(kShortRun);
  std::vector<std::string> lines = run.Texts();
  ASSERT_EQ(lines.size(), 4u) << Told(
      Tr("expected exactly 4 lines: starting, in child, reaped <pid> <status>, done"), run);
  EXPECT_EQ(lines[0], "starting") << Describe(run);
  EXPECT_EQ(lines[1], "in child") << Describe(run);
  EXPECT_TRUE(std::regex_match(lines[2], kReapedLine))
      << Told(Tr("expected 'reaped <pid> <status>', two numbers (not Python's tuple)"), run);
  EXPECT_EQ(lines[3], "done") << Describe(run);
}

TEST_F(ForkBasics, ChildIsSeparateProcess) {
  Timeline run = Observe(kShortRun);
  ASSERT_FALSE(run.alive_seen.empty())
      << Told(Tr("no child process of pid {} was ever seen while it ran; the child must be created "
                 "with fork() and live for --child-sleep 0.5 s",
                 run.pid),
              run);
  EXPECT_EQ(run.alive_seen.size(), 1u) << Told(Tr("expected exactly one child"), run);
}

TEST_F(ForkBasics, ChildPrintsItsOwnLine) {
  Timeline run = Observe(kShortRun);
  ASSERT_FALSE(run.alive_seen.empty()) << Told(Tr("no child was ever seen"), run);
  if (run.bytes_written.empty()) GTEST_SKIP() << Tr("/proc/PID/io is not readable here");
  ASSERT_NE(run.Find("in child"), nullptr) << Describe(run);
  long most = 0;
  for (const auto& [child, bytes] : run.bytes_written) most = std::max(most, bytes);
  EXPECT_GE(most, static_cast<long>(sizeof "in child\n" - 1)) << Told(
      Tr("'in child' appeared, but the child had written only {} bytes while it was seen "
         "alive: the parent printed it, or the child held it in a buffer until it exited. The "
         "child (where fork() returned 0) must print it itself, at once",
         most),
      run);
}

TEST_F(ForkBasics, ReapedPidIsChildPid) {
  Timeline run = Observe(kShortRun);
  std::optional<std::pair<pid_t, int>> reaped = Reaped(run);
  ASSERT_TRUE(reaped) << Told(Tr("no 'reaped <pid> <status>' line"), run);
  ASSERT_FALSE(run.alive_seen.empty()) << Told(Tr("no child was ever seen"), run);
  EXPECT_TRUE(run.alive_seen.count(reaped->first))
      << Told(Tr("'reaped {}' names no child the grader saw; the child's pid was {}. Print the pid "
                 "that waitpid() returned",
                 reaped->first, run.alive_seen.begin()->first),
              run);
}

TEST_F(ForkBasics, ReapedStatusIsZero) {
  Timeline run = Observe(kShortRun);
  std::optional<std::pair<pid_t, int>> reaped = Reaped(run);
  ASSERT_TRUE(reaped) << Told(Tr("no 'reaped <pid> <status>' line"), run);
  EXPECT_EQ(reaped->second, 0) << Told(
      Tr("the child must exit 0, and the line shows its exit status (WEXITSTATUS)"), run);
}

TEST_F(ForkBasics, NoZombieDuringAfterSleep) {
  Timeline run = Observe(kShortRun);
  ASSERT_NE(run.Find("done"), nullptr)
      << Told(Tr("the run never reached 'done', so the after-sleep window was not seen"), run);
  pid_t zombie = 0;
  double longest = run.LongestZombie(&zombie);
  // A parent blocked in waitpid reaps its child within microseconds of its exit; a parent
  // that never waits leaves it a zombie for the whole 1.5 s after-sleep.
  EXPECT_LT(longest, 0.5) << Told(
      Tr("child {} stayed a zombie (state Z) for {} s while pid {} slept: "
         "the parent never waited for it. Call waitpid() on the child "
         "before the after-sleep",
         zombie, longest, run.pid),
      run);
}

TEST_F(ForkBasics, ExitsZero) {
  Timeline run = Observe(kShortRun);
  ASSERT_TRUE(run.status) << Told(Tr("the program never exited"), run);
  EXPECT_TRUE(run.status->ExitedWith(0)) << Describe(run);
}

TEST_F(ForkBasics, OutputIsUnbuffered) {
  Timeline run = Observe(kShortRun);
  ASSERT_EQ(run.alive_seen.size(), 1u) << Told(Tr("expected one child"), run);
  double child_last_alive = run.alive_seen.begin()->second.second;
  for (const char* text : {"starting", "in child"}) {
    const Timeline::Line* line = run.Find(text);
    ASSERT_NE(line, nullptr) << Told(Tr("no '{}' line", text), run);
    EXPECT_LE(line->at, child_last_alive) << Told(
        Tr("'{}' reached the grader only after the child had exited: it sat in a stdio buffer "
           "(stdout is a pipe, not a terminal). Write each line at once, with one write(2) or "
           "a flush",
           text),
        run);
  }
}

/// How long the child lived, and how long the program went on after it, as the samples saw
/// them: independent of what the program prints, and exact to a sampling interval.
struct Sleeps {
  double child = 0;
  double after = 0;
};
std::optional<Sleeps> MeasureSleeps(const Timeline& run) {
  if (run.alive_seen.size() != 1 || !run.status) return std::nullopt;
  auto [first_alive, last_alive] = run.alive_seen.begin()->second;
  return Sleeps{last_alive - first_alive, run.exited_at - last_alive};
}

TEST_F(ForkBasics, SleepsAsRequested) {
  // Truncating to whole seconds would make these 0 and 1.
  Timeline run = Observe({"--child-sleep", "0.8", "--after-sleep", "1.6"});
  std::optional<Sleeps> sleeps = MeasureSleeps(run);
  ASSERT_TRUE(sleeps) << Told(Tr("expected one child and a program that exits"), run);
  // Sleeps never end early, so only lower bounds, with room for the sampling interval.
  EXPECT_GE(sleeps->child, 0.55) << Told(
      Tr("the child lived {} s; it must sleep --child-sleep 0.8 s (fractional)", sleeps->child),
      run);
  EXPECT_GE(sleeps->after, 1.3) << Told(
      Tr("the program exited {} s after its child; it must sleep --after-sleep 1.6 s "
         "(fractional) after reaping it",
         sleeps->after),
      run);
}

/// The default sleeps as the program asks the kernel for them (SleepRequested, harness/proc.h),
/// rather than waited out: the child seen asleep, then killed to cut its sleep short, and the
/// parent, which was waiting for it, seen in its after-sleep. nullopt unless both are seen so
/// and each is within half a second of its default: a program that sleeps otherwise (in
/// pieces, through select, ...) is timed instead.
std::optional<Sleeps> RequestedDefaultSleeps() {
  constexpr milliseconds kPatience(5000);
  constexpr double kTolerance = 0.5;
  std::unique_ptr<Subprocess> program = Subprocess::Start(ExeUnderTest(), ProgramOptions());
  const pid_t pid = program->pid();
  pid_t child = 0;
  std::optional<double> child_sleep, after_sleep;
  auto ended = [&] { return program->Wait(milliseconds(0)).has_value(); };
  Eventually(kPatience, [&] {
    for (pid_t live : LiveChildrenOf(pid)) {
      child = live;
      child_sleep = SleepRequested(live);
    }
    return child_sleep.has_value() || ended();
  });
  // The after-sleep begins when the child has ended: a parent asleep already is not waiting.
  if (!child_sleep || SleepRequested(pid)) return std::nullopt;
  kill(child, SIGKILL);
  Eventually(kPatience, [&] { return (after_sleep = SleepRequested(pid)).has_value() || ended(); });
  if (!after_sleep || std::abs(*child_sleep - 10) > kTolerance ||
      std::abs(*after_sleep - 15) > kTolerance)
    return std::nullopt;
  return Sleeps{*child_sleep, *after_sleep};
}

// The least default sleeps that pass, with room for a sampling interval.
constexpr double kLeastDefaultChildSleep = 9.5;
constexpr double kLeastDefaultAfterSleep = 14.5;

TEST_F(ForkBasics, DefaultSleepsAreTenAndFifteen) {
  // Waiting out the 25 s of the defaults is the last resort, for sleeps /proc cannot show.
  std::optional<Sleeps> sleeps = RequestedDefaultSleeps();
  std::string seen = Tr("(the sleeps as the program requested them)");
  if (!sleeps) {
    // A child first seen later than this cannot sleep and be waited for long enough before
    // the time limit: the run could only fail, so it is not waited out.
    const auto child_by = std::chrono::duration_cast<milliseconds>(
        RunLimit(SleepsOf({})) -
        std::chrono::duration<double>(kLeastDefaultChildSleep + kLeastDefaultAfterSleep));
    Timeline run = Observe({}, child_by);
    sleeps = MeasureSleeps(run);
    seen = Describe(run);
    ASSERT_TRUE(sleeps) << Tr("expected one child and a program that exits") << "\n" << seen;
  }
  EXPECT_GE(sleeps->child, kLeastDefaultChildSleep)
      << Tr("the default --child-sleep is 10 s") << "\n"
      << seen;
  EXPECT_GE(sleeps->after, kLeastDefaultAfterSleep)
      << Tr("the default --after-sleep is 15 s") << "\n"
      << seen;
  // Upper bounds as a ratio, which machine noise barely moves: 15 / 10.
  EXPECT_NEAR(sleeps->after / sleeps->child, 1.5, 0.3)
      << Tr("the child lived {} s and the program {} s longer; the defaults are 10 s (child) and "
            "15 s (after)",
            sleeps->child, sleeps->after)
      << "\n"
      << seen;
}

TEST_F(ForkBasics, BadOptionsExitTwo) {
  // Rejecting is only worth something from a program that accepts good options.
  const std::vector<std::string> good = {"--child-sleep", "0", "--after-sleep", "0"};
  RunResult accepted = forklab::Run(ExeUnderTest(), ProgramOptions(good), RunLimit(SleepsOf(good)));
  ASSERT_TRUE(accepted.status && accepted.status->ExitedWith(0))
      << Tr("{} must run and exit 0, got {}", CommandLine(good),
            accepted.status
                ? accepted.status->Describe()
                : Tr("still running {} ms later, with nothing to sleep", RunLimit(0).count()))
      << "\n"
      << QuotedStderr(accepted.err);
  const std::vector<std::vector<std::string>> bad_options = {
      {"--child-sleep", "-1"}, {"--after-sleep", "-0.5"}, {"--child-sleep", "soon"},
      {"--after-sleep"},       {"--bogus", "1"},          {"stray-argument"},
  };
  for (const std::vector<std::string>& args : bad_options) {
    ExpectUsageError(args, milliseconds(10'000));
  }
}

TEST_F(ForkBasics, NothingOutlivesProgram) {
  Timeline run = Observe({"--child-sleep", "0.3", "--after-sleep", "0.2"});
  // Only a program that did start a child can show it cleaned up after it.
  ASSERT_TRUE(run.status && run.status->ExitedWith(0)) << Describe(run);
  ASSERT_FALSE(run.alive_seen.empty()) << Told(Tr("no child was ever seen"), run);
  std::ostringstream orphans;
  for (pid_t orphan : run.left_behind) {
    std::optional<ProcStat> stat = ReadProcStat(orphan);
    orphans << " " << orphan << " (" << (stat && stat->zombie() ? Tr("zombie") : Tr("running"))
            << ")";
  }
  EXPECT_TRUE(run.left_behind.empty()) << Told(
      Tr("after pid {} exited, its orphans were re-parented to the grader:{}. The parent must "
         "wait for its child before exiting",
         run.pid, orphans.str()),
      run);
}

TEST_F(ForkBasics, ForkFailureExitsOne) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  SpawnOptions options = ProgramOptions(kShortRun);
  ApplyFaults(profile.plan, "", &options);
  RunResult result = forklab::Run(ExeUnderTest(), options, RunLimit(SleepsOf(kShortRun)));
  ASSERT_FALSE(result.timed_out()) << Tr("still running with fork() failing") << "\n" << result.out;
  EXPECT_TRUE(result.status->ExitedWith(1))
      << Tr("under {}", profile.Explain()) << "\n"
      << Tr("expected exit 1, got {}", result.status->Describe()) << "\nstdout:\n"
      << result.out << "stderr:\n"
      << result.err;
  std::vector<std::string> err = SplitLines(result.err);
  ASSERT_FALSE(err.empty()) << Tr("expected an error line on stderr when fork() fails");
  EXPECT_EQ(err[0].rfind(LabUnderTest() + ": ", 0), 0u)
      << Tr("the error line must start with the program name, e.g. '{}: fork: Resource "
            "temporarily unavailable'; got '{}'",
            LabUnderTest(), err[0]);
  EXPECT_EQ(result.out.find("done"), std::string::npos)
      << Tr("with fork() failing, the program must stop, not carry on:") << "\n"
      << result.out;
}

}  // namespace
}  // namespace forklab
