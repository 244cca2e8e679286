#include "harness/cpu_overlap.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace forklab {
namespace {

double ThreadCpuSeconds() {
  timespec used{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
  return static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) / 1e9;
}

// Burns `seconds` of this thread's own CPU, however long the machine takes to give it.
void Burn(double seconds) {
  while (ThreadCpuSeconds() < seconds) {
  }
}

constexpr double kWorkersCpu = 2 * 0.15;  // what Observe's two workers burn in all

// Keeps the calling process on the first core.
bool OnFirstCore() {
  cpu_set_t first_core;
  CPU_ZERO(&first_core);
  CPU_SET(0, &first_core);
  return sched_setaffinity(0, sizeof first_core, &first_core) == 0;
}

// Samples a child that runs two workers, side by side or one after the other, until it exits.
// `one_core`: the child and its workers may run on the first core only; `hogged`: a busy loop
// shares that core with them meanwhile.
CpuOverlap Observe(bool side_by_side, bool one_core = false, bool hogged = false) {
  pid_t hog = -1;
  if (hogged) {
    hog = fork();
    if (hog == 0) {
      if (!OnFirstCore()) _exit(1);
      for (;;) {
      }
    }
  }
  pid_t child = fork();
  if (child == 0) {
    if (one_core && !OnFirstCore()) _exit(1);
    if (side_by_side) {
      std::thread first(Burn, 0.15), second(Burn, 0.15);
      first.join();
      second.join();
    } else {
      std::thread(Burn, 0.15).join();
      std::thread(Burn, 0.15).join();
    }
    _exit(0);
  }
  CpuOverlap overlap;
  auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    overlap.Sample(child,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (hog > 0) {
    kill(hog, SIGKILL);
    waitpid(hog, nullptr, 0);
  }
  return overlap;
}

// Load changes how fast the workers go, not whether their clocks move together, so these
// hold on a busy machine too.
TEST(CpuOverlap, WorkersSideBySideOverlap) {
  CpuOverlap overlap = Observe(/*side_by_side=*/true);
  EXPECT_GT(overlap.Overlap(), 0.5) << overlap.Describe();
  EXPECT_GT(overlap.ParallelRate(), 0) << overlap.Describe();
}

// Two workers given one core overlap at one core's rate, each ready to run half the time:
// the machine's doing, which the waiting says (a lock would leave them blocked instead).
TEST(CpuOverlap, WorkersSharingOneCoreWaitForIt) {
  CpuOverlap overlap = Observe(/*side_by_side=*/true, /*one_core=*/true);
  EXPECT_GT(overlap.Overlap(), 0.5) << overlap.Describe();
  EXPECT_LT(overlap.ParallelRate(), 1.15) << overlap.Describe();
  EXPECT_GT(overlap.WaitingShare(), 0.5) << overlap.Describe();
}

// Taking out what waiting for the core put off, the workers end in about one worker's CPU
// time, as they would on cores of their own.
TEST(CpuOverlap, WaitsForACoreAreWhatDelayedTheirEnd) {
  CpuOverlap overlap = Observe(/*side_by_side=*/true, /*one_core=*/true);
  EXPECT_GT(overlap.WorkersEnd(), 0.9 * kWorkersCpu) << overlap.Describe();
  EXPECT_LT(overlap.WorkersEnd() - overlap.DelayedByWaits(), 0.8 * kWorkersCpu)
      << overlap.Describe();
}

// Workers one after the other on a core they share with a busy loop wait for it half the
// time, yet taking their waits out never ends them sooner than all their CPU time: the second
// started only once the first, waits and all, had ended.
TEST(CpuOverlap, SerialWorkersKeepEachOthersWaits) {
  CpuOverlap overlap = Observe(/*side_by_side=*/false, /*one_core=*/true, /*hogged=*/true);
  EXPECT_GT(overlap.WorkersEnd(), 1.5 * kWorkersCpu) << overlap.Describe();
  EXPECT_GT(overlap.WorkersEnd() - overlap.DelayedByWaits(), 0.9 * kWorkersCpu)
      << overlap.Describe();
}

TEST(CpuOverlap, WorkersOneAfterTheOtherDoNot) {
  CpuOverlap overlap = Observe(/*side_by_side=*/false);
  EXPECT_LT(overlap.Overlap(), 0.2) << overlap.Describe();
}

TEST(CpuOverlap, OneBusyThreadIsNoSharedWork) {
  CpuOverlap overlap;
  overlap.Sample(getpid(), 0);
  Burn(ThreadCpuSeconds() + 0.05);
  overlap.Sample(getpid(), 0.1);
  EXPECT_EQ(overlap.Overlap(), 0) << overlap.Describe();
  EXPECT_EQ(overlap.ParallelRate(), 0);
  EXPECT_EQ(overlap.WaitingShare(), 0);
}

}  // namespace
}  // namespace forklab
