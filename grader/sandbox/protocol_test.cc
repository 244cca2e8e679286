#include "sandbox/protocol.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

TEST(Protocol, SandboxResultRoundTripsThroughJson) {
  SandboxResult result;
  result.isolation = "namespaces";
  result.suite_exited = true;
  result.suite_wait_status = 256;
  result.build_tree_full = true;
  result.report = R"({"testsuites": []})";
  result.console = "line one\nline \"two\"\n";
  result.events = {{ContainmentEvent::Kind::kLimit, "killed: exceeded 64 processes"},
                   {ContainmentEvent::Kind::kNote, "console truncated"}};
  std::optional<SandboxResult> parsed = SandboxResult::FromJson(result.ToJson());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, result);
}

TEST(Protocol, EveryEventKindKeepsItsName) {
  using Kind = ContainmentEvent::Kind;
  for (Kind kind :
       {Kind::kWallTime, Kind::kLimit, Kind::kLeftRunning, Kind::kInterrupted, Kind::kNote}) {
    SandboxResult result;
    result.events = {{kind, "x"}};
    EXPECT_EQ(SandboxResult::FromJson(result.ToJson())->events.front().kind, kind)
        << ContainmentEvent::Name(kind);
  }
}

TEST(Protocol, AKilledSuiteHasNoWaitStatus) {
  SandboxResult killed;
  killed.suite_wait_status = 9;  // not written: the suite did not exit
  EXPECT_EQ(SandboxResult::FromJson(killed.ToJson())->suite_wait_status, 0);
}

TEST(Protocol, ACutOrForeignFileIsNoResult) {
  EXPECT_FALSE(SandboxResult::FromJson(""));
  EXPECT_FALSE(SandboxResult::FromJson(R"({"isolation": "namesp)"));
  EXPECT_FALSE(SandboxResult::FromJson("[1, 2]"));
  EXPECT_FALSE(SandboxResult::FromJson(R"({"suite_exited": "yes"})"));
}

TEST(Protocol, ProbeAnswerRoundTrips) {
  EXPECT_EQ(ProbeAnswer{}.ToString(), "namespaces");
  ProbeAnswer fallback{"unshare: Operation not permitted"};
  EXPECT_EQ(fallback.ToString(), "fallback: unshare: Operation not permitted");
  EXPECT_EQ(ProbeAnswer::Parse(fallback.ToString() + "\n")->fallback, fallback.fallback);
  EXPECT_FALSE(ProbeAnswer::Parse("namespaces\n")->fallback);
  EXPECT_FALSE(ProbeAnswer::Parse("sandbox: error"));
  EXPECT_FALSE(ProbeAnswer::Parse(""));
}

TEST(Protocol, ContainmentLinesAreFoundAmongTheConsole) {
  std::string console = "[ RUN      ] Echo.Flood\n" + ContainmentLine("stdout truncated at 4 MiB") +
                        "noise forklab-containment: not at the start\n" +
                        ContainmentLine("2 processes left running");
  EXPECT_EQ(ContainmentEventsIn(console),
            (std::vector<std::string>{"stdout truncated at 4 MiB", "2 processes left running"}));
}

TEST(Protocol, DescriptorsAreNamedThroughProc) {
  EXPECT_EQ(FdPath(kReportFd), "/proc/self/fd/3");
  EXPECT_EQ(FdPath(kPassedFileFd), "/proc/self/fd/4");
}

TEST(Protocol, ProcessTimelineRoundTrips) {
  ProcessTimeline timeline;
  timeline.period = 0.005;
  timeline.ended = 2.5;
  timeline.processes = {{7, 1, "fork_echo_server", 0, std::nullopt, std::nullopt},
                        {9, 7, "fork_echo_server", 0.4, 0.6, 1.7}};
  timeline.samples = {{0, 1, 1, 0, 0}, {0.6, 1, 1, 1, 0}};
  timeline.marks = {{0.2, "fork fails with EAGAIN"}};
  EXPECT_EQ(ProcessTimeline::FromJson(timeline.ToJson()), timeline);
  EXPECT_FALSE(ProcessTimeline::FromJson(R"({"period": 1})"));
  EXPECT_FALSE(ProcessTimeline::FromJson("[]"));
}

TEST(Protocol, SpeedupMeasurementRoundTrips) {
  SpeedupMeasurement measured{"the reference", {1, 2}, {1, 1.9}, {1, 1.95}};
  EXPECT_EQ(SpeedupMeasurement::FromJson(measured.ToJson()), measured);
  EXPECT_FALSE(SpeedupMeasurement::FromJson(
      R"({"baseline_name": "x", "workers": [1, 2], "submission": [1], "baseline": [1, 2]})"));
  EXPECT_FALSE(SpeedupMeasurement::FromJson("1.9"));
}

}  // namespace
}  // namespace forklab
