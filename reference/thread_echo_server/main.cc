// thread_echo_server: a TCP echo server with one thread per client.
//
// The lesson (多线程): the main thread only accepts; each client gets its own std::thread,
// which talks to it and ends when the client is done. All threads share one process, so
// there is nothing to reap, but the threads share everything else: the session registry
// below is guarded by a mutex, and every output line is one write(2).
//
// Threads are detached: a finished session leaves nothing to join, so the thread count falls
// back as clients leave, however long the server runs. Shutdown still needs to know who is
// running, so the registry tracks each session's socket: on SIGINT/SIGTERM the main thread
// shuts every socket down, which wakes the sessions blocked in recv() or send(), and waits
// until the registry is empty.
//
// Signals: SIGINT and SIGTERM are blocked in every thread (threads inherit the mask of the
// thread that creates them) and read from a signalfd that the main thread polls together
// with the listener, so shutdown runs in ordinary code, not in a signal handler.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "labkit/echo_session.h"
#include "labkit/options.h"
#include "labkit/output.h"

namespace {

// The lesson's listen(1) makes clients that connect at the same moment wait for SYN retries.
// The kernel caps this at net.core.somaxconn.
constexpr int kBacklog = 4096;
// How long accept() rests after running out of descriptors or memory (EMFILE, ENFILE, ...).
constexpr int kAcceptBackoffMs = 100;
// Sessions get this long to end after their sockets are shut down.
constexpr std::chrono::seconds kSessionShutdownGrace{1};

/// The sockets of the sessions still running. add() before a session's thread starts;
/// finish() is the session's last act. shut_down_all() wakes every session, and
/// wait_until_empty() waits for them to finish. Thread-safe.
class Sessions {
 public:
  void add(int client) {
    std::lock_guard lock(mutex_);
    clients_.insert(client);
  }

  // Forgets and closes `client` under the lock, so shut_down_all() never touches a
  // descriptor number that was closed and then reused for another file.
  void finish(int client) {
    std::lock_guard lock(mutex_);
    clients_.erase(client);
    close(client);
    // Notified under the lock: main() cannot return and destroy *this while we still use it.
    if (clients_.empty()) all_finished_.notify_all();
  }

  // shutdown(), not close(): the descriptor stays valid for its session, while a recv() it is
  // blocked in returns 0 and a send() fails, so the session ends by its normal path.
  void shut_down_all() {
    std::lock_guard lock(mutex_);
    for (int client : clients_) shutdown(client, SHUT_RDWR);
  }

  bool wait_until_empty(std::chrono::seconds timeout) {
    std::unique_lock lock(mutex_);
    return all_finished_.wait_for(lock, timeout, [this] { return clients_.empty(); });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_finished_;
  std::unordered_set<int> clients_;
};

// ---- A session thread: one client -----------------------------------------------------------

// The body of each session thread. Returning ends the thread; nothing waits to join it.
void run_session(int client, Sessions* sessions) {
  try {
    // The line protocol, until quit or EOF. Sessions share nothing in it (local_hhmmss() uses
    // localtime_r), so any number of them may run at once.
    labkit::serve_echo_client(client);
  } catch (const std::bad_alloc&) {
    // Out of memory: only this session ends. An exception that leaves a thread's body calls
    // std::terminate, which ends the whole process, every other client's session with it.
    labkit::print_error("session", ENOMEM);
  }
  sessions->finish(client);
}

// ---- The main thread: accept and start sessions -------------------------------------------

// Socket, SO_REUSEADDR, bind, listen. Returns the listening socket, or -1 after reporting.
// SO_REUSEADDR lets a restarted server bind its port while connections of the previous run
// linger in TIME_WAIT. The socket is non-blocking: poll() may report a connection that is
// gone again (reset) by the time accept() runs, and accept() must then fail, not block.
int open_listener(const std::string& host, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);  // validated by the option parser

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener == -1) {
    labkit::print_error("socket", errno);
    return -1;
  }
  int on = 1;
  if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1) {
    labkit::print_error("setsockopt SO_REUSEADDR", errno);
  } else if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
    labkit::print_error("bind " + host + ":" + std::to_string(port), errno);
  } else if (listen(listener, kBacklog) == -1) {
    labkit::print_error("listen", errno);
  } else {
    return listener;
  }
  close(listener);
  return -1;
}

