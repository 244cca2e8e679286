#include "labkit/targets.h"

#include <gtest/gtest.h>

namespace {

std::vector<std::string> Expand(const std::string& target) {
  std::vector<std::string> hosts;
  std::string error;
  EXPECT_TRUE(labkit::expand_target(target, &hosts, &error)) << error;
  return hosts;
}

std::string Rejection(const std::string& target) {
  std::vector<std::string> hosts;
  std::string error;
  EXPECT_FALSE(labkit::expand_target(target, &hosts, &error)) << target << " was accepted";
  EXPECT_TRUE(hosts.empty());
  return error;
}

TEST(ExpandTarget, SingleAddress) {
  EXPECT_EQ(Expand("127.0.0.1"), std::vector<std::string>{"127.0.0.1"});
}

TEST(ExpandTarget, LastOctetRange) {
  EXPECT_EQ(Expand("127.0.3.7-9"),
            (std::vector<std::string>{"127.0.3.7", "127.0.3.8", "127.0.3.9"}));
  EXPECT_EQ(Expand("10.14.2.1-254").size(), 254u);
  EXPECT_EQ(Expand("127.0.0.5-5"), std::vector<std::string>{"127.0.0.5"});
}

TEST(ExpandTarget, CidrHostsOnly) {
  EXPECT_EQ(Expand("127.0.0.0/30"), (std::vector<std::string>{"127.0.0.1", "127.0.0.2"}));
  EXPECT_EQ(Expand("127.0.0.4/31"), (std::vector<std::string>{"127.0.0.4", "127.0.0.5"}));
  EXPECT_EQ(Expand("127.0.0.9/32"), std::vector<std::string>{"127.0.0.9"});
  auto block = Expand("127.0.0.0/24");
  ASSERT_EQ(block.size(), 254u);
  EXPECT_EQ(block.front(), "127.0.0.1");
  EXPECT_EQ(block.back(), "127.0.0.254");
  EXPECT_EQ(Expand("127.1.0.0/16").size(), 65534u);
}

TEST(ExpandTarget, BlocksAtTheTopOfTheAddressSpaceEnd) {
  EXPECT_EQ(Expand("255.255.255.254/31"),
            (std::vector<std::string>{"255.255.255.254", "255.255.255.255"}));
  EXPECT_EQ(Expand("255.255.255.255/32"), std::vector<std::string>{"255.255.255.255"});
  EXPECT_EQ(Expand("255.255.255.250-255").size(), 6u);
}

TEST(ExpandTarget, CidrIgnoresHostBits) {
  EXPECT_EQ(Expand("127.0.0.6/30"), (std::vector<std::string>{"127.0.0.5", "127.0.0.6"}));
}

TEST(ExpandTarget, RejectsEverythingElse) {
  for (const char* bad :
       {"", "localhost", "127.0.0", "127.0.0.1.1", "256.0.0.1", "127.0.0.01x", "127.0.0.1;touch x",
        "$(reboot)", "127.0.0.1 ", "-127.0.0.1", "127.0.0.5-2", "127.0.0.1-256", "127.0.0.1-",
        "127.0.0.0/15", "127.0.0.0/33", "127.0.0.0/", "127.0.0.+1", "1.2.3.4/8"}) {
    std::string error = Rejection(bad);
    EXPECT_NE(error.find("bad target"), std::string::npos) << bad << ": " << error;
  }
}

TEST(SplitCommand, SplitsOnBlanksWithoutShellSyntax) {
  EXPECT_EQ(labkit::split_command("  ping\t-c 2  -W 1 "),
            (std::vector<std::string>{"ping", "-c", "2", "-W", "1"}));
  EXPECT_EQ(labkit::split_command("echo $(id);x"), (std::vector<std::string>{"echo", "$(id);x"}));
  EXPECT_TRUE(labkit::split_command("   ").empty());
}

}  // namespace
