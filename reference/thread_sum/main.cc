// thread_sum: the CPU-bound sum over threads, timed.
//
// The lesson: in Python the global interpreter lock lets one thread run at a time, so
// threads do not speed up CPU-bound work. C++ has no such lock: K threads on K cores finish
// in about the wall time of one, like K processes.
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
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

// The thread body. print_line writes the whole line with one write(2), so lines of
// concurrent workers never interleave.
void worker(unsigned index, uint64_t n) {
  labkit::print_line("worker " + std::to_string(index) + " sum " + std::to_string(sum_to(n)));
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

  labkit::print_line("elapsed " + format_seconds(std::chrono::steady_clock::now() - start));
  return 0;
}
