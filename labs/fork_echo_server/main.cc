// fork_echo_server: a TCP echo server where the parent only accepts and a forked child serves
// each client.
// The contract is in labs/README.md; the lesson and the task in labs/fork_echo_server/README.md.
#include <cstdint>
#include <string>

#include "labkit/echo_session.h"
#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/timestamp.h"  // labkit::local_hhmmss(), for a session of your own

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 12345;
  labkit::Options options("fork_echo_server",
                          "Echo lines with a timestamp; one forked child per client.");
  options.Ipv4("--host", &host, "IPv4 address to listen on");
  options.Port("--port", &port, "TCP port to listen on; 0 lets the system choose");
  options.Parse(argc, argv);

  // TODO(lesson: fork 网络编程思路): ignore SIGPIPE, or pass MSG_NOSIGNAL to every send(), so
  //   a client that disappears mid-reply cannot kill the server.
  // TODO: block SIGCHLD, SIGINT and SIGTERM (sigprocmask) and create a signalfd for them, so
  //   child exits and stop requests arrive as readable data instead of interrupting you.
  // TODO: socket, setsockopt(SO_REUSEADDR), bind to host:port, listen with a backlog of at
  //   least 128 (the lesson's listen(1) stalls clients that connect together), then
  //   getsockname for the real port and labkit::print_line("listening on ADDR:PORT").
  //   On failure: labkit::print_error("bind", errno) and return 1.
  // TODO: loop on poll() over the listener and the signalfd. Never block in accept() alone:
  //   the lesson reaps only after the next accept, so a finished child stays a zombie (僵尸进程)
  //   until another client comes.
  //   - SIGCHLD: waitpid(-1, &status, WNOHANG) until it returns 0 or -1 (0: children left,
  //     none finished; -1: ECHILD, no children at all); one signal can stand for several exits.
  //   - listener readable: accept. On EMFILE/ENFILE/ENOBUFS/ENOMEM (out of descriptors or
  //     memory) report it and pause briefly instead of retrying at once; report other errors
  //     and go on.
  //   - fork. If it fails: report it (labkit::print_error), close that connection, go on.
  // TODO: in the child: restore the signal mask, close the signalfd and the listener (only the
  //   parent accepts), then serve the client with labkit::serve_echo_client(client)
  //   (labkit/echo_session.h): it runs the line protocol of the contract (lines buffered
  //   across recv() calls, "[HH:MM:SS] line" replies sent whole, quit, EOF, 64 KiB lines) and
  //   returns when the session is over. It throws std::bad_alloc when memory runs out: catch
  //   it and report it (labkit::print_error("session", ENOMEM)), or the child aborts.
  //   Close the connection and end with _exit(0): the child must never return into the
  //   parent's accept loop (子进程做完后务必结束退出).
  // TODO: in the parent: close the connected socket (the parent only accepts) and remember the
  //   child's pid.
  // TODO: on SIGINT/SIGTERM: close the listener, kill(child, SIGTERM) every child you still
  //   have, waitpid them all, and return 0, all within 2 seconds.
  labkit::not_implemented();
}
