// fork_echo_server: a TCP echo server where the parent only accepts and a forked child serves
// each client.
//
// The lesson (fork 网络编程思路): the parent only accepts new clients and forks a child to
// answer each one; the child talks to its client and exits. Each side closes the socket it
// does not need, and the parent reaps every child that exits.
//
// Prompt reaping, the lesson's weak spot: its parent reaps only after the next accept(), so a
// finished child stays a zombie for as long as no new client comes. Here the parent never
// blocks in accept(). It blocks SIGCHLD, SIGINT and SIGTERM and reads them from a signalfd,
// and one poll() waits on the listener and the signalfd together. A child's exit wakes the
// parent at once, and everything runs in the ordinary control flow of one loop: no signal
// handler, so no async-signal-safety rules and no self-pipe to get right.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "labkit/echo_session.h"
#include "labkit/options.h"
#include "labkit/output.h"

namespace {

// The lesson's listen(1) makes clients that connect at the same moment wait for SYN retries.
// The kernel caps this at net.core.somaxconn.
constexpr int kBacklog = 4096;
// How long accept() rests after running out of descriptors or memory (EMFILE, ENFILE, ...).
constexpr int kAcceptBackoffMs = 100;

// ---- The parent: accept, fork, reap ---------------------------------------------------------

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

// Collects every child that has exited so far. One SIGCHLD can stand for several exits (the
// signal is pending or not, it does not count), so loop until waitpid has nothing more.
void reap_finished(std::vector<pid_t>* children) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;  // 0: children left but none finished; -1 (ECHILD): no children
    std::erase(*children, pid);
    if (WIFSIGNALED(status)) {
      // Put together on the stack: a child that crashed may have run out of memory, and so
      // may the parent.
      char message[64];
      std::snprintf(message, sizeof message, "child %d killed by signal %d", pid, WTERMSIG(status));
      labkit::print_message(message);
    }
  }
}

// What the main loop learnt from the signalfd.
struct Signals {
  bool child_exited = false;
  bool stop = false;  // SIGINT or SIGTERM
};

Signals read_signals(int signal_fd) {
  Signals seen;
  signalfd_siginfo info;
  while (read(signal_fd, &info, sizeof info) == sizeof info) {  // non-blocking: until EAGAIN
    if (info.ssi_signo == SIGCHLD) seen.child_exited = true;
    if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) seen.stop = true;
  }
  return seen;
}

// What the main loop does after an accept() failure.
enum class AfterAccept { kContinue, kBackOff };

// Accepts one client and forks a child to serve it.
AfterAccept accept_client(int listener, int signal_fd, const sigset_t& original_mask,
                          std::vector<pid_t>* children) {
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

  // The child's slot in `children` is made before fork(): once the child runs, recording it
  // must not fail, or the server would lose track of a child it has to end at shutdown.
  try {
    children->emplace_back();
  } catch (const std::bad_alloc&) {
    labkit::print_error("accept", ENOMEM);
    close(client);
    return AfterAccept::kContinue;
  }
  pid_t pid = fork();
  if (pid == -1) {
    // No process to serve this client: close its connection, keep serving the others.
    labkit::print_error("fork", errno);
    children->pop_back();
    close(client);
    return AfterAccept::kContinue;
  }
  if (pid == 0) {
    // The child only talks to its client. It inherited the parent's blocked signals and
    // signalfd: restore the mask, so SIGTERM and Ctrl-C end it as usual, and close what
    // belongs to the parent; the listener especially, so only the parent accepts.
    sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    close(signal_fd);
    close(listener);
    try {
      labkit::serve_echo_client(client);  // the line protocol, until quit or EOF
    } catch (const std::bad_alloc&) {
      // Out of memory: this session ends, cleanly. Uncaught, the exception would abort the
      // child (std::terminate) instead of closing the connection.
      labkit::print_error("session", ENOMEM);
    }
    close(client);
    // _exit: the child must never fall through into the parent's accept loop, and exit()
    // would run the atexit handlers and static destructors it inherited from the parent.
    _exit(0);
  }
  // The parent only accepts: the connection is the child's now. Keeping it open would also
  // keep the client from seeing EOF when its child closes it.
  close(client);
  children->back() = pid;
  return AfterAccept::kContinue;
}

// Ends every child and reaps them all, so the server leaves neither zombies nor orphans
// (an orphan would go on serving its client after the server is gone).
// The list holds only children not reaped yet, so none of these pids can have been reused.
void end_children(const std::vector<pid_t>& children) {
  for (pid_t pid : children) kill(pid, SIGTERM);
  // Children run with SIGTERM's default action, so they die at once and this cannot hang.
  while (waitpid(-1, nullptr, 0) != -1 || errno == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 12345;
  labkit::Options options("fork_echo_server",
                          "Echo lines with a timestamp; one forked child per client.");
  options.Ipv4("--host", &host, "IPv4 address to listen on");
  options.Port("--port", &port, "TCP port to listen on; 0 lets the system choose");
  options.Parse(argc, argv);

  // Belt and braces with MSG_NOSIGNAL: a write to stdout or stderr whose reader has gone
  // must not kill the server either.
  signal(SIGPIPE, SIG_IGN);

  // Blocked signals are not delivered; they wait, pending, until the signalfd reads them.
  sigset_t handled, original_mask;
  sigemptyset(&handled);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGTERM);
  sigprocmask(SIG_BLOCK, &handled, &original_mask);
  int signal_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd == -1) {
    labkit::print_error("signalfd", errno);
    return 1;
  }

  int listener = open_listener(host, port);
  if (listener == -1) return 1;
  announce(listener);

  std::vector<pid_t> children;
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

    Signals signals = read_signals(signal_fd);
    if (signals.child_exited) reap_finished(&children);
    if (signals.stop) break;
    if (listener_ready) {
      backing_off =
          accept_client(listener, signal_fd, original_mask, &children) == AfterAccept::kBackOff;
    }
  }

  // Stop accepting first: from here on new connections are refused, not left waiting.
  close(listener);
  end_children(children);
  return exit_code;
}
