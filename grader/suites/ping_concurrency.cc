// The ping sweep runs its pings side by side, within the --jobs cap, reports each as it
// ends, and leaves no process behind: zombies reaped at once, nothing outliving the program.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/proc.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "suites/ping_fixture.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;

// ---- Concurrency ---------------------------------------------------------------------------

TEST_F(Ping, SweepIsConcurrent) {
  // Serially, 60 pings of latency L take 60 L; concurrently about L, plus the time it takes
  // this (2-core, busy) machine to start 60 processes. A serial sweep is told apart as soon
  // as its log shows it.
  const int kHosts = 60, kLatencyMs = 1000;
  RunResult run =
      RunSweep({.targets = {"127.0.0.1-60"}, .latency_ms = kLatencyMs, .side_by_side = true},
               milliseconds(15 * kLatencyMs));
  ASSERT_FALSE(run.timed_out()) << Tr(
      "{} pings of {} ms each must end within 15 latencies (serially they take {}): {}", kHosts,
      kLatencyMs, kHosts, Unfinished(run.wall_time.count(), run.Lines(), kHosts));
  ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)));
  double latencies = run.wall_time.count() * 1000 / kLatencyMs;
  EXPECT_LT(latencies, 10) << Tr(
      "the sweep took {} ping latencies; run concurrently it takes "
      "about 1, serially {}",
      latencies, kHosts);
  // How many overlap also depends on how fast processes start here, so the bar is set far
  // above what a serial sweep or a small fixed pool reaches, and well below 60.
  int overlap = MaxOverlap(ReadLog());
  EXPECT_GE(overlap, kHosts / 6) << Tr(
      "at most {} of {} pings were running at once; without --jobs all overlap", overlap, kHosts);
}

TEST_F(Ping, JobsCapIsRespected) {
  const int kHosts = 12, kLatencyMs = 150;
  for (int jobs : {1, 3}) {
    SCOPED_TRACE("--jobs " + std::to_string(jobs));  // a command line: not translated
    RunResult run = RunSweep({.targets = {"127.0.0.1-12"},
                              .options = {"--jobs", std::to_string(jobs)},
                              .latency_ms = kLatencyMs});
    ASSERT_FALSE(run.timed_out()) << Unfinished(run.wall_time.count(), run.Lines(), kHosts);
    ASSERT_TRUE(EachHostReportedOnce(run.Lines(), Hosts("127.0.0.", 1, kHosts)));
    auto records = ReadLog();
    ASSERT_EQ(records.size(), 2u * kHosts) << Tr("every ping has a start and an end record");
    int overlap = MaxOverlap(records);
    EXPECT_LE(overlap, jobs) << Tr("{} pings ran at once with --jobs {}", overlap, jobs);
    if (jobs > 1) {
      EXPECT_GT(overlap, 1) << Tr("--jobs {} allows concurrency, but pings ran one at a time",
                                  jobs);
    }
    ClearLog();
  }
}

TEST_F(Ping, LinesArriveAsSoonAsPrinted) {
  // Four fast hosts and a slow last one: the fast lines must reach the pipe while the slow
  // ping still runs. A line held in a stdio buffer shows up only at exit.
  const int kSlowMs = 4000;
  auto program = StartSweep(
      {.targets = {"127.0.0.1-5"}, .latency_ms = 50, .slow = "127.0.0.5", .slow_ms = kSlowMs});
  std::optional<std::string> first = program->ReadLine(milliseconds(kSlowMs / 2));
  ASSERT_TRUE(first.has_value()) << Tr(
      "no line on stdout within {} ms although 4 of 5 hosts answer in 50 ms: output is "
      "held in a buffer (or the results wait for the slowest)",
      kSlowMs / 2);
  EXPECT_FALSE(program->Wait(milliseconds(0)).has_value())
      << Tr("the program exited before the slow host could answer");
  ASSERT_TRUE(program->Wait(milliseconds(3 * kSlowMs)).has_value())
      << Unfinished(program->wall_time().count(), program->StdoutLines(), 5);
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 5)));
}

