#include "harness/tcp_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <future>
#include <optional>
#include <thread>
#include <vector>

namespace forklab {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kPatience = std::chrono::seconds(20);

/// Receives up to and including the next '\n' (or to EOF).
std::string RecvLine(int fd) {
  std::string line;
  char byte;
  while (recv(fd, &byte, 1, 0) == 1) {
    line += byte;
    if (byte == '\n') break;
  }
  return line;
}

void SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;
    bytes.remove_prefix(sent);
  }
}

/// A socket bound to loopback `host` on a port the system picks: listening with `backlog`
/// (but never accepting unless a test does), or, with no backlog, only holding the port so
/// that connects to it are refused. ok() is false when `host` is not available here.
struct LoopbackSocket {
  explicit LoopbackSocket(std::optional<int> backlog, const char* host = "127.0.0.1") {
    sockaddr_storage address;
    socklen_t length;
    if (!ParseLoopback(host, 0, &address, &length)) return;
    fd.Reset(socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0 || bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        (backlog && listen(fd.get(), *backlog) != 0)) {
      return;
    }
    getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
    port =
        ntohs(address.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  bool ok() const { return port != 0; }

  UniqueFd fd;
  uint16_t port = 0;
};

/// A one-connection server for the tests, on a loopback address and a port the system picks.
/// It runs `session` on the accepted connection in a thread of its own and closes it after.
/// A session that must outlast some client steps waits on `finished`, which the test (or,
/// whatever happens, the destructor) sets.
class TestServer {
 public:
  using Session = std::function<void(int fd, std::shared_future<void> finished)>;

  explicit TestServer(Session session, const char* host = "127.0.0.1") : listener_(8, host) {
    if (!listener_.ok()) return;
    std::shared_future<void> finished = finished_.get_future().share();
    thread_ = std::thread([this, session, finished] {
      int connection = accept4(listener_.fd.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) return;  // woken by the destructor: no client came
      session(connection, finished);
      close(connection);
    });
  }

  ~TestServer() {
    Finish();
    if (listener_.ok()) shutdown(listener_.fd.get(), SHUT_RDWR);  // wakes a waiting accept
    if (thread_.joinable()) thread_.join();
  }

  bool ok() const { return listener_.ok(); }
  uint16_t port() const { return listener_.port; }
  void Finish() {
    if (!finish_set_) finished_.set_value();
    finish_set_ = true;
  }

 private:
  LoopbackSocket listener_;
  std::promise<void> finished_;
  bool finish_set_ = false;
  std::thread thread_;
};

LineClient ConnectTo(const TestServer& server, const std::string& host = "127.0.0.1") {
  std::string error;
  std::optional<LineClient> client = LineClient::Connect(server.port(), kPatience, &error, host);
  if (!client) throw std::runtime_error(error);
  return std::move(*client);
}

TEST(LineClientTest, SendsAndReadsLinesHoweverTheyAreSplit) {
  TestServer server([](int fd, auto) {
    std::string line = RecvLine(fd);
    SendAll(fd, "got:");
    SendAll(fd, line + "sec");
    SendAll(fd, "ond\n");
  });
  LineClient client = ConnectTo(server);
  EXPECT_TRUE(client.Send("hello\n"));
  EXPECT_EQ(client.ReadLine(kPatience), "got:hello");
  EXPECT_EQ(client.ReadLine(kPatience), "second");
  EXPECT_FALSE(client.ReadLine(kPatience).has_value());  // the server closed
}

TEST(LineClientTest, ReadLineTimesOutThenStopsAtEofWithoutAPartialLine) {
  TestServer server([](int fd, auto) {
    SendAll(fd, "partial");
    RecvLine(fd);  // until the client says so
  });
  LineClient client = ConnectTo(server);
  EXPECT_FALSE(client.ReadLine(milliseconds(50)).has_value());
  EXPECT_TRUE(client.Send("close now\n"));
  EXPECT_FALSE(client.ReadLine(kPatience).has_value());
}

TEST(LineClientTest, WaitForCloseSeesTheServerClose) {
  TestServer server([](int, std::shared_future<void> finished) { finished.wait(); });
  LineClient client = ConnectTo(server);
  EXPECT_EQ(client.WaitForClose(milliseconds(50)), LineClient::Closed::kTimeout);
  server.Finish();
  EXPECT_EQ(client.WaitForClose(kPatience), LineClient::Closed::kEof);
}

TEST(LineClientTest, WaitForCloseReportsDataInstead) {
  TestServer server([](int fd, std::shared_future<void> finished) {
    SendAll(fd, "not closing");
    finished.wait();
  });
  LineClient client = ConnectTo(server);
  std::string data;
  EXPECT_EQ(client.WaitForClose(kPatience, &data), LineClient::Closed::kData);
  EXPECT_EQ(data.substr(0, 3), "not");  // at least the first segment
}

TEST(LineClientTest, SendDeliversLargePayloadsWhole) {
  TestServer server([](int fd, auto) {
    size_t total = 0;
    char buffer[65536];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) total += n;
    SendAll(fd, std::to_string(total) + "\n");
  });
  LineClient client = ConnectTo(server);
  // Far beyond the socket buffers: only a loop over partial sends gets it all out.
  const std::string payload(8 << 20, 'x');
  EXPECT_TRUE(client.Send(payload));
  client.ShutdownWrite();
  EXPECT_EQ(client.ReadLine(kPatience), std::to_string(payload.size()));
}

TEST(LineClientTest, ResetAbortsTheConnection) {
  std::promise<int> server_saw;
  TestServer server([&server_saw](int fd, auto) {
    char byte;
    ssize_t n = recv(fd, &byte, 1, 0);
    server_saw.set_value(n < 0 ? errno : 0);
  });
  LineClient client = ConnectTo(server);
  client.Reset();
  EXPECT_EQ(client.fd(), -1);
  EXPECT_EQ(server_saw.get_future().get(), ECONNRESET);
}

TEST(LineClientTest, SendToAGoneServerFailsWithoutSigpipe) {
  TestServer server([](int, auto) {});  // closes at once
  LineClient client = ConnectTo(server);
  ASSERT_EQ(client.WaitForClose(kPatience), LineClient::Closed::kEof);
  // The first send after the FIN draws a RST; a later one fails. Without MSG_NOSIGNAL the
  // default SIGPIPE would kill this test process here.
  bool failed = false;
  for (int attempt = 0; attempt < 200 && !failed; ++attempt) {
    failed = !client.Send("x");
    if (!failed) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(failed);
}

TEST(LineClientTest, ConnectReportsRefusal) {
  // A bound socket that does not listen holds the port, so the refusal is certain.
  LoopbackSocket holder(std::nullopt);
  ASSERT_TRUE(holder.ok());
  std::string error;
  EXPECT_FALSE(LineClient::Connect(holder.port, kPatience, &error).has_value());
  EXPECT_NE(error.find("Connection refused"), std::string::npos) << error;
}

TEST(LineClientTest, RefusesNonLoopbackHostsBeforeConnecting) {
  // Checked in a child inside a fresh network namespace, which has no route anywhere: even a
  // broken check could then send nothing off this machine.
  pid_t child = fork();
  if (child == 0) {
    constexpr int kNoNamespace = 99;
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      _exit(kNoNamespace);
    }
    int failures = 0;
    // A zero timeout: had a connection been attempted, the error would read "timed out" (or
    // "Network is unreachable") instead.
    for (const char* host : {"192.0.2.1", "10.1.2.3", "2001:db8::1", "::ffff:192.0.2.1", "0.0.0.0",
                             "localhost", "example.com", ""}) {
      std::string error, burst_error;
      bool connected = LineClient::Connect(80, milliseconds(0), &error, host).has_value();
      bool burst = ConnectBurst::Start(80, 1, &burst_error, host).has_value();
      for (const std::string& said : {error, burst_error}) {
        if (connected || burst ||
            said.find("not a numeric loopback address") == std::string::npos) {
          fprintf(stderr, "host \"%s\" not refused as non-loopback: %s\n", host, said.c_str());
          ++failures;
        }
      }
    }
    _exit(failures);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 99) GTEST_SKIP() << "no network namespace available";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "hosts accepted (see stderr)";
}

TEST(LineClientTest, AcceptsAllOf127Slash8) {
  TestServer server([](int fd, auto) { SendAll(fd, "hi\n"); }, "127.0.0.2");
  ASSERT_TRUE(server.ok());
  LineClient client = ConnectTo(server, "127.0.0.2");
  EXPECT_EQ(client.ReadLine(kPatience), "hi");
}

TEST(LineClientTest, AcceptsIpv6Loopback) {
  TestServer server([](int fd, auto) { SendAll(fd, "hi6\n"); }, "::1");
  if (!server.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  LineClient client = ConnectTo(server, "::1");
  EXPECT_EQ(client.ReadLine(kPatience), "hi6");
}

TEST(LineClientTest, MovingHandsOverTheConnection) {
  TestServer server([](int fd, auto) { SendAll(fd, "one\ntwo\n"); });
  LineClient first = ConnectTo(server);
  int fd = first.fd();
  EXPECT_EQ(first.ReadLine(kPatience), "one");  // "two" may already sit in the buffer
  LineClient second = std::move(first);
  EXPECT_EQ(first.fd(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(second.fd(), fd);
  EXPECT_EQ(second.ReadLine(kPatience), "two");
  second.Close();
  EXPECT_EQ(second.fd(), -1);
  EXPECT_FALSE(second.ReadLine(milliseconds(0)).has_value());
}

TEST(LineClientTest, SendWithoutReadingStopsWhenTheServerStopsReading) {
  TestServer server([](int, std::shared_future<void> finished) { finished.wait(); });
  LineClient client = ConnectTo(server);
  const std::string chunk(4096, 'x');
  // The server reads nothing: only the socket buffers take bytes, and then nothing moves.
  size_t sent = client.SendWithoutReading(chunk, size_t{1} << 40, std::chrono::hours(1));
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, size_t{1} << 40);
  server.Finish();
}

TEST(LineClientTest, SendWithoutReadingStopsAtTheLimit) {
  TestServer server([](int fd, auto) {
    char buffer[65536];
    while (recv(fd, buffer, sizeof buffer, 0) > 0) {
    }
  });
  LineClient client = ConnectTo(server);
  size_t sent = client.SendWithoutReading("0123456789", 25, kPatience);
  EXPECT_GE(sent, 25u);
  EXPECT_LT(sent, 25u + 10u);  // the chunk that crossed the limit is the last
}

TEST(LoopbackPortIsFreeTest, FollowsTheListener) {
  uint16_t port;
  {
    LoopbackSocket listener(1);
    ASSERT_TRUE(listener.ok());
    port = listener.port;
    EXPECT_FALSE(LoopbackPortIsFree(port));
  }
  EXPECT_TRUE(LoopbackPortIsFree(port));
}

TEST(ConnectBurstTest, ConnectsCompleteIntoTheBacklogBeforeAnyAccept) {
  LoopbackSocket listener(8);
  ASSERT_TRUE(listener.ok());
  std::string error;
  std::optional<ConnectBurst> burst = ConnectBurst::Start(listener.port, 4, &error);
  ASSERT_TRUE(burst) << error;
  EXPECT_EQ(burst->size(), 4);
  EXPECT_EQ(burst->AwaitConnected(kPatience), 4);
  EXPECT_EQ(burst->Connected(), 4);
}

TEST(ConnectBurstTest, ARefusedConnectDoesNotCount) {
  LoopbackSocket holder(std::nullopt);  // holds the port without listening
  ASSERT_TRUE(holder.ok());
  std::string error;
  std::optional<ConnectBurst> burst = ConnectBurst::Start(holder.port, 2, &error);
  // Loopback may refuse at once, inside connect(), or a moment later.
  if (burst) {
    EXPECT_EQ(burst->AwaitConnected(kPatience), 0);
    EXPECT_EQ(burst->Connected(), 0) << "a refusal, once read, still does not count";
  } else {
    EXPECT_NE(error.find("Connection refused"), std::string::npos) << error;
  }
}

TEST(ConnectBurstTest, ReadsEachConnectionUntilTheServerClosesIt) {
  LoopbackSocket listener(8);
  ASSERT_TRUE(listener.ok());
  std::optional<ConnectBurst> burst = ConnectBurst::Start(listener.port, 3);
  ASSERT_TRUE(burst);
  ASSERT_EQ(burst->AwaitConnected(kPatience), 3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(burst->Send(i, std::to_string(i) + "\n"));
  // Each accepted connection answers the line it got; all but connection 2 are then closed.
  std::vector<UniqueFd> open;
  for (int i = 0; i < 3; ++i) {
    UniqueFd connection(accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_GE(connection.get(), 0) << strerror(errno);
    std::string line = RecvLine(connection.get());
    SendAll(connection.get(), "got " + line);
    if (line == "2\n") open.push_back(std::move(connection));
  }
  std::vector<ConnectBurst::Received> received = burst->ReadUntilClosed(milliseconds(300));
  ASSERT_EQ(received.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(received[i].bytes, "got " + std::to_string(i) + "\n") << "connection " << i;
    EXPECT_EQ(received[i].closed, i != 2) << "connection " << i;
  }
}

/// `count` LineClients connected to `listener`, and their accepted ends: `peers[i]` talks to
/// `clients[i]` (each client names itself in a first line, since accept order is not connect
/// order).
struct ConnectedPairs {
  ConnectedPairs(const LoopbackSocket& listener, int count) : peers(count) {
    for (int i = 0; i < count; ++i) {
      std::optional<LineClient> client = LineClient::Connect(listener.port, kPatience);
      if (!client || !client->Send(std::to_string(i) + "\n")) return;
      clients.push_back(std::move(*client));
    }
    for (int i = 0; i < count; ++i) {
      UniqueFd peer(accept4(listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      peers.at(std::stoi(RecvLine(peer.get()))) = std::move(peer);
    }
  }

  std::vector<LineClient> clients;
  std::vector<UniqueFd> peers;
};

TEST(LineBatchTest, GivesEachClientItsOwnLinesInOrderHoweverSplit) {
  constexpr int kClients = 6, kSplit = 2;  // "second 2" below is kSplit's
  LoopbackSocket listener(kClients);
  ASSERT_TRUE(listener.ok());
  ConnectedPairs pairs(listener, kClients);
  ASSERT_EQ(pairs.clients.size(), size_t{kClients});
  LineBatch batch(pairs.clients);
  // Last client first, two lines each in one write; client kSplit gets only the start of its
  // first line before the batch reads, and the rest after.
  for (int i = kClients - 1; i >= 0; --i) {
    std::string i_text = std::to_string(i);
    SendAll(pairs.peers[i].get(),
            i == kSplit ? "fir" : "first " + i_text + "\nsecond " + i_text + "\n");
  }
  for (const LineClient& client : pairs.clients) {  // so that the short batch below sees it all
    pollfd readable = {client.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&readable, 1, kPatience.count()), 1);
  }
  std::vector<std::optional<std::string>> lines = batch.NextLines(milliseconds(100));
  ASSERT_EQ(lines.size(), size_t{kClients});
  for (int i = 0; i < kClients; ++i) {
    if (i == kSplit) {
      EXPECT_FALSE(lines[i].has_value()) << "client " << i << " has no whole line yet";
    } else {
      EXPECT_EQ(lines[i], "first " + std::to_string(i)) << "client " << i;
    }
  }
  SendAll(pairs.peers[kSplit].get(), "st " + std::to_string(kSplit) + "\nsecond 2\n");
  lines = batch.NextLines(kPatience);
  for (int i = 0; i < kClients; ++i)
    EXPECT_EQ(lines[i], (i == kSplit ? "first " : "second ") + std::to_string(i)) << "client " << i;
  // What came past a line stays with its client, for its own ReadLine.
  EXPECT_EQ(pairs.clients[kSplit].ReadLine(kPatience), "second 2");
}

TEST(LineBatchTest, AnEndedConnectionHasNoLine) {
  LoopbackSocket listener(3);
  ASSERT_TRUE(listener.ok());
  ConnectedPairs pairs(listener, 3);
  ASSERT_EQ(pairs.clients.size(), 3u);
  LineBatch batch(pairs.clients);
  SendAll(pairs.peers[0].get(), "last words without a newline");
  pairs.peers[0].Reset();  // the server closes
  pairs.clients[1].Close();
  SendAll(pairs.peers[2].get(), "still here\n");
  std::vector<std::optional<std::string>> lines = batch.NextLines(kPatience);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_FALSE(lines[0].has_value()) << "a partial line at EOF is no line";
  EXPECT_FALSE(lines[1].has_value()) << "a closed client";
  EXPECT_EQ(lines[2], "still here");
  // The ended connection is not watched any more: the next batch waits for the others only.
  SendAll(pairs.peers[2].get(), "again\n");
  lines = batch.NextLines(kPatience);
  EXPECT_FALSE(lines[0].has_value());
  EXPECT_EQ(lines[2], "again");
}

}  // namespace
}  // namespace forklab
