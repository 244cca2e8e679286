#include "harness/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "harness/no_leftovers_test.h"
#include "harness/proc.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Generous: these bound a wait that normally ends at once; they are never asserted on.
constexpr milliseconds kPatience = seconds(20);

SpawnOptions Args(std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  return options;
}

SpawnOptions Shell(const std::string& script) {
  return Args({"-c", script});
}

bool Gone(pid_t pid) {
  return !ReadProcStat(pid).has_value();
}

pid_t ParsePid(const std::optional<std::string>& line) {
  EXPECT_TRUE(line.has_value());
  return line ? std::stoi(*line) : -1;
}

class SubprocessTest : public NoLeftoversTest {};

TEST(ExitStatusTest, DescribesExitsAndSignals) {
  EXPECT_EQ(ExitStatus{.code = 3}.Describe(), "exit 3");
  EXPECT_EQ(ExitStatus{.code = 0}.Describe(), "exit 0");
  EXPECT_EQ((ExitStatus{.signaled = true, .signal = SIGSEGV}.Describe()),
            "killed by SIGSEGV (signal 11)");
  EXPECT_EQ((ExitStatus{.signaled = true, .signal = SIGKILL}.Describe()),
            "killed by SIGKILL (signal 9)");
  EXPECT_TRUE(ExitStatus{.code = 7}.ExitedWith(7));
  EXPECT_FALSE((ExitStatus{.signaled = true, .signal = 7}.ExitedWith(7)));
}

