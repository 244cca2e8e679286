// The echo server under load and under faults: many clients at once, clients that vanish,
// failing calls, exhausted descriptors, and the signals that stop it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "harness/confinement.h"
#include "harness/fault_profile.h"
#include "harness/proc.h"
#include "harness/tcp_client.h"
#include "harness/watch.h"
#include "i18n/messages.h"
#include "suites/claims.h"
#include "suites/echo_server_fixture.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string ClientLine(int client) {
  return "client " + std::to_string(client);
}

std::string BurstLine(int client) {
  return "burst " + std::to_string(client);
}

// A line long enough that echoing it needs the heap (it outgrows std::string's inline buffer).
std::string LineUnderMallocFaults(int client, int line) {
  return "client " + std::to_string(client) + " line " + std::to_string(line) +
         " of a session while malloc fails now and then";
}

/// `received` is one reply, to `line`, and nothing more.
testing::AssertionResult IsOnlyReplyTo(const std::string& received, const std::string& line) {
  if (received.empty() || received.find('\n') != received.size() - 1 ||
      !IsReplyTo(received.substr(0, received.size() - 1), line)) {
    return testing::AssertionFailure()
           << Tr("got {}, expected one reply to {} and then EOF", Quoted(received), Quoted(line));
  }
  return testing::AssertionSuccess();
}

// Where a burst client received the reply to another client's line (sessions mixed up their
// sockets), as a sentence; empty when every reply reached the client that sent its line.
std::string ForeignReply(const std::vector<ConnectBurst::Received>& received) {
  for (size_t client = 0; client < received.size(); ++client) {
    std::istringstream replies(received[client].bytes);
    for (std::string reply; std::getline(replies, reply);) {
      size_t text = reply.find("] ");
      if (text == std::string::npos) continue;
      std::string line = reply.substr(text + 2);
      if (line.starts_with("burst ") && line != BurstLine(static_cast<int>(client)))
        return Tr("burst client {} received the reply to another client's line, {}", client,
                  Quoted(line));
    }
  }
  return "";
}

// Sends lines without reading the replies until both directions are full, then resets: the
// server is then blocked in, or about to call, send() on a connection that is gone.
void ResetMidReply(LineClient& client) {
  std::string lines;
  for (int i = 0; i < 1000; ++i)
    lines += "please reply to this line number " + std::to_string(i) + "\n";
  client.SendWithoutReading(lines, 32u << 20, 2s);
  client.Reset();
}

// ---- Concurrency and robustness -------------------------------------------------------------

TEST_F(EchoServer, SilentClientDoesNotDelayOthers) {
  ASSERT_TRUE(StartServer());
  std::optional<LineClient> silent = Connect();
  if (!silent) return;  // Connect() failed the check, saying why
  std::optional<LineClient> half_line = Connect();
  if (!half_line) return;  // Connect() failed the check, saying why
  ASSERT_TRUE(half_line->Send("not finished")) << SendFailed();
  std::optional<LineClient> other = Connect();
  if (!other) return;  // Connect() failed the check, saying why
  EXPECT_TRUE(Echoes(*other, "am I served?"))
      << (ForkVariant() ? Tr("while two clients were connected but silent; serve each client "
                             "in its own process")
                        : Tr("while two clients were connected but silent; serve each client "
                             "in its own thread"));
  ASSERT_TRUE(half_line->Send(" now\n")) << SendFailed();
  EXPECT_TRUE(RepliesWith(*half_line, "not finished now"));
}

TEST_F(EchoServer, TwoHundredClientsAtOnce) {
  ASSERT_TRUE(StartServer());
  // One after another, a server that accepts at once connects 200 clients in well under a
  // second; one whose accept queue overflows makes a connect wait for SYN retries (1 s, 3 s,
  // ...). Past this deadline the count is the diagnosis.
  constexpr auto kConnectDeadline = 3 * kConnectTimeout;
  Clock::time_point deadline = Clock::now() + kConnectDeadline;
  std::vector<LineClient> clients;
  std::string error;
  while (clients.size() < size_t{kManyClients} && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::optional<LineClient> client =
        LineClient::Connect(port_, std::min(kConnectTimeout, left), &error);
    if (!client) break;
    clients.push_back(std::move(*client));
  }
  for (size_t i = 0; i < clients.size(); ++i)
    clients[i].Send(ClientLine(static_cast<int>(i)) + "\n");
  constexpr auto kServeDeadline = 2 * kReplyTimeout;
  std::vector<std::optional<std::string>> replies = LineBatch(clients).NextLines(kServeDeadline);
  size_t served = 0;
  std::string first_unserved;
  for (size_t i = 0; i < clients.size(); ++i) {
    testing::AssertionResult replied =
        RepliedWith(replies[i], ClientLine(static_cast<int>(i)), kServeDeadline);
    if (replied)
      ++served;
    else if (first_unserved.empty())
      first_unserved = Tr("client {}", i) + ": " + replied.message();
  }
  if (clients.size() < size_t{kManyClients}) UseHint("backlog");
  EXPECT_TRUE(clients.size() == size_t{kManyClients} && served == clients.size())
      << Tr("connected {}/{} within {} s, served {} of them within {} s", clients.size(),
            kManyClients, kConnectDeadline.count() / 1000, served, kServeDeadline.count() / 1000)
      << (clients.size() < size_t{kManyClients} && !error.empty()
              ? "; " + Tr("the next connect: {}", error)
              : "")
      << (first_unserved.empty() ? "" : "; " + first_unserved);
}

