// fork_sum: the CPU-bound sum over worker processes, timed.
// The contract is in labs/README.md; the lesson and the task in labs/fork_sum/README.md.
#include <chrono>
#include <cstdint>

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

  // TODO(lesson: 计算密集应用，多进程可以提升效率): note the start time with
  //   std::chrono::steady_clock (it never jumps, unlike the wall clock).
  // TODO: fork `workers` children. Child i does the work, labkit::sum_to(n) (1 + 2 + ... + n,
  //   one addition at a time), prints its line with labkit::print_worker_sum(i, sum)
  //   ("worker <i> sum <S>"), and ends with _exit(0) so it never returns into the fork loop.
  //   (Both are in labkit/sum.h.)
  // TODO: the parent only forks, then waits for every child it started (waitpid, retry on
  //   EINTR). If a fork fails: labkit::print_error("fork", errno), reap the workers already
  //   started, and return 1.
  // TODO: print "elapsed <seconds>" once, after all workers are reaped:
  //   labkit::print_elapsed(std::chrono::steady_clock::now() - start).
  labkit::not_implemented();
}
