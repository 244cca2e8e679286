#include "grading/containment_policy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "grading/selection.h"

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
  EXPECT_EQ(
      plan.containment.view,
      (std::vector<std::string>{"/build/grader", "/build/fixtures/ping", "/src/fixtures/faults"}));
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
    EXPECT_EQ(plan.lease.program, *program.uid);
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

/// A scratch directory closed to other users (as `mktemp -d` makes them), removed after the
/// test.
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

TEST_F(ClosedDirTest, OthersCanUseWhatItselfIsOpen) {
  EXPECT_TRUE(OthersCanUse("/bin/sh"));
  EXPECT_TRUE(OthersCanUse("/usr/bin"));
  // The run shows it at the same path, through directories of its own.
  EXPECT_TRUE(OthersCanUse(dir_ / "program"));
  EXPECT_FALSE(OthersCanUse(dir_ / "missing"));
  chmod((dir_ / "program").c_str(), 0700);
  EXPECT_FALSE(OthersCanUse(dir_ / "program"));
  EXPECT_FALSE(OthersCanUse(dir_));
}

TEST_F(ClosedDirTest, ARootGraderNeverRunsTheProgramAsRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "only a root grader runs programs as another uid";
  ContainmentPlan plan = PlanContainment(kLayout, {}, ProbeAnswer{}, {dir_ / "program"});
  ASSERT_TRUE(plan.containment.program.uid);
  EXPECT_NE(*plan.containment.program.uid, 0u);
  chmod((dir_ / "program").c_str(), 0700);
  try {
    PlanContainment(kLayout, {}, ProbeAnswer{}, {dir_ / "program"});
    ADD_FAILURE() << "a program closed to other users was planned";
  } catch (const GradeRequestError& e) {
    EXPECT_TRUE(std::string(e.what()).find("is closed to other users, and programs never run as "
                                           "root") != std::string::npos)
        << e.what();
  }
}

TEST(UidLease, ConcurrentLeasesNeverShareAUid) {
  if (geteuid() != 0) GTEST_SKIP() << "only root leases program uids";
  std::vector<UidLease> leases;
  std::set<uid_t> uids;
  for (int i = 0; i < 5; ++i) {
    leases.push_back(LeaseProgramUid());
    uids.insert(leases.back().program);
  }
  EXPECT_EQ(uids.size(), 5u);
  uid_t released = leases.front().program;
  leases.erase(leases.begin());
  // Our pid picks where the search starts, so the released uid comes back first.
  EXPECT_EQ(LeaseProgramUid().program, released);
}

TEST(UidLease, ALeaseDirectoryOthersCanWriteIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "only root leases program uids";
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("forklab-leases-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0777);
  EXPECT_THROW(LeaseProgramUid(dir), GradeRequestError);
  chmod(dir.c_str(), 0755);
  EXPECT_GE(LeaseProgramUid(dir).program, kProgramUids);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace forklab
