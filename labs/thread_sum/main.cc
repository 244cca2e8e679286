// thread_sum: the CPU-bound sum over worker threads, timed.
// The contract is in labs/README.md; the lesson and the task in labs/thread_sum/README.md.
#include <chrono>
#include <cstdint>
#include <thread>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/sum.h"

int main(int argc, char** argv) {
  unsigned workers = 2;
  uint64_t n = 50'000'000;
  labkit::Options options("thread_sum", "Sum 1..N in K worker threads and time it.");
  options.Integer("--workers", &workers, 1, 256, "Number of worker threads");
  options.Integer("--n", &n, 1, 4'294'967'295, "Each worker sums 1..N");
  options.Parse(argc, argv);

  // TODO(lesson: GIL; C++ has none, so threads scale like processes): note the start time
  //   with std::chrono::steady_clock (it never jumps, unlike the wall clock).
  // TODO: write the worker function: it does the work, labkit::sum_to(n) (1 + 2 + ... + n,
  //   one addition at a time), then prints labkit::print_worker_sum(i, sum) ("worker <i> sum
  //   <S>", one write(2), so threads never interleave within a line). (Both are in
  //   labkit/sum.h.)
  // TODO: start `workers` std::threads, passing the function and its arguments:
  //   std::thread(worker, i, n). The lesson's pitfall is Thread(target=add()): that calls
  //   add in the main thread and hands its result to the thread, so the work runs serially.
  //   If creating a thread throws std::system_error, print the error, join the threads
  //   already started, and return 1.
  // TODO: join every thread, then print "elapsed <seconds>" once:
  //   labkit::print_elapsed(std::chrono::steady_clock::now() - start).
  labkit::not_implemented();
}
