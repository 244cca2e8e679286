#include "grading/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace forklab {
namespace {

using namespace std::chrono_literals;

std::vector<size_t> Indices(size_t count) {
  std::vector<size_t> indices(count);
  for (size_t i = 0; i < count; ++i) indices[i] = i;
  return indices;
}

/// Tasks that record how many tasks ran beside each of them, and the order they were reported.
struct Recorder {
  std::atomic<int> running{0};
  std::atomic<int> most_running{0};
  std::vector<int> most_beside;  // per task: the most tasks running while it ran, itself included
  std::vector<size_t> ended;
  std::array<std::atomic<bool>, 8> slot_in_use{};
  std::atomic<bool> slot_shared{false};  // two running tasks were given the same slot
  std::atomic<int> highest_slot{-1};

  explicit Recorder(size_t count) : most_beside(count, 0) {}

  // A task that runs for `length`, sampling its neighbours meanwhile.
  ScheduledTask Task(size_t index, std::chrono::milliseconds length, bool exclusive = false) {
    return {exclusive, [this, index, length](int slot) {
              if (slot_in_use.at(slot).exchange(true)) slot_shared = true;
              highest_slot = std::max(highest_slot.load(), slot);
              int now = ++running;
              most_running = std::max(most_running.load(), now);
              auto end = std::chrono::steady_clock::now() + length;
              int most = now;
              while (std::chrono::steady_clock::now() < end) {
                most = std::max(most, running.load());
                std::this_thread::sleep_for(1ms);
              }
              most_beside[index] = most;
              --running;
              slot_in_use[slot] = false;
            }};
  }