// "listening on ADDR:PORT" with the port the system really chose (it differs for --port 0).
void announce(int listener) {
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length);
  char text[INET_ADDRSTRLEN] = "";
  inet_ntop(AF_INET, &bound.sin_addr, text, sizeof text);
  labkit::print_line("listening on " + std::string(text) + ":" +
                     std::to_string(ntohs(bound.sin_port)));
}

// True once SIGINT or SIGTERM has arrived.
bool stop_requested(int signal_fd) {
  bool stop = false;
  signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof info) == sizeof info) stop = true;  // until EAGAIN
  return stop;
}

// What the main loop does after an accept() failure.
enum class AfterAccept { kContinue, kBackOff };

// Accepts one client and starts a thread to serve it.
AfterAccept accept_client(int listener, Sessions* sessions) {
  int client = accept(listener, nullptr, nullptr);
  if (client == -1) {
    switch (errno) {
      case EAGAIN:  // the connection went away between poll() and accept()
      case EINTR:
        return AfterAccept::kContinue;
      case EMFILE:  // out of descriptors or memory: the client stays queued and accept()
      case ENFILE:  // would fail again at once, so rest instead of spinning
      case ENOBUFS:
      case ENOMEM:
        labkit::print_error("accept", errno);
        return AfterAccept::kBackOff;
      default:  // ECONNABORTED, EPROTO, ...: that client is lost, the next one is fine
        labkit::print_error("accept", errno);
        return AfterAccept::kContinue;
    }
  }

  // Registered before the thread starts, so its finish() always finds it. When either step
  // fails, finish() closes the connection (it forgets the client only if it was added) and
  // the server keeps serving the others. Uncaught, the exception would end the whole server.
  try {
    sessions->add(client);
    std::thread(run_session, client, sessions).detach();
  } catch (const std::system_error& error) {
    // No thread for this client (EAGAIN: out of threads or memory).
    labkit::print_error("thread", error.code().value());
    sessions->finish(client);
  } catch (const std::bad_alloc&) {
    // No memory to register the client or to hand its socket to a thread.
    labkit::print_error("session", ENOMEM);
    sessions->finish(client);
  }
  return AfterAccept::kContinue;
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 12345;
  labkit::Options options("thread_echo_server",
                          "Echo lines with a timestamp; one thread per client.");
  options.Ipv4("--host", &host, "IPv4 address to listen on");
  options.Port("--port", &port, "TCP port to listen on; 0 lets the system choose");
  options.Parse(argc, argv);

  // Belt and braces with MSG_NOSIGNAL: a write to stdout or stderr whose reader has gone
  // must not kill the server either.
  signal(SIGPIPE, SIG_IGN);

  // Blocked before any thread exists, so every session thread inherits the mask and the
  // signals always wait, pending, for the signalfd of the main thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  int signal_fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd == -1) {
    labkit::print_error("signalfd", errno);
    return 1;
  }

  int listener = open_listener(host, port);
  if (listener == -1) return 1;
  announce(listener);

  Sessions sessions;
  int exit_code = 0;
  bool backing_off = false;
  for (;;) {
    // While backing off, the listener is left out of poll(): it stays readable as long as a
    // client waits, and accept() would only fail again.
    pollfd watched[2] = {{signal_fd, POLLIN, 0}, {listener, POLLIN, 0}};
    int ready = poll(watched, backing_off ? 1 : 2, backing_off ? kAcceptBackoffMs : -1);
    if (ready == -1 && errno != EINTR) {
      labkit::print_error("poll", errno);
      exit_code = 1;
      break;
    }
    bool listener_ready = !backing_off && (watched[1].revents & POLLIN);
    backing_off = false;

    if (stop_requested(signal_fd)) break;
    if (listener_ready) backing_off = accept_client(listener, &sessions) == AfterAccept::kBackOff;
  }

  // Stop accepting first: from here on new connections are refused, not left waiting.
  close(listener);
  sessions.shut_down_all();
  if (!sessions.wait_until_empty(kSessionShutdownGrace)) {
    // A session is stuck. Returning from main would run static destructors under its feet;
    // _exit ends the process, every thread included, without them.
    labkit::print_message("sessions still running at shutdown; exiting anyway");
    _exit(exit_code);
  }
  return exit_code;
}
