// fork_sum: CPU-bound work split over worker processes, timed.
//
// The lesson: each worker is a separate process with its own CPU time, so K workers on K
// cores finish in about the wall time of one.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/sum.h"

int main(int argc, char** argv) {
  unsigned workers = 2;
  uint64_t n = 50'000'000;
  labkit::Options options("fork_sum", "Sum 1..N in K worker processes and time it.");
  options.Integer("--workers", &workers, 1, 256, "Number of worker processes");
  options.Integer("--n", &n, 1, 4'294'967'295, "Each worker sums 1..N");
  options.Parse(argc, argv);

  // A steady clock: the wall clock (system_clock) can jump while we measure.
  auto start = std::chrono::steady_clock::now();

  std::vector<pid_t> started;
  started.reserve(workers);  // so push_back cannot throw and lose a running worker's pid
  int exit_code = 0;
  for (unsigned i = 0; i < workers; ++i) {
    pid_t pid = fork();
    if (pid == -1) {
      // Stop starting workers, but still reap those already running: none is left behind.
      labkit::print_error("fork", errno);
      exit_code = 1;
      break;
    }
    if (pid == 0) {
      // The work the lesson measures, then "worker <i> sum <S>" (labkit/sum.h).
      labkit::print_worker_sum(i, labkit::sum_to(n));
      // _exit: the child must not return into the fork loop, and must not run the parent's
      // atexit handlers or flush stdio buffers it inherited.
      _exit(0);
    }
    started.push_back(pid);
  }

  // The parent waits for every worker it started, retrying when a signal interrupts the
  // wait (EINTR). Worker i is started[i].
  for (size_t i = 0; i < started.size(); ++i) {
    int wait_status = 0;
    pid_t reaped;
    do {
      reaped = waitpid(started[i], &wait_status, 0);
    } while (reaped == -1 && errno == EINTR);
    if (reaped == -1) {
      labkit::print_error("waitpid", errno);
      exit_code = 1;
    } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
      labkit::print_message("worker " + std::to_string(i) + " (pid " + std::to_string(reaped) +
                            ") did not exit 0");
      exit_code = 1;
    }
  }
  if (exit_code != 0) return exit_code;

  labkit::print_elapsed(std::chrono::steady_clock::now() - start);
  return 0;
}
