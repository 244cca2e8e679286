#include "sandbox/sandbox.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/proc.h"
#include "harness/subprocess.h"
#include "paths/build_paths.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

using Kind = ContainmentEvent::Kind;

// This test's own folder in the build tree.
const std::string kBinaryDir = std::string(build_paths::kBuildDir) + "/grader/sandbox";

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

// A build's tree is a copy on a capped tmpfs: what a step writes is kept; a step that fills
// the tmpfs is stopped there, said so, and leaves the tree on disk as it was.
TEST_F(SandboxTest, BuildTreeIsACappedCopyKeptUnlessFilled) {
  fs::path tree = scratch_ / "build";
  fs::create_directories(tree);
  std::ofstream(tree / "CMakeCache.txt") << "configured";
  SandboxPolicy policy;
  policy.build_tree = tree.string();
  policy.build_tree_bytes = 4 << 20;
  std::string in_tree = "cd " + tree.string() + " && ";
  SandboxResult step =
      Shell(in_tree + "cat CMakeCache.txt && head -c 1000 /dev/zero > object.o", policy);
  EXPECT_EQ(step.console, "configured");
  EXPECT_FALSE(step.build_tree_full);
  EXPECT_EQ(fs::file_size(tree / "object.o"), 1000u);

  SandboxResult filler = Shell(in_tree +
                                   "rm object.o; i=0; while head -c 65536 /dev/zero > fill-$i "
                                   "2>/dev/null; do i=$((i + 1)); done; echo stopped",
                               policy);
  EXPECT_EQ(filler.console, "stopped\n");
  EXPECT_TRUE(filler.build_tree_full);
  ASSERT_TRUE(HasEvent(filler, Kind::kLimit));
  EXPECT_EQ(filler.events.back().text, "the build wrote more than 4 MiB");
  EXPECT_TRUE(fs::exists(tree / "object.o")) << "the tree on disk changed";
  EXPECT_FALSE(fs::exists(tree / "fill-0"));
}

TEST_F(SandboxTest, HiddenDirectoriesLookEmptyOrAbsent) {
  // One in the checkout (like the references) looks empty; one inside /tmp is gone with it.
  fs::path outside = fs::path(kBinaryDir) / ("hidden-" + std::to_string(getpid()));
  fs::create_directories(outside);
  std::ofstream(outside / "secret") << "answers";
  std::ofstream(scratch_ / "secret") << "answers";
  SandboxPolicy policy;
  policy.view = {kBinaryDir};  // as forklab shows its suites
  policy.hide = {outside.string(), scratch_.string()};
  SandboxResult result =
      Shell("ls -A " + outside.string() + "; ls " + scratch_.string() + " 2>&1 | wc -l", policy);
  fs::remove_all(outside);
  EXPECT_EQ(result.console, "1\n");  // ls of the empty one prints nothing; the other complains
}

TEST_F(SandboxTest, ViewsUnderTmpStayInSightReadOnly) {
  // A checkout or a submission unpacked under /tmp: shown, it is seen; its hidden part is not.
  fs::create_directories(scratch_ / "checkout" / "reference");
  std::ofstream(scratch_ / "checkout" / "lab") << "the lab";
  std::ofstream(scratch_ / "checkout" / "reference" / "secret") << "answers";
  std::ofstream(scratch_ / "other") << "not kept";
  SandboxPolicy policy;
  policy.view = {(scratch_ / "checkout").string()};
  policy.hide = {(scratch_ / "checkout" / "reference").string()};
  SandboxResult result = Shell("cd " + scratch_.string() + "; cat checkout/lab; echo; " +
                                   "ls -A checkout/reference; ls other 2>/dev/null || echo gone; " +
                                   "touch checkout/new 2>/dev/null || echo read-only",
                               policy);
  EXPECT_EQ(result.console, "the lab\ngone\nread-only\n");
  EXPECT_FALSE(fs::exists(scratch_ / "checkout" / "new"));
}

