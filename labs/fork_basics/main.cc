// fork_basics: the parent only spawns and waits; the child does the work and exits.
// The contract is in labs/README.md; the lesson and the task in labs/fork_basics/README.md.
#include <cmath>
#include <cstdlib>
#include <string>

#include "labkit/options.h"
#include "labkit/output.h"

namespace {

// Finite, non-negative, fractional allowed. The bound keeps the conversion to time_t defined.
const CLI::Validator kSeconds(
    [](std::string& text) {
      char* end = nullptr;
      double seconds = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(seconds) || seconds < 0 || seconds > 1e9) {
        return "expected a number of seconds >= 0, got " + text;
      }
      return std::string();
    },
    "SEC");

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Fork a child, wait for it, and leave no zombie.", "fork_basics"};
  double child_sleep = 10;
  double after_sleep = 15;
  app.add_option("--child-sleep", child_sleep, "Seconds the child sleeps before exiting")
      ->check(kSeconds)
      ->capture_default_str();
  app.add_option("--after-sleep", after_sleep, "Seconds the parent sleeps after reaping")
      ->check(kSeconds)
      ->capture_default_str();
  labkit::parse_or_exit(app, argc, argv);

  // TODO(lesson: fork 编程思路): print "starting" with labkit::print_line (one write(2), no
  //   buffer, so the grader sees it at once through a pipe).
  // TODO: fork(). On failure print the error with labkit::print_error("fork", errno) and
  //   return 1.
  // TODO: in the child (fork returned 0): print "in child", sleep child_sleep seconds, and
  //   end with _exit(0). The child must end here: the lesson's "子进程做完后务必结束退出".
  //   Why _exit and not exit? Think about what the child inherited from the parent.
  // TODO: in the parent: waitpid for the child (retry on EINTR), then print
  //   "reaped <pid> <status>" with the child's pid and exit status.
  //   Without the wait the exited child stays a zombie (僵尸进程) while the parent lives on.
  // TODO: sleep after_sleep seconds (nanosleep returns early with EINTR when a signal
  //   arrives: sleep the remaining time again), print "done", return 0.
  labkit::not_implemented();
}
