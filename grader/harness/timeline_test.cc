#include "harness/timeline.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/subprocess.h"

namespace forklab {
namespace {

using std::chrono::milliseconds;

// The shell's subshell exits at once; the shell then becomes `sleep`, which never waits for
// it: a zombie until the sleep ends and we reap the tree.
constexpr char kLeavesAZombie[] = "(exit 0) & exec sleep 0.3";

TEST(Timeline, RecordsEachProcessItsZombieIntervalAndItsReaping) {
  TimelineRecorder recorder(milliseconds(2));
  pid_t shell = 0;
  {
    SpawnOptions options;
    options.args = {"-c", kLeavesAZombie};
    auto program = Subprocess::Start("/bin/sh", options);
    shell = program->pid();
    ASSERT_TRUE(program->Wait(milliseconds(10'000)));
  }
  ProcessTimeline timeline = recorder.Stop();
  ASSERT_GE(timeline.processes.size(), 2u);
  // The shell itself can be seen as a zombie too, between its exit and our wait (a loaded
  // machine makes that window long enough to sample): the subshell is the one asked about.
  auto zombie = std::find_if(
      timeline.processes.begin(), timeline.processes.end(), [&](const ProcessTimeline::Process& p) {
        return p.ppid == shell && p.exited && p.reaped && *p.exited < *p.reaped;
      });
  ASSERT_NE(zombie, timeline.processes.end())
      << "the shell's subshell was never seen as a zombie: " << timeline.ToJson();
  EXPECT_TRUE(std::any_of(timeline.samples.begin(), timeline.samples.end(),
                          [](const ProcessTimeline::Sample& s) { return s.zombies == 1; }));
  for (const ProcessTimeline::Process& process : timeline.processes) {
    EXPECT_TRUE(process.reaped) << process.pid << " was reaped before Stop";
    EXPECT_LE(process.started, *process.exited);
  }
  EXPECT_EQ(timeline.samples.back().processes, 0);
  EXPECT_GE(timeline.ended, timeline.samples.back().at);
}

TEST(Timeline, MarksLandOnTheRecordingInProgressOnly) {
  TimelineRecorder::Mark("before: dropped");
  TimelineRecorder recorder(milliseconds(50));
  TimelineRecorder::Mark("fork fails with EAGAIN");
  ProcessTimeline timeline = recorder.Stop();
  TimelineRecorder::Mark("after: dropped");
  ASSERT_EQ(timeline.marks.size(), 1u);
  EXPECT_EQ(timeline.marks[0].text, "fork fails with EAGAIN");
  EXPECT_TRUE(timeline.processes.empty());
}

}  // namespace
}  // namespace forklab