TEST_F(SandboxTest, OnlyTheWritableDirectoryCanBeWritten) {
  fs::path build = fs::path(kBinaryDir) / ("writable-" + std::to_string(getpid()));
  fs::create_directories(build / "inner");
  SandboxPolicy policy;
  policy.view = {kBinaryDir};
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

TEST_F(SandboxTest, TheRootHoldsTheSystemAndTheViewsAlone) {
  fs::path shown = scratch_ / "shown", beside = scratch_ / "beside";
  fs::create_directories(shown);
  fs::create_directories(beside);
  std::ofstream(shown / "file") << "seen";
  std::ofstream(beside / "file") << "not seen";
  SandboxPolicy policy;
  policy.view = {(shown / "file").string()};
  SandboxResult result = Shell("ls -A / | tr '\\n' ' '; echo; cat " + (shown / "file").string() +
                                   "; echo; ls " + beside.string() + " 2>&1 >/dev/null | wc -l; " +
                                   "ls -A /dev | tr '\\n' ' '; echo; ls -A " + scratch_.string(),
                               policy);
  std::vector<std::string> lines = SplitLines(result.console);
  ASSERT_EQ(lines.size(), 5u) << result.console;
  for (const char* absent : {"root", "home", "run", "var", "work", "sys", "mnt", "opt", "srv"})
    EXPECT_EQ(lines[0].find(std::string(absent) + " "), std::string::npos)
        << "/" << absent << " is in sight: " << lines[0];
  for (const char* present : {"usr", "etc", "proc", "dev", "tmp"})
    EXPECT_NE(lines[0].find(std::string(present) + " "), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "seen");
  EXPECT_EQ(lines[2], "1");  // ls complains: no such directory
  EXPECT_EQ(lines[3], "fd full null random shm stderr stdin stdout urandom zero ");
  EXPECT_EQ(lines[4], "shown");
}

TEST_F(SandboxTest, TheRootAndTheSystemAreReadOnly) {
  SandboxResult result = Shell(
      "for d in / /usr /etc /dev; do touch $d/forklab-written 2>/dev/null && echo $d; done; "
      "echo end");
  EXPECT_EQ(result.console, "end\n");
}

TEST_F(SandboxTest, EnvironmentIsAnAllowlist) {
  setenv("FORKLAB_SANDBOX_TEST_OWN", "passes", 1);
  setenv("SANDBOX_TEST_SECRET", "hunter2", 1);
  SandboxPolicy policy;
  policy.env = {{"GIVEN", "by the policy"}};
  SandboxResult result = Shell("env | cut -d= -f1 | sort | tr '\\n' ' '; echo $HOME", policy);
  unsetenv("FORKLAB_SANDBOX_TEST_OWN");
  unsetenv("SANDBOX_TEST_SECRET");
  EXPECT_EQ(result.console.find("SANDBOX_TEST_SECRET"), std::string::npos) << result.console;
  EXPECT_NE(result.console.find("FORKLAB_SANDBOX_TEST_OWN "), std::string::npos) << result.console;
  EXPECT_NE(result.console.find("GIVEN "), std::string::npos) << result.console;
  EXPECT_TRUE(result.console.ends_with(" /tmp\n")) << result.console;
  std::istringstream names(result.console.substr(0, result.console.rfind(' ')));
  for (std::string name; names >> name;)
    EXPECT_TRUE(AllowedInRun(name) || name == "HOME" || name == "GIVEN" || name == "PWD" ||
                name == "SHLVL" || name == "_")
        << name << " reached the run";
}

TEST_F(SandboxTest, TheRunHasASessionOfItsOwnAndNoTerminal) {
  // Fields 6 and 7 of /proc/self/stat: the session (init's, pid 1) and the terminal (none).
  SandboxResult result = Shell("cut -d' ' -f6,7 /proc/self/stat");
  EXPECT_EQ(result.console, "1 0\n");
}

TEST_F(SandboxTest, ARootSuiteKeepsOnlyTheCapabilitiesItUses) {
  if (geteuid() != 0) GTEST_SKIP() << "an ordinary user's suite has no capabilities to drop";
  // chown, dac_override, dac_read_search, fowner, kill, setgid, setuid, sys_ptrace and
  // sys_resource (bits 0-3, 5-7, 19 and 24), of those we have (a container may lack some).
  unsigned long long ours = 0;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with("CapBnd:")) ours = std::stoull(line.substr(7), nullptr, 16);
  SandboxResult result = Shell("grep -E '^Cap(Inh|Bnd|Amb)' /proc/self/status");
  EXPECT_EQ(result.console, fmt::format("CapInh:\t{0:016x}\nCapBnd:\t{1:016x}\nCapAmb:\t{0:016x}\n",
                                        0, ours & 0x10800ef));
}

