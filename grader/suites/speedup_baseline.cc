// The sums' speedup baseline in the student edition, which has no reference: what this
// machine's cores give in parallel. `--workers K --n N` spins K threads, each through N steps
// of busy work that the compiler cannot fold away, and prints nothing: it solves no lab. The
// speedup check times it exactly as it times the program under test (SumSpeedup.*).
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

void Spin(uint64_t steps) {
  uint64_t state = 0;
  for (uint64_t step = 0; step < steps; ++step) {
    state = state * 6364136223846793005u + step;
    asm volatile("" : "+r"(state));  // opaque: every step is really done
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t workers = 2, steps = 50'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    uint64_t value = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--workers")
      workers = value;
    else if (flag == "--n")
      steps = value;
  }
  if (workers < 1 || workers > 256 || argc % 2 == 0) {
    std::cerr << "usage: speedup_baseline [--workers K (1..256)] [--n N]\n";
    return 2;
  }
  std::vector<std::thread> threads;
  for (uint64_t worker = 0; worker < workers; ++worker) threads.emplace_back(Spin, steps);
  for (std::thread& thread : threads) thread.join();
  return 0;
}
