// thread_ping: a parallel ping sweep with one std::thread per host, whose body is a plain
// function.
//
//   thread_ping [--ping-cmd "PROG ARGS..."] [--jobs N] TARGET...
//
// Each thread runs ping_host(): labkit::run_ping runs the ping command in a child process and
// waits for *its own* child with waitpid(pid), then the thread prints the host's line. Threads
// share the process, so there is no result to send back: the thread prints, records an error
// in shared state, and tells the main thread it is done. The main thread only starts threads and
// joins them as they finish: join is to threads what waitpid is to processes.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "labkit/options.h"
#include "labkit/output.h"
#include "labkit/ping.h"
#include "labkit/targets.h"

namespace {

// Thread creation can fail with EAGAIN when a limit is reached: retry a few times, backing
// off, before giving up on a host. (labkit::run_ping does the same for the ping process.)
constexpr int kTries = 5;
constexpr std::chrono::milliseconds kFirstBackoff{10};

/// What every ping thread shares with the main thread.
struct Sweep {
  std::vector<std::string> command;  // the ping command, without the host
  int dev_null = -1;                 // where the pings' output goes
  std::atomic<bool> any_error{false};

  // The indexes of threads whose work is done, waiting to be joined.
  std::mutex mutex;
  std::condition_variable finished_changed;
  std::deque<size_t> finished;

  void Finish(size_t index) {
    {
      std::lock_guard lock(mutex);
      finished.push_back(index);
    }
    finished_changed.notify_one();
  }

  /// Blocks until some thread has finished its work, and returns its index.
  size_t NextFinished() {
    std::unique_lock lock(mutex);
    finished_changed.wait(lock, [&] { return !finished.empty(); });
    size_t index = finished.front();
    finished.pop_front();
    return index;
  }

  /// Reports `host` as HOST:error; its reason is already on stderr.
  void Error(const std::string& host) {
    labkit::print_line(host + ":error");
    any_error = true;
  }

  void Fail(const std::string& host, const std::string& what, int err) {
    labkit::print_error(host + ": " + what, err);
    Error(host);
  }
};

/// The thread body: checks one host, prints its line, and reports itself finished.
void ping_host(size_t index, std::string host, Sweep& sweep) {
  labkit::PingResult result = labkit::run_ping(sweep.command, host, sweep.dev_null);
  if (result == labkit::PingResult::kError) {
    sweep.Error(host);
  } else {
    bool up = result == labkit::PingResult::kUp;
    labkit::print_line(host + (up ? ":up" : ":down"));  // one write: lines never interleave
  }
  sweep.Finish(index);
}

}  // namespace

int main(int argc, char** argv) {
  std::string ping_command = "ping -c 2 -W 1";
  int jobs = 0;
  std::vector<std::string> targets;
  labkit::Options options("thread_ping",
                          "Ping every host of the TARGETs at once, one thread per host.");
  options.Text("--ping-cmd", &ping_command, "The ping command; the host is appended");
  options.Integer("--jobs", &jobs, 1, std::numeric_limits<int>::max(),
                  "How many pings may run at once (default: all)", labkit::Default::kHidden);
  options.Arguments("targets", &targets, "A.B.C.D, A.B.C.X-Y or A.B.C.D/NN (16 <= NN <= 32)");
  options.Parse(argc, argv);

  // Every target is checked before anything runs: a bad one means no ping at all.
  std::vector<std::string> hosts;
  for (const std::string& target : targets) {
    std::string error;
    if (!labkit::expand_target(target, &hosts, &error)) {
      labkit::print_message(error);
      return 2;
    }
  }
  Sweep sweep;
  sweep.command = labkit::split_command(ping_command);
  if (sweep.command.empty()) {
    labkit::print_message("--ping-cmd: empty command");
    return 2;
  }
  size_t max_running = jobs > 0 ? static_cast<size_t>(jobs) : SIZE_MAX;
  sweep.dev_null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (sweep.dev_null < 0) {
    labkit::print_error("/dev/null", errno);
    return 1;
  }

  std::vector<std::thread> threads(hosts.size());
  size_t running = 0;
  auto join_next_finished = [&] {
    threads[sweep.NextFinished()].join();
    --running;
  };
  // std::thread reports a failure to start by throwing std::system_error. EAGAIN means
  // "out of threads or memory for now": retry after one of ours ends, or after a pause.
  auto start_thread = [&](size_t i) {
    for (int attempt = 0;; ++attempt) {
      try {
        threads[i] = std::thread(ping_host, i, hosts[i], std::ref(sweep));
        ++running;
        return;
      } catch (const std::system_error& e) {
        if (e.code() != std::errc::resource_unavailable_try_again || attempt + 1 == kTries)
          return sweep.Fail(hosts[i], "std::thread", e.code().value());
        if (running > 0)
          join_next_finished();
        else
          std::this_thread::sleep_for(kFirstBackoff * (1 << attempt));
      }
    }
  };
  for (size_t i = 0; i < hosts.size(); ++i) {
    while (running >= max_running) join_next_finished();
    start_thread(i);
  }
  while (running > 0) join_next_finished();
  return sweep.any_error ? 1 : 0;
}
