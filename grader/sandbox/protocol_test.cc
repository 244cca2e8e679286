#include "sandbox/protocol.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

TEST(Protocol, SandboxResultRoundTripsThroughJson) {
  SandboxResult result;
  result.isolation = "namespaces";
  result.suite_exited = true;
  result.suite_wait_status = 256;
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

}  // namespace
}  // namespace forklab
