// thread_sum: the CPU-bound sum over worker threads, timed.
// The contract is in labs/README.md; the lesson and the task in labs/thread_sum/README.md.
#include <cstdint>

#include "labkit/options.h"
#include "labkit/output.h"

int main(int argc, char** argv) {
  CLI::App app{"Sum 1..N in K worker threads and time it.", "thread_sum"};
  unsigned workers = 2;
  uint64_t n = 50'000'000;
  app.add_option("--workers", workers, "Number of worker threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--n", n, "Each worker sums 1..N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{4'294'967'295}))
      ->capture_default_str();
  labkit::parse_or_exit(app, argc, argv);

  // TODO(lesson: GIL; C++ has none, so threads scale like processes): note the start time
  //   with std::chrono::steady_clock (it never jumps, unlike the wall clock).
  // TODO: write the worker function: sum 1 + 2 + ... + n in a uint64_t loop, then print
  //   "worker <i> sum <S>" with labkit::print_line (one write(2), so threads never interleave
  //   within a line). The loop is the work being measured: the compiler may replace it by
  //   n*(n+1)/2 unless you stop it (look up an empty `asm volatile` with a "+r" operand).
  // TODO: start `workers` std::threads, passing the function and its arguments:
  //   std::thread(worker, i, n). The lesson's pitfall is Thread(target=add()): that calls
  //   add in the main thread and hands its result to the thread, so the work runs serially.
  //   If creating a thread throws std::system_error, print the error, join the threads
  //   already started, and return 1.
  // TODO: join every thread, then print "elapsed <seconds>" with three decimals, once.
  labkit::not_implemented();
}
