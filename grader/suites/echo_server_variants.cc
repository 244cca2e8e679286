// What only one variant must do: fork_echo_server serves each client in a child process it
// reaps, thread_echo_server in a thread of its own.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "harness/fault_profile.h"
#include "harness/proc.h"
#include "harness/tcp_client.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "suites/echo_server_fixture.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;

// ---- fork_echo_server -----------------------------------------------------------------------

TEST_F(ForkEchoServer, OneChildPerConnection) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(4);
  ASSERT_EQ(clients.size(), 4u);
  size_t children = 0;
  EXPECT_TRUE(
      Eventually(kReplyTimeout,
                 [&] { return (children = ChildrenOf(server_pid()).size()) == clients.size(); }))
      << Tr("with 4 clients connected the server has {} child processes; fork one child per "
            "accepted connection",
            children);
}

TEST_F(ForkEchoServer, NoZombieAfterClientsQuit) {
  ASSERT_TRUE(StartServer());
  ASSERT_TRUE(ClientsComeAndGo(3));
  // A child closes its client's connection before it exits, and on a loaded machine its exit
  // can come well after: zombies are looked for once the children have ended, not before any
  // of them is one. A child that goes on running is ChildDoesNotFallThroughIntoAcceptLoop's.
  Eventually(kEofCloseTimeout, [&] { return LiveChildrenOf(server_pid()).empty(); });
  // No new client arrives from here on: a server that reaps only after accept() never reaps.
  EXPECT_TRUE(NoneWithin(kReapLimit, [&] { return ZombieChildrenOf(server_pid()); }))
      << Tr("zombie children of pid {} remained after their clients quit; the parent only reaps "
            "when accept() returns: reap on SIGCHLD (signalfd, or a handler with a self-pipe)",
            server_pid());
  EXPECT_TRUE(ServerAlive(Tr("after its clients left")));
}

TEST_F(ForkEchoServer, ChildDoesNotHoldListener) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(1);
  ASSERT_EQ(clients.size(), 1u);
  std::vector<pid_t> children;
  ASSERT_TRUE(Eventually(kReplyTimeout, [&] {
    return (children = ChildrenOf(server_pid())).size() == 1;
  })) << Tr("expected one child serving the client, found {}", children.size());
  TcpSockets sockets;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (sockets = TcpSocketsOf(children[0])).listening == 0; }))
      << Tr("child {} holds {} listening socket(s): the child only talks to its client, close "
            "the listener in it",
            children[0], sockets.listening);
  EXPECT_EQ(sockets.connected, 1) << Tr("the child should hold its client's connection");
}

TEST_F(ForkEchoServer, ParentHoldsNoConnectedSockets) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(3);
  ASSERT_EQ(clients.size(), 3u);
  TcpSockets sockets;
  EXPECT_TRUE(
      Eventually(kReapLimit, [&] { return (sockets = TcpSocketsOf(server_pid())).connected == 0; }))
      << Tr("the parent holds {} connected sockets with 3 clients served by children: close the "
            "connection in the parent after fork()",
            sockets.connected);
  EXPECT_TRUE(ServerAlive(Tr("while children served 3 clients")));
  EXPECT_EQ(sockets.listening, 1) << Tr("the parent should hold its one listening socket");
}

TEST_F(ForkEchoServer, ChildDoesNotFallThroughIntoAcceptLoop) {
  ASSERT_TRUE(StartServer());
  ASSERT_TRUE(ClientsComeAndGo(2));
  // Zombies are NoZombieAfterClientsQuit's business; here only live processes count.
  EXPECT_TRUE(NoneWithin(kReapLimit, [&] { return LiveDescendantsOf(server_pid()); }))
      << Tr("processes still running under the server after every client left: a child whose "
            "client is done must _exit(), not return into the accept loop");
  ASSERT_TRUE(ServerAlive(Tr("after its clients left")));
  // New clients are served by direct children: no child went on accepting and forking.
  std::vector<LineClient> clients = ServedClients(2);
  ASSERT_EQ(clients.size(), 2u);
  for (pid_t pid : LiveDescendantsOf(server_pid())) {
    std::optional<ProcStat> stat = ReadProcStat(pid);
    EXPECT_TRUE(!stat || stat->ppid == server_pid()) << Tr("process {} was forked by a child", pid);
  }
}

TEST_F(ForkEchoServer, ForkFailureClosesConnectionAndKeepsServing) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  CheckSurvivesFault(profile, "fork()");  // a technical token: not translated
}

// ---- thread_echo_server ---------------------------------------------------------------------

TEST_F(ThreadEchoServer, NoChildProcesses) {
  ASSERT_TRUE(StartServer());
  std::vector<LineClient> clients = ServedClients(5);
  ASSERT_EQ(clients.size(), 5u);
  std::vector<pid_t> children = ChildrenOf(server_pid());
  EXPECT_TRUE(children.empty()) << Tr(
      "thread_echo_server has {} child processes; serve clients with threads, not fork()",
      children.size());
  EXPECT_TRUE(ServerAlive(Tr("while it served 5 clients")));
}

TEST_F(ThreadEchoServer, OneThreadPerConnection) {
  ASSERT_TRUE(StartServer());
  int baseline = ThreadCount(server_pid());
  std::vector<LineClient> clients = ServedClients(5);
  ASSERT_EQ(clients.size(), 5u);
  int threads = 0;
  EXPECT_TRUE(Eventually(kReplyTimeout,
                         [&] { return (threads = ThreadCount(server_pid())) >= baseline + 5; }))
      << Tr("{} threads with 5 clients connected ({} before any): start one std::thread per "
            "connection",
            threads, baseline);
}

TEST_F(ThreadEchoServer, ThreadCountReturnsToBaseline) {
  ASSERT_TRUE(StartServer());
  std::this_thread::sleep_for(100ms);  // threads an implementation starts after its startup line
  int baseline = ThreadCount(server_pid());
  ASSERT_TRUE(ClientsComeAndGo(10));
  int threads = 0;
  EXPECT_TRUE(Eventually(2s, [&] { return (threads = ThreadCount(server_pid())) <= baseline; }))
      << Tr("{} threads 2 s after all 10 clients left, {} before they came: a session's thread "
            "must end when its client is done",
            threads, baseline);
  EXPECT_TRUE(ServerAlive(Tr("after its clients left")));
}

TEST_F(ThreadEchoServer, ThreadCreationFailureClosesConnectionAndKeepsServing) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  CheckSurvivesFault(profile, Tr("thread creation (std::thread, pthread_create)"));
}

}  // namespace
}  // namespace forklab
