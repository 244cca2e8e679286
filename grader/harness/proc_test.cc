#include "harness/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "harness/no_leftovers_test.h"
#include "harness/subprocess.h"
#include "harness/unique_fd.h"

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
int ListenOn(int family, const char* loopback, sockaddr_storage* bound) {
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_storage address = {};
  socklen_t length;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    inet_pton(AF_INET, loopback, &v4->sin_addr);
    length = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    inet_pton(AF_INET6, loopback, &v6->sin6_addr);
    length = sizeof *v6;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd, 8) != 0) {
    close(fd);
    return -1;
  }
  getsockname(fd, reinterpret_cast<sockaddr*>(bound), &length);
  return fd;
}

TEST_F(ProcTest, TcpSocketsOfCountsListeningAndConnectedSockets) {
  TcpSockets before = TcpSocketsOf(getpid());
  sockaddr_storage address = {};
  UniqueFd listener(ListenOn(AF_INET, "127.0.0.1", &address));
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
  UniqueFd listener(ListenOn(AF_INET6, "::1", &address));
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

}  // namespace
}  // namespace forklab
