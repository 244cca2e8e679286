// The echo server's startup, options and line protocol, one client at a time.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/proc.h"
#include "harness/tcp_client.h"
#include "harness/unique_fd.h"
#include "i18n/messages.h"
#include "suites/claims.h"
#include "suites/echo_server_fixture.h"
#include "suites/required_wait.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;

/// A line of `size` bytes whose letters change, so that a lost or repeated piece shows.
std::string VaryingLine(size_t size) {
  std::string line(size, ' ');
  for (size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i * 7 % 26);
  return line;
}

// ---- Startup and options --------------------------------------------------------------------

TEST_F(EchoServer, StartupLine) {
  ASSERT_TRUE(StartServer());
  EXPECT_EQ(listening_address_, "127.0.0.1");
  EXPECT_EQ(TcpSocketsOf(server_pid()).listening, 1)
      << Tr("the server should hold exactly one listening socket");
  std::optional<LineClient> client = Connect();
  ASSERT_TRUE(client) << Tr("the port in the startup line is not the one the server listens on");
  EXPECT_TRUE(Echoes(*client, "ping"));
}

TEST_F(EchoServer, DefaultHostAndPort) {
  // Only one test on this machine may use the fixed port at a time (ctest -j runs the other
  // variant's copy of this test in parallel).
  UniqueFd lock;
  ASSERT_TRUE(LockFixedPort(kDefaultPort, &lock));
  if (!LoopbackPortIsFree(kDefaultPort)) {
    GTEST_SKIP() << Tr("port {} is in use on this machine", kDefaultPort);
  }
  ASSERT_TRUE(StartServer({}));
  EXPECT_EQ(listening_address_ + ":" + std::to_string(port_), "127.0.0.1:12345");
  std::optional<LineClient> client = Connect();
  if (!client) return;  // Connect() failed the check, saying why
  EXPECT_TRUE(Echoes(*client, "default"));
}

TEST_F(EchoServer, HostOption) {
  ASSERT_TRUE(StartServer({"--host", "127.0.0.2", "--port", "0"}));
  EXPECT_EQ(listening_address_, "127.0.0.2");
  std::optional<LineClient> client = Connect("127.0.0.2");
  if (!client) return;  // Connect() failed the check, saying why
  EXPECT_TRUE(Echoes(*client, "on .2"));
  EXPECT_FALSE(LineClient::Connect(port_, kConnectTimeout, nullptr, "127.0.0.1"))
      << Tr("with --host 127.0.0.2 the server must listen on that address only");
}

TEST_F(EchoServer, RestartOnSamePort) {
  ASSERT_TRUE(StartServer());
  uint16_t port = port_;
  {
    std::optional<LineClient> client = Connect();
    if (!client) return;  // Connect() failed the check, saying why
    ASSERT_TRUE(Echoes(*client, "first run"));
    // The server's side closes first, so its end of the connection lingers in TIME_WAIT on
    // the server's port: binding that port again needs SO_REUSEADDR.
    server_->KillTree();
    EXPECT_TRUE(ClosesSilently(*client, kReplyTimeout));
  }
  ASSERT_TRUE(StartServer({"--port", std::to_string(port)}))
      << Tr("a restart on port {} failed while its old connection is in TIME_WAIT: set "
            "SO_REUSEADDR before bind",
            port);
  EXPECT_EQ(port_, port);
  EXPECT_TRUE(StillServing());
}

TEST_F(EchoServer, BadOptionsExit2WithUsage) {
  // Control: with good options the program serves, so the exits below are the options' doing.
  ASSERT_TRUE(StartServer());
  ASSERT_TRUE(StillServing());
  server_.reset();
  const std::vector<std::vector<std::string>> bad = {
      {"--bogus"}, {"--port", "abc"},       {"--port", "70000"}, {"--port", "-1"},
      {"--port"},  {"--host", "999.0.0.1"}, {"unexpected"},
  };
  for (const std::vector<std::string>& args : bad) ExpectUsageError(args, 5s, "listening on");
}

// ---- The line protocol ----------------------------------------------------------------------

TEST_F(EchoServer, ReplyFormat) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  ASSERT_TRUE(client->Send("hello world\n")) << SendFailed();
  std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
  ASSERT_TRUE(reply) << Tr("no reply within {} ms", kReplyTimeout.count());
  EXPECT_TRUE(std::regex_match(*reply, std::regex(R"(^\[\d\d:\d\d:\d\d\] hello world$)")))
      << Tr("expected \"[HH:MM:SS] hello world\", got {}", Quoted(*reply));
  // The line's bytes come back as they are: no trimming of spaces or tabs.
  EXPECT_TRUE(Echoes(*client, "  two  spaces\t "));
  EXPECT_FALSE(client->ReadLine(200ms)) << Tr("one reply line per line received, nothing more");
}

TEST_F(EchoServer, TimestampIsLocalTime) {
  // Local time 17:47 or 19:47, never UTC's hour: catches UTC instead of local, 12-hour clocks
  // (05:47) and a TZ that is not honoured.
  FixedZone zone = AfternoonZone();
  ASSERT_TRUE(StartServer({"--port", "0"}, zone));
  std::optional<LineClient> client = Connect();
  if (!client) return;  // Connect() failed the check, saying why
  std::string cause;    // what a wrong stamp is instead: the hint that fits it
  EXPECT_TRUE(EchoesAtLocalTime(*client, "what time is it", zone, &cause));
  // Taken at reply time, not once per connection: a second later, the stamp has moved.
  RequireWait(1100ms);
  std::this_thread::sleep_for(1100ms);
  if (cause.empty()) {
    EXPECT_TRUE(EchoesAtLocalTime(*client, "and now", zone, &cause));
  }
  if (!cause.empty()) UseHint(cause);
}

