// thread_sum: the CPU-bound sum over threads, timed.
//
// The lesson: in Python the global interpreter lock lets one thread run at a time, so
// threads do not speed up CPU-bound work. C++ has no such lock: K threads on K cores finish
// in about the wall time of one, like K processes.
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/sum.h"

namespace {

// The thread body: the work the lesson measures, then "worker <index> sum <S>" (labkit/sum.h).
// print_worker_sum writes the whole line with one write(2), so lines of concurrent workers
// never interleave.
void worker(unsigned index, uint64_t n) {
  labkit::print_worker_sum(index, labkit::sum_to(n));
}

}  // namespace

int main(int argc, char** argv) {
  unsigned workers = 2;
  uint64_t n = 50'000'000;
  labkit::Options options("thread_sum", "Sum 1..N in K worker threads and time it.");
  options.Integer("--workers", &workers, 1, 256, "Number of worker threads");
  options.Integer("--n", &n, 1, 4'294'967'295, "Each worker sums 1..N");
  options.Parse(argc, argv);

  // A steady clock: the wall clock (system_clock) can jump while we measure.
  auto start = std::chrono::steady_clock::now();

  std::vector<std::thread> threads;
  threads.reserve(workers);  // so emplace_back below cannot throw for lack of memory
  int exit_code = 0;
  for (unsigned i = 0; i < workers; ++i) {
    try {
      // Pass the function and its arguments; the new thread calls it. Writing worker(i, n)
      // here (Python's Thread(target=add())) would run the work in this thread, serially.
      threads.emplace_back(worker, i, n);
    } catch (const std::system_error& error) {
      // Stop starting threads, but still join those already running: a std::thread
      // destroyed while joinable terminates the whole program.
      labkit::print_error("thread", error.code().value());
      exit_code = 1;
      break;
    }
  }

  for (std::thread& thread : threads) thread.join();
  if (exit_code != 0) return exit_code;

  labkit::print_elapsed(std::chrono::steady_clock::now() - start);
  return 0;
}
