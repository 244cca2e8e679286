// fork_sum: CPU-bound work split over worker processes, timed.
//
// The lesson: each worker is a separate process with its own CPU time, so K workers on K
// cores finish in about the wall time of one.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"

namespace {

// 1 + 2 + ... + n, one addition at a time. The empty asm statement claims to read and
// change `sum`, so the compiler can no longer prove what the loop computes and must run
// every iteration: without it, GCC and Clang replace the loop by n*(n+1)/2 and the work
// the lesson measures disappears. Unlike a volatile variable, it keeps `sum` in a register.
uint64_t sum_to(uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t i = 1; i <= n; ++i) {
    sum += i;
    asm volatile("" : "+r"(sum));
  }
  return sum;
}

// Seconds with three decimals, e.g. "0.412".
std::string format_seconds(std::chrono::duration<double> elapsed) {
  char text[32];
  char* end =
      std::to_chars(text, text + sizeof text, elapsed.count(), std::chars_format::fixed, 3).ptr;
  return std::string(text, end);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sum 1..N in K worker processes and time it.", "fork_sum"};
  unsigned workers = 2;
  uint64_t n = 50'000'000;
  app.add_option("--workers", workers, "Number of worker processes")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--n", n, "Each worker sums 1..N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{4'294'967'295}))
      ->capture_default_str();
  labkit::parse_or_exit(app, argc, argv);

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
      labkit::print_line("worker " + std::to_string(i) + " sum " + std::to_string(sum_to(n)));
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

  labkit::print_line("elapsed " + format_seconds(std::chrono::steady_clock::now() - start));
  return 0;
}
