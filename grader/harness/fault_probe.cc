// A probe for the fault layer's tests: makes the calls it is told to and prints how each
// went, one line per call ("fork ok", "fork EAGAIN", "thread EAGAIN", ...).
//   fault_probe fork N | spawn N | thread N | fork-wait SECONDS | fork-in-fiu N |
//               fork-beside-calls N
#define FIU_ENABLE 1

#include <fcntl.h>
#include <fiu-control.h>
#include <fiu.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

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

// Starts this probe, which exits at once without its two arguments, through posix_spawn or
// posix_spawnp (as labkit::run_ping starts its pings).
template <class SpawnFunction>
int Spawn(SpawnFunction spawn) {
  char name[] = "fault_probe";
  char* argv[] = {name, nullptr};
  pid_t child;
  int error = spawn(&child, "/proc/self/exe", nullptr, nullptr, argv, environ);
  if (error == 0) waitpid(child, nullptr, 0);
  return error;
}

int StartThread() {
  try {
    std::thread([] {}).join();
    return 0;
  } catch (const std::system_error& e) {
    return e.code().value();
  }
}

// Waits up to 3 s for `child`: "child exited", or "child hung" (then it is killed).
const char* AwaitChild(pid_t child) {
  for (int waited_ms = 0; waited_ms < 3000; ++waited_ms) {
    if (waitpid(child, nullptr, WNOHANG) == child) return "child exited";
    usleep(1000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return "child hung";
}

// A failure point whose decision takes a while: it never fails, but the thread that asks
// holds the point's lock (a onetime point's) meanwhile.
constexpr const char* kSlowPoint = "forklab/probe/slow";
std::atomic<bool> deciding{false};

int DecideSlowly(const char*, int*, void**, unsigned*) {
  deciding = true;
  usleep(300 * 1000);
  return 0;
}

// Forks while another thread is inside libfiu, deciding kSlowPoint; the child asks libfiu
// about the same point, as a child calls a wrapped function before exec, and exits. Prints
// "child exited", or "child hung" when it is still there 3 s later (then it is killed).
const char* ForkWhileLibfiuDecides() {
  deciding = false;
  std::thread asker([] { fiu_fail(kSlowPoint); });
  while (!deciding) usleep(1000);
  pid_t child = fork();
  if (child == 0) {
    fiu_fail(kSlowPoint);
    _exit(0);
  }
  asker.join();
  return child < 0 ? "fork failed" : AwaitChild(child);
}

// Forks `count` times while three threads keep calling wrapped functions (each call asks
// libfiu, and a cache miss takes its cache's write lock); each child makes wrapped calls
// before it exits, as a child does before exec. Prints "N children exited", or "child hung at
// fork I" at the first that hangs.
std::string ForkBesideWrappedCalls(int count) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i)
    callers.emplace_back([&stop] {
      int null = open("/dev/null", O_RDWR);
      char byte;
      while (!stop) {
        (void)!write(null, "x", 1);
        (void)!pread(null, &byte, 1, 0);
        close(dup(null));
        free(calloc(1, 64));
        int ends[2];
        if (pipe(ends) == 0) {
          close(ends[0]);
          close(ends[1]);
        }
      }
      close(null);
    });
  std::string outcome = std::to_string(count) + " children exited";
  for (int i = 0; i < count; ++i) {
    pid_t child = fork();
    if (child == 0) {
      close(dup(STDERR_FILENO));
      _exit(0);
    }
    if (child < 0 || std::string(AwaitChild(child)) != "child exited") {
      outcome = "child hung at fork " + std::to_string(i + 1);
      break;
    }
  }
  stop = true;
  for (std::thread& caller : callers) caller.join();
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  std::string what = argv[1];
  double count = std::atof(argv[2]);
  if (what == "fork") {
    for (int i = 0; i < count; ++i) Report("fork", Fork());
  } else if (what == "spawn") {
    for (int i = 0; i < count; ++i) {
      Report("spawn", Spawn(posix_spawn));
      Report("spawnp", Spawn(posix_spawnp));
    }
  } else if (what == "thread") {
    for (int i = 0; i < count; ++i) Report("thread", StartThread());
  } else if (what == "fork-wait") {
    // Forks every 20 ms for `count` seconds: a test switches faults while this runs.
    for (int i = 0; i < count * 50; ++i) {
      Report("fork", Fork());
      usleep(20000);
    }
  } else if (what == "fork-in-fiu") {
    fiu_init(0);
    fiu_enable_external(kSlowPoint, 1, nullptr, FIU_ONETIME, DecideSlowly);
    for (int i = 0; i < count; ++i) std::printf("%s\n", ForkWhileLibfiuDecides());
  } else if (what == "fork-beside-calls") {
    std::printf("%s\n", ForkBesideWrappedCalls(static_cast<int>(count)).c_str());
  } else {
    return 2;
  }
  return 0;
}
