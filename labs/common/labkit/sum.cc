#include "labkit/sum.h"

#include <charconv>

#include "labkit/output.h"

namespace labkit {

// The empty asm statement claims to read and change `sum`, so the compiler can no longer
// prove what the loop computes and must run every iteration: without it, GCC and Clang
// replace the loop by n*(n+1)/2 and the work the lesson measures disappears. Unlike a
// volatile variable, it keeps `sum` in a register.
uint64_t sum_to(uint64_t n) {
  uint64_t sum = 0;
  for (uint64_t i = 1; i <= n; ++i) {
    sum += i;
    asm volatile("" : "+r"(sum));
  }
  return sum;
}

std::string format_seconds(std::chrono::duration<double> elapsed) {
  char text[32];
  char* end =
      std::to_chars(text, text + sizeof text, elapsed.count(), std::chars_format::fixed, 3).ptr;
  return std::string(text, end);
}

void print_worker_sum(unsigned index, uint64_t sum) {
  print_line("worker " + std::to_string(index) + " sum " + std::to_string(sum));
}

void print_elapsed(std::chrono::duration<double> elapsed) {
  print_line("elapsed " + format_seconds(elapsed));
}

}  // namespace labkit
