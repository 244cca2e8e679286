// A probe for the fault layer's tests: makes the calls it is told to and prints how each
// went, one line per call ("fork ok", "fork EAGAIN", "thread EAGAIN", ...).
//   fault_probe fork N | thread N | fork-wait SECONDS
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

namespace {

void Report(const char* call, int error) {
  std::printf("%s %s\n", call, error ? strerrorname_np(error) : "ok");
  std::fflush(stdout);
}

int Fork() {
  pid_t child = fork();
  if (child == 0) _exit(0);
  if (child < 0) return errno;
  waitpid(child, nullptr, 0);
  return 0;
}

int StartThread() {
  try {
    std::thread([] {}).join();
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::string what = argv[1];
  double count = std::atof(argv[2]);
  if (what == "fork") {
    for (int i = 0; i < count; ++i) Report("fork", Fork());
  } else if (what == "thread") {
    for (int i = 0; i < count; ++i) Report("thread", StartThread());
  } else if (what == "fork-wait") {
    // Forks every 20 ms for `count` seconds: a test switches faults while this runs.
    for (int i = 0; i < count * 50; ++i) {
      Report("fork", Fork());
      usleep(20000);
    }
  } else {
    return 2;
  }
  return 0;
}
