// The fork_sum / thread_sum contract, checked from outside.
//
// The work is calibrated per implementation: N doubles until one worker burns a few hundred
// ms of CPU, so a slow implementation (Python) is neither timed out nor measured in noise.
// Times are only compared with each other (CPU against wall, N against 4N, the program's
// `elapsed` against the grader's clock), never asserted in absolute terms.
//
// Best run serially (ctest RUN_SERIAL), since they compare times that a busy machine distorts:
// Sum.WorkersRunInParallel and Sum.ElapsedAgreesWithWallTime.
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/subprocess.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "sandbox/protocol.h"
#include "suites/claims.h"
#include "suites/required_wait.h"
#include "suites/suite.h"
#include "suites/sum_parallelism.h"
#include "suites/sum_run_limit.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxN = 4'294'967'295;

// 1 + 2 + ... + n. No overflow: n(n+1) < 2^64 for every allowed n.
uint64_t ExpectedSum(uint64_t n) {
  return n * (n + 1) / 2;
}

/// The program's stdout, sorted into worker lines, elapsed lines and anything else.
struct Output {
  std::map<unsigned long, std::vector<uint64_t>> sums_by_worker;
  std::vector<double> elapsed;
  bool elapsed_last = false;
  std::vector<std::string> malformed;

  explicit Output(const std::vector<std::string>& lines) {
    static const std::regex worker_line(R"(worker (\d{1,9}) sum (\d{1,19}))");
    static const std::regex elapsed_line(R"(elapsed (\d{1,9}\.\d{3}))");
    for (const std::string& line : lines) {
      std::smatch match;
      if (std::regex_match(line, match, worker_line)) {
        sums_by_worker[std::stoul(match[1])].push_back(std::stoull(match[2]));
      } else if (std::regex_match(line, match, elapsed_line)) {
        elapsed.push_back(std::stod(match[1]));
      } else {
        malformed.push_back(line);
      }
    }
    elapsed_last = !lines.empty() && std::regex_match(lines.back(), elapsed_line);
  }
};

std::string Describe(const RunResult& result) {
  std::ostringstream text;
  text << (result.status ? Tr("exit: {}", result.status->Describe())
                         : NoResultAfter(result.wall_time))
       << "\nstdout:\n"
       << result.out << "stderr:\n"
       << result.err;
  return text.str();
}

/// "--workers W --n N".
std::vector<std::string> SumArgs(unsigned workers, uint64_t n) {
  return {"--workers", std::to_string(workers), "--n", std::to_string(n)};
}

/// The most workers seen alive at once while a run went on (child processes for fork_sum,
/// threads besides the main one for thread_sum), and whether a thread_sum ever had a child.
struct Concurrency {
  int most_workers = 0;
  bool had_children = false;
  RunResult result;
};

Concurrency WatchSum(unsigned workers, uint64_t n, milliseconds limit) {
  Concurrency seen;
  std::unique_ptr<Subprocess> program =
      Subprocess::Start(ExeUnderTest(), ProgramOptions(SumArgs(workers, n)));
  const pid_t pid = program->pid();
  auto count_workers = [&](double) {
    int children = static_cast<int>(LiveChildrenOf(pid).size());
    seen.had_children |= children > 0;
    int threads = ThreadCount(pid) - 1;
    seen.most_workers = std::max(seen.most_workers, ForkVariant() ? children : threads);
  };
  Watched watched = Watch(*program, limit, {.sample = count_workers}, milliseconds(5));
  if (!watched.status) program->KillTree();
  seen.result = {program->status(), program->stdout_text(), program->stderr_text(),
                 program->wall_time(), program->cpu_time()};
  return seen;
}

