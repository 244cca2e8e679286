#include "grading/check.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

TEST(Check, ReplayCommandRunsThatCheckAlone) {
  RubricEntry entry;
  entry.test = "EchoServer.SigtermExitsCleanly";
  entry.suite = "/b/grader/echo_server_suite";
  Target target{"fork_echo_server", "/home/al ice/it's/server", {}, {}};
  EXPECT_EQ(ReplayCommand(entry, target),
            "/b/grader/echo_server_suite --exe '/home/al ice/it'\\''s/server' --lab "
            "fork_echo_server --gtest_filter=EchoServer.SigtermExitsCleanly");
}

TEST(Check, FailuresAreInPlainWords) {
  EXPECT_EQ(PlainFailure("../s/ping_threads.cc:73\nValue of: run.timed_out()\n  Actual: true\n"
                         "Expected: false\nafter 30.1 s, 84 of 254 hosts reported\n"
                         "Google Test trace:\n../s/ping_threads.cc:67: round 1\n"),
            "after 30.1 s, 84 of 254 hosts reported\n(in round 1)");
  EXPECT_EQ(PlainFailure("a.cc:3\nValue of: ok\n  Actual: false\nExpected: true\n"),
            "ok was false, expected true");
}

}  // namespace
}  // namespace forklab
