// fork_sum: the CPU-bound sum over worker processes, timed.
// The contract is in labs/README.md; the lesson and the task in labs/fork_sum/README.md.
#include <cstdint>

#include "labkit/options.h"
#include "labkit/output.h"

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

  // TODO(lesson: 计算密集应用，多进程可以提升效率): note the start time with
  //   std::chrono::steady_clock (it never jumps, unlike the wall clock).
  // TODO: fork `workers` children. Child i sums 1 + 2 + ... + n in a uint64_t loop, prints
  //   "worker <i> sum <S>" with labkit::print_line, and ends with _exit(0) so it never returns
  //   into the fork loop. The loop is the work being measured: the compiler may replace it by
  //   n*(n+1)/2 unless you stop it (look up an empty `asm volatile` with a "+r" operand).
  // TODO: the parent only forks, then waits for every child it started (waitpid, retry on
  //   EINTR). If a fork fails: labkit::print_error("fork", errno), reap the workers already
  //   started, and return 1.
  // TODO: print "elapsed <seconds>" with three decimals, once, after all workers are reaped.
  labkit::not_implemented();
}