TEST_F(EchoServer, BurstOf200Connects) {
  ASSERT_TRUE(StartServer());
  // Paused, the server accepts nothing, so the whole burst lands in the listen backlog: what
  // the kernel queues for it is what the backlog allows (the lesson's listen(1) queues two).
  ASSERT_TRUE(PauseServer());
  std::string error;
  std::optional<ConnectBurst> burst = ConnectBurst::Start(port_, kManyClients, &error);
  ASSERT_TRUE(burst) << error;
  int queued = 0;
  Eventually(2s, [&] { return (queued = burst->Connected()) >= kMinBacklog; });
  ASSERT_GE(queued, kMinBacklog) << Tr(
      "only {} of a burst of {} connections were queued: listen() with a backlog of at "
      "least 128, not listen(1)",
      queued, kManyClients);
  ResumeServer();

  int connected = burst->AwaitConnected(10s);
  ASSERT_EQ(connected, kManyClients)
      << Tr("{} of {} connections completed", connected, kManyClients);
  for (int i = 0; i < kManyClients; ++i) {
    ASSERT_TRUE(burst->Send(i, BurstLine(i) + "\nquit\n")) << Tr("burst client {}", i);
  }
  std::vector<ConnectBurst::Received> received = burst->ReadUntilClosed(2 * kReplyTimeout);
  // Every connection was queued: a wrong reply is no backlog's doing when it is another's.
  std::string foreign = ForeignReply(received);
  if (!foreign.empty()) UseHint("mixup");
  for (int i = 0; i < kManyClients; ++i) {
    ASSERT_TRUE(IsOnlyReplyTo(received[i].bytes, BurstLine(i)))
        << Tr("burst client {}", i) << (foreign.empty() ? "" : "; " + foreign);
  }
}

TEST_F(EchoServer, ResetClientLeavesServerServing) {
  ASSERT_TRUE(StartServer());
  for (int round = 0; round < 3; ++round) {
    std::optional<LineClient> client = Connect();
    if (!client) return;  // Connect() failed the check, saying why
    ResetMidReply(*client);
  }
  EXPECT_TRUE(StillServing()) << Tr(
      "after clients reset their connections mid-reply: send with "
      "MSG_NOSIGNAL (or ignore SIGPIPE) and end only that session");
}

TEST_F(EchoServer, ResetIsReportedOnStderr) {
  ASSERT_TRUE(StartServer());
  size_t stderr_before = server_->stderr_text().size();
  std::optional<LineClient> client = Connect();
  if (!client) return;  // Connect() failed the check, saying why
  ResetMidReply(*client);
  EXPECT_TRUE(StderrGrows(stderr_before, 2s))
      << Tr("a connection reset mid-reply (ECONNRESET/EPIPE from recv or send) was not reported "
            "on stderr");
  EXPECT_TRUE(StillServing());
}

// ---- Failing calls --------------------------------------------------------------------------

TEST_F(EchoServer, RecvErrorDropsOnlyThatClient) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  CheckSurvivesFault(profile, "recv()");
}

TEST_F(EchoServer, SendErrorDropsOnlyThatClient) {
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  CheckSurvivesFault(profile, "send()");
}

TEST_F(EchoServer, MallocFailureDropsOnlyThatClient) {
  constexpr int kClients = 5;
  // Hundreds of allocations per session, so that failures fall inside sessions even in forked
  // children, which all continue their parent's random sequence rather than draw their own.
  constexpr int kLinesEach = 200;
  FaultProfile profile;
  FORKLAB_FAULT_CHECK(profile);
  std::optional<LineClient> bystander;
  ASSERT_TRUE(StartWithBystander(profile, &bystander));
  if (!SwitchFaults(true)) return;
  // One session at a time, so the allocations, and with the profile's fixed seed the failures,
  // come in the same order every run.
  bool accepting = true;
  for (int i = 0; i < kClients && ServerRunning(); ++i) {
    auto line_of = [i](int line) { return LineUnderMallocFaults(i, line); };
    std::string lines;
    for (int line = 0; line < kLinesEach; ++line) lines += line_of(line) + "\n";
    std::optional<ConnectBurst::Received> session = SessionOf(lines);
    if (!(accepting = session.has_value())) break;  // judged below, with the server's fate
    ASSERT_TRUE(session->closed) << Tr(
        "client {} was neither served to its 'quit' nor dropped: its connection was still "
        "open {} ms later (no EOF): {}; under {}",
        i, kReplyTimeout.count(), WhyStillOpen(), profile.Explain());
    // A failed allocation may cut a session short, never garble it.
    ASSERT_TRUE(RepliesInOrder(session->bytes, line_of))
        << Tr("client {}; under {}", i, profile.Explain());
  }

  bool running = ServerRunning();  // and the server's stderr is read up to now
  // The whole server, or (fork_echo_server) the child of one session, aborting.
  std::optional<std::string> uncaught = UncaughtExceptionIn(server_->stderr_text());
  // A dying process closes its sockets moments before it can be seen to have exited: when the
  // server stopped accepting or is aborting, give it those moments, so its end is reported.
  if (running && (!accepting || uncaught)) running = !server_->Wait(kShutdownLimit).has_value();
  if (uncaught) {
    ADD_FAILURE() << Tr(
        "an exception escaped a session and aborted its process: {}; catch "
        "std::bad_alloc per session and end only that session; under {}",
        Quoted(*uncaught), profile.Explain());
  }
  ASSERT_TRUE(running) << Tr("the server died while malloc() failed now and then: {}; under {}; {}",
                             server_->status()->Describe(), profile.Explain(),
                             QuotedStderr(server_->stderr_text()));
  if (!SwitchFaults(false)) return;
  ExpectServingAfter(*bystander, "malloc() failed in other sessions", profile);
}

