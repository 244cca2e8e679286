#include "harness/watch.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace forklab {
namespace {

using std::chrono::milliseconds;

SpawnOptions Shell(const std::string& script) {
  SpawnOptions options;
  options.args = {"-c", script};
  return options;
}

std::unique_ptr<Subprocess> StartSleeper() {
  SpawnOptions options;
  options.args = {"100"};
  return Subprocess::Start("/bin/sleep", options);
}

TEST(Eventually, TrueOnceTheConditionHolds) {
  int polls = 0;
  EXPECT_TRUE(Eventually(
      milliseconds(5'000), [&] { return ++polls == 3; }, milliseconds(1)));
  EXPECT_EQ(polls, 3);
}

TEST(Eventually, FalseWhenItNeverHolds) {
  int polls = 0;
  EXPECT_FALSE(Eventually(
      milliseconds(30), [&] { return ++polls < 0; }, milliseconds(5)));
  EXPECT_GE(polls, 2) << "polled at the start and again at the deadline";
}

TEST(Watch, DeliversEveryLineInOrderAndTheExit) {
  auto program = Subprocess::Start("/bin/sh", Shell("echo one; sleep 0.05; echo two; exit 3"));
  std::vector<std::string> lines;
  std::vector<double> stamps;
  int samples = 0;
  Watched watched = Watch(*program, milliseconds(10'000),
                          {.sample = [&](double) { ++samples; },
                           .line =
                               [&](const std::string& line, double at) {
                                 lines.push_back(line);
                                 stamps.push_back(at);
                               }});
  ASSERT_TRUE(watched.status);
  EXPECT_TRUE(watched.status->ExitedWith(3));
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_LE(stamps.front(), stamps.back());
  EXPECT_LE(stamps.back(), watched.ended_at);
  EXPECT_GE(samples, 1) << "a final sample after the exit";
}

TEST(Watch, DeliversLinesPrintedJustBeforeTheExit) {
  auto program = Subprocess::Start("/bin/sh", Shell("echo a; echo b; echo c"));
  std::vector<std::string> lines;
  Watched watched =
      Watch(*program, milliseconds(10'000),
            {.line = [&](const std::string& line, double) { lines.push_back(line); }});
  ASSERT_TRUE(watched.status);
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Watch, StopsAtTheLimitAndLeavesTheProgramRunning) {
  auto program = StartSleeper();
  int samples = 0;
  Watched watched =
      Watch(*program, milliseconds(60), {.sample = [&](double) { ++samples; }}, milliseconds(5));
  EXPECT_FALSE(watched.status);
  EXPECT_GE(samples, 2);
  EXPECT_FALSE(program->Wait(milliseconds(0))) << "the caller decides what to do with it";
  program->KillTree();
}

TEST(Watch, EndsWhenTheWatcherHasItsVerdict) {
  auto program = StartSleeper();
  int asked = 0;
  Watched watched = Watch(*program, milliseconds(60'000),
                          {.until = [&](double) { return ++asked == 3; }}, milliseconds(5));
  EXPECT_FALSE(watched.status);
  EXPECT_EQ(asked, 3) << "asked after each sample until it held";
  EXPECT_FALSE(program->Wait(milliseconds(0))) << "the caller decides what to do with it";
  program->KillTree();
}

}  // namespace
}  // namespace forklab
