// fork_basics: the parent only spawns and waits; the child does the work and exits.
// The contract is in labs/README.md; the lesson and the task in labs/fork_basics/README.md.
#include <string>

#include "labkit/options.h"
#include "labkit/output.h"

int main(int argc, char** argv) {
  double child_sleep = 10;
  double after_sleep = 15;
  labkit::Options options("fork_basics", "Fork a child, wait for it, and leave no zombie.");
  options.Seconds("--child-sleep", &child_sleep, "Seconds the child sleeps before exiting");
  options.Seconds("--after-sleep", &after_sleep, "Seconds the parent sleeps after reaping");
  options.Parse(argc, argv);

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
