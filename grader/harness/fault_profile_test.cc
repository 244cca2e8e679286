#include "harness/fault_profile.h"

#include <gtest/gtest.h>

#include <fstream>

#include "paths/build_paths.h"

namespace forklab {
namespace {

const std::filesystem::path kProfiles =
    std::filesystem::path(build_paths::kSourceDir) / "fixtures" / "faults";

TEST(FaultProfile, EveryShippedProfileLoads) {
  int count = 0;
  for (const auto& file : std::filesystem::directory_iterator(kProfiles)) {
    FaultProfile profile = LoadFaultProfile(file.path());
    EXPECT_EQ(profile.name + ".toml", file.path().filename()) << "name and file name differ";
    EXPECT_FALSE(profile.plan.points.empty());
    for (const FaultPoint& point : profile.plan.points) EXPECT_NE(point.error, 0) << point.name;
    ++count;
  }
  EXPECT_GE(count, 6);
}

TEST(FaultProfile, ReadsPointsAndExplainsThem) {
  FaultProfile profile = LoadFaultProfile(kProfiles / "fork-eagain-share.toml");
  ASSERT_EQ(profile.plan.points.size(), 1u);
  const FaultPoint& point = profile.plan.points[0];
  EXPECT_EQ(point.name, "posix/proc/fork");
  EXPECT_EQ(point.when, FaultPoint::When::kRandom);
  EXPECT_DOUBLE_EQ(point.probability, 0.3);
  EXPECT_EQ(point.error, EAGAIN);
  EXPECT_EQ(profile.plan.seed, 7u);
  EXPECT_TRUE(profile.plan.on_at_start);
  std::string explained = profile.Explain();
  EXPECT_NE(explained.find("posix/proc/fork random p=0.30 EAGAIN"), std::string::npos) << explained;
  EXPECT_NE(explained.find("expected: every host"), std::string::npos) << explained;
}

TEST(FaultProfile, SwitchedProfilesStartOffUnderRemoteControl) {
  FaultProfile profile = LoadFaultProfile(kProfiles / "send-epipe-switched.toml");
  EXPECT_FALSE(profile.plan.on_at_start);
  EXPECT_TRUE(profile.plan.remote_control);
  EXPECT_EQ(profile.plan.points[0].error, EPIPE);
}

TEST(FaultProfile, ErrnoNames) {
  EXPECT_EQ(ErrnoFromName("EAGAIN"), EAGAIN);
  EXPECT_EQ(ErrnoFromName("ECONNRESET"), ECONNRESET);
  EXPECT_EQ(ErrnoFromName("EBOGUS"), 0);
}

TEST(FaultProfile, BadProfilesAreRefusedInOneLine) {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("forklab-profile-" + std::to_string(getpid()) + ".toml");
  auto error_of = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      LoadFaultProfile(path);
    } catch (const FaultProfileError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  std::string head = "name = \"p\"\ndescription = \"d\"\nexpect = \"e\"\n";
  EXPECT_NE(error_of("name = \"p\"").find("required"), std::string::npos);
  EXPECT_NE(error_of(head).find("no [[point]]"), std::string::npos);
  EXPECT_NE(error_of(head + "[[point]]\nname = \"x\"\nerrno = \"EWHAT\"").find("'errno'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "[[point]]\nname = \"x\"\nerrno = \"EIO\"\nwhen = \"random\"")
                .find("'probability'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "[[point]]\nname = \"x\"\nerrno = \"EIO\"\nwhen = \"sometimes\"")
                .find("'when'"),
            std::string::npos);
  EXPECT_NE(error_of("name = ").find(path.filename().string()), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace forklab
