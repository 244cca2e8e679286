#include "sandbox/sandbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/proc.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

using Kind = ContainmentEvent::Kind;

SandboxResult Shell(const std::string& script, SandboxPolicy policy = {}) {
  if (policy.wall.count() == 0) policy.wall = std::chrono::seconds(30);
  return RunSandboxed(policy, "/bin/sh", {"-c", script});
}

bool HasEvent(const SandboxResult& result, Kind kind) {
  for (const ContainmentEvent& event : result.events)
    if (event.kind == kind) return true;
  return false;
}

class SandboxTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!NamespacesRefused().empty()) GTEST_SKIP() << NamespacesRefused();
    scratch_ = fs::temp_directory_path() / ("forklab-sandbox-test-" + std::to_string(getpid()));
    fs::create_directories(scratch_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(scratch_, ignored);
  }
  fs::path scratch_;
};

TEST_F(SandboxTest, SuiteIsPidTwoBesideOnlyLoopback) {
  SandboxResult result = Shell("echo $$; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '");
  EXPECT_FALSE(result.fallback) << result.isolation;
  EXPECT_TRUE(result.suite_exited);
  EXPECT_EQ(result.console, "2\nlo\n");
}

TEST_F(SandboxTest, TreeIsReadOnlyAndTmpIsPrivate) {
  std::string outside = (scratch_ / "written").string();
  SandboxResult result =
      Shell("touch " + outside + " 2>/dev/null || echo read-only; " +
            "echo inside > /tmp/forklab-sandbox-private && cat " + "/tmp/forklab-sandbox-private");
  EXPECT_EQ(result.console, "read-only\ninside\n");
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_FALSE(fs::exists("/tmp/forklab-sandbox-private"));
}

TEST_F(SandboxTest, HiddenDirectoriesLookEmptyOrAbsent) {
  // One in the checkout (like the references) looks empty; one inside /tmp is gone with it.
  fs::path outside = fs::path(FORKLAB_BINARY_DIR) / ("hidden-" + std::to_string(getpid()));
  fs::create_directories(outside);
  std::ofstream(outside / "secret") << "answers";
  std::ofstream(scratch_ / "secret") << "answers";
  SandboxPolicy policy;
  policy.keep = {FORKLAB_BINARY_DIR};  // as forklab keeps its checkout, should it be in /tmp
  policy.hide = {outside.string(), scratch_.string()};
  SandboxResult result =
      Shell("ls -A " + outside.string() + "; ls " + scratch_.string() + " 2>&1 | wc -l", policy);
  fs::remove_all(outside);
  EXPECT_EQ(result.console, "1\n");  // ls of the empty one prints nothing; the other complains
}

TEST_F(SandboxTest, KeptPathsUnderTmpStayInSightReadOnly) {
  // A checkout or a submission unpacked under /tmp: kept, it is seen; its hidden part is not.
  fs::create_directories(scratch_ / "checkout" / "reference");
  std::ofstream(scratch_ / "checkout" / "lab") << "the lab";
  std::ofstream(scratch_ / "checkout" / "reference" / "secret") << "answers";
  std::ofstream(scratch_ / "other") << "not kept";
  SandboxPolicy policy;
  policy.keep = {(scratch_ / "checkout").string()};
  policy.hide = {(scratch_ / "checkout" / "reference").string()};
  SandboxResult result = Shell("cd " + scratch_.string() + "; cat checkout/lab; echo; " +
                                   "ls -A checkout/reference; ls other 2>/dev/null || echo gone; " +
                                   "touch checkout/new 2>/dev/null || echo read-only",
                               policy);
  EXPECT_EQ(result.console, "the lab\ngone\nread-only\n");
  EXPECT_FALSE(fs::exists(scratch_ / "checkout" / "new"));
}

