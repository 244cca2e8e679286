#include "grading/containment_policy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

namespace forklab {
namespace {

const Layout kLayout{"/src", "/build"};

TEST(ContainmentPolicy, NamespacesWhereTheProbeFindsThem) {
  ContainmentLimits limits;
  limits.max_processes = 100;
  limits.memory_mib = 256;
  ContainmentPlan plan = PlanContainment(kLayout, limits, ProbeAnswer{}, {"/bin/sh"});
  EXPECT_EQ(plan.isolation, "namespaces");
  EXPECT_TRUE(plan.containment.namespaces);
  EXPECT_EQ(plan.containment.sandbox, "/build/grader/forklab-sandbox");
  EXPECT_EQ(plan.containment.max_processes, 100);
  EXPECT_EQ(plan.containment.memory_mib, 256);
  EXPECT_EQ(plan.containment.keep, (std::vector<std::string>{"/src", "/build"}));
  const Confinement& program = plan.containment.program;
  EXPECT_EQ(program.cpu_seconds, rlim_t{60});
  EXPECT_EQ(program.file_size_bytes, rlim_t{64} << 20);
  EXPECT_EQ(program.open_files, rlim_t{1024});
  EXPECT_EQ(program.output_bytes, size_t{4} << 20);
  if (geteuid() == 0) {
    ASSERT_TRUE(program.uid);
    EXPECT_GE(*program.uid, kProgramUids);
    EXPECT_LT(*program.uid, kProgramUids + kProgramUidCount);
    EXPECT_EQ(program.processes, rlim_t{100});
    EXPECT_FALSE(program.address_space_bytes);  // the cgroup's memory limit binds instead
    EXPECT_TRUE(plan.warnings.empty());
  } else {
    EXPECT_FALSE(program.uid);
    EXPECT_GT(program.processes, rlim_t{100});  // our own processes count too
    EXPECT_EQ(program.address_space_bytes, rlim_t{2} << 30);
  }
}

TEST(ContainmentPolicy, TheFallbackIsSaidOnce) {
  ContainmentPlan plan =
      PlanContainment(kLayout, {}, ProbeAnswer{"unshare: Operation not permitted"}, {});
  EXPECT_EQ(plan.isolation, "fallback: unshare: Operation not permitted");
  EXPECT_FALSE(plan.containment.namespaces);
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_TRUE(plan.warnings[0].starts_with(
      "containment is weaker here: unshare: Operation not permitted. Checks run"))
      << plan.warnings[0];

  ContainmentLimits off;
  off.no_namespaces = true;
  plan = PlanContainment(kLayout, off, ProbeAnswer{}, {});
  EXPECT_EQ(plan.isolation, "fallback: namespaces switched off (--no-namespaces)");
  EXPECT_FALSE(plan.containment.namespaces);
}

/// A scratch directory closed to other users, removed after the test.
class ClosedDirTest : public testing::Test {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("forklab-closed-" + std::to_string(getpid()));
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    chmod(dir_.c_str(), 0700);
    std::ofstream(dir_ / "program") << "#!/bin/sh\n";
    chmod((dir_ / "program").c_str(), 0755);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_F(ClosedDirTest, OthersCanRunOnlyWhatEveryDirectoryOpens) {
  EXPECT_TRUE(OthersCanRun("/bin/sh"));
  EXPECT_TRUE(OthersCanRun("/usr/bin"));
  EXPECT_FALSE(OthersCanRun(dir_ / "program"));
  EXPECT_FALSE(OthersCanRun(dir_ / "missing"));
  chmod(dir_.c_str(), 0711);
  EXPECT_TRUE(OthersCanRun(dir_ / "program"));
  chmod((dir_ / "program").c_str(), 0700);
  EXPECT_FALSE(OthersCanRun(dir_ / "program"));
}

TEST_F(ClosedDirTest, ARootGraderWarnsWhenTheProgramIsOutOfReach) {
  if (geteuid() != 0) GTEST_SKIP() << "only a root grader runs programs as another uid";
  ContainmentPlan plan = PlanContainment(kLayout, {}, ProbeAnswer{}, {dir_ / "program"});
  EXPECT_FALSE(plan.containment.program.uid);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_TRUE(plan.warnings[0].starts_with("the program under test runs as root"))
      << plan.warnings[0];
  EXPECT_TRUE(plan.containment.program.address_space_bytes);
}

}  // namespace
}  // namespace forklab