  void Run(
      const std::vector<ScheduledTask>& tasks, int jobs,
      const std::function<bool()>& stop = [] { return false; }) {
    RunScheduled(
        tasks, jobs, [this](size_t index) { ended.push_back(index); }, stop);
  }
};

TEST(Schedule, ReportsInListOrderWhileTasksOverlap) {
  constexpr size_t kTasks = 4;
  std::atomic<size_t> started{0}, finished{0};
  std::vector<bool> saw_all_started(kTasks, false);
  std::vector<size_t> ended;
  std::vector<ScheduledTask> tasks;
  // Each task waits for all to have started (they overlap), then they end last to first; the
  // bound only keeps a broken scheduler from hanging the test.
  for (size_t i = 0; i < kTasks; ++i)
    tasks.push_back({false, [&, i](int) {
                       ++started;
                       auto bound = std::chrono::steady_clock::now() + 10s;
                       while (started < kTasks && std::chrono::steady_clock::now() < bound)
                         std::this_thread::sleep_for(1ms);
                       saw_all_started[i] = started == kTasks;
                       while (finished < kTasks - 1 - i && std::chrono::steady_clock::now() < bound)
                         std::this_thread::sleep_for(1ms);
                       ++finished;
                     }});
  RunScheduled(
      tasks, kTasks, [&](size_t index) { ended.push_back(index); }, [] { return false; });
  EXPECT_EQ(ended, Indices(kTasks));
  EXPECT_EQ(saw_all_started, std::vector<bool>(kTasks, true)) << "the tasks did not run at once";
}

TEST(Schedule, RunsNoMoreTasksAtOnceThanJobs) {
  for (int jobs : {1, 2}) {
    Recorder recorder(6);
    std::vector<ScheduledTask> tasks;
    for (size_t i = 0; i < 6; ++i) tasks.push_back(recorder.Task(i, 5ms));
    recorder.Run(tasks, jobs);
    EXPECT_EQ(recorder.ended, Indices(6));
    EXPECT_LE(recorder.most_running, jobs) << "more tasks ran at once than jobs allow";
    EXPECT_FALSE(recorder.slot_shared) << "two running tasks held the same slot";
    EXPECT_LT(recorder.highest_slot, jobs);
  }
}

TEST(Schedule, AnExclusiveTaskRunsAlone) {
  Recorder recorder(7);
  std::vector<ScheduledTask> tasks;
  for (size_t i = 0; i < 7; ++i) tasks.push_back(recorder.Task(i, 20ms, i == 3 || i == 4));
  recorder.Run(tasks, 4);
  EXPECT_EQ(recorder.ended, Indices(7));
  EXPECT_EQ(recorder.most_beside[3], 1) << "a task ran beside an exclusive one";
  EXPECT_EQ(recorder.most_beside[4], 1) << "a task ran beside an exclusive one";
}

TEST(Schedule, APrerequisiteHoldsLaterTasksButNotEarlierOnes) {
  // Task 1 makes what task 2 needs; task 0, before it, may run beside it.
  std::atomic<bool> made{false}, zero_running{false}, overlapped{false};
  std::atomic<bool> used_before_made{false};
  std::vector<ScheduledTask> tasks;
  tasks.push_back({false, [&](int) {
                     zero_running = true;
                     auto bound = std::chrono::steady_clock::now() + 10s;
                     while (!made && std::chrono::steady_clock::now() < bound)
                       std::this_thread::sleep_for(1ms);
                   }});
  tasks.push_back({false,
                   [&](int) {
                     auto bound = std::chrono::steady_clock::now() + 10s;
                     while (!zero_running && std::chrono::steady_clock::now() < bound)
                       std::this_thread::sleep_for(1ms);
                     overlapped = zero_running.load();
                     std::this_thread::sleep_for(20ms);  // a later task would start meanwhile
                     made = true;
                   },
                   /*prerequisite=*/true});
  tasks.push_back({false, [&](int) { used_before_made = !made; }});
  std::vector<size_t> ended;
  RunScheduled(
      tasks, 3, [&](size_t index) { ended.push_back(index); }, [] { return false; });
  EXPECT_EQ(ended, Indices(3));
  EXPECT_TRUE(overlapped) << "an earlier task was held by a later prerequisite";
  EXPECT_FALSE(used_before_made) << "a task started before the prerequisite before it ended";
}

TEST(Schedule, AStopStartsNothingMoreAndReportsWhatRan) {
  std::atomic<bool> stopped{false};
  std::vector<ScheduledTask> tasks;
  std::atomic<int> started{0};
  // Task 0 runs until the stop, which task 1 makes; the rest must never start.
  tasks.push_back({false, [&](int) {
                     ++started;
                     while (!stopped) std::this_thread::sleep_for(1ms);
                   }});
  tasks.push_back({false, [&](int) {
                     ++started;
                     stopped = true;
                   }});
  for (int i = 0; i < 3; ++i) tasks.push_back({false, [&](int) { ++started; }});
  std::vector<size_t> ended;
  RunScheduled(
      tasks, 2, [&](size_t index) { ended.push_back(index); }, [&] { return stopped.load(); });
  EXPECT_EQ(ended, Indices(2));
  EXPECT_EQ(started, 2);
}

TEST(Schedule, ATaskThatThrowsEndsTheRunWithItsError) {
  std::vector<ScheduledTask> tasks;
  std::atomic<int> started{0};
  tasks.push_back({false, [&](int) { ++started; }});
  tasks.push_back({true, [](int) { throw std::runtime_error("no scratch directory"); }});
  tasks.push_back({false, [&](int) { ++started; }});
  std::vector<size_t> ended;
  try {
    RunScheduled(
        tasks, 2, [&](size_t index) { ended.push_back(index); }, [] { return false; });
    ADD_FAILURE() << "the task's exception was lost";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no scratch directory");
  }
  EXPECT_EQ(ended, Indices(1));
  EXPECT_EQ(started, 1) << "a task started after the one that threw (it was exclusive)";
}

TEST(Schedule, ExclusiveLastRunsTheOthersFirstAndReportsInListOrder) {
  // Task 1 is exclusive: tasks 0, 2 and 3 start before it, and reports keep list order.
  Recorder recorder(4);
  std::vector<ScheduledTask> tasks;
  for (size_t i = 0; i < 4; ++i) tasks.push_back(recorder.Task(i, 30ms, i == 1));
  std::vector<size_t> started;
  std::mutex mutex;
  for (size_t i = 0; i < 4; ++i) {
    tasks[i].run = [&, i, run = tasks[i].run](int slot) {
      {
        std::lock_guard<std::mutex> guard(mutex);
        started.push_back(i);
      }
      run(slot);
    };
  }
  std::vector<size_t> ended;
  RunExclusiveLast(
      tasks, 4, [&](size_t index) { ended.push_back(index); }, [] { return false; });
  EXPECT_EQ(ended, Indices(4));
  ASSERT_EQ(started.size(), 4u);
  EXPECT_EQ(started.back(), 1u) << "the exclusive task did not start last";
  EXPECT_EQ(recorder.most_beside[1], 1) << "a task ran beside an exclusive one";
}

TEST(Schedule, ExclusiveLastStoppedReportsEveryTaskThatEnded) {
  // Task 1 is exclusive and never starts: the run stops once the others have ended. Tasks 2
  // and 3 ended, so they are reported even though task 1, before them in the list, was not.
  Recorder recorder(4);
  std::vector<ScheduledTask> tasks;
  for (size_t i = 0; i < 4; ++i) tasks.push_back(recorder.Task(i, 10ms, i == 1));
  std::atomic<int> others_ended = 0;
  for (size_t i : {0, 2, 3})
    tasks[i].run = [&, run = tasks[i].run](int slot) {
      run(slot);
      ++others_ended;
    };
  std::vector<size_t> ended;
  RunExclusiveLast(
      tasks, 4, [&](size_t index) { ended.push_back(index); }, [&] { return others_ended == 3; });
  EXPECT_EQ(ended, (std::vector<size_t>{0, 2, 3}));
}

TEST(ScheduleFloor, TheOthersOverlapThenTheExclusiveOnesAddUp) {
  // 3, 1, 4, 4 and 4 on two jobs: 8 (more than the longest, 4); then the exclusive 2 and 5.
  EXPECT_DOUBLE_EQ(
      ScheduleFloor(
          {{false, 3}, {false, 1}, {true, 2}, {false, 4}, {false, 4}, {false, 4}, {true, 5}}, 2),
      8 + 2 + 5);
  EXPECT_DOUBLE_EQ(ScheduleFloor({{false, 3}, {false, 1}}, 8), 3);
  EXPECT_DOUBLE_EQ(ScheduleFloor({{true, 1}, {true, 2}}, 8), 3);
  EXPECT_DOUBLE_EQ(ScheduleFloor({}, 2), 0);
}

}  // namespace
}  // namespace forklab