TEST_F(SandboxTest, OnlyTheWritableDirectoryCanBeWritten) {
  fs::path build = fs::path(FORKLAB_BINARY_DIR) / ("writable-" + std::to_string(getpid()));
  fs::create_directories(build / "inner");
  SandboxPolicy policy;
  policy.keep = {FORKLAB_BINARY_DIR};
  policy.writable = {(build / "inner").string(), scratch_.string()};
  SandboxResult result = Shell("echo built > " + (build / "inner" / "out").string() + "; " +
                                   "echo kept > " + (scratch_ / "out").string() + "; touch " +
                                   (build / "beside").string() + " 2>/dev/null || echo read-only",
                               policy);
  EXPECT_EQ(result.console, "read-only\n");
  EXPECT_TRUE(fs::exists(build / "inner" / "out"));
  EXPECT_TRUE(fs::exists(scratch_ / "out"));
  EXPECT_FALSE(fs::exists(build / "beside"));
  fs::remove_all(build);
}

TEST_F(SandboxTest, ConfinementAppliesToTheCommandItself) {
  SandboxPolicy policy;
  policy.confinement = Confinement::Parse("nofile=40,cpu=7");
  if (geteuid() == 0) policy.confinement->uid = kProgramUids + kProgramUidCount - 1;
  SandboxResult result = Shell("ulimit -n; ulimit -t; id -u", policy);
  std::string uid = std::to_string(geteuid() == 0 ? kProgramUids + kProgramUidCount - 1 : getuid());
  EXPECT_EQ(result.console, "40\n7\n" + uid + "\n");
}

TEST_F(SandboxTest, ResultsTravelOnFd3AndThePassedFileIsFd4) {
  std::ofstream(scratch_ / "reference") << "the reference";
  SandboxPolicy policy;
  policy.passed_file = (scratch_ / "reference").string();
  policy.hide = {scratch_.string()};
  SandboxResult result = Shell("echo '{\"ok\":1}' >&3; cat /proc/self/fd/4", policy);
  EXPECT_EQ(result.report, "{\"ok\":1}\n");
  EXPECT_EQ(result.console, "the reference");
}

TEST_F(SandboxTest, WallTimeEndsTheWholeRun) {
  SandboxPolicy policy;
  policy.wall = std::chrono::seconds(1);
  SandboxResult result = Shell("sleep 100 & sleep 100", policy);
  EXPECT_FALSE(result.suite_exited);
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_EQ(result.events[0].kind, Kind::kWallTime);
  EXPECT_EQ(result.events[0].text, "killed: wall time 1 s");
}

TEST_F(SandboxTest, ProcessesLeftRunningAreReportedAndKilled) {
  SandboxResult result = Shell("setsid sleep 100 & sleep 100 & exit 0");
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_EQ(result.events[0].kind, Kind::kLeftRunning);
  EXPECT_EQ(result.events[0].text, "left 2 processes running after exit: killed");
}

TEST_F(SandboxTest, ProcessLimitIsReported) {
  if (geteuid() != 0) GTEST_SKIP() << "an ordinary user has no cgroup to limit processes with";
  SandboxPolicy policy;
  policy.max_processes = 10;
  SandboxResult result =
      Shell("for i in $(seq 30); do sleep 100 & done 2>/dev/null; exit 0", policy);
  EXPECT_TRUE(HasEvent(result, Kind::kLimit)) << result.isolation;
  EXPECT_NE(result.isolation.find("cgroup"), std::string::npos);
}

TEST(SandboxFallback, RunsWithoutNamespacesAndSaysWhy) {
  SandboxPolicy policy;
  policy.namespaces = false;
  policy.wall = std::chrono::seconds(30);
  SandboxResult result = RunSandboxed(policy, "/bin/sh", {"-c", "echo $$; sleep 100 & exit 0"});
  EXPECT_TRUE(result.fallback);
  EXPECT_TRUE(result.isolation.starts_with("fallback")) << result.isolation;
  EXPECT_NE(result.console, "2\n");
  EXPECT_TRUE(HasEvent(result, Kind::kLeftRunning));
  EXPECT_TRUE(DescendantsOf(getpid()).empty());
}

}  // namespace
}  // namespace forklab
