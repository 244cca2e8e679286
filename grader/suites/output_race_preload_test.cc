// The output race preload: an unlocked std::cout << chain from several threads interleaves
// every time under it, and a chain held under a mutex never does (correct programs print as
// before). The test runs itself as the program, with and without a lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness/subprocess.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

// The program: 8 threads, each printing 20 lines "thread N line M" as a chain of 4 pieces.
int PrintChains(bool locked) {
  std::mutex cout_lock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int line = 0; line < 20; ++line) {
        std::unique_lock lock(cout_lock, std::defer_lock);
        if (locked) lock.lock();
        std::cout << "thread " << t << " line " << line << std::endl;
      }
    });
  for (std::thread& thread : threads) thread.join();
  return 0;
}

int MalformedLines(bool locked) {
  SpawnOptions options;
  options.args = {locked ? "--print-locked" : "--print-unlocked"};
  options.env["LD_PRELOAD"] = build_paths::kOutputRacePreload;
  RunResult run = Run(std::filesystem::read_symlink("/proc/self/exe").string(), options,
                      std::chrono::seconds(60));
  EXPECT_TRUE(run.status && run.status->ExitedWith(0)) << run.err;
  static const std::regex whole(R"(^thread \d line \d{1,2}$)");
  int malformed = 0;
  for (const std::string& line : run.Lines()) malformed += !std::regex_match(line, whole);
  EXPECT_GE(run.Lines().size(), 100u);
  return malformed;
}

TEST(OutputRacePreload, UnlockedChainsInterleaveEveryTime) {
  EXPECT_GT(MalformedLines(/*locked=*/false), 0);
}

TEST(OutputRacePreload, ChainsUnderALockStayWhole) {
  EXPECT_EQ(MalformedLines(/*locked=*/true), 0);
}

}  // namespace
}  // namespace forklab

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--print-unlocked") return forklab::PrintChains(false);
  if (argc == 2 && std::string(argv[1]) == "--print-locked") return forklab::PrintChains(true);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
