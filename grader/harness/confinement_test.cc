#include "harness/confinement.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace forklab {
namespace {

TEST(Confinement, RoundTripsThroughItsText) {
  Confinement confinement;
  confinement.uid = 61042;
  confinement.cpu_seconds = 30;
  confinement.open_files = 64;
  confinement.output_bytes = 1 << 20;
  EXPECT_EQ(confinement.ToString(), "uid=61042,cpu=30,nofile=64,output=1048576");
  Confinement parsed = Confinement::Parse(confinement.ToString());
  EXPECT_EQ(parsed.ToString(), confinement.ToString());
  EXPECT_FALSE(parsed.file_size_bytes);
  EXPECT_EQ(Confinement::Parse("").ToString(), "");
}

TEST(Confinement, BadTextNamesTheField) {
  for (const char* bad : {"uid", "uid=", "uid=12x", "cpu=-", "colour=3"}) {
    try {
      Confinement::Parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(bad).substr(0, 3)), std::string::npos)
          << e.what();
    }
  }
}

TEST(Confinement, DescribesTheLimitsInForce) {
  EXPECT_EQ(Confinement{}.Describe(), "");
  Confinement confinement = Confinement::Parse(
      "uid=61042,cpu=60,fsize=67108864,nofile=1024,"
      "nproc=1024,as=2147483648,output=4194304");
  EXPECT_EQ(confinement.Describe(),
            "a uid of its own, CPU 60 s, files 64 MiB, 1024 open files, 1024 processes, "
            "address space 2 GiB");
}

TEST(Confinement, HumanBytes) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1 << 20), "1 MiB");
  EXPECT_EQ(HumanBytes(2254857830ull), "2.1 GiB");
}

// Applied in a child, as Subprocess does between fork and exec.
TEST(Confinement, ApplyLimitsTheProcess) {
  Confinement confinement;
  confinement.open_files = 20;
  confinement.file_size_bytes = 4096;
  if (geteuid() == 0) confinement.uid = 65534;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (ApplyConfinement(confinement) != 0) _exit(10);
    struct rlimit files, size, core;
    getrlimit(RLIMIT_NOFILE, &files);
    getrlimit(RLIMIT_FSIZE, &size);
    getrlimit(RLIMIT_CORE, &core);
    if (files.rlim_max != 20 || size.rlim_cur != 4096 || core.rlim_max != 0) _exit(11);
    // No new privileges from a set-uid program, and (as root) no way back to root.
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) _exit(12);
    if (confinement.uid && (getuid() != 65534 || geteuid() != 65534 || setuid(0) == 0)) _exit(13);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Confinement, ScratchDirectoryBelongsToTheProgramUid) {
  if (geteuid() != 0) GTEST_SKIP() << "only root hands directories to another uid";
  // In a child: the recorded uid holds for the whole process, as in a suite.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RecordProgramUid(65534);
    std::string dir = MakeProgramScratchDir("forklab-confinement-test");
    struct stat info;
    bool owned = stat(dir.c_str(), &info) == 0 && info.st_uid == 65534;
    std::filesystem::remove_all(dir);
    _exit(owned ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace forklab
