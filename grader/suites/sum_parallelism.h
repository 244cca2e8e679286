// What a sum run's workers did, side by side or in turn, judged from their CPU clocks
// (harness/cpu_overlap.h): the evidence the sums' timing checks score by when load hides
// parallelism from the wall clock. Serial workers never look parallel, at any load.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/cpu_overlap.h"
#include "harness/subprocess.h"

namespace forklab {

/// What one run's workers' clocks showed.
enum class Parallelism {
  kParallel,   // both progressed at once, faster than one core can: two cores at once
  kSerial,     // one after the other, or the work in one task: at any load, not parallel
  kUndecided,  // they overlapped but got one core's worth: a busy machine, or a lock
};

/// One run, with its workers' CPU clocks sampled all along.
struct WatchedRun {
  RunResult result;
  CpuOverlap clocks;

  Parallelism Judged() const;

  /// The wall time less what the workers' waits for a core put off their end
  /// (CpuOverlap::DelayedByWaits): about what the run takes on cores of its own. Load
  /// stretches the wall time, not this; and this is never shorter than the work takes one
  /// worker after another, or in turns on a lock.
  std::chrono::duration<double> UnloadedWall() const;
};

/// Runs `exe` with `args` (confined as every program: ProgramOptions), sampling the CPU clock
/// of each of its threads and processes every 5 ms, killing it after `limit`.
WatchedRun RunWatchingWorkers(const std::string& exe, const std::vector<std::string>& args,
                              std::chrono::milliseconds limit);

}  // namespace forklab
