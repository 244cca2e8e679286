// How long one run of a sum may take, as the contract states it (labs/README.md, "Sums").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace forklab {

/// The contract's limit on one run of fork_sum / thread_sum: starting and exiting take at most
/// kStartup, and starting, waiting for and ending each worker kPerWorker (a forked Python
/// interpreter is slow to start); the work at most ten times what it takes at the program's own
/// pace, which its run with one worker and N = kPaceN showed (wall time, start-up included, so
/// the pace errs slow and the limit long: a Python sum gets its own). Never more than a minute,
/// the limit before there was a contract's.
class SumRunLimit {
 public:
  static constexpr std::chrono::seconds kStartup{5};
  static constexpr std::chrono::milliseconds kPerWorker{200};
  static constexpr uint64_t kPaceN = uint64_t{1} << 20;

  /// `pace_run`: the wall time of the program's run with --workers 1 --n kPaceN.
  explicit SumRunLimit(std::chrono::duration<double> pace_run);

  /// The limit on a run with `workers` workers each summing 1..`n`, counted as if one after
  /// the other: the machine may have fewer cores than workers, and a busy one fewer still.
  std::chrono::milliseconds For(uint64_t workers, uint64_t n) const;

 private:
  double seconds_per_addition_;
};

/// What a run still going `waited` after its start failed to do.
std::string NoResultAfter(std::chrono::duration<double> waited);

}  // namespace forklab