TEST_F(EchoServer, TimestampZeroPadded) {
  // Local time 05:04:00: every field is a single digit for the next ten seconds.
  FixedZone zone = ZoneWhereNowIs(SecondsOfDay(5, 4, 0));
  ASSERT_TRUE(StartServer({"--port", "0"}, zone));
  std::optional<LineClient> client = Connect();
  if (!client) return;  // Connect() failed the check, saying why
  ASSERT_TRUE(client->Send("early\n")) << SendFailed();
  std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
  ASSERT_TRUE(reply) << Tr("no reply within {} ms", kReplyTimeout.count());
  EXPECT_TRUE(std::regex_match(*reply, std::regex(R"(^\[05:04:0\d\] early$)")))
      << Tr("at 05:04:0x local time (TZ={}) the reply was {}; fields are zero-padded to two "
            "digits (%H:%M:%S)",
            zone.tz, Quoted(*reply));
}

TEST_F(EchoServer, Utf8ByteExact) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  for (std::string line : {"你好", "你好，世界 ✓ 😀 héllo wörld", "日本語\tπ≈3.14159"}) {
    EXPECT_TRUE(Echoes(*client, line));
  }
}

TEST_F(EchoServer, EmptyLine) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  EXPECT_TRUE(Echoes(*client, "")) << Tr("an empty line gets \"[HH:MM:SS] \"");
  EXPECT_TRUE(Echoes(*client, "after the empty line"))
      << Tr("an empty line must not end the session");
}

TEST_F(EchoServer, LongLine64KiB) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  EXPECT_TRUE(Echoes(*client, VaryingLine(kMaxLine)))
      << Tr("a 64 KiB line must come back whole, in one reply: recv() returns any piece of the "
            "stream, so buffer until '\\n'");
  EXPECT_TRUE(Echoes(*client, "short"));
}

TEST_F(EchoServer, OverlongLineKeepsServerUp) {
  ASSERT_TRUE(StartServer());
  {
    std::optional<LineClient> client = Connect();
    if (!client) return;  // Connect() failed the check, saying why
    std::string line(4 * kMaxLine, 'z');
    // The server may echo it or close this connection; either way the send may fail.
    if (client->Send(line + "\n")) {
      std::optional<std::string> reply = client->ReadLine(kReplyTimeout);
      if (reply) {
        EXPECT_TRUE(IsReplyTo(*reply, line)) << Tr("a line longer than 64 KiB was cut");
      }
    }
  }
  EXPECT_TRUE(StillServing()) << Tr("after a 256 KiB line");
}

TEST_F(EchoServer, LineInDelayedPieces) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  // "你" (e4 bd a0) is split between two pieces, and so is the "\r\n".
  for (std::string_view piece : {"hel", "lo, wo", "rld \xe4\xbd", "\xa0 end", "\r", "\n"}) {
    ASSERT_TRUE(client->Send(piece)) << SendFailed();
    RequireWait(80ms);  // each piece its own segment
    std::this_thread::sleep_for(80ms);
  }
  EXPECT_TRUE(RepliesWith(*client, "hello, world 你 end"))
      << Tr("a line that arrives in pieces is still one line: buffer until '\\n'");
}

TEST_F(EchoServer, SeveralLinesInOneSegment) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  ASSERT_TRUE(client->Send("one\ntwo\n\nthree\n")) << SendFailed();
  for (std::string_view line : {"one", "two", "", "three"}) {
    EXPECT_TRUE(RepliesWith(*client, line)) << Tr("one reply per line, in order");
  }
}

TEST_F(EchoServer, CarriageReturnStripped) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  ASSERT_TRUE(client->Send("dos line\r\n")) << SendFailed();
  EXPECT_TRUE(RepliesWith(*client, "dos line")) << Tr("the trailing \\r of \\r\\n is stripped");
  EXPECT_TRUE(Echoes(*client, "inner\rreturn")) << Tr("only a trailing \\r is stripped");
}

TEST_F(EchoServer, QuitWithWhitespaceCloses) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  ASSERT_TRUE(Echoes(*client, "before"));
  ASSERT_TRUE(client->Send("  quit  \n")) << SendFailed();
  EXPECT_TRUE(ServerCloses(*client, kQuitCloseLimit)) << Tr("after \"  quit  \\n\"");

  std::optional<LineClient> other = Connect();
  if (!other) return;  // Connect() failed the check, saying why
  EXPECT_TRUE(Echoes(*other, "quitter")) << Tr("only a line that is exactly quit quits");
  ASSERT_TRUE(other->Send("\t quit\r\n")) << SendFailed();
  EXPECT_TRUE(ServerCloses(*other, kQuitCloseLimit)) << Tr("after \"\\t quit\\r\\n\"");
}

TEST_F(EchoServer, EofEchoesFinalLineAndCloses) {
  std::optional<LineClient> client;
  ASSERT_TRUE(StartServerWithClient(&client));
  ASSERT_TRUE(client->Send("full line\nno newline")) << SendFailed();
  client->ShutdownWrite();
  EXPECT_TRUE(RepliesWith(*client, "full line"));
  EXPECT_TRUE(RepliesWith(*client, "no newline"))
      << Tr("at EOF the last line without '\\n' is echoed too");
  EXPECT_TRUE(ServerCloses(*client, kEofCloseTimeout))
      << Tr("after the client's EOF (recv() returning 0) the server must close");

  std::optional<LineClient> plain = Connect();
  if (!plain) return;  // Connect() failed the check, saying why
  plain->ShutdownWrite();
  EXPECT_TRUE(ServerCloses(*plain, kEofCloseTimeout)) << Tr("EOF without any line");
}

}  // namespace
}  // namespace forklab
