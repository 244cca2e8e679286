// Recording what a check's programs do over time, for the report's process timeline.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "sandbox/protocol.h"

namespace forklab {

/// Samples the calling process's descendants (the programs a check starts, and every process
/// they create) from /proc every `period`, on a thread of its own, from construction until
/// Stop(): which processes exist, when each exits (a zombie) and is reaped, their threads,
/// and with `count_connections` their connected TCP sockets. It only reads /proc: the
/// programs see nothing of it. One recorder at a time per process.
class TimelineRecorder {
 public:
  explicit TimelineRecorder(std::chrono::milliseconds period = std::chrono::milliseconds(5),
                            bool count_connections = false);
  ~TimelineRecorder();
  TimelineRecorder(const TimelineRecorder&) = delete;
  TimelineRecorder& operator=(const TimelineRecorder&) = delete;

  /// Ends the recording (after one last sample) and returns it. Once only.
  ProcessTimeline Stop();

  /// Marks `text` at this moment on the recording in progress, if there is one: what the
  /// harness did to the program (a fault switched on). Callable from any thread.
  static void Mark(const std::string& text);

  struct State;  // the sampler's, defined in timeline.cc

 private:
  std::unique_ptr<State> state_;
};

}  // namespace forklab
