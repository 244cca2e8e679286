#include "harness/tcp_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace forklab {
namespace {

using Clock = std::chrono::steady_clock;

/// How long Send waits for a server that has stopped reading before it gives up on the
/// connection; Send has no timeout parameter, and no wait may be unbounded.
constexpr auto kSendStallTimeout = std::chrono::seconds(10);

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX));
}

/// Waits until `fd` is ready for `events` or `deadline` passes. False on timeout.
bool PollUntil(int fd, short events, Clock::time_point deadline) {
  if (fd < 0) return false;  // closed here already
  pollfd watched = {fd, events, 0};
  for (;;) {
    int ready = poll(&watched, 1, RemainingMs(deadline));
    if (ready > 0) return true;
    if (ready == 0 && Clock::now() >= deadline) return false;
    if (ready < 0 && errno != EINTR) return false;
  }
}

/// Why connecting to host:port failed, as every client here says it.
std::string ConnectFailure(const std::string& host, uint16_t port, const std::string& reason) {
  return "connect to " + host + ":" + std::to_string(port) + ": " + reason;
}

/// Starts a non-blocking connect to host:port, checked to be loopback before any socket
/// exists: the socket, with the connect done or in progress, or -1 and `error` (when given).
int StartConnect(const std::string& host, uint16_t port, std::string* error) {
  auto fail = [&](const std::string& reason) {
    if (error) *error = ConnectFailure(host, port, reason);
    return -1;
  };
  // Checked before any socket exists: only loopback may ever be contacted.
  sockaddr_storage address;
  socklen_t length = 0;
  if (!ParseLoopback(host, port, &address, &length)) {
    return fail("refused: not a numeric loopback address (127.0.0.0/8 or ::1)");
  }
  // Non-blocking from the start, so that connect itself can be timed out.
  int fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("socket: ") + strerror(errno));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 &&
      errno != EINPROGRESS) {
    std::string reason = strerror(errno);
    close(fd);
    return fail(reason);
  }
  return fd;
}

/// Sends all of `bytes` on the non-blocking socket `fd`. False when the connection failed.
bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    // MSG_NOSIGNAL: a server that reset the connection must cost a false, not a SIGPIPE death.
    ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(sent);  // a partial send: go on with the rest
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && errno == EAGAIN) {
      if (!PollUntil(fd, POLLOUT, Clock::now() + kSendStallTimeout)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/// One poll entry per socket, for `events`, polled at once without waiting.
std::vector<pollfd> PollNow(const std::vector<UniqueFd>& sockets, short events) {
  std::vector<pollfd> entries;
  for (const UniqueFd& fd : sockets) entries.push_back({fd.get(), events, 0});
  poll(entries.data(), entries.size(), 0);
  return entries;
}

}  // namespace

bool ParseLoopback(const std::string& host, uint16_t port, sockaddr_storage* address,
                   socklen_t* length) {
  *address = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(address);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *length = sizeof *v4;
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(address);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *length = sizeof *v6;
    return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  }
  return false;
}

std::optional<LineClient> LineClient::Connect(uint16_t port, std::chrono::milliseconds timeout,
                                              std::string* error, const std::string& host) {
  int fd = StartConnect(host, port, error);
  if (fd < 0) return std::nullopt;
  LineClient client(fd);
  std::string reason;
  int socket_error = 0;
  socklen_t size = sizeof socket_error;
  if (!PollUntil(fd, POLLOUT, Clock::now() + timeout)) {
    reason = "timed out";
  } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &size) == 0 && socket_error) {
    reason = strerror(socket_error);
  }
  if (reason.empty()) return client;
  if (error) *error = ConnectFailure(host, port, reason);
  return std::nullopt;
}

LineClient::LineClient(LineClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), buffer_(std::move(other.buffer_)) {}

LineClient& LineClient::operator=(LineClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    buffer_ = std::move(other.buffer_);
  }
  return *this;
}

LineClient::~LineClient() {
  Close();
}

bool LineClient::Send(std::string_view bytes) {
  return SendAll(fd_, bytes);
}

std::optional<std::string> LineClient::ReadLine(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (std::optional<std::string> line = TakeLine()) return line;
    // At EOF or on a failed connection no complete line will come.
    if (!PollUntil(fd_, POLLIN, deadline) || !Receive()) return std::nullopt;
  }
}

std::optional<std::string> LineClient::TakeLine() {
  size_t newline = buffer_.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  return line;
}

bool LineClient::Receive() {
  char chunk[4096];
  ssize_t received = recv(fd_, chunk, sizeof chunk, 0);
  if (received > 0) buffer_.append(chunk, received);
  return received > 0 || (received < 0 && (errno == EINTR || errno == EAGAIN));
}

LineClient::Closed LineClient::WaitForClose(std::chrono::milliseconds timeout, std::string* data) {
  auto got_data = [&](std::string_view bytes) {
    if (data) data->append(bytes);
    return Closed::kData;
  };
  // Bytes that arrived earlier but were never read also mean the server did not just close.
  if (!buffer_.empty()) return got_data(std::exchange(buffer_, {}));
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (!PollUntil(fd_, POLLIN, deadline)) return Closed::kTimeout;
    char chunk[4096];
    ssize_t received = recv(fd_, chunk, sizeof chunk, 0);
    if (received > 0) return got_data({chunk, static_cast<size_t>(received)});
    if (received < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return Closed::kEof;  // an orderly close, or a reset: closed either way
  }
}

void LineClient::ShutdownWrite() {
  shutdown(fd_, SHUT_WR);
}

