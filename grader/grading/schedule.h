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

}  // namespace forklab
