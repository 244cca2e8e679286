// Running a list of tasks concurrently while reporting them in list order.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace forklab {

/// One unit of work of a schedule. `run` is called once, on a thread of its own, with a slot:
/// a number below the schedule's `jobs` that no other running task holds (for resources one
/// running task must not share). An exclusive task runs with no other task running (a check
/// that measures time, a build). A prerequisite holds every later task until it has ended (it
/// makes what they need: a lab's executable), while earlier tasks may still run beside it.
struct ScheduledTask {
  bool exclusive = false;
  std::function<void(int slot)> run;
  bool prerequisite = false;
};

/// Runs `tasks`, at most `jobs` at once, starting them in list order: an exclusive task starts
/// once every earlier one has ended, and nothing starts while it or a prerequisite runs. `ended(i)`
/// is called on the calling thread in list order, as soon as task i and every earlier task have
/// ended, so a caller prints results in order while later tasks run. Once `stop()` is true no task
/// starts; the running ones are waited for (the caller makes them end) and `ended` is still called
/// for each of them, in order. When a task throws, no task starts after it, neither it nor any
/// later task is reported, and the exception is rethrown once the running ones have ended.
void RunScheduled(const std::vector<ScheduledTask>& tasks, int jobs,
                  const std::function<void(size_t index)>& ended,
                  const std::function<bool()>& stop);

/// RunScheduled, with the exclusive tasks that are no prerequisite started after every other
/// task: the others then overlap in one stretch, rather than in the short ones between two
/// exclusive tasks, each as long as its longest task. `ended(i)` is still called in list order
/// (a task's report waits for the exclusive tasks before it in the list); when `stop` ends the
/// run first, every task that ended is still reported, in list order.
void RunExclusiveLast(const std::vector<ScheduledTask>& tasks, int jobs,
                      const std::function<void(size_t index)>& ended,
                      const std::function<bool()>& stop);

/// What one task of a schedule cannot do without, in seconds, for ScheduleFloor.
struct RequiredTime {
  bool exclusive = false;
  double seconds = 0;
};

/// The least RunExclusiveLast could take for `tasks` with `jobs` at once: the others
/// overlapped (the longest of them, or their sum shared by `jobs`, whichever is more), then the
/// exclusive ones one after another.
double ScheduleFloor(const std::vector<RequiredTime>& tasks, int jobs);

}  // namespace forklab
