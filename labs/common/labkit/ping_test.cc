#include "labkit/ping.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

using labkit::PingResult;

/// /dev/null for the pings' output, opened for one test.
class RunPing : public testing::Test {
 protected:
  void SetUp() override { ASSERT_GE(dev_null_ = open("/dev/null", O_WRONLY | O_CLOEXEC), 0); }
  void TearDown() override { close(dev_null_); }
  int dev_null_ = -1;
};

TEST_F(RunPing, ExitZeroIsUpAnyOtherStatusIsDown) {
  EXPECT_EQ(labkit::run_ping({"true"}, "127.0.0.1", dev_null_), PingResult::kUp);
  EXPECT_EQ(labkit::run_ping({"false"}, "127.0.0.1", dev_null_), PingResult::kDown);
  EXPECT_EQ(labkit::run_ping({"sh", "-c", "kill -9 $$"}, "127.0.0.1", dev_null_),
            PingResult::kDown);
}

TEST_F(RunPing, AppendsTheHostAsTheLastWord) {
  // sh -c SCRIPT HOST: the host is the script's $0.
  std::vector<std::string> command = {"sh", "-c", "test \"$0\" = 10.1.2.3"};
  EXPECT_EQ(labkit::run_ping(command, "10.1.2.3", dev_null_), PingResult::kUp);
  EXPECT_EQ(labkit::run_ping(command, "10.1.2.4", dev_null_), PingResult::kDown);
}

TEST_F(RunPing, SendsThePingsOutputToTheGivenDescriptor) {
  int output[2];
  ASSERT_EQ(pipe(output), 0);
  EXPECT_EQ(labkit::run_ping({"sh", "-c", "echo out; echo err >&2"}, "h", output[1]),
            PingResult::kUp);
  close(output[1]);
  char text[64] = "";
  ssize_t n = read(output[0], text, sizeof text - 1);
  close(output[0]);
  EXPECT_EQ(std::string(text, n > 0 ? n : 0), "out\nerr\n");
}

TEST_F(RunPing, ACommandThatCannotRunIsAnErrorNotADownHost) {
  testing::internal::CaptureStderr();
  PingResult result = labkit::run_ping({"/nonexistent/ping"}, "10.0.0.1", dev_null_);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(result, PingResult::kError);
  EXPECT_NE(err.find("10.0.0.1: exec /nonexistent/ping: No such file or directory"),
            std::string::npos)
      << err;
}

}  // namespace
