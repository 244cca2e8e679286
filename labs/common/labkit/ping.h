// One ping, run from a thread of a sweep: a child process that execs the ping command, and the
// thread waiting for that child. It is not the lesson of the thread sweeps, which is the thread
// body: a function or a functor.
#pragma once

#include <string>
#include <vector>

namespace labkit {

/// How one host's ping ended.
enum class PingResult {
  kUp,     // the ping command exited 0
  kDown,   // it exited with another status, or was killed
  kError,  // it could not run (no process could be started, or exec failed); the reason is
           // already on stderr
};

/// Runs `command` with `host` appended in a child process whose stdout and stderr go to
/// `dev_null`, and waits for that child only: waitpid(pid), never waitpid(-1), which could
/// steal another thread's child. The child is started with posix_spawnp, retried a few times,
/// backing off, while it fails with EAGAIN. On kError, "<program>: HOST: <what>: <reason>" is
/// on stderr; the caller prints the host's line. Safe to call from many threads at once.
PingResult run_ping(const std::vector<std::string>& command, const std::string& host, int dev_null);

}  // namespace labkit