/// Every test leaves nothing behind, whatever the program did (ProgramTest).
class Sum : public ProgramTest {
 protected:
  /// Each run is held to the contract's limit (SumRunLimit), from the program's pace, which
  /// its run with one worker and a small N shows first.
  void SetUp() override {
    const std::vector<std::string> args = SumArgs(1, SumRunLimit::kPaceN);
    RunResult pace = forklab::Run(ExeUnderTest(), ProgramOptions(args), SumRunLimit::kStartup);
    if (!pace.status) FAIL() << CommandLine(args) << "\n" << Describe(pace);
    limit_.emplace(pace.wall_time);
  }

  milliseconds Limit(unsigned workers, uint64_t n) const { return limit_->For(workers, n); }

  RunResult RunSum(unsigned workers, uint64_t n) const {
    return forklab::Run(ExeUnderTest(), ProgramOptions(SumArgs(workers, n)), Limit(workers, n));
  }

  Concurrency WatchRun(unsigned workers, uint64_t n) const {
    return WatchSum(workers, n, Limit(workers, n));
  }

  /// N such that one worker of this implementation burns at least ~200 ms of CPU (or the
  /// largest N that leaves room for 4N, for an implementation that never gets that slow).
  /// Measured once per suite run.
  uint64_t CalibratedN() const {
    static const uint64_t n = [this] {
      constexpr uint64_t kCeiling = kMaxN / 4;
      uint64_t n = uint64_t{1} << 16;
      for (;;) {
        RunResult result = RunSum(1, n);
        if (!result.status || result.cpu_time.count() >= 0.2 || n >= kCeiling) return n;
        n = std::min(n * 2, kCeiling);
      }
    }();
    return n;
  }

 private:
  std::optional<SumRunLimit> limit_;  // set by SetUp, from the program's pace
};

