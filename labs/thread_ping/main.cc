// thread_ping: a parallel ping sweep with one std::thread per host, whose body is a plain
// function.
//
//   thread_ping [--ping-cmd "PROG ARGS..."] [--jobs N] TARGET...
//
// The options are parsed for you; the sweep is yours. See README.md for the lesson and the
// contract (labs/README.md is the full text).
#include <limits>
#include <string>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/ping.h"
#include "labkit/targets.h"

// TODO 1: write the thread body as a plain function, e.g.
//           void ping_host(std::string host, ...);
//         It pings its host with labkit::run_ping(command, host, dev_null) (labkit/ping.h:
//         a child process execs the ping command with the host appended, its output going to
//         dev_null, an fd of /dev/null you open once; the thread waits for *its own* child,
//         never waitpid(-1), which could steal another thread's child). Then it prints
//         HOST:up, HOST:down or, for PingResult::kError (run_ping has put the reason on
//         stderr), HOST:error with a single labkit::print_line(), so lines of different
//         threads never mix.

int main(int argc, char** argv) {
  std::string ping_command = "ping -c 2 -W 1";
  int jobs = 0;  // 0: no cap
  std::vector<std::string> targets;
  labkit::Options options("thread_ping",
                          "Ping every host of the TARGETs at once, one thread per host.");
  options.Text("--ping-cmd", &ping_command, "The ping command; the host is appended");
  options.Integer("--jobs", &jobs, 1, std::numeric_limits<int>::max(),
                  "How many pings may run at once (default: all)", labkit::Default::kHidden);
  options.Arguments("targets", &targets, "A.B.C.D, A.B.C.X-Y or A.B.C.D/NN (16 <= NN <= 32)");
  options.Parse(argc, argv);

  // TODO 2: expand every target with labkit::expand_target() *before* starting anything; on a
  //         bad one print the reason (labkit::print_message) and return 2. Split the ping
  //         command with labkit::split_command().
  // TODO 3: start one std::thread(ping_host, host, ...) per host. With --jobs N, never have
  //         more than N running: join one that has finished before starting the next.
  // TODO 4: creating a thread throws std::system_error; with EAGAIN, retry a few times with a
  //         growing pause, then report HOST:error.
  // TODO 5: join every thread, then return 1 if any host ended in error, else 0.
  labkit::not_implemented();
}
