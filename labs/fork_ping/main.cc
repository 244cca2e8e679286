// fork_ping: a parallel ping sweep with one forked child process per host.
//
//   fork_ping [--ping-cmd "PROG ARGS..."] [--jobs N] TARGET...
//
// The options are parsed for you; the sweep is yours. See README.md for the lesson and the
// contract (labs/README.md is the full text).
#include <limits>
#include <string>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/targets.h"

int main(int argc, char** argv) {
  std::string ping_command = "ping -c 2 -W 1";
  int jobs = 0;  // 0: no cap
  std::vector<std::string> targets;
  labkit::Options options("fork_ping",
                          "Ping every host of the TARGETs at once, one child process per host.");
  options.Text("--ping-cmd", &ping_command, "The ping command; the host is appended");
  options.Integer("--jobs", &jobs, 1, std::numeric_limits<int>::max(),
                  "How many pings may run at once (default: all)", labkit::Default::kHidden);
  options.Arguments("targets", &targets, "A.B.C.D, A.B.C.X-Y or A.B.C.D/NN (16 <= NN <= 32)");
  options.Parse(argc, argv);

  // TODO 1: expand every target with labkit::expand_target() *before* starting anything; on a
  //         bad one print the reason (labkit::print_message) and return 2.
  // TODO 2: split the ping command with labkit::split_command() and append the host. Never
  //         build a string for a shell (no system(), no "sh -c"): a target is data, not code.
  // TODO 3: for each host, fork(). The child sends stdout and stderr to /dev/null (dup2) and
  //         execs the command (execvp). What if exec fails? The parent must tell that apart
  //         from a host that is down: that host is HOST:error, with a reason on stderr.
  // TODO 4: the parent waits for its children (waitpid) and prints HOST:up when the ping
  //         exited 0, HOST:down otherwise, one labkit::print_line() per host. Reap each child
  //         as soon as it ends, not only after the last fork: unreaped children are zombies.
  // TODO 5: with --jobs N, never have more than N children running: wait for one to end
  //         before forking the next.
  // TODO 6: fork() may fail with EAGAIN: retry a few times with a growing pause, then report
  //         HOST:error. Return 1 if any host ended in error, else 0 -- and only after every
  //         child has been reaped.
  labkit::not_implemented();
}
