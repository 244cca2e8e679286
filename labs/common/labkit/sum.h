// The sum labs' work and their output lines: the same whether the workers are processes or
// threads, which is the lesson.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace labkit {

/// 1 + 2 + ... + n, one addition at a time: the CPU-bound work the sum labs measure. The
/// compiler is kept from replacing the loop by n*(n+1)/2, so the time grows with n.
uint64_t sum_to(uint64_t n);

/// Seconds with three decimals, e.g. "0.412".
std::string format_seconds(std::chrono::duration<double> elapsed);

/// Prints "worker <index> sum <sum>" with print_line (one write(2): concurrent workers'
/// lines never interleave).
void print_worker_sum(unsigned index, uint64_t sum);

/// Prints "elapsed <seconds>", seconds as format_seconds writes them.
void print_elapsed(std::chrono::duration<double> elapsed);

}  // namespace labkit
