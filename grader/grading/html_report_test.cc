#include "grading/html_report.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

CheckReport Check(const std::string& test, Outcome outcome, const std::string& detail,
                  bool hidden = false) {
  RubricEntry entry{test,       "title of " + test,      2,    hidden,
                    "the hint", std::chrono::seconds(1), "/s", ""};
  return {entry, {outcome, outcome == Outcome::kPassed ? 1.0 : 0.0, detail, {}}};
}

// A forked server (pid 10) whose child 11 exits at 0.5 s and is reaped only at 1.5 s.
ProcessTimeline ZombieTimeline() {
  ProcessTimeline timeline;
  timeline.period = 0.005;
  timeline.ended = 2;
  timeline.processes = {{10, 1, "fork_echo_server", 0, 1.9, 1.9},
                        {11, 10, "fork_echo_server", 0.2, 0.5, 1.5}};
  timeline.samples = {{0, 1, 1, 0, 0}, {0.2, 2, 2, 0, 1}, {0.5, 1, 1, 1, 0}, {1.5, 1, 1, 0, 0}};
  timeline.marks = {{0.3, "faults injected from the start: posix/proc/fork fails with EAGAIN"}};
  return timeline;
}

TEST(HtmlReport, DrawsTheZombieIntervalForksAndFaults) {
  LabReport lab{"fork_echo_server", "/x", "", {}};
  lab.checks = {Check("ForkEchoServer.NoZombie", Outcome::kFailed, "3 still there <pid 11>")};
  lab.checks[0].result.timeline = ZombieTimeline();
  std::string html = HtmlReport({"student", true, "namespaces", {}, {lab}}, false);
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find("class=\"zombie\""), std::string::npos) << html;
  EXPECT_NE(html.find("not reaped until 1.500 s"), std::string::npos);
  EXPECT_NE(html.find("class=\"fork\""), std::string::npos) << "11 is drawn as forked by 10";
  EXPECT_NE(html.find("class=\"fault\""), std::string::npos);
  EXPECT_NE(html.find("client connections"), std::string::npos) << "an echo lab";
  EXPECT_NE(html.find("3 still there &lt;pid 11&gt;"), std::string::npos) << "escaped";
  EXPECT_NE(html.find("the hint"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg")) << "no fetch";
}

TEST(HtmlReport, ChartsTheSpeedupAgainstTheBaseline) {
  LabReport lab{"fork_sum", "/x", "", {}};
  lab.checks = {Check("SumSpeedup.MatchesReference", Outcome::kPassed, "speedup 1.9x")};
  lab.checks[0].result.speedup = SpeedupMeasurement{"the reference", {1, 2}, {1, 1.9}, {1, 1.97}};
  std::string html = HtmlReport({"student", true, "namespaces", {}, {lab}}, false);
  EXPECT_NE(html.find("class=\"speedup\""), std::string::npos);
  EXPECT_NE(html.find("yours 1.90×"), std::string::npos) << html;
  EXPECT_NE(html.find("the reference 1.97×"), std::string::npos);
}

TEST(HtmlReport, AStubLabIsOneLineAndHiddenChecksKeepTheirSecrets) {
  LabReport stub{"fork_sum", "/x", "", {}};
  stub.checks = {Check("Sum.A", Outcome::kFailed, "stderr: fork_sum: not implemented")};
  LabReport lab{"fork_basics", "/y", "", {}};
  lab.checks = {Check("Basics.Secret", Outcome::kFailed, "the secret input", /*hidden=*/true)};
  lab.checks[0].result.timeline = ZombieTimeline();
  std::string html = HtmlReport({"student", true, "namespaces", {}, {stub, lab}}, false);
  EXPECT_NE(html.find("Not started: labs/fork_sum/main.cc"), std::string::npos);
  EXPECT_EQ(html.find("title of Sum.A"), std::string::npos);
  EXPECT_EQ(html.find("secret"), std::string::npos);
  EXPECT_EQ(html.find("class=\"zombie\""), std::string::npos);
  EXPECT_NE(html.find("hidden check"), std::string::npos);
}

}  // namespace
}  // namespace forklab