TEST_F(SandboxTest, ProgramsOfAnotherUidDoNotSeeTheSuite) {
  if (geteuid() != 0) GTEST_SKIP() << "only a root grader runs programs as another uid";
  std::string uid = std::to_string(kProgramUids + kProgramUidCount - 1);
  // Pid 1 is init, pid 2 this shell (the suite): both root's, both out of the program's sight.
  SandboxResult result =
      Shell("cat /proc/2/cmdline >/dev/null && echo root sees it; setpriv --reuid=" + uid +
            " --regid=" + uid + " --clear-groups ls -d /proc/1 /proc/2 2>&1 | grep -c 'No such'");
  EXPECT_EQ(result.console, "root sees it\n2\n");
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

TEST_F(SandboxTest, ARunIsOneSchedulingGroupWithACpuQuota) {
  if (geteuid() != 0) GTEST_SKIP() << "an ordinary user has no cgroup to limit the CPU with";
  SandboxPolicy policy;
  policy.cpus = 1;
  SandboxResult result = Shell("echo done", policy);
  EXPECT_NE(result.isolation.find("+cpu"), std::string::npos) << result.isolation;
  EXPECT_EQ(result.console, "done\n");
}

// A run is never without a memory limit: its cgroup's, or else an address space limit on every
// process of it, and its result says which.
TEST_F(SandboxTest, MemoryIsAlwaysLimitedAndTheResultSaysHow) {
  SandboxPolicy policy;
  policy.max_processes = 64;
  policy.memory_bytes = 256 << 20;
  policy.env[kConfineEnv] = "cpu=60,nofile=256";
  SandboxResult result = Shell("ulimit -v", policy);
  EXPECT_NE(result.isolation.find("programs: CPU 60 s, 256 open files"), std::string::npos)
      << result.isolation;
  if (result.isolation.find("memory 256 MiB") != std::string::npos) {
    EXPECT_EQ(result.console, "unlimited\n") << result.isolation;
  } else {
    EXPECT_NE(result.isolation.find("address space 2 GiB per process"), std::string::npos)
        << result.isolation;
    EXPECT_EQ(result.console, std::to_string(kAddressSpaceFloor >> 10) + "\n");
  }
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

// Without namespaces no tmpfs caps the build tree: it is watched instead, and a step that
// writes more than the cap is killed, said so, and what the tree held is removed.
TEST(SandboxFallback, ABuildThatOutgrowsItsTreeIsKilledAndTheTreeEmptied) {
  fs::path tree = fs::temp_directory_path() / ("forklab-fallback-tree-" + std::to_string(getpid()));
  fs::create_directories(tree);
  SandboxPolicy policy;
  policy.namespaces = false;
  policy.wall = std::chrono::seconds(30);
  policy.build_tree = tree.string();
  policy.build_tree_bytes = 4 << 20;
  auto in_tree = [&](const std::string& script) {
    return RunSandboxed(policy, "/bin/sh", {"-c", "cd " + tree.string() + " && " + script});
  };
  SandboxResult step = in_tree("head -c 1000 /dev/zero > object.o");
  EXPECT_FALSE(step.build_tree_full);
  EXPECT_EQ(fs::file_size(tree / "object.o"), 1000u);

  // 64 MiB at most, a file every 10 ms or more: a watch that missed it would not fill the disk.
  SandboxResult filler = in_tree(
      "i=0; while [ $i -lt 64 ]; do head -c 1048576 /dev/zero > fill-$i; i=$((i + 1)); "
      "sleep 0.01; done; echo finished");
  EXPECT_EQ(filler.console, "") << "the writer was not stopped";
  EXPECT_TRUE(filler.build_tree_full);
  bool said = false;
  for (const ContainmentEvent& event : filler.events)
    said |= event.kind == Kind::kLimit && event.text == "the build wrote more than 4 MiB";
  EXPECT_TRUE(said) << "no event names the cap";
  EXPECT_TRUE(fs::is_empty(tree)) << "the files written are still on disk";
  EXPECT_TRUE(DescendantsOf(getpid()).empty());
  fs::remove_all(tree);
}

}  // namespace
}  // namespace forklab
