// Whether a program's workers ran side by side, from their own CPU clocks: evidence that a
// busy machine cannot fake. Wall time against CPU time says "parallel" only when the machine
// gives the program two cores; the workers' CPU clocks say at any load whether they made
// progress at the same time (and, when the machine allows, faster than one core can).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace forklab {

/// Samples the CPU clock (/proc/PID/task/TID/schedstat) of every thread of a process tree,
/// and judges the two busiest: the workers. Call Sample() about every 10 ms while the program
/// runs (Watch's sample) and once after. Not thread-safe.
class CpuOverlap {
 public:
  /// Reads every thread of `root` and its descendants, `at` seconds into the run.
  void Sample(pid_t root, double at);

  /// The share of the shorter worker's progress span (first to last sample its clock moved)
  /// during which the other was progressing too: 0 one after the other, 1 side by side. 0
  /// when the work was not shared (the second worker used under a quarter of the first's CPU).
  double Overlap() const;

  /// CPU seconds both workers used per second while both were progressing: above 1, they
  /// ran on two cores at once; at most 1 on a machine that gave them one core, or when a lock
  /// made them take turns. 0 without an overlap.
  double ParallelRate() const;

  /// "workers 0.25 s and 0.24 s of CPU, overlap 97%, 1.62 cores while both ran": for messages.
  std::string Describe() const;

 private:
  /// One thread's clock as sampled: when it first and last moved, and its samples.
  struct Task {
    double first_moved = -1, last_moved = -1;
    long long last_ns = 0;
    std::map<double, long long> ns_at;  // seconds into the run -> CPU ns
  };
  struct Workers {
    const Task* busiest = nullptr;
    const Task* second = nullptr;
  };
  Workers Busiest() const;
  // CPU ns `task` used between `from` and `to` (seconds into the run), from its samples.
  static long long UsedBetween(const Task& task, double from, double to);

  std::map<std::string, Task> tasks_;  // by "PID/TID"
};

}  // namespace forklab