// ---- Processes -----------------------------------------------------------------------------

TEST_F(Ping, NoProcessOutlivesTheProgram) {
  const int kHosts = 20;
  auto program = StartSweep({.targets = {"127.0.0.1-20"}, .latency_ms = 300});
  pid_t pid = program->pid();
  auto status = program->Wait(milliseconds(30'000));
  ASSERT_TRUE(status.has_value()) << Unfinished(program->wall_time().count(),
                                                program->StdoutLines(), kHosts);
  // Checked at the moment of exit: the suite is a subreaper, so anything the program left
  // running or unreaped is now a child of ours.
  std::vector<pid_t> leftovers;
  for (pid_t child : ChildrenOf(getpid()))
    if (child != pid) leftovers.push_back(child);
  std::vector<std::string> lines = program->StdoutLines();
  EXPECT_TRUE(leftovers.empty()) << Tr(
      "{} process(es) of the program outlived it (every child must be waited for before "
      "exit), e.g. {}",
      leftovers.size(), Join(Cmdline(leftovers[0])));
  EXPECT_TRUE(EachHostReportedOnce(lines, Hosts("127.0.0.", 1, kHosts)))
      << Tr("the program must not exit before every result is printed");
  auto records = ReadLog();
  int starts = static_cast<int>(
      std::count_if(records.begin(), records.end(), [](const LogRecord& r) { return r.start; }));
  EXPECT_EQ(starts, kHosts);
  EXPECT_EQ(records.size(), 2u * starts)
      << Tr("some pings had not finished when the program exited");
  EXPECT_TRUE(ReapAdopted(/*kill_live=*/true).empty()) << Tr("orphans were left to the suite");
}

TEST_F(Ping, NoZombieLingersDuringTheSweep) {
  // One slow host first and nineteen fast ones: a program that waits for its children in
  // order, or only at the end, leaves the fast ones as zombies while the slow one runs (about
  // 2.4 s). A program that reaps at once can still show a zombie for a while on a loaded
  // machine, until its waiting thread is scheduled: a thread_ping mutant that reaps at once
  // showed one for over 0.5 s in ctest at a load average of 30. Load only lengthens the wrong
  // programs' zombies.
  const int kSlowMs = 2500;
  const double kLingerSeconds = 1.0;
  auto program = StartSweep(
      {.targets = {"127.0.0.1-20"}, .latency_ms = 50, .slow = "127.0.0.1", .slow_ms = kSlowMs});
  pid_t pid = program->pid();
  std::map<pid_t, double> first_seen;  // seconds into the sweep
  std::set<pid_t> lingering;
  Watched sweep = Watch(*program, milliseconds(6 * kSlowMs), {.sample = [&](double at) {
    for (pid_t zombie : ZombieChildrenOf(pid)) {
      auto [it, inserted] = first_seen.emplace(zombie, at);
      if (at - it->second >= kLingerSeconds) lingering.insert(zombie);
    }
  }});
  ASSERT_TRUE(sweep.status.has_value()) << Unfinished(sweep.ended_at, program->StdoutLines(), 20);
  EXPECT_TRUE(lingering.empty()) << Tr(
      "{} child(ren) stayed zombies for over {} s: reap each child as soon as it ends "
      "(waitpid for any child), not in order or at the end",
      lingering.size(), kLingerSeconds);
  EXPECT_TRUE(EachHostReportedOnce(program->StdoutLines(), Hosts("127.0.0.", 1, 20)));
}

TEST_F(Ping, ForkVariantRunsOneChildPerHost) {
  FORKLAB_ONLY_FOR(Variant::kProcesses);
  std::optional<int> most_children =
      MostDuringSlowSweep([](pid_t pid) { return static_cast<int>(ChildrenOf(pid).size()); });
  if (!most_children) return;  // the sweep did not end: failed, saying why
  EXPECT_GE(*most_children, kSlowSweepHosts)
      << Tr("at most {} children of the program were seen at once; with {} hosts and no --jobs "
            "cap there is one child process per host",
            *most_children, kSlowSweepHosts);
}

}  // namespace
}  // namespace forklab
