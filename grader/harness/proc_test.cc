#include "harness/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "harness/no_leftovers_test.h"
#include "harness/subprocess.h"
#include "harness/tcp_client.h"
#include "harness/unique_fd.h"
#include "harness/watch.h"

namespace forklab {
namespace {

using std::chrono::seconds;

constexpr std::chrono::milliseconds kPatience = seconds(20);

SpawnOptions Args(std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  return options;
}

std::vector<pid_t> Sorted(std::vector<pid_t> pids) {
  std::sort(pids.begin(), pids.end());
  return pids;
}

/// Blocks until `pid` (a child) has exited, leaving it a zombie.
void AwaitZombie(pid_t pid) {
  siginfo_t info = {};
  while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
}

/// A forked child that renames itself, reports ready and waits until released (the parent
/// closes the pipe), so the test controls its whole life without any sleep.
class ForkedChild {
 public:
  explicit ForkedChild(const char* name = nullptr) {
    int release[2], ready[2];
    if (pipe(release) != 0 || pipe(ready) != 0) ADD_FAILURE() << "pipe: " << strerror(errno);
    pid_ = fork();
    if (pid_ == 0) {
      if (name) prctl(PR_SET_NAME, name, 0, 0, 0);
      close(release[1]);
      char byte = 0;
      if (write(ready[1], &byte, 1) != 1) _exit(1);
      while (read(release[0], &byte, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    close(release[0]);
    close(ready[1]);
    release_ = release[1];
    char byte;
    EXPECT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
  }
  ~ForkedChild() { Reap(); }

  pid_t pid() const { return pid_; }
  /// Lets the child exit, without reaping it.
  void Release() {
    if (release_ >= 0) close(release_);
    release_ = -1;
  }
  void Reap() {
    Release();
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

class ProcTest : public NoLeftoversTest {};

TEST_F(ProcTest, ReadProcStatDescribesThisProcess) {
  std::optional<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self);
  EXPECT_EQ(self->pid, getpid());
  EXPECT_EQ(self->ppid, getppid());
  EXPECT_EQ(self->pgid, getpgrp());
  EXPECT_EQ(self->sid, getsid(0));
  EXPECT_EQ(self->state, 'R');
  EXPECT_FALSE(self->zombie());
  EXPECT_EQ(self->comm, std::string(program_invocation_short_name).substr(0, 15));
  EXPECT_EQ(self->threads, ThreadCount(getpid()));
  EXPECT_EQ(self->uid, geteuid());
}

TEST_F(ProcTest, ReadProcStatNamesTheOwner) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to start a process as another uid";
  auto other =
      Subprocess::Start("/usr/bin/setpriv",
                        Args({"--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "100"}));
  std::optional<ProcStat> stat;
  for (int attempt = 0; attempt < 200; ++attempt) {
    stat = ReadProcStat(other->pid());
    if (stat && stat->comm == "sleep") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(stat && stat->comm == "sleep");
  EXPECT_EQ(stat->uid, 65534u);
}

TEST_F(ProcTest, KillDescendantsTakesOrphansAndDaemons) {
  BecomeSubreaper();
  auto shell = Subprocess::Start("/bin/sh", Args({"-c", "setsid sleep 100 & sleep 100 & exit 0"}));
  ASSERT_TRUE(shell->Wait(std::chrono::seconds(10)));
  for (int attempt = 0; attempt < 200 && DescendantsOf(getpid()).size() < 2; ++attempt)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(KillDescendants(), 2);  // 3 when setsid(1) forked and left a zombie
  EXPECT_TRUE(DescendantsOf(getpid()).empty());
}

TEST_F(ProcTest, ReadProcStatSeesCpuTimeGrow) {
  auto cpu = [] {
    std::optional<ProcStat> self = ReadProcStat(getpid());
    return self ? self->user + self->system : -1.0;
  };
  double before = cpu();
  // Burn CPU until the clock ticks; the bound only keeps a broken reader from hanging the test.
  volatile unsigned long sink = 0;
  auto give_up = std::chrono::steady_clock::now() + seconds(30);
  while (cpu() == before && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 1000000; ++i) sink = sink + i;
  }
  EXPECT_GT(cpu(), before);
}

TEST_F(ProcTest, ReadProcStatParsesACommWithSpacesAndParentheses) {
  ForkedChild child("a) (b c) x");
  std::optional<ProcStat> stat = ReadProcStat(child.pid());
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->comm, "a) (b c) x");
  EXPECT_EQ(stat->ppid, getpid());  // the fields after the name are read from the right place
  EXPECT_EQ(stat->pgid, getpgrp());
  EXPECT_EQ(stat->threads, 1);
}

TEST_F(ProcTest, ProcessesThatAreGoneReadAsGone) {
  ForkedChild child;
  pid_t pid = child.pid();
  child.Reap();
  EXPECT_FALSE(ReadProcStat(pid).has_value());
  EXPECT_EQ(ThreadCount(pid), -1);
  EXPECT_TRUE(Cmdline(pid).empty());
  TcpSockets sockets = TcpSocketsOf(pid);
  EXPECT_EQ(sockets.listening, 0);
  EXPECT_EQ(sockets.connected, 0);
}

TEST_F(ProcTest, ChildrenAndZombieChildren) {
  ForkedChild live, exiting;
  exiting.Release();
  AwaitZombie(exiting.pid());

  EXPECT_EQ(Sorted(ChildrenOf(getpid())), Sorted({live.pid(), exiting.pid()}));
  EXPECT_EQ(ZombieChildrenOf(getpid()), std::vector<pid_t>{exiting.pid()});
  EXPECT_TRUE(ReadProcStat(exiting.pid())->zombie());
  EXPECT_TRUE(ChildrenOf(live.pid()).empty());

  exiting.Reap();
  EXPECT_TRUE(ZombieChildrenOf(getpid()).empty());
  EXPECT_EQ(ChildrenOf(getpid()), std::vector<pid_t>{live.pid()});
}

TEST_F(ProcTest, DescendantsReachGrandchildren) {
  auto shell = Subprocess::Start("/bin/sh", Args({"-c", "sleep 100 & echo $!; wait"}));
  std::optional<std::string> line = shell->ReadLine(kPatience);
  ASSERT_TRUE(line);
  pid_t sleeper = std::stoi(*line);

  EXPECT_EQ(ChildrenOf(getpid()), std::vector<pid_t>{shell->pid()});
  EXPECT_EQ(ChildrenOf(shell->pid()), std::vector<pid_t>{sleeper});
  EXPECT_EQ(Sorted(DescendantsOf(getpid())), Sorted({shell->pid(), sleeper}));
  EXPECT_EQ(DescendantsOf(shell->pid()), std::vector<pid_t>{sleeper});
  EXPECT_TRUE(DescendantsOf(sleeper).empty());
}

TEST_F(ProcTest, ThreadCountFollowsThreads) {
  int before = ThreadCount(getpid());
  EXPECT_GE(before, 1);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back([released] { released.wait(); });
  EXPECT_EQ(ThreadCount(getpid()), before + 3);
  EXPECT_EQ(ReadProcStat(getpid())->threads, before + 3);
  release.set_value();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ThreadCount(getpid()), before);
}

TEST_F(ProcTest, CmdlineKeepsEveryArgument) {
  std::vector<std::string> args = {"-c", "sleep 100 & wait", "arg with spaces", ""};
  auto shell = Subprocess::Start("/bin/sh", Args(args));
  args.insert(args.begin(), "/bin/sh");
  EXPECT_EQ(Cmdline(shell->pid()), args);
}

/// A socket listening on the loopback address `loopback` (port 0); -1 when that address
/// family is not available here.
int ListenOn(const char* loopback, sockaddr_storage* bound) {
  socklen_t length;
  if (!ParseLoopback(loopback, 0, bound, &length)) return -1;
  int fd = socket(bound->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(bound), length) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(bound), &length);
  return fd;
}

TEST_F(ProcTest, TcpSocketsOfCountsListeningAndConnectedSockets) {
  TcpSockets before = TcpSocketsOf(getpid());
  sockaddr_storage address = {};
  UniqueFd listener(ListenOn("127.0.0.1", &address));
  ASSERT_GE(listener.get(), 0);
  TcpSockets listening = TcpSocketsOf(getpid());
  EXPECT_EQ(listening.listening, before.listening + 1);
  EXPECT_EQ(listening.connected, before.connected);

  // Both ends of the connection are this process's.
  UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof(sockaddr_in)), 0);
  UniqueFd server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_GE(server.get(), 0);
  TcpSockets connected = TcpSocketsOf(getpid());
  EXPECT_EQ(connected.listening, before.listening + 1);
  EXPECT_EQ(connected.connected, before.connected + 2);

  // Another process's sockets are not ours.
  auto other = Subprocess::Start("/bin/sleep", Args({"100"}));
  TcpSockets none = TcpSocketsOf(other->pid());
  EXPECT_EQ(none.listening, 0);
  EXPECT_EQ(none.connected, 0);
}

TEST_F(ProcTest, TcpSocketsOfReadsIpv6Sockets) {
  TcpSockets before = TcpSocketsOf(getpid());
  sockaddr_storage address = {};
  UniqueFd listener(ListenOn("::1", &address));
  if (listener.get() < 0) GTEST_SKIP() << "no IPv6 loopback here";
  EXPECT_EQ(TcpSocketsOf(getpid()).listening, before.listening + 1);
}

TEST_F(ProcTest, ReapAdoptedTakesOrphansButNeverOwnedChildren) {
  // An owned child that has exited but whose status its Subprocess has not collected yet.
  auto owned = Subprocess::Start("/bin/sh", Args({"-c", "exit 5"}));
  AwaitZombie(owned->pid());
  // An orphan: the shell exits, and its background sleep is re-parented to us (subreaper).
  auto parent = Subprocess::Start("/bin/sh", Args({"-c", "sleep 100 & echo $!"}));
  std::optional<std::string> line = parent->ReadLine(kPatience);
  ASSERT_TRUE(line);
  pid_t orphan = std::stoi(*line);
  ASSERT_TRUE(parent->Wait(kPatience));
  EXPECT_EQ(ReadProcStat(orphan)->ppid, getpid());

  EXPECT_TRUE(ReapAdopted(/*kill_live=*/false, nullptr).empty());  // the orphan still runs
  EXPECT_TRUE(ReadProcStat(orphan).has_value());
  EXPECT_EQ(ReapAdopted(/*kill_live=*/true, nullptr), std::vector<pid_t>{orphan});
  EXPECT_FALSE(ReadProcStat(orphan).has_value());

  std::optional<ExitStatus> status = owned->Wait(kPatience);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ExitedWith(5)) << status->Describe();
}

TEST_F(ProcTest, ReapAdoptedCollectsAnExitedOrphanWithoutKilling) {
  auto parent = Subprocess::Start("/bin/sh", Args({"-c", "sleep 100 & echo $!"}));
  std::optional<std::string> line = parent->ReadLine(kPatience);
  ASSERT_TRUE(line);
  pid_t orphan = std::stoi(*line);
  ASSERT_TRUE(parent->Wait(kPatience));
  ASSERT_EQ(kill(orphan, SIGTERM), 0);
  AwaitZombie(orphan);
  EXPECT_EQ(ZombieChildrenOf(getpid()), std::vector<pid_t>{orphan});
  EXPECT_EQ(ReapAdopted(/*kill_live=*/false, nullptr), std::vector<pid_t>{orphan});
  EXPECT_TRUE(ZombieChildrenOf(getpid()).empty());
}

TEST_F(ProcTest, LiveDescendantsOfLeavesZombiesOut) {
  // `true` exits at once, and its parent, sleep once the shell has exec'd, never reaps it.
  auto sleeper = Subprocess::Start("/bin/sh", Args({"-c", "true & exec sleep 100"}));
  ASSERT_TRUE(Eventually(kPatience, [&] { return ZombieChildrenOf(sleeper->pid()).size() == 1; }));
  EXPECT_EQ(DescendantsOf(getpid()).size(), 2u);
  EXPECT_EQ(LiveDescendantsOf(getpid()), std::vector<pid_t>{sleeper->pid()});
}

TEST_F(ProcTest, CpuSecondsCountsEveryThread) {
  double before = CpuSeconds(getpid());
  // Only a second thread works; the main one sleeps inside Eventually.
  std::atomic<bool> stop = false;
  std::thread worker([&stop] {
    volatile unsigned long sink = 0;
    while (!stop) sink = sink + 1;
  });
  EXPECT_TRUE(Eventually(kPatience, [&] { return CpuSeconds(getpid()) >= before + 0.05; }));
  stop = true;
  worker.join();

  ForkedChild child;
  pid_t gone = child.pid();
  child.Reap();
  EXPECT_EQ(CpuSeconds(gone), 0);
}

TEST_F(ProcTest, AllThreadsAsleepOnlyWhileEveryThreadIsBlocked) {
  ForkedChild blocked;  // waits in read() until released
  EXPECT_TRUE(Eventually(kPatience, [&] { return AllThreadsAsleep(blocked.pid()); }));
  // This thread is running while it reads, even though the others may sleep.
  EXPECT_FALSE(AllThreadsAsleep(getpid()));
  pid_t gone = blocked.pid();
  blocked.Reap();
  EXPECT_FALSE(AllThreadsAsleep(gone));
}

TEST_F(ProcTest, LowestFreeFdFindsTheFirstHole) {
  // stdin, stdout and stderr, then 3 and 5 open: the next descriptor would be 4.
  auto sleeper = Subprocess::Start(
      "/bin/sh", Args({"-c", "exec 3</dev/null 5</dev/null; echo ready; exec sleep 100"}));
  ASSERT_EQ(sleeper->ReadLine(kPatience), "ready");
  // Asleep in sleep itself, past the start-up that opens (and closes) files of its own.
  ASSERT_TRUE(Eventually(kPatience, [&] {
    std::vector<std::string> args = Cmdline(sleeper->pid());
    return !args.empty() && args[0] == "sleep" && AllThreadsAsleep(sleeper->pid());
  }));
  EXPECT_EQ(LowestFreeFd(sleeper->pid()), 4);
  pid_t gone = sleeper->pid();
  sleeper->KillTree();
  EXPECT_EQ(LowestFreeFd(gone), -1);
}

TEST_F(ProcTest, LiveChildrenOfLeavesOutZombiesThatStatsOfChildrenShow) {
  ForkedChild live, exiting;
  exiting.Release();
  AwaitZombie(exiting.pid());

  EXPECT_EQ(LiveChildrenOf(getpid()), std::vector<pid_t>{live.pid()});
  std::vector<ProcStat> stats = StatsOfChildren(getpid());
  ASSERT_EQ(stats.size(), 2u);
  for (const ProcStat& stat : stats) EXPECT_EQ(stat.zombie(), stat.pid == exiting.pid());
  live.Release();
  AwaitZombie(live.pid());
  EXPECT_TRUE(LiveChildrenOf(getpid()).empty());
}

TEST_F(ProcTest, WrittenBytesCountsWhatAChildWroteSinceFork) {
  ForkedChild child;  // since fork it has written one byte: its "ready"
  pid_t pid = child.pid();
  std::optional<long> written = WrittenBytes(pid);
  if (!written) GTEST_SKIP() << "/proc/PID/io is not readable here";
  EXPECT_EQ(*written, 1);
  child.Reap();
  EXPECT_FALSE(WrittenBytes(pid).has_value());
}

/// A forked child asleep until `seconds` from now on CLOCK_MONOTONIC, an absolute deadline
/// (TIMER_ABSTIME), as Python's time.sleep sleeps. Killed and reaped on destruction.
class AbsoluteSleeper {
 public:
  explicit AbsoluteSleeper(time_t seconds) {
    pid_ = fork();
    if (pid_ == 0) {
      timespec deadline{};
      clock_gettime(CLOCK_MONOTONIC, &deadline);
      deadline.tv_sec += seconds;
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
      }
      _exit(0);
    }
  }
  ~AbsoluteSleeper() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

/// SleepRequested(pid), once `pid` has reached its sleep (nullopt if it never does).
std::optional<double> SleepOnceAsleep(pid_t pid) {
  std::optional<double> asked;
  Eventually(kPatience, [&] { return (asked = SleepRequested(pid)).has_value(); });
  return asked;
}

TEST_F(ProcTest, SleepRequestedReadsARelativeSleep) {
  auto sleeper = Subprocess::Start("/bin/sleep", Args({"30.5"}));
  std::optional<double> asked = SleepOnceAsleep(sleeper->pid());
  ASSERT_TRUE(asked) << "sleep 30.5 was never seen in nanosleep or clock_nanosleep";
  EXPECT_DOUBLE_EQ(*asked, 30.5);
}

TEST_F(ProcTest, SleepRequestedReadsWhatIsLeftOfAnAbsoluteSleep) {
  AbsoluteSleeper sleeper(20);
  std::optional<double> left = SleepOnceAsleep(sleeper.pid());
  ASSERT_TRUE(left) << "the child was never seen in clock_nanosleep";
  EXPECT_LE(*left, 20);
  EXPECT_GT(*left, 10) << "the child has slept for only the moments it took to see it";
}

TEST_F(ProcTest, SleepRequestedIsNothingForAProcessNotAsleep) {
  ForkedChild reading;  // blocked in read(2)
  pid_t pid = reading.pid();
  EXPECT_FALSE(SleepRequested(pid).has_value());
  reading.Reap();
  EXPECT_FALSE(SleepRequested(pid).has_value());
}

}  // namespace
}  // namespace forklab
