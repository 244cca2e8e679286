// fork_basics: the parent only spawns and waits; the child does the work and exits.
//
// The lesson: a child that has exited stays a zombie until its parent waits for it. Here
// the parent waits, so the after-sleep window shows no zombie.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

#include "labkit/options.h"
#include "labkit/output.h"

namespace {

// Sleeps `seconds` in full. A signal makes nanosleep return early with EINTR and the time
// still to go in `remaining`; we go back to sleep so no signal shortens the window.
void sleep_seconds(double seconds) {
  timespec remaining{};
  remaining.tv_sec = static_cast<time_t>(seconds);
  remaining.tv_nsec = static_cast<long>((seconds - static_cast<double>(remaining.tv_sec)) * 1e9);
  while (nanosleep(&remaining, &remaining) == -1 && errno == EINTR) {
  }
}

// The status the shell would show: the exit code, or 128 + the signal that killed the child.
int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + WTERMSIG(wait_status);
}

}  // namespace

int main(int argc, char** argv) {
  double child_sleep = 10;
  double after_sleep = 15;
  labkit::Options options("fork_basics", "Fork a child, wait for it, and leave no zombie.");
  options.Seconds("--child-sleep", &child_sleep, "Seconds the child sleeps before exiting");
  options.Seconds("--after-sleep", &after_sleep, "Seconds the parent sleeps after reaping");
  options.Parse(argc, argv);

  labkit::print_line("starting");

  pid_t child = fork();
  if (child == -1) {
    labkit::print_error("fork", errno);
    return 1;
  }
  if (child == 0) {
    labkit::print_line("in child");
    sleep_seconds(child_sleep);
    // _exit, not exit or return: the child is a copy of the parent, and exit() would run the
    // parent's atexit handlers and static destructors a second time and flush any stdio
    // buffer the child inherited, printing the parent's pending output twice.
    _exit(0);
  }

  // Blocks until the child exits and collects its status: this is what removes the zombie.
  // A signal can interrupt the wait (EINTR) before the child is done, so wait again.
  int wait_status = 0;
  while (waitpid(child, &wait_status, 0) == -1) {
    if (errno != EINTR) {
      labkit::print_error("waitpid", errno);
      return 1;
    }
  }
  labkit::print_line("reaped " + std::to_string(child) + " " +
                     std::to_string(exit_status_of(wait_status)));

  // The window where a parent that never waited would show a zombie child (state Z in ps).
  sleep_seconds(after_sleep);
  labkit::print_line("done");
  return 0;
}
