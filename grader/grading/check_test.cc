#include "grading/check.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/proc.h"
#include "harness/watch.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;

// Several checks run at once; an interrupt must reach every one of their sandboxes. The
// "sandbox" here is a script that only waits, so the test needs no namespaces.
TEST(Check, AnInterruptStopsEveryRunningSandbox) {
  std::filesystem::path sandbox = std::filesystem::temp_directory_path() /
                                  ("forklab-check-test-" + std::to_string(getpid()) + ".sh");
  std::ofstream(sandbox) << "#!/bin/sh\nexec sleep 300\n";
  chmod(sandbox.c_str(), 0700);
  constexpr int kRuns = 3;
  std::vector<SandboxRun> runs(kRuns);
  std::atomic<int> returned{0};
  std::vector<std::thread> threads;
  for (SandboxRun& run : runs)
    threads.emplace_back([&] {
      run = RunSandbox(sandbox.string(), {}, {}, 300s);
      ++returned;
    });
  bool all_running = Eventually(10s, [] { return LiveChildrenOf(getpid()).size() == kRuns; });
  // Again until all return: a sandbox just started may not be registered yet. One running
  // sandbox that an interrupt cannot reach would hold its run for the whole 300 s.
  bool all_stopped = Eventually(10s, [&] {
    InterruptRunningChecks();
    return returned == kRuns;
  });
  if (!all_stopped) KillDescendants();  // do not leave the test hanging on the 300 s
  for (std::thread& thread : threads) thread.join();
  std::filesystem::remove(sandbox);
  EXPECT_TRUE(all_running) << "the sandboxes did not all start";
  EXPECT_TRUE(all_stopped) << "an interrupt did not reach every running sandbox";
  for (const SandboxRun& run : runs)
    EXPECT_NE(run.failure.find("SIGTERM"), std::string::npos) << run.failure;
}

TEST(Check, ReplayCommandRunsThatCheckAlone) {
  RubricEntry entry;
  entry.test = "EchoServer.SigtermExitsCleanly";
  entry.suite = "/b/grader/echo_server_suite";
  Target target{"fork_echo_server", "/home/al ice/it's/server", {}, {}};
  EXPECT_EQ(ReplayCommand(entry, target),
            "/b/grader/echo_server_suite --exe '/home/al ice/it'\\''s/server' --lab "
            "fork_echo_server --gtest_filter=EchoServer.SigtermExitsCleanly");
}

TEST(Check, FailuresAreInPlainWords) {
  EXPECT_EQ(PlainFailure("../s/ping_threads.cc:73\nValue of: run.timed_out()\n  Actual: true\n"
                         "Expected: false\nafter 30.1 s, 84 of 254 hosts reported\n"
                         "Google Test trace:\n../s/ping_threads.cc:67: round 1\n"),
            "after 30.1 s, 84 of 254 hosts reported\nwhile checking round 1");
  EXPECT_EQ(PlainFailure("a.cc:3\nValue of: ok\n  Actual: false\nExpected: true\n"),
            "ok was false, expected true");
}

}  // namespace
}  // namespace forklab
