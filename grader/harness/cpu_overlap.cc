#include "harness/cpu_overlap.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "harness/proc.h"

namespace forklab {
namespace {

constexpr double kSharedWork = 0.25;  // the second worker's CPU against the first's

}  // namespace

void CpuOverlap::Sample(pid_t root, double at) {
  std::vector<pid_t> processes = DescendantsOf(root);
  processes.push_back(root);
  for (pid_t pid : processes) {
    std::error_code error;
    std::filesystem::path dir = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
      long long ns = -1, waited = 0;
      std::ifstream(entry.path() / "schedstat") >> ns >> waited;
      if (ns < 0) continue;  // gone meanwhile
      Task& task = tasks_[std::to_string(pid) + "/" + entry.path().filename().string()];
      task.waited_at[at] = waited;
      if (ns > task.last_ns) {
        if (task.first_moved < 0) task.first_moved = at;
        task.last_moved = at;
      }
      task.last_ns = std::max(task.last_ns, ns);
      task.ns_at[at] = task.last_ns;
    }
  }
}

CpuOverlap::Workers CpuOverlap::Busiest() const {
  std::vector<const Task*> moved;
  for (const auto& [name, task] : tasks_)
    if (task.first_moved >= 0) moved.push_back(&task);
  std::sort(moved.begin(), moved.end(),
            [](const Task* a, const Task* b) { return a->last_ns > b->last_ns; });
  if (moved.size() < 2) return {moved.empty() ? nullptr : moved[0], nullptr};
  return {moved[0], moved[1]};
}

std::vector<const CpuOverlap::Task*> CpuOverlap::WorkerTasks() const {
  Workers workers = Busiest();
  std::vector<const Task*> tasks;
  if (workers.busiest) tasks.push_back(workers.busiest);
  if (workers.second && static_cast<double>(workers.second->last_ns) >=
                            kSharedWork * static_cast<double>(workers.busiest->last_ns))
    tasks.push_back(workers.second);
  return tasks;
}

long long CpuOverlap::Between(const std::map<double, long long>& clock, double from, double to) {
  auto at_or_before = [&](double when) {
    auto it = clock.upper_bound(when);
    return it == clock.begin() ? 0 : std::prev(it)->second;
  };
  return at_or_before(to) - at_or_before(from);
}

std::pair<double, double> CpuOverlap::BothProgressed() const {
  if (Overlap() <= 0) return {0, 0};
  Workers workers = Busiest();
  return {std::max(workers.busiest->first_moved, workers.second->first_moved),
          std::min(workers.busiest->last_moved, workers.second->last_moved)};
}

double CpuOverlap::Overlap() const {
  std::vector<const Task*> workers = WorkerTasks();
  if (workers.size() < 2) return 0;
  const Task& a = *workers[0];
  const Task& b = *workers[1];
  double both = std::min(a.last_moved, b.last_moved) - std::max(a.first_moved, b.first_moved);
  double shorter = std::min(a.last_moved - a.first_moved, b.last_moved - b.first_moved);
  if (shorter <= 0) return 0;  // one of them ran within one sample: nothing to compare
  return std::clamp(both / shorter, 0.0, 1.0);
}

double CpuOverlap::BothPerSecond(Clock clock) const {
  auto [from, to] = BothProgressed();
  if (to <= from) return 0;
  Workers workers = Busiest();
  long long ns =
      Between(workers.busiest->*clock, from, to) + Between(workers.second->*clock, from, to);
  return static_cast<double>(ns) / 1e9 / (to - from);
}

double CpuOverlap::ParallelRate() const {
  return BothPerSecond(&Task::ns_at);
}

double CpuOverlap::WaitingShare() const {
  return BothPerSecond(&Task::waited_at);
}

double CpuOverlap::WorkersEnd() const {
  double end = 0;
  for (const Task* task : WorkerTasks()) end = std::max(end, task->last_moved);
  return end;
}

double CpuOverlap::DelayedByWaits() const {
  double end_without_waits = 0;
  for (const Task* task : WorkerTasks()) {
    double waited = static_cast<double>(task->waited_at.at(task->last_moved)) / 1e9;
    end_without_waits = std::max(end_without_waits, task->last_moved - waited);
  }
  return std::max(WorkersEnd() - end_without_waits, 0.0);
}

std::string CpuOverlap::Describe() const {
  Workers workers = Busiest();
  auto cpu = [](const Task* task) { return task ? static_cast<double>(task->last_ns) / 1e9 : 0; };
  std::ostringstream text;
  text.precision(2);
  text << std::fixed << "workers " << cpu(workers.busiest) << " s and " << cpu(workers.second)
       << " s of CPU, overlap " << static_cast<int>(Overlap() * 100) << "%, " << ParallelRate()
       << " cores while both ran, " << WaitingShare()
       << " s a second waiting for a core, which put off their end by " << DelayedByWaits() << " s";
  return text.str();
}

}  // namespace forklab
