// Watching a program while it runs: the one way every suite waits for something to happen.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "harness/subprocess.h"

namespace forklab {

/// Polls `condition` every `period` until it holds or `timeout` passes. Returns whether it
/// held; the last poll is made at the deadline, so a condition met just in time counts.
bool Eventually(std::chrono::milliseconds timeout, const std::function<bool()>& condition,
                std::chrono::milliseconds period = std::chrono::milliseconds(10));

/// What a watcher does while the program runs. All are optional; times are seconds since
/// the watch began.
struct Observer {
  /// Called about every `period` while the program runs, and once after it has exited.
  std::function<void(double at)> sample = nullptr;
  /// Called with each complete stdout line as it arrives (lines are then consumed, as by
  /// Subprocess::ReadLine). Without it, stdout is only captured.
  std::function<void(const std::string& line, double at)> line = nullptr;
  /// Asked after each sample while the program runs: true ends the watch there, the program
  /// still running, because the watcher already has its verdict.
  std::function<bool(double at)> until = nullptr;
};

/// How a watch ended.
struct Watched {
  std::optional<ExitStatus> status;  // nullopt: still running at the limit, or `until` held
  double ended_at = 0;  // seconds since the watch began: the exit, the limit, or `until`
};

/// Watches `program` until it exits, `limit` passes or `observer.until` holds, calling
/// `observer` meanwhile about every `period`. Lines still buffered when the program exits are
/// delivered before the final sample. The program is left as it is: the caller kills it if it
/// wants.
Watched Watch(Subprocess& program, std::chrono::milliseconds limit, const Observer& observer,
              std::chrono::milliseconds period = std::chrono::milliseconds(10));

}  // namespace forklab