TEST_F(Sum, SumsAreRight) {
  // 100000 and up: sums past 2^32, which a 32-bit accumulator gets wrong.
  const std::vector<std::pair<unsigned, uint64_t>> cases = {
      {1, 1}, {2, 10}, {3, 1000}, {4, 100'000}, {2, 3'000'000}, {5, 12'345'678}};
  for (auto [workers, n] : cases) {
    RunResult result = RunSum(workers, n);
    ASSERT_TRUE(result.status && result.status->ExitedWith(0))
        << CommandLine(SumArgs(workers, n)) << "\n"
        << Describe(result);
    Output output(result.Lines());
    for (const auto& [worker, sums] : output.sums_by_worker) {
      for (uint64_t sum : sums) {
        EXPECT_EQ(sum, ExpectedSum(n))
            << Tr("worker {} with --n {}: 1+2+...+{} is {} (use a 64-bit unsigned accumulator)",
                  worker, n, n, ExpectedSum(n))
            << "\n"
            << Describe(result);
      }
    }
    EXPECT_FALSE(output.sums_by_worker.empty()) << Tr("no 'worker <i> sum <S>' line") << "\n"
                                                << Describe(result);
  }
}

TEST_F(Sum, OneLinePerWorker) {
  for (unsigned workers : {1u, 3u, 8u}) {
    RunResult result = RunSum(workers, 100'000);
    ASSERT_TRUE(result.status && result.status->ExitedWith(0)) << Describe(result);
    Output output(result.Lines());
    for (unsigned i = 0; i < workers; ++i) {
      size_t times = output.sums_by_worker.count(i) ? output.sums_by_worker[i].size() : 0;
      EXPECT_EQ(times, 1u) << Tr("with --workers {}, worker {} printed {} lines, not one", workers,
                                 i, times)
                           << "\n"
                           << Describe(result);
    }
    EXPECT_EQ(output.sums_by_worker.size(), workers)
        << Tr("worker numbers must be 0..{}", workers - 1) << "\n"
        << Describe(result);
    EXPECT_TRUE(output.malformed.empty())
        << Tr("lines that are neither 'worker <i> sum <S>' nor 'elapsed <seconds>' (three "
              "decimals), e.g. '{}'",
              output.malformed.empty() ? "" : output.malformed[0])
        << "\n"
        << Describe(result);
  }
}

TEST_F(Sum, ElapsedOnceAndLast) {
  RunResult result = RunSum(3, 100'000);
  ASSERT_TRUE(result.status && result.status->ExitedWith(0)) << Describe(result);
  Output output(result.Lines());
  EXPECT_EQ(output.elapsed.size(), 1u)
      << Tr("expected one 'elapsed <seconds>' line (three decimals, e.g. 'elapsed 0.412'), "
            "printed once after all workers are done")
      << "\n"
      << Describe(result);
  EXPECT_TRUE(output.elapsed_last)
      << Tr("'elapsed' must be the last line: the parent waits for every worker first") << "\n"
      << Describe(result);
}

/// One run of two workers on two cores, each doing a calibrated ~0.2 s of work: a timing claim
/// needs at least that run.
void RequireOneCalibratedRun() {
  RequireWait(milliseconds(200));
}

TEST_F(Sum, ElapsedAgreesWithWallTime) {
  RequireOneCalibratedRun();
  RunResult result = RunSum(2, CalibratedN());
  ASSERT_TRUE(result.status && result.status->ExitedWith(0)) << Describe(result);
  Output output(result.Lines());
  ASSERT_EQ(output.elapsed.size(), 1u) << Describe(result);
  double elapsed = output.elapsed[0];
  double wall = result.wall_time.count();
  // The program's clock runs inside the grader's: never longer (0.0005 s for rounding to
  // three decimals), and covering most of it, since the work dwarfs starting up.
  EXPECT_LE(elapsed, wall + 0.0005)
      << Tr("'elapsed {}' is longer than the whole run as the grader timed it ({} s): measure "
            "wall-clock seconds (not CPU time, not milliseconds)",
            elapsed, wall)
      << "\n"
      << Describe(result);
  // Only where there is work to cover: a run of a few milliseconds (a closed form, which
  // Sum.WorkIsReallyDone catches) is all start-up. Starting up comes before any clock the
  // program can start (an interpreter's start, on a busy machine, was half a 0.23 s run): a run
  // with next to nothing to sum times it, and the clock must cover half of the rest.
  if (result.cpu_time.count() >= 0.1) {
    RunResult startup = RunSum(2, 2);
    ASSERT_TRUE(startup.status && startup.status->ExitedWith(0)) << Describe(startup);
    double work = wall - startup.wall_time.count();
    EXPECT_GE(elapsed, 0.5 * work)
        << Tr("'elapsed {}' covers less than half of the run's work ({} s as the grader timed "
              "it, less {} s that a run with --n 2 takes to start and end): start the clock "
              "before starting the workers and read it after waiting for all of them",
              elapsed, wall, startup.wall_time.count())
        << "\n"
        << Describe(result);
  }
}

TEST_F(Sum, WorkersAreReaped) {
  FORKLAB_ONLY_FOR(Variant::kProcesses);
  std::unique_ptr<Subprocess> program =
      Subprocess::Start(ExeUnderTest(), ProgramOptions(SumArgs(4, 1'000'000)));
  std::optional<std::string> line;
  std::vector<pid_t> children_at_elapsed;
  bool saw_elapsed = false;
  while ((line = program->ReadLine(Limit(4, 1'000'000)))) {
    if (line->starts_with("elapsed")) {
      // The parent prints 'elapsed' only after waiting for every worker, so none is left.
      children_at_elapsed = ChildrenOf(program->pid());
      saw_elapsed = true;
    }
  }
  std::optional<ExitStatus> status = program->Wait(Limit(4, 1'000'000));
  ASSERT_TRUE(status) << NoResultAfter(program->wall_time());
  // Orphans were re-parented to us when the program exited, before we reaped it.
  std::vector<pid_t> left_behind = DescendantsOf(getpid());
  ASSERT_TRUE(saw_elapsed) << Tr("no 'elapsed' line") << "\n" << program->stdout_text();
  EXPECT_TRUE(children_at_elapsed.empty())
      << Tr("{} worker processes of pid {} were still there (running or zombie) when it printed "
            "'elapsed': wait for every worker with waitpid() before printing it",
            children_at_elapsed.size(), program->pid());
  EXPECT_TRUE(left_behind.empty())
      << Tr("{} worker processes outlived pid {} and were re-parented to the grader: the parent "
            "must reap every worker",
            left_behind.size(), program->pid());
}

TEST_F(Sum, WorkIsReallyDone) {
  uint64_t n = CalibratedN();
  RunResult startup = RunSum(1, 1);
  RunResult small = RunSum(1, n);
  RunResult large = RunSum(1, 4 * n);
  ASSERT_TRUE(startup.status && startup.status->ExitedWith(0)) << Describe(startup);
  ASSERT_TRUE(small.status && small.status->ExitedWith(0)) << Describe(small);
  ASSERT_TRUE(large.status && large.status->ExitedWith(0)) << Describe(large);
  // A loop takes 4 times the CPU for 4 times N; a closed form n*(n+1)/2 takes the same few
  // ms. The start-up's CPU (an interpreter's: a tenth of a second for Python) is no work of
  // the sum, so it is left out; the floor keeps CPU times of a clock tick or two (10 ms each)
  // from making a ratio.
  auto work = [&](const RunResult& run) { return run.cpu_time - startup.cpu_time; };
  double ratio = work(large).count() / std::max(work(small).count(), 0.05);
  EXPECT_GT(ratio, 2.0) << Tr(
      "CPU time with --n {}: {} s; with --n {}: {} s. Four times the "
      "work should take about four times the CPU. Sum 1..N in a loop, "
      "and keep the compiler from replacing the loop by n*(n+1)/2 (an "
      "empty asm volatile barrier on the accumulator)",
      4 * n, large.cpu_time.count(), n, small.cpu_time.count());
}

/// How many cores the grader can get right now: two threads spin for a quarter second, and
/// their CPU time is divided by the wall time. Below 2 when other load takes a share.
double AvailableCores() {
  constexpr auto kSpin = milliseconds(250);
  double cpu_seconds[2] = {0, 0};
  auto spin = [&](double* cpu) {
    Clock::time_point end = Clock::now() + kSpin;
    while (Clock::now() < end) {
    }
    timespec used{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
    *cpu = static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) / 1e9;
  };
  Clock::time_point start = Clock::now();
  std::thread first(spin, &cpu_seconds[0]), second(spin, &cpu_seconds[1]);
  first.join();
  second.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  return (cpu_seconds[0] + cpu_seconds[1]) / wall;
}

TEST_F(Sum, WorkersRunInParallel) {
  if (std::thread::hardware_concurrency() < 2) {
    GTEST_SKIP() << Tr("one CPU core: two workers cannot run in parallel here");
  }
  uint64_t n = CalibratedN();
  // Two workers on two cores take about half their CPU time in wall time; one after the
  // other, all of it. A busy machine can make a parallel program look serial by the wall
  // clock, never the reverse; the workers' own CPU clocks tell at any load whether they ran
  // side by side (sum_parallelism.h), and how long they waited for a core, which taken out
  // of the wall time leaves what the run takes on cores of its own. Serial workers fail at any
  // load, and so do workers that took turns (one core's worth without waiting for a core, while
  // the grader could get two). Other undecided runs are measured again, and when the machine
  // never lets them show it the check is inconclusive: it earns nothing and is rerun.
  RequireOneCalibratedRun();
  constexpr int kAttempts = 5;
  double wall_over_cpu = 0;
  int serial = 0;
  WatchedRun run;
  for (int attempt = 0; attempt < kAttempts && serial <= kAttempts / 2; ++attempt) {
    run = RunWatchingWorkers(ExeUnderTest(), SumArgs(2, n), Limit(2, n));
    const RunResult& result = run.result;
    ASSERT_TRUE(result.status && result.status->ExitedWith(0)) << Describe(result);
    const double cpu = std::max(result.cpu_time.count(), 0.05);
    wall_over_cpu = result.wall_time.count() / cpu;
    if (wall_over_cpu < 0.8) return;
    // The same, once what the workers' waits for a core put off is taken out: side by side,
    // though the machine gave them one core between them.
    if (run.UnloadedWall().count() / cpu < 0.8) return;
    switch (run.Judged()) {
      case Parallelism::kParallel:
        return;  // on two cores at once, though load stretched the wall time
      case Parallelism::kSerial:
        ++serial;
        break;
      case Parallelism::kUndecided:
        // Two cores were free, yet the workers got one core's worth without waiting for one:
        // they took turns. Workers kept waiting for a core were the machine's (or the
        // scheduler's, both on one core) doing, which the next attempt may not repeat.
        if (AvailableCores() >= 1.6 && run.clocks.WaitingShare() < 0.3) ++serial;
        break;
    }
  }
  const RunResult& result = run.result;
  if (serial <= kAttempts / 2) {
    GTEST_SKIP() << kInconclusiveTag
                 << Tr("the machine was too busy to measure parallelism: in {} runs the workers "
                       "never got two cores at once ({})",
                       kAttempts, run.clocks.Describe());
  }
  ADD_FAILURE() << Tr("with --workers 2 --n {}, the wall time was {} of the CPU time ({} s "
                      "against {} s), and the workers' CPU clocks show they ran one after the "
                      "other ({}). Start every worker before waiting for any",
                      n, wall_over_cpu, result.wall_time.count(), result.cpu_time.count(),
                      run.clocks.Describe())
                << (ForkVariant() ? "" : Tr("; std::thread(work, args), not work(args)")) << "\n"
                << Describe(result);
}

TEST_F(Sum, WorkersRunConcurrently) {
  constexpr unsigned kWorkers = 4;
  Concurrency seen = WatchRun(kWorkers, CalibratedN());
  ASSERT_TRUE(seen.result.status && seen.result.status->ExitedWith(0)) << Describe(seen.result);
  EXPECT_GE(seen.most_workers, static_cast<int>(kWorkers))
      << Tr("with --workers {}, at most {} worker {} were seen alive at once: start them all, "
            "then wait for them all",
            kWorkers, seen.most_workers, Tr(ForkVariant() ? "processes" : "threads"))
      << (ForkVariant() ? ""
                        : Tr(" (the lesson's Thread(target=add()) runs add in the main thread)"))
      << "\n"
      << Describe(seen.result);
}

TEST_F(Sum, NoChildProcesses) {
  FORKLAB_ONLY_FOR(Variant::kThreads);
  Concurrency seen = WatchRun(2, CalibratedN());
  ASSERT_TRUE(seen.result.status && seen.result.status->ExitedWith(0)) << Describe(seen.result);
  EXPECT_FALSE(seen.had_children) << Tr(
      "thread_sum created child processes: its workers must be threads of one process");
}

TEST_F(Sum, BadOptionsExitTwo) {
  // Rejecting is only worth something from a program that accepts good options.
  RunResult accepted = RunSum(1, 1);
  ASSERT_TRUE(accepted.status && accepted.status->ExitedWith(0))
      << Tr("{} must run and exit 0", CommandLine({"--workers", "1", "--n", "1"})) << "\n"
      << Describe(accepted);
  const std::vector<std::vector<std::string>> bad_options = {
      {"--workers", "0"},    {"--workers", "257"},
      {"--workers", "-1"},   {"--n", "0"},
      {"--n", "4294967296"}, {"--n", "-5"},
      {"--n", "1.5"},        {"--workers", "many"},
      {"--n", "lots"},       {"--n"},
      {"--threads", "2"},    {"stray-argument"},
  };
  for (const std::vector<std::string>& args : bad_options) {
    ExpectUsageError(args, milliseconds(10'000));
  }
}

TEST_F(Sum, DefaultsAreTwoWorkersAndFiftyMillion) {
  RunResult result = forklab::Run(ExeUnderTest(), ProgramOptions(), Limit(2, 50'000'000));
  ASSERT_TRUE(result.status && result.status->ExitedWith(0)) << Describe(result);
  Output output(result.Lines());
  EXPECT_EQ(output.sums_by_worker.size(), 2u) << Tr("2 workers by default") << "\n"
                                              << Describe(result);
  for (const auto& [worker, sums] : output.sums_by_worker) {
    EXPECT_EQ(sums, std::vector<uint64_t>{ExpectedSum(50'000'000)})
        << Tr("N is 50000000 by default") << "\n"
        << Describe(result);
  }
}

TEST_F(Sum, BoundaryValuesAccepted) {
  RunResult most_workers = RunSum(256, 1);
  ASSERT_TRUE(most_workers.status && most_workers.status->ExitedWith(0))
      << Tr("--workers 256 is allowed") << "\n"
      << Describe(most_workers);
  EXPECT_EQ(Output(most_workers.Lines()).sums_by_worker.size(), 256u) << Describe(most_workers);

  // The largest N takes seconds of real work: seeing it start, not stop at once, is enough.
  std::unique_ptr<Subprocess> largest =
      Subprocess::Start(ExeUnderTest(), ProgramOptions(SumArgs(1, kMaxN)));
  if (std::optional<ExitStatus> status = largest->Wait(milliseconds(500))) {
    EXPECT_TRUE(status->ExitedWith(0))
        << Tr("--n {} is allowed, got {}", kMaxN, status->Describe()) << "\n"
        << largest->stderr_text();
  }
}

TEST_F(Sum, WorkerStartFailureIsReported) {
  // The first two workers start, every later start fails: the two must still be reaped
  // (fork_sum) or joined (thread_sum) before the program exits non-zero.
  // Without the faults, the same run must succeed: the failure below is the faults' doing. It
  // runs before the fault check opens, which holds every later run to the injection's reach.
  RunResult unfaulted = RunSum(8, 100'000);
  ASSERT_TRUE(unfaulted.status && unfaulted.status->ExitedWith(0)) << Describe(unfaulted);
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  SpawnOptions options = ProgramOptions(SumArgs(8, 100'000));
  ApplyFaults(profile.plan, "", &options);
  std::unique_ptr<Subprocess> program = Subprocess::Start(ExeUnderTest(), options);
  std::optional<ExitStatus> status = program->Wait(Limit(8, 100'000));
  ASSERT_TRUE(status) << NoResultAfter(program->wall_time()) << "\n"
                      << Tr("under {}", profile.Explain());
  // Orphans were re-parented to us when the program exited, before we reaped it.
  std::vector<pid_t> left_behind = DescendantsOf(getpid());
  RunResult result = {status, program->stdout_text(), program->stderr_text(), {}, {}};
  Output output(result.Lines());
  std::string context = Tr("under {}", profile.Explain()) + "\n" + Describe(result);
  EXPECT_FALSE(status->signaled)
      << Tr("when a worker cannot be started, report it and exit non-zero; do not crash")
      << (ForkVariant() ? "" : Tr(" (a joinable std::thread destroyed unjoined aborts)")) << "\n"
      << context;
  EXPECT_FALSE(status->ExitedWith(0))
      << Tr("a run that could not start its workers must fail") << "\n"
      << context;
  std::vector<std::string> err = SplitLines(result.err);
  EXPECT_TRUE(!err.empty() && err[0].starts_with(LabUnderTest() + ": "))
      << Tr("expected an error line on stderr starting with '{}: '", LabUnderTest()) << "\n"
      << context;
  EXPECT_TRUE(output.elapsed.empty()) << Tr("a failed run must not report a time") << "\n"
                                      << context;
  EXPECT_TRUE(left_behind.empty())
      << Tr("{} workers outlived the failed run: reap the workers already started before "
            "exiting",
            left_behind.size())
      << "\n"
      << context;
}

}  // namespace
}  // namespace forklab
