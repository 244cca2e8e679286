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

}  // namespace
}  // namespace forklab
