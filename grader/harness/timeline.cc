#include "harness/timeline.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "harness/proc.h"

namespace forklab {
namespace {

using Clock = std::chrono::steady_clock;

// A fork flood is drawn by its first processes; the counts keep the rest.
constexpr size_t kMaxProcesses = 400;

/// The children of every thread of `pid` (/proc/<pid>/task/<tid>/children): a thread that
/// forks is the parent the kernel lists, so the main thread alone would miss some.
std::vector<pid_t> ThreadChildren(pid_t pid) {
  std::vector<pid_t> children;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(task_dir.c_str());
  if (!dir) return children;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(task_dir + "/" + entry->d_name + "/children");
    for (pid_t child; in >> child;) children.push_back(child);
  }
  closedir(dir);
  return children;
}

}  // namespace

struct TimelineRecorder::State {
  std::chrono::milliseconds period;
  bool count_connections;
  Clock::time_point start = Clock::now();
  std::mutex mutex;  // guards timeline and stopping
  std::condition_variable wake;
  bool stopping = false;
  ProcessTimeline timeline;
  std::map<pid_t, size_t> present;  // pid -> its index in timeline.processes, until reaped
  std::thread sampler;

  double Now() const { return std::chrono::duration<double>(Clock::now() - start).count(); }

  void SampleOnce(bool last) {
    double at = Now();
    std::vector<ProcStat> tree;
    std::vector<pid_t> frontier = ThreadChildren(getpid());
    while (!frontier.empty()) {
      pid_t pid = frontier.back();
      frontier.pop_back();
      std::optional<ProcStat> stat = ReadProcStat(pid);
      if (!stat) continue;
      tree.push_back(*stat);
      for (pid_t child : ThreadChildren(pid)) frontier.push_back(child);
    }
    ProcessTimeline::Sample sample{at, 0, 0, 0, 0};
    std::set<pid_t> seen;
    std::lock_guard lock(mutex);
    for (const ProcStat& stat : tree) {
      seen.insert(stat.pid);
      auto known = present.find(stat.pid);
      if (known == present.end()) {
        if (timeline.processes.size() >= kMaxProcesses) {
          timeline.capped = true;
        } else {
          known = present.emplace(stat.pid, timeline.processes.size()).first;
          timeline.processes.push_back({stat.pid, stat.ppid, stat.comm, at, {}, {}});
        }
      }
      // A forked child shows its parent's name until it execs: keep the latest.
      if (known != present.end() && !stat.zombie())
        timeline.processes[known->second].name = stat.comm;
      if (stat.zombie()) {
        ++sample.zombies;
        if (known != present.end() && !timeline.processes[known->second].exited)
          timeline.processes[known->second].exited = at;
      } else {
        ++sample.processes;
        sample.threads += stat.threads;
        if (count_connections) sample.connections += TcpSocketsOf(stat.pid).connected;
      }
    }
    for (auto it = present.begin(); it != present.end();) {
      if (seen.contains(it->first)) {
        ++it;
        continue;
      }
      ProcessTimeline::Process& gone = timeline.processes[it->second];
      gone.reaped = at;
      if (!gone.exited) gone.exited = at;
      it = present.erase(it);
    }
    auto counts = [](const ProcessTimeline::Sample& s) {
      return std::tuple(s.processes, s.threads, s.zombies, s.connections);
    };
    if (last || timeline.samples.empty() || counts(timeline.samples.back()) != counts(sample))
      timeline.samples.push_back(sample);
    if (last) timeline.ended = at;
  }

  void Run() {
    // Signals meant for the suite (SIGCHLD, SIGPIPE, a timeout's) are never handled here.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::unique_lock lock(mutex);
    while (!stopping) {
      lock.unlock();
      SampleOnce(/*last=*/false);
      lock.lock();
      wake.wait_for(lock, period, [this] { return stopping; });
    }
  }
};

namespace {

// The recording in progress, for Mark: one per process.
std::mutex current_mutex;
TimelineRecorder::State* current = nullptr;

}  // namespace

TimelineRecorder::TimelineRecorder(std::chrono::milliseconds period, bool count_connections)
    : state_(std::make_unique<State>()) {
  state_->period = period;
  state_->count_connections = count_connections;
  state_->timeline.period = std::chrono::duration<double>(period).count();
  {
    std::lock_guard lock(current_mutex);
    current = state_.get();
  }
  state_->sampler = std::thread([state = state_.get()] { state->Run(); });
}

TimelineRecorder::~TimelineRecorder() {
  if (state_->sampler.joinable()) Stop();
}

ProcessTimeline TimelineRecorder::Stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  state_->sampler.join();
  {
    std::lock_guard lock(current_mutex);
    current = nullptr;
  }
  state_->SampleOnce(/*last=*/true);
  return std::move(state_->timeline);
}

void TimelineRecorder::Mark(const std::string& text) {
  std::lock_guard lock(current_mutex);
  if (!current) return;
  double at = current->Now();
  std::lock_guard timeline_lock(current->mutex);
  current->timeline.marks.push_back({at, text});
}

}  // namespace forklab