// ---- Limits ---------------------------------------------------------------------------------

TEST_F(EchoServer, AcceptEmfileBacksOffAndRecovers) {
  ASSERT_TRUE(StartServer());
  pid_t pid = server_pid();
  rlimit original{};
  int error = ProgramPrlimit(pid, RLIMIT_NOFILE, nullptr, &original);
  ASSERT_EQ(error, 0) << std::strerror(error);
  // The next descriptor the server opens would be this one: from now on accept() fails with
  // EMFILE, while the waiting client stays queued in the backlog.
  int next_fd = LowestFreeFd(pid);
  ASSERT_GE(next_fd, 0) << Tr("the server is gone");
  rlimit tight = original;
  tight.rlim_cur = static_cast<rlim_t>(next_fd);
  if (int error = ProgramPrlimit(pid, RLIMIT_NOFILE, &tight, nullptr)) {
    GTEST_SKIP() << Tr("cannot lower the server's RLIMIT_NOFILE: {}", std::strerror(error));
  }
  size_t stderr_before = server_->stderr_text().size();
  std::optional<LineClient> waiting = Connect();
  if (!waiting) return;  // Connect() failed the check, saying why
  ASSERT_TRUE(waiting->Send("waiting in the queue\n")) << SendFailed();

  CpuUse use = WatchServerCpu(600ms);
  EXPECT_TRUE(ServerAlive(Tr("while accept() failed with EMFILE")))
      << Tr("on EMFILE, pause briefly and try again; the server must not end");
  EXPECT_LT(use.share, 0.25) << Tr(
      "the server used {}% of a CPU while accept() kept failing with "
      "EMFILE: pause briefly after EMFILE/ENFILE instead of retrying "
      "at once",
      static_cast<int>(use.share * 100));
  EXPECT_TRUE(StderrGrows(stderr_before, 1s)) << Tr("accept's EMFILE was not reported on stderr");

  error = ProgramPrlimit(pid, RLIMIT_NOFILE, &original, nullptr);
  ASSERT_EQ(error, 0) << std::strerror(error);
  EXPECT_TRUE(RepliesWith(*waiting, "waiting in the queue"))
      << Tr("the queued client was not served once descriptors were available again");
}

// ---- Signals --------------------------------------------------------------------------------

TEST_F(EchoServer, SignalDuringAcceptKeepsServing) {
  ASSERT_TRUE(StartServer());
  pid_t pid = server_pid();
  // Three times, each while the server waits for a connection: a fork server's child ends
  // (its client quit), and SIGCHLD arrives besides, which a server of either kind may get.
  // A blocking call that a handled signal interrupts fails with EINTR: that is no error.
  for (int round = 0; round < 3; ++round) {
    std::optional<LineClient> client = Connect();
    if (!client) return;  // Connect() failed the check, saying why
    ASSERT_TRUE(Echoes(*client, "then I leave"));
    ASSERT_TRUE(client->Send("quit\n")) << SendFailed();
    // The session's end, not the connection's close, is what sends SIGCHLD: a parent that
    // keeps the connection open is ParentHoldsNoConnectedSockets' business.
    if (ForkVariant()) Eventually(kReapLimit, [&] { return LiveDescendantsOf(pid).empty(); });
    Eventually(2s, [&] { return !ServerRunning() || AllThreadsAsleep(pid); });
    if (ServerRunning()) kill(pid, SIGCHLD);
    ASSERT_TRUE(ServerAlive(round == 0 ? Tr("after the first client left")
                                       : Tr("after client {} left", round + 1)))
        << Tr("a signal (SIGCHLD) interrupted its wait for a connection: when accept() (or poll) "
              "fails with EINTR, call it again");
  }
  EXPECT_TRUE(StillServing());
}

TEST_F(EchoServer, SigtermExitsCleanly) {
  ASSERT_TRUE(StartServer());
  CheckStopsOnSignal(SIGTERM);
}

TEST_F(EchoServer, SigintExitsCleanly) {
  ASSERT_TRUE(StartServer());
  CheckStopsOnSignal(SIGINT);
}

}  // namespace
}  // namespace forklab
