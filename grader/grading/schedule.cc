#include "grading/schedule.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace forklab {

void RunScheduled(const std::vector<ScheduledTask>& tasks, int jobs,
                  const std::function<void(size_t index)>& ended,
                  const std::function<bool()>& stop) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::thread> threads(tasks.size());
  std::vector<bool> finished(tasks.size(), false);
  std::exception_ptr failure;  // the first a task threw; the tasks from it on are not reported
  size_t failed_at = tasks.size();
  size_t next_start = 0, next_end = 0;
  int running = 0;
  std::vector<bool> slot_taken(std::max(jobs, 1), false);
  bool exclusive_running = false;
  int prerequisites_running = 0;

  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    while (next_end < next_start && next_end < failed_at && finished[next_end]) {
      threads[next_end].join();
      lock.unlock();
      ended(next_end);
      lock.lock();
      ++next_end;
    }
    bool starting = !failure && next_start < tasks.size() && !stop();
    if (!starting && running == 0) break;
    if (starting && running < jobs && !exclusive_running && prerequisites_running == 0 &&
        (!tasks[next_start].exclusive || running == 0)) {
      size_t index = next_start++;
      ++running;
      exclusive_running = tasks[index].exclusive;
      prerequisites_running += tasks[index].prerequisite;
      int slot = static_cast<int>(std::find(slot_taken.begin(), slot_taken.end(), false) -
                                  slot_taken.begin());
      slot_taken[slot] = true;
      threads[index] = std::thread([&, index, slot] {
        std::exception_ptr thrown;
        try {
          tasks[index].run(slot);
        } catch (...) {
          thrown = std::current_exception();
        }
        std::lock_guard<std::mutex> guard(mutex);
        if (thrown && index < failed_at) {
          failure = thrown;
          failed_at = index;
        }
        finished[index] = true;
        slot_taken[slot] = false;
        --running;
        if (tasks[index].exclusive) exclusive_running = false;
        prerequisites_running -= tasks[index].prerequisite;
        changed.notify_all();
      });
      continue;
    }
    // `stop` may turn true from a signal handler, which cannot notify: look again soon.
    changed.wait_for(lock, std::chrono::milliseconds(50));
  }
  for (std::thread& thread : threads)
    if (thread.joinable()) thread.join();
  if (failure) std::rethrow_exception(failure);
}

void RunExclusiveLast(const std::vector<ScheduledTask>& tasks, int jobs,
                      const std::function<void(size_t index)>& ended,
                      const std::function<bool()>& stop) {
  auto last = [](const ScheduledTask& task) { return task.exclusive && !task.prerequisite; };
  std::vector<size_t> order;  // list index of each task, in the order they start
  for (bool exclusive : {false, true})
    for (size_t i = 0; i < tasks.size(); ++i)
      if (last(tasks[i]) == exclusive) order.push_back(i);
  std::vector<ScheduledTask> ordered;
  for (size_t i : order) ordered.push_back(tasks[i]);
  std::vector<bool> done(tasks.size(), false);
  size_t next_report = 0;
  RunScheduled(
      ordered, jobs,
      [&](size_t started) {
        done[order[started]] = true;
        while (next_report < tasks.size() && done[next_report]) ended(next_report++);
      },
      stop);
  // Stopped before an exclusive task started: what ended after it in the list is reported too.
  for (; next_report < tasks.size(); ++next_report)
    if (done[next_report]) ended(next_report);
}

double ScheduleFloor(const std::vector<RequiredTime>& tasks, int jobs) {
  double exclusive = 0, longest_other = 0, sum_other = 0;
  for (const RequiredTime& task : tasks) {
    if (task.exclusive) {
      exclusive += task.seconds;
    } else {
      longest_other = std::max(longest_other, task.seconds);
      sum_other += task.seconds;
    }
  }
  return std::max(longest_other, sum_other / std::max(jobs, 1)) + exclusive;
}

}  // namespace forklab
