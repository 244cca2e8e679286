// A blocking loopback TCP client with timeouts, to talk to the echo servers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace forklab {

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

  /// Shuts down the sending side (the server reads EOF).
  void ShutdownWrite();
  /// Aborts the connection with a RST (SO_LINGER 0, then close).
  void Reset();
  void Close();
  int fd() const { return fd_; }

 private:
  explicit LineClient(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace forklab