void LineClient::Reset() {
  if (fd_ < 0) return;
  // Linger on, with a zero timeout: close discards unsent data and sends RST instead of FIN.
  linger abort = {1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  Close();
}

void LineClient::Close() {
  if (fd_ >= 0) close(std::exchange(fd_, -1));
  buffer_.clear();
}

size_t LineClient::SendWithoutReading(std::string_view chunk, size_t limit,
                                      std::chrono::milliseconds timeout) {
  constexpr int kStalledMs = 100;
  Clock::time_point deadline = Clock::now() + timeout;
  size_t total = 0;
  while (total < limit && Clock::now() < deadline) {
    ssize_t sent = send(fd_, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      total += static_cast<size_t>(sent);
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd writable = {fd_, POLLOUT, 0};
      if (poll(&writable, 1, kStalledMs) == 0) break;  // the server has stopped reading
    } else if (!(sent < 0 && errno == EINTR)) {
      break;
    }
  }
  return total;
}

LineBatch::LineBatch(std::span<LineClient> clients)
    : clients_(clients), epoll_(epoll_create1(EPOLL_CLOEXEC)), ended_(clients.size()) {
  for (size_t i = 0; i < clients_.size() && epoll_.get() >= 0; ++i) {
    // Level-triggered: a socket stays ready until all it holds has been read, a recv at a time.
    epoll_event watch{EPOLLIN, {.u64 = i}};
    if (clients_[i].fd() >= 0 && epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, clients_[i].fd(), &watch))
      epoll_.Reset();
  }
}

std::vector<std::optional<std::string>> LineBatch::NextLines(std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::optional<std::string>> lines(clients_.size());
  if (epoll_.get() < 0) {
    for (size_t i = 0; i < clients_.size(); ++i)
      lines[i] = clients_[i].ReadLine(std::chrono::milliseconds(RemainingMs(deadline)));
    return lines;
  }
  std::vector<bool> waiting(clients_.size());
  size_t still_waiting = 0;
  for (size_t i = 0; i < clients_.size(); ++i) {
    lines[i] = clients_[i].TakeLine();
    waiting[i] = !lines[i] && !ended_[i] && clients_[i].fd() >= 0;
    still_waiting += waiting[i];
  }
  std::vector<epoll_event> ready(clients_.size());
  while (still_waiting > 0) {
    int count = epoll_wait(epoll_.get(), ready.data(), static_cast<int>(ready.size()),
                           RemainingMs(deadline));
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) break;  // the deadline: whatever had arrived by then has been read
    for (const epoll_event& event : std::span(ready).first(count)) {
      size_t i = event.data.u64;
      LineClient& client = clients_[i];
      if (!client.Receive()) {
        // An ended connection stays readable: out of the set, or every wait would return it.
        epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, client.fd(), nullptr);
        ended_[i] = true;
      }
      // A client whose line is in may send more: it is read into its buffer all the same.
      if (!waiting[i]) continue;
      lines[i] = client.TakeLine();
      if (lines[i] || ended_[i]) {
        waiting[i] = false;
        --still_waiting;
      }
    }
  }
  return lines;
}

bool LoopbackPortIsFree(uint16_t port) {
  UniqueFd probe(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int on = 1;
  setsockopt(probe.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

std::optional<ConnectBurst> ConnectBurst::Start(uint16_t port, int count, std::string* error,
                                                const std::string& host) {
  ConnectBurst burst;
  for (int i = 0; i < count; ++i) {
    int fd = StartConnect(host, port, error);
    if (fd < 0) return std::nullopt;
    burst.sockets_.emplace_back(fd);
  }
  return burst;
}

int ConnectBurst::Connected() const {
  int connected = 0;
  for (const pollfd& entry : PollNow(sockets_, POLLOUT)) {
    // Writable means the connect is over; SO_ERROR says how, POLLERR once it has been read.
    int error = 0;
    socklen_t size = sizeof error;
    if ((entry.revents & POLLOUT) && !(entry.revents & POLLERR) &&
        getsockopt(entry.fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error == 0) {
      ++connected;
    }
  }
  return connected;
}

int ConnectBurst::AwaitConnected(std::chrono::milliseconds timeout) const {
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<pollfd> pending;
    for (const pollfd& entry : PollNow(sockets_, POLLOUT)) {
      if (!entry.revents) pending.push_back(entry);
    }
    if (pending.empty() || Clock::now() >= deadline) return Connected();
    poll(pending.data(), pending.size(), RemainingMs(deadline));
  }
}

bool ConnectBurst::Send(int i, std::string_view bytes) {
  return SendAll(sockets_.at(i).get(), bytes);
}

std::vector<ConnectBurst::Received> ConnectBurst::ReadUntilClosed(
    std::chrono::milliseconds timeout) {
  std::vector<Received> received(sockets_.size());
  Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    std::vector<pollfd> open;
    std::vector<size_t> index;
    for (size_t i = 0; i < sockets_.size(); ++i) {
      if (!received[i].closed) {
        open.push_back({sockets_[i].get(), POLLIN, 0});
        index.push_back(i);
      }
    }
    if (open.empty() || Clock::now() >= deadline) return received;
    if (poll(open.data(), open.size(), RemainingMs(deadline)) < 0) continue;  // EINTR
    for (size_t k = 0; k < open.size(); ++k) {
      if (!open[k].revents) continue;
      char chunk[4096];
      ssize_t n = recv(open[k].fd, chunk, sizeof chunk, 0);
      if (n > 0) {
        received[index[k]].bytes.append(chunk, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        received[index[k]].closed = true;  // an orderly close, or a reset: closed either way
      }
    }
  }
}

}  // namespace forklab
