// thread_echo_server: a TCP echo server with one thread per client.
// The contract is in labs/README.md; the lesson and the task in
// labs/thread_echo_server/README.md.
#include <cstdint>
#include <string>

#include "labkit/echo_session.h"
#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/timestamp.h"  // labkit::local_hhmmss(), for a session of your own

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  uint16_t port = 12345;
  labkit::Options options("thread_echo_server",
                          "Echo lines with a timestamp; one thread per client.");
  options.Ipv4("--host", &host, "IPv4 address to listen on");
  options.Port("--port", &port, "TCP port to listen on; 0 lets the system choose");
  options.Parse(argc, argv);

  // TODO(lesson: 多线程): ignore SIGPIPE, or pass MSG_NOSIGNAL to every send(): one client
  //   that disappears mid-reply must not kill the process and every other client with it.
  // TODO: block SIGINT and SIGTERM (pthread_sigmask) before starting any thread, so every
  //   thread inherits the mask, and create a signalfd for them.
  // TODO: socket, setsockopt(SO_REUSEADDR), bind to host:port, listen with a backlog of at
  //   least 128 (the lesson's listen(1) stalls clients that connect together), then
  //   getsockname for the real port and labkit::print_line("listening on ADDR:PORT").
  //   On failure: labkit::print_error("bind", errno) and return 1.
  // TODO: loop on poll() over the listener and the signalfd. For each accepted client start
  //   one std::thread running the session (detach it, or keep it and join it once finished:
  //   a finished client's thread must end, so the thread count falls back).
  //   - std::thread throws std::system_error when no thread can be created: catch it, report
  //     it, close that connection, and go on serving.
  //   - accept errors: report them; on EMFILE/ENFILE/ENOBUFS/ENOMEM (out of descriptors or
  //     memory) pause briefly instead of retrying at once.
  // TODO: the session (the thread body): labkit::serve_echo_client(client)
  //   (labkit/echo_session.h) runs the line protocol of the contract (lines buffered across
  //   recv() calls, "[HH:MM:SS] line" replies sent whole, quit, EOF, 64 KiB lines) and returns
  //   when the session is over; it shares nothing between sessions, so every thread may call
  //   it. It throws std::bad_alloc when memory runs out: catch it in the thread body and report
  //   it (labkit::print_error("session", ENOMEM)), or the whole server ends. Close the socket
  //   when the session ends.
  // TODO: on SIGINT/SIGTERM: close the listener, shutdown(SHUT_RDWR) every client socket still
  //   open (so sessions blocked in recv() wake up), let the sessions end, and return 0, all
  //   within 2 seconds. Keep the open sockets in a set guarded by a std::mutex.
  labkit::not_implemented();
}
