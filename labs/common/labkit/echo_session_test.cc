#include "labkit/echo_session.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <regex>
#include <string>
#include <thread>

namespace {

/// A client connected to serve_echo_client() running in a thread: what the test sends, and
/// everything the session answered until it closed the connection.
class Session {
 public:
  Session() {
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    server_ = std::thread([this] {
      labkit::serve_echo_client(fds_[1]);
      close(fds_[1]);
    });
  }
  ~Session() {
    if (server_.joinable()) server_.join();
    close(fds_[0]);
  }

  // Sends `text`; an error once the session has closed its side is expected in some tests.
  void Send(std::string_view text) { labkit::send_all(fds_[0], text); }

  // Closes the sending side (EOF for the session) and reads the replies until it closes.
  std::string EndAndRead() {
    shutdown(fds_[0], SHUT_WR);
    return ReadUntilClosed();
  }

  std::string ReadUntilClosed() {
    std::string replies;
    char buffer[4096];
    ssize_t n;
    while ((n = recv(fds_[0], buffer, sizeof buffer, 0)) > 0) replies.append(buffer, n);
    server_.join();
    return replies;
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread server_;
};

// Removes every "[HH:MM:SS] " a reply starts with, after checking its format.
std::string WithoutTimestamps(const std::string& replies) {
  static const std::regex kStamp(R"(\[[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\] )");
  std::string rest = std::regex_replace(replies, kStamp, "");
  EXPECT_EQ(replies.size() - rest.size(),
            11 * static_cast<size_t>(std::count(rest.begin(), rest.end(), '\n')))
      << "every reply line starts with a timestamp: " << replies;
  return rest;
}

TEST(IsQuit, TrimsSurroundingWhitespaceOnly) {
  EXPECT_TRUE(labkit::is_quit("quit"));
  EXPECT_TRUE(labkit::is_quit(" \tquit \r"));
  EXPECT_FALSE(labkit::is_quit("qu it"));
  EXPECT_FALSE(labkit::is_quit("quit now"));
  EXPECT_FALSE(labkit::is_quit("QUIT"));
  EXPECT_FALSE(labkit::is_quit(""));
}

TEST(SendAll, ReportsAGonePeerAsEpipeWithoutSigpipe) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  close(fds[1]);
  EXPECT_EQ(labkit::send_all(fds[0], "x"), EPIPE);  // a SIGPIPE would have killed the test
  close(fds[0]);
}

TEST(ServeEchoClient, AnswersEachLineWithATimestampAndStripsOneCarriageReturn) {
  Session session;
  session.Send("hello\nwith crlf\r\n\n  spaced  \n");
  EXPECT_EQ(WithoutTimestamps(session.EndAndRead()), "hello\nwith crlf\n\n  spaced  \n");
}

TEST(ServeEchoClient, JoinsALineSentInPieces) {
  Session session;
  session.Send("hel");
  session.Send("lo\nwor");
  session.Send("ld\n");
  EXPECT_EQ(WithoutTimestamps(session.EndAndRead()), "hello\nworld\n");
}

TEST(ServeEchoClient, QuitEndsTheSessionWithoutAReply) {
  Session session;
  session.Send("one\n \tquit\r\nnever answered\n");
  EXPECT_EQ(WithoutTimestamps(session.ReadUntilClosed()), "one\n");
}

TEST(ServeEchoClient, AnswersALastLineWithoutNewlineAtEof) {
  Session session;
  session.Send("one\nlast\r");
  EXPECT_EQ(WithoutTimestamps(session.EndAndRead()), "one\nlast\n");
}

TEST(ServeEchoClient, AnUnterminatedQuitAtEofClosesWithoutAReply) {
  Session session;
  session.Send("one\nquit\r");
  EXPECT_EQ(WithoutTimestamps(session.EndAndRead()), "one\n");
}

TEST(ServeEchoClient, EchoesA64KiBLineWhole) {
  Session session;
  std::string line(labkit::kMaxEchoLineBytes, 'x');
  session.Send(line + "\r\n");
  EXPECT_EQ(WithoutTimestamps(session.EndAndRead()), line + "\n");
}

TEST(ServeEchoClient, CutsOffALongerLine) {
  Session session;
  session.Send("short\n" + std::string(labkit::kMaxEchoLineBytes + 2, 'x'));
  EXPECT_EQ(WithoutTimestamps(session.ReadUntilClosed()), "short\n");
}

}  // namespace
