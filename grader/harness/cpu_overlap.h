// Whether a program's workers ran side by side, from their own CPU clocks: evidence that a
// busy machine cannot fake. Wall time against CPU time says "parallel" only when the machine
// gives the program two cores; the workers' CPU clocks say at any load whether they made
// progress at the same time (and, when the machine allows, faster than one core can).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

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

  /// Seconds both workers spent ready to run but waiting for a core (schedstat's run delay),
  /// per second while both were progressing: near 1 when the machine gave two workers one
  /// core, near 0 when they took turns by blocking (a lock, an interpreter's lock), which no
  /// load explains. 0 without an overlap.
  double WaitingShare() const;

  /// Seconds into the run at which the last worker's clock last moved. 0 without samples.
  double WorkersEnd() const;

  /// Seconds by which waiting for a core (schedstat's run delay) put off WorkersEnd(): it less
  /// the latest of each worker's last progress minus the run delay it had by then. Waits for a
  /// lock are not run delay, and a worker started after another ended keeps that one's waits,
  /// so neither turns-taking nor serial workers look faster for it. A run on cores of its own
  /// takes about its wall time less this.
  double DelayedByWaits() const;

  /// "workers 0.25 s and 0.24 s of CPU, overlap 97%, 1.62 cores while both ran": for messages.
  std::string Describe() const;

 private:
  /// One thread's clocks as sampled: when its CPU clock first and last moved, and its samples.
  struct Task {
    double first_moved = -1, last_moved = -1;
    long long last_ns = 0;
    std::map<double, long long> ns_at;      // seconds into the run -> CPU ns
    std::map<double, long long> waited_at;  // seconds into the run -> ns waiting for a core
  };
  struct Workers {
    const Task* busiest = nullptr;
    const Task* second = nullptr;
  };
  Workers Busiest() const;
  // The busiest task, and the second when it did a share of the work (kSharedWork).
  std::vector<const Task*> WorkerTasks() const;
  // How much of `clock` (ns_at or waited_at of a task) went by between `from` and `to`
  // (seconds into the run), from its samples.
  static long long Between(const std::map<double, long long>& clock, double from, double to);
  // The span during which both workers progressed: [from, to), empty without an overlap.
  std::pair<double, double> BothProgressed() const;
  // One of a task's clocks (ns_at, waited_at).
  using Clock = std::map<double, long long> Task::*;
  // Nanoseconds of `clock` both workers' added up over BothProgressed(), per second of it.
  double BothPerSecond(Clock clock) const;

  std::map<std::string, Task> tasks_;  // by "PID/TID"
};

}  // namespace forklab