TEST(SplitLinesTest, KeepsAFinalUnterminatedLine) {
  EXPECT_EQ(SplitLines(""), std::vector<std::string>{});
  EXPECT_EQ(SplitLines("a\n"), std::vector<std::string>{"a"});
  EXPECT_EQ(SplitLines("a\n\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(SplitLines("\n"), std::vector<std::string>{""});
}

TEST_F(SubprocessTest, RunCapturesLinesAndExitCode) {
  RunResult result =
      forklab::Run("/bin/sh", Shell("echo hi; echo there; echo oops >&2; exit 7"), kPatience);
  ASSERT_FALSE(result.timed_out());
  EXPECT_TRUE(result.status->ExitedWith(7)) << result.status->Describe();
  EXPECT_EQ(result.status->Describe(), "exit 7");
  EXPECT_EQ(result.Lines(), (std::vector<std::string>{"hi", "there"}));
  EXPECT_EQ(result.err, "oops\n");
}

TEST_F(SubprocessTest, RunReportsDeathBySignal) {
  RunResult result = forklab::Run("/bin/sh", Shell("kill -SEGV $$"), kPatience);
  ASSERT_FALSE(result.timed_out());
  EXPECT_TRUE(result.status->signaled);
  EXPECT_EQ(result.status->signal, SIGSEGV);
  EXPECT_FALSE(result.status->ExitedWith(0));
  EXPECT_EQ(result.status->Describe(), "killed by SIGSEGV (signal 11)");
}

TEST_F(SubprocessTest, RunKillsTheTreeAtTheTimeout) {
  // The shell prints its own pid and its background child's, then waits forever.
  RunResult result =
      forklab::Run("/bin/sh", Shell("sleep 100 & echo $$; echo $!; wait"), milliseconds(300));
  EXPECT_TRUE(result.timed_out());
  std::vector<std::string> pids = result.Lines();
  ASSERT_EQ(pids.size(), 2u) << result.out;
  EXPECT_TRUE(Gone(std::stoi(pids[0])));
  EXPECT_TRUE(Gone(std::stoi(pids[1])));
}

TEST_F(SubprocessTest, StartsInItsOwnProcessGroup) {
  auto child = Subprocess::Start("/bin/sleep", Args({"100"}));
  std::optional<ProcStat> stat = ReadProcStat(child->pid());
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->pgid, child->pid());
  EXPECT_NE(stat->pgid, getpgrp());
  EXPECT_EQ(Cmdline(child->pid()), (std::vector<std::string>{"/bin/sleep", "100"}));
}

TEST_F(SubprocessTest, SetsAndUnsetsEnvironmentVariables) {
  setenv("FORKLAB_TEST_INHERITED", "kept", 1);
  setenv("FORKLAB_TEST_REMOVED", "present", 1);
  SpawnOptions options = Shell(
      "echo \"$FORKLAB_TEST_INHERITED\" \"$FORKLAB_TEST_SET\" "
      "\"${FORKLAB_TEST_REMOVED-unset}\"");
  options.env = {{"FORKLAB_TEST_SET", "new value"}};
  options.unset_env = {"FORKLAB_TEST_REMOVED"};
  RunResult result = forklab::Run("/bin/sh", options, kPatience);
  unsetenv("FORKLAB_TEST_INHERITED");
  unsetenv("FORKLAB_TEST_REMOVED");
  EXPECT_EQ(result.out, "kept new value unset\n");
}

TEST_F(SubprocessTest, ChildStartsWithDefaultSignalDispositions) {
  // A grader that ignores SIGPIPE must not pass that on to the program under test.
  sighandler_t previous = signal(SIGPIPE, SIG_IGN);
  RunResult result = forklab::Run("/bin/cat", Args({"/proc/self/status"}), kPatience);
  signal(SIGPIPE, previous);
  std::vector<std::string> lines = result.Lines();
  EXPECT_NE(std::find(lines.begin(), lines.end(), "SigIgn:\t0000000000000000"), lines.end())
      << result.out;
  EXPECT_NE(std::find(lines.begin(), lines.end(), "SigBlk:\t0000000000000000"), lines.end())
      << result.out;
}

TEST_F(SubprocessTest, StartThrowsWhenTheProgramCannotRun) {
  EXPECT_THROW(Subprocess::Start("/nonexistent/program", {}), std::runtime_error);
  EXPECT_THROW(Subprocess::Start("/etc/hostname", {}), std::runtime_error);  // not executable
  try {
    Subprocess::Start("/nonexistent/program", {});
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/program"), std::string::npos);
  }
  // The failed children were reaped, not left as zombies.
  EXPECT_TRUE(ZombieChildrenOf(getpid()).empty());
}

TEST_F(SubprocessTest, ReadLineSeesALineWhileTheProcessRuns) {
  auto child = Subprocess::Start("/bin/sh", Shell("echo a; sleep 5"));
  EXPECT_EQ(child->ReadLine(kPatience), "a");
  EXPECT_FALSE(child->status().has_value());                    // seen before the exit, not at it
  EXPECT_EQ(child->cpu_time().count(), 0.0);                    // only known at the exit
  EXPECT_FALSE(child->ReadLine(milliseconds(50)).has_value());  // nothing more yet
  child->KillTree();
  ASSERT_TRUE(child->status());
  EXPECT_EQ(child->status()->signal, SIGKILL);
  EXPECT_TRUE(Gone(child->pid()));
}

TEST_F(SubprocessTest, ReadLineStopsAtEofAndLeavesTheUnterminatedTail) {
  auto child = Subprocess::Start("/bin/sh", Shell("printf 'a\\nb\\nc'"));
  EXPECT_EQ(child->ReadLine(kPatience), "a");
  EXPECT_EQ(child->ReadLine(kPatience), "b");
  EXPECT_FALSE(child->ReadLine(kPatience).has_value());
  EXPECT_EQ(child->StdoutLines(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(child->Wait(kPatience));
  EXPECT_TRUE(child->status()->ExitedWith(0));
}

TEST_F(SubprocessTest, WaitTimesOutOnARunningProcessThenSeesItsSignal) {
  auto child = Subprocess::Start("/bin/sleep", Args({"100"}));
  EXPECT_FALSE(child->Wait(milliseconds(50)).has_value());
  child->Signal(SIGTERM);
  std::optional<ExitStatus> status = child->Wait(kPatience);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->Describe(), "killed by SIGTERM (signal 15)");
  EXPECT_TRUE(Gone(child->pid()));                                          // reaped
  EXPECT_EQ(child->Wait(milliseconds(0))->Describe(), status->Describe());  // at once, afterwards
  EXPECT_GT(child->wall_time().count(), 0.0);
  EXPECT_EQ(child->wall_time(), child->wall_time());  // frozen at the exit
}

TEST_F(SubprocessTest, OutputBeyondTheLimitIsCountedNotStored) {
  SpawnOptions options = Shell("printf 0123456789ABCDEF; printf xyz >&2");
  options.output_limit = 10;
  RunResult small = forklab::Run("/bin/sh", options, kPatience);
  EXPECT_EQ(small.out, "0123456789");
  EXPECT_EQ(small.err, "xyz");

  auto child = Subprocess::Start("/bin/sh", options);
  ASSERT_TRUE(child->Wait(kPatience));
  EXPECT_EQ(child->stdout_discarded(), 6u);
  EXPECT_EQ(child->stderr_discarded(), 0u);

  // Far more than a pipe holds: the child only finishes if the output is drained meanwhile.
  options = Shell("head -c 1000000 /dev/zero");
  options.output_limit = 1000;
  auto chatty = Subprocess::Start("/bin/sh", options);
  ASSERT_TRUE(chatty->Wait(kPatience));
  EXPECT_TRUE(chatty->status()->ExitedWith(0));
  EXPECT_EQ(chatty->stdout_text().size(), 1000u);
  EXPECT_EQ(chatty->stdout_discarded(), 999000u);
}

TEST_F(SubprocessTest, ATruncatedStreamIsToldWhenTheProgramIsDone) {
  std::vector<std::string> told;
  SpawnOptions options = Shell("printf 0123456789ABCDEF; printf xyz >&2");
  options.output_limit = 10;
  options.on_truncated = [&](const std::string& event) { told.push_back(event); };
  RunResult run = forklab::Run("/bin/sh", options, kPatience);
  EXPECT_EQ(run.out, "0123456789");
  EXPECT_EQ(told, std::vector<std::string>{"stdout truncated at 10 B (6 B discarded)"});
}

TEST_F(SubprocessTest, TheConfinementComesFromTheOptions) {
  SpawnOptions options = Shell("ulimit -n; ulimit -c");
  options.confinement.open_files = 40;
  RunResult confined = forklab::Run("/bin/sh", options, kPatience);
  EXPECT_EQ(confined.out, "40\n0\n");

  // Nothing but core dumps is limited unless the options say so.
  RunResult free = forklab::Run("/bin/sh", Shell("ulimit -n"), kPatience);
  EXPECT_NE(free.out, "40\n");
}

TEST_F(SubprocessTest, KillTreeKillsASetsidGrandchild) {
  // The grandchild leaves the process group and the session, then reports its pid.
  auto child =
      Subprocess::Start("/bin/sh", Shell("setsid /bin/sh -c 'echo $$; exec sleep 100' & wait"));
  pid_t grandchild = ParsePid(child->ReadLine(kPatience));
  std::optional<ProcStat> stat = ReadProcStat(grandchild);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->sid, grandchild);  // really outside the child's group
  EXPECT_NE(stat->pgid, child->pid());

  child->KillTree();
  EXPECT_TRUE(Gone(child->pid()));
  EXPECT_TRUE(Gone(grandchild));
  EXPECT_TRUE(child->status()->signaled);
}

TEST_F(SubprocessTest, KillTreeKillsGroupMembersLeftAfterTheExit) {
  // The shell exits at once; its background child lingers in the group, holding stdout.
  auto child = Subprocess::Start("/bin/sh", Shell("sleep 100 & echo $!"));
  pid_t lingering = ParsePid(child->ReadLine(kPatience));
  ASSERT_TRUE(child->Wait(kPatience));
  EXPECT_TRUE(child->status()->ExitedWith(0));
  EXPECT_FALSE(Gone(lingering));
  child->KillTree();
  EXPECT_TRUE(Gone(lingering));
}

TEST_F(SubprocessTest, DestructorKillsTheTree) {
  pid_t shell, background;
  {
    auto child = Subprocess::Start("/bin/sh", Shell("sleep 100 & echo $!; wait"));
    shell = child->pid();
    background = ParsePid(child->ReadLine(kPatience));
  }
  EXPECT_TRUE(Gone(shell));
  EXPECT_TRUE(Gone(background));
}

TEST_F(SubprocessTest, CpuTimeCountsWaitedForChildrenAndGrowsWithWork) {
  // The busy loop runs in a grandchild the shell waits for, so it shows in the children's time.
  RunResult busy = forklab::Run(
      "/bin/sh", Shell("/bin/sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'"),
      seconds(60));
  RunResult idle = forklab::Run("/bin/sh", Shell("sleep 0.3"), seconds(60));
  ASSERT_FALSE(busy.timed_out());
  ASSERT_FALSE(idle.timed_out());
  EXPECT_GT(busy.cpu_time.count(), 0.0);
  EXPECT_GT(busy.cpu_time.count(), 5 * idle.cpu_time.count())
      << "busy " << busy.cpu_time.count() << "s, idle " << idle.cpu_time.count() << "s";
  // Sleeping costs wall time, not CPU time.
  EXPECT_GT(idle.wall_time.count(), 5 * idle.cpu_time.count());
}

}  // namespace
}  // namespace forklab
