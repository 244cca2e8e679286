// Loopback TCP clients with timeouts, to talk to the echo servers: one connection at a time,
// many read together, or a burst of them.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/unique_fd.h"

namespace forklab {

/// Parses a numeric loopback address (127.0.0.0/8 or ::1) and `port` into `address`. False
/// for anything else; host names too, since they would need a resolver and could name
/// anything. Every connection here is checked with it before a socket exists.
bool ParseLoopback(const std::string& host, uint16_t port, sockaddr_storage* address,
                   socklen_t* length);

/// One TCP connection to a server under test, line oriented. Every wait has a timeout, so
/// a hung server costs a failed assertion, never a hung grader. Closes its socket when
/// destroyed. Only loopback addresses are accepted (the workplace's network rule).
class LineClient {
 public:
  /// Connects to host:port. Returns nullopt and sets `error` (when given) on failure.
  static std::optional<LineClient> Connect(uint16_t port, std::chrono::milliseconds timeout,
                                           std::string* error = nullptr,
                                           const std::string& host = "127.0.0.1");
  LineClient(LineClient&& other) noexcept;
  LineClient& operator=(LineClient&& other) noexcept;
  ~LineClient();

  /// Sends all of `bytes`. False when the connection failed.
  bool Send(std::string_view bytes);
  /// The next line without '\n', waiting at most `timeout`; nullopt on timeout or EOF.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);

  enum class Closed { kEof, kData, kTimeout };
  /// Waits for the server to close the connection. kData if bytes arrived instead (they are
  /// appended to `data` when given), kTimeout if it stayed open.
  Closed WaitForClose(std::chrono::milliseconds timeout, std::string* data = nullptr);

  /// Sends `chunk` over and over without reading anything, until the server stops taking
  /// bytes (no room for 100 ms: both directions are full), `limit` bytes have gone out, or
  /// `timeout` passes. Returns how many bytes went out.
  size_t SendWithoutReading(std::string_view chunk, size_t limit,
                            std::chrono::milliseconds timeout);

  /// Shuts down the sending side (the server reads EOF).
  void ShutdownWrite();
  /// Aborts the connection with a RST (SO_LINGER 0, then close).
  void Reset();
  void Close();
  int fd() const { return fd_; }

 private:
  friend class LineBatch;
  explicit LineClient(int fd) : fd_(fd) {}
  /// The next complete line taken from what has been received, without '\n'.
  std::optional<std::string> TakeLine();
  /// One recv() of what is ready into the buffer (nothing when nothing is). False once the
  /// connection has ended (EOF, reset, failure): no byte will come any more.
  bool Receive();

  int fd_ = -1;
  std::string buffer_;
};

/// Reads the next line of each of many LineClients together, as the echo checks read the
/// replies to a line sent on every connection: one epoll set, registered once, watches every
/// socket, and each wait reads whatever has arrived on any of them into that client's buffer,
/// so a round costs one recv() per reply and a few epoll_wait() calls in all, where reading
/// each client in turn costs a poll() and a recv() per reply. Replies are the clients' own:
/// bytes past a line stay in that client's buffer, for the next batch or its own ReadLine.
/// The clients must stay where they are (not moved, not reconnected) while this reads them;
/// one closed meanwhile just has no line. Without an epoll set (no descriptor left), reads
/// each client in turn, with the same deadline.
class LineBatch {
 public:
  explicit LineBatch(std::span<LineClient> clients);

  /// Entry i is client i's next line without '\n', or nullopt when none was complete within
  /// `timeout` (one deadline for all) or its connection ended first.
  std::vector<std::optional<std::string>> NextLines(std::chrono::milliseconds timeout);

 private:
  std::span<LineClient> clients_;
  UniqueFd epoll_;
  std::vector<bool> ended_;  // EOF or failure seen, and taken out of the set
};

/// Whether 127.0.0.1:`port` can be bound now, with SO_REUSEADDR as a server would: no other
/// socket listens there or holds it bound.
bool LoopbackPortIsFree(uint16_t port);

/// Many connections to one loopback server, started together without waiting on each other
/// (non-blocking connects), so that they can fill a listen backlog. Passive: nothing happens
/// outside the calls below, and every wait has a timeout. Closes its sockets when destroyed.
/// Only loopback addresses are accepted, as for LineClient.
class ConnectBurst {
 public:
  /// Starts `count` connects to host:port. Returns nullopt and sets `error` (when given) when
  /// the host is refused or a connect fails at once.
  static std::optional<ConnectBurst> Start(uint16_t port, int count, std::string* error = nullptr,
                                           const std::string& host = "127.0.0.1");

  int size() const { return static_cast<int>(sockets_.size()); }
  /// How many connects have completed without error, at this moment.
  int Connected() const;
  /// Waits until every connect has completed or failed, or `timeout` passes; then Connected().
  int AwaitConnected(std::chrono::milliseconds timeout) const;

  /// Sends all of `bytes` on connection `i`. False when the connection failed.
  bool Send(int i, std::string_view bytes);

  /// What one connection received, and whether the server closed it (EOF or reset).
  struct Received {
    std::string bytes;
    bool closed = false;
  };
  /// Reads every connection until the server has closed it or `timeout` passes.
  std::vector<Received> ReadUntilClosed(std::chrono::milliseconds timeout);

 private:
  ConnectBurst() = default;
  std::vector<UniqueFd> sockets_;
};

}  // namespace forklab
