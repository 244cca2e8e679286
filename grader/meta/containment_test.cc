// Containment meta-tests: every hostile fixture of fixtures/hostile graded, its harmless twin
// first; ten gradings at once on one port; results that cannot be forged.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "harness/proc.h"
#include "harness/watch.h"
#include "meta/forklab_run.h"
#include "sandbox/protocol.h"

namespace fs = std::filesystem;

namespace forklab {
namespace {

/// A hostile fixture and what the grader must report for it (its hostile.toml).
struct Hostile {
  std::string name;
  std::string threat;
  std::set<std::string> outcomes;
  std::string detail;                     // a regex the check's detail must match (empty: any)
  std::vector<std::string> options;       // grading options for both
  std::vector<std::string> twin_options;  // and for the twin alone
  bool declared_for_users = false;        // the outcome and detail hold for an ordinary user too
  std::string check = "ForkBasics.LinesInOrder";  // the one it is graded on
};

std::vector<Hostile> HostileFixtures() {
  std::vector<Hostile> fixtures;
  for (const auto& [name, table] : FixtureManifests("hostile", "hostile.toml")) {
    Hostile fixture{name, table["threat"].value_or(std::string()),
                    {},   table["detail"].value_or(std::string()),
                    {},   {}};
    ManifestStrings(table, "outcome", std::inserter(fixture.outcomes, fixture.outcomes.end()));
    ManifestStrings(table, "options", std::back_inserter(fixture.options));
    ManifestStrings(table, "twin_options", std::back_inserter(fixture.twin_options));
    fixture.declared_for_users = table["declared_for_users"].value_or(false);
    fixture.check = table["check"].value_or(fixture.check);
    fixtures.push_back(std::move(fixture));
  }
  return fixtures;
}

void PrintTo(const Hostile& fixture, std::ostream* out) {
  *out << fixture.name;
}

const fs::path kHostileDir = kBuild / "fixtures" / "hostile";

// Whether `pid` runs a hostile fixture (from our build tree, or a copy of one in a scratch
// folder), whatever its uid. Only these tests run them, one at a time (their ctest resource
// lock): one alive after a grading was left by it, whatever else the machine runs meanwhile.
bool RunsAHostileFixture(pid_t pid) {
  std::error_code error;
  std::string exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", error).string();
  return !error && (exe.starts_with(kHostileDir.string() + "/") ||
                    exe.starts_with((fs::temp_directory_path() / "forklab-closed-").string()));
}

/// What the machine has now: the hostile programs alive and the memory it could still give.
struct MachineState {
  long available_mib = 0;
  std::vector<pid_t> hostile_processes;
};

MachineState ReadMachine() {
  MachineState state;
  for (const ProcStat& process : ListProcesses())
    if (RunsAHostileFixture(process.pid)) state.hostile_processes.push_back(process.pid);
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    long value;
    meminfo >> value;
    if (key == "MemAvailable:") state.available_mib = value / 1024;
    meminfo.ignore(64, '\n');
  }
  return state;
}

// Other work on a shared machine (a compiler) moves free memory by this much on its own.
constexpr long kMemoryNoiseMib = 1536;

const fs::path kHiddenDir = kBuild / "fixtures" / "hostile-hidden";

// A group the unprivileged grader keeps (a user namespace keeps a user's supplementary
// groups): the hidden tests are readable through it, by the grader but never by the program.
constexpr gid_t kKeptGroup = 100;
// The ordinary user the corpus is graded as too, keeping that group.
constexpr uid_t kNobody = 65534;
const std::vector<std::string> kAsNobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                            "--groups=" + std::to_string(kKeptGroup), "--"};

// In the grader's environment of every grading: no program may print it.
constexpr char kGraderSecret[] = "GRADER_SECRET_TOKEN";

/// forklab's arguments that grade `exe` as fork_basics beside the reference fork_sum, so a
/// hostile lab can be seen not to stop the other labs' grading.
std::vector<std::string> HostileArgs(const fs::path& exe, std::vector<std::string> options,
                                     const std::string& check = "ForkBasics.LinesInOrder") {
  fs::create_directories(kHiddenDir);
  std::ofstream(kHiddenDir / "secret.txt") << "hidden tests live here\n";
  if (geteuid() == 0) {
    for (const fs::path& path : {kHiddenDir, kHiddenDir / "secret.txt"})
      if (chown(path.c_str(), 0, kKeptGroup) != 0) ADD_FAILURE() << "chown " << path;
    fs::permissions(kHiddenDir,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    fs::permissions(kHiddenDir / "secret.txt",
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  }
  setenv(kGraderSecret, "hunter2", 1);
  std::vector<std::string> args = {"grade",
                                   "--exe",
                                   "fork_basics=" + exe.string(),
                                   "--exe",
                                   "fork_sum=" + (kBuild / "reference" / "fork_sum").string(),
                                   "--check",
                                   check,
                                   "--check",
                                   "Sum.BadOptionsExitTwo",
                                   "--hidden",
                                   kHiddenDir.string()};
  args.insert(args.end(), options.begin(), options.end());
  // Hangs are cut short at 5 s (every fixture shows its attack well within that) unless the
  // manifest needs longer.
  if (std::find(options.begin(), options.end(), "--timeout") == options.end())
    args.insert(args.end(), {"--timeout", "5"});
  // One check after the other: the other lab's check runs once the hostile one has ended, so it
  // shows what the attack left behind. How a run shares the cores with its neighbours while
  // it spins is meta.Containment.AThousandSpinningThreadsWeighAsOneTask's to show; beside a
  // busy CI, a neighbour's 5 s deadline measured the machine's load instead.
  args.insert(args.end(), {"--jobs", "1"});
  return args;
}

Grading GradeHostile(const fs::path& exe, std::vector<std::string> options,
                     std::vector<std::string> prefix = {},
                     const std::string& check = "ForkBasics.LinesInOrder") {
  return Forklab(HostileArgs(exe, std::move(options), check), true, prefix);
}

/// The grading finished and was not fooled, the other lab was graded, and nothing of the run
/// is left on the machine. `declared`: the outcome and detail must be the manifest's too.
void ExpectContained(const Hostile& fixture, const Grading& grading, const MachineState& before,
                     bool declared) {
  ASSERT_TRUE(grading.result.is_object()) << "no JSON result\n"
                                          << grading.run.out << grading.run.err;
  EXPECT_TRUE(grading.result.value("complete", false));
  const auto& labs = grading.result["labs"];
  ASSERT_EQ(labs.size(), 2u);
  for (const auto& lab : labs) {
    ASSERT_EQ(lab["checks"].size(), 1u) << lab.dump();
    const auto& check = lab["checks"][0];
    if (lab["lab"] == "fork_sum") {
      EXPECT_EQ(check["outcome"], "passed") << "the other lab was not graded normally: " << check;
      continue;
    }
    EXPECT_EQ(check["earned"], 0) << "a hostile program earned points: " << check;
    EXPECT_NE(check.value("isolation", ""), "") << "the check records no isolation: " << check;
    if (!declared) continue;
    std::string outcome = check["outcome"];
    EXPECT_TRUE(fixture.outcomes.count(outcome))
        << fixture.threat << ": outcome '" << outcome << "'\n"
        << check.value("detail", "");
    if (!fixture.detail.empty()) {
      EXPECT_TRUE(std::regex_search(check.value("detail", ""), std::regex(fixture.detail)))
          << fixture.threat << ": the detail does not match /" << fixture.detail << "/:\n"
          << check.value("detail", "");
    }
  }
  // The text report states the isolation in force, once whichever check met it.
  for (const auto& isolation : grading.result["isolation_in_force"])
    EXPECT_NE(grading.run.out.find("isolation: " + isolation.get<std::string>()), std::string::npos)
        << grading.run.out;
  // The grader's total is the sum of what it reported, whatever the program wrote.
  EXPECT_DOUBLE_EQ(grading.result["earned"].get<double>(),
                   labs[1]["earned"].get<double>() + labs[0]["earned"].get<double>());

  // Nothing survives: no descendant of ours (a subreaper: escaped processes come to us), no
  // hostile program anywhere, whatever its uid, and the machine's memory came back.
  MachineState after;
  for (int attempt = 0; attempt < 50; ++attempt) {
    ReapAdopted(/*kill_live=*/false, nullptr);
    after = ReadMachine();
    if (DescendantsOf(getpid()).empty() && after.hostile_processes.empty() &&
        after.available_mib >= before.available_mib - kMemoryNoiseMib)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(DescendantsOf(getpid()).empty()) << "a process of the run survived it";
  EXPECT_TRUE(after.hostile_processes.empty())
      << after.hostile_processes.size() << " processes of a hostile program survived";
  EXPECT_GE(after.available_mib, before.available_mib - kMemoryNoiseMib)
      << "memory did not come back";
  EXPECT_FALSE(fs::exists(kBuild / "hostile-results.json")) << "a program wrote a result file";
}

std::vector<std::string> TwinOptions(const Hostile& fixture) {
  std::vector<std::string> options = fixture.options;
  options.insert(options.end(), fixture.twin_options.begin(), fixture.twin_options.end());
  return options;
}

bool FullContainment(const Grading& grading) {
  return grading.result.is_object() && grading.result.value("isolation", "") == "namespaces";
}

class HostileFixture : public testing::TestWithParam<Hostile> {
 protected:
  void SetUp() override { BecomeSubreaper(); }
};

// The twin (the same attack, bounded) is graded first; the real fixture only once the twin
// has shown that containment holds, and only with every namespace in force.
TEST_P(HostileFixture, ContainedAsDeclaredTwinFirst) {
  const Hostile& fixture = GetParam();
  MachineState before = ReadMachine();
  Grading twin =
      GradeHostile(kHostileDir / (fixture.name + "_twin"), TwinOptions(fixture), {}, fixture.check);
  ExpectContained(fixture, twin, before, /*declared=*/true);
  if (HasFailure()) GTEST_FAIL() << "the harmless twin was not contained: the real one stays off";
  if (!FullContainment(twin))
    GTEST_SKIP() << "containment is partial here (" << twin.result.value("isolation", "")
                 << "): the real " << fixture.threat << " is not run";
  Grading real = GradeHostile(kHostileDir / fixture.name, fixture.options, {}, fixture.check);
  ExpectContained(fixture, real, before, /*declared=*/true);
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileFixture, testing::ValuesIn(HostileFixtures()),
                         [](const auto& info) { return info.param.name; });

// The same corpus graded by an ordinary user (nobody, keeping a supplementary group through
// which the hidden tests are readable), where the sandbox needs a user namespace and has no
// cgroup: the outcomes may differ (no process limit to report), but the
// program still earns nothing, the other lab is graded and nothing survives; the manifest's
// outcome and detail hold where it says `declared_for_users`.
TEST_P(HostileFixture, ContainedForAnUnprivilegedGrader) {
  if (geteuid() != 0) GTEST_SKIP() << "already unprivileged: the test above covers it";
  const Hostile& fixture = GetParam();
  MachineState before = ReadMachine();
  Grading twin = GradeHostile(kHostileDir / (fixture.name + "_twin"), TwinOptions(fixture),
                              kAsNobody, fixture.check);
  ExpectContained(fixture, twin, before, fixture.declared_for_users);
  // No cgroup for an ordinary user: the report says so, and what bounds memory instead.
  EXPECT_NE(twin.run.out.find("no cgroup"), std::string::npos) << twin.run.out;
  EXPECT_NE(twin.run.out.find("address space 2 GiB per process"), std::string::npos)
      << twin.run.out;
  if (HasFailure()) GTEST_FAIL() << "the harmless twin was not contained: the real one stays off";
  if (!FullContainment(twin))
    GTEST_SKIP() << "containment is partial for an unprivileged user here ("
                 << twin.result.value("isolation", "") << ")";
  Grading real =
      GradeHostile(kHostileDir / fixture.name, fixture.options, kAsNobody, fixture.check);
  ExpectContained(fixture, real, before, fixture.declared_for_users);
}

/// A hostile submission's build and what the grader must report for its lab (the fixture's
/// hostile-build.toml): files the build writes in a loop, `twin_files` of them for the twin.
struct HostileBuild {
  std::string name;
  std::string threat;
  std::string lab;
  std::string check;
  std::string outcome;       // of the real one's check
  std::string twin_outcome;  // of the twin's, built and graded
  std::string detail;        // a regex its lab's build log must match
  int twin_files = 0;
};

std::vector<HostileBuild> HostileBuilds() {
  std::vector<HostileBuild> fixtures;
  for (const auto& [name, table] : FixtureManifests("hostile", "hostile-build.toml"))
    fixtures.push_back(
        {name, table["threat"].value_or(std::string()), table["lab"].value_or(std::string()),
         table["check"].value_or(std::string("ForkBasics.LinesInOrder")),
         table["outcome"].value_or(std::string()), table["twin_outcome"].value_or(std::string()),
         table["detail"].value_or(std::string()), table["twin_files"].value_or(0)});
  return fixtures;
}

void PrintTo(const HostileBuild& fixture, std::ostream* out) {
  *out << fixture.name;
}

/// A copy of the checkout's labs/ whose CMakeLists.txt includes the fixture's fill.cmake, in a
/// folder others may read (the build runs as another uid), with its build tree under
/// build/submissions/ (made for `owner` beforehand: nobody cannot write build/). Both are
/// removed at the end.
struct FillingSubmission {
  fs::path root = fs::temp_directory_path() / ("forklab-hostile-build-" + std::to_string(getpid()));
  fs::path tree = kBuild / "submissions" / std::to_string(std::hash<std::string>{}(root.string()));

  FillingSubmission(const HostileBuild& fixture, const std::string& files, uid_t owner) {
    Remove();
    fs::create_directories(root);
    fs::copy(kSource / "labs", root / "labs", fs::copy_options::recursive);
    for (const auto& file : fs::directory_iterator(kSource / "fixtures" / "hostile" / fixture.name))
      fs::copy(file.path(), root / "labs");
    std::ofstream(root / "labs" / "CMakeLists.txt", std::ios::app)
        << "\nset(fill_files " << files << ")\nset(forklab_checkout " << kSource.string()
        << ")\ninclude(${CMAKE_CURRENT_SOURCE_DIR}/fill.cmake)\n";
    fs::create_directories(tree);
    std::ofstream(tree.string() + ".lock");
    for (const fs::path& path : {tree, fs::path(tree.string() + ".lock")})
      if (chown(path.c_str(), owner, owner) != 0) ADD_FAILURE() << "chown " << path;
  }
  ~FillingSubmission() { Remove(); }
  void Remove() {
    fs::remove_all(root);
    fs::remove_all(tree);
    fs::remove(tree.string() + ".lock");
  }
};

// The files named forklab-fill-* under `dir`, and the bytes of all its regular files.
std::pair<int, uintmax_t> FillFilesAndBytes(const fs::path& dir) {
  int fill_files = 0;
  uintmax_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    fill_files += entry.path().filename().string().starts_with("forklab-fill-");
    bytes += entry.file_size();
  }
  return {fill_files, bytes};
}

uintmax_t FreeBytes(const fs::path& path) {
  return fs::space(path).available;
}

// Free space moves with other work on a shared machine; a build that filled the disk would
// take it all.
constexpr uintmax_t kDiskNoiseBytes = uintmax_t{1} << 30;
// The build tree's cap (grader/grading/builder.cc).
constexpr uintmax_t kBuildTreeCap = uintmax_t{256} << 20;

/// Grades the fixture's lab built from a submission whose build writes `files` 1 MiB files
/// (`all`: until a write fails), as `prefix` says (root, or nobody): the twin builds and is
/// graded, the real one's lab does not build and its log names the cap; either way nothing is
/// written outside the build tree, which holds no more than the cap, none of the real one's
/// files, and the disk keeps its free space.
void ExpectBuildContained(const HostileBuild& fixture, bool twin,
                          const std::vector<std::string>& prefix) {
  SCOPED_TRACE(twin ? "the twin" : "the real one");
  FillingSubmission submission(fixture, twin ? std::to_string(fixture.twin_files) : "all",
                               prefix.empty() ? geteuid() : kNobody);
  uintmax_t free_before = FreeBytes(kBuild);
  Grading grading = Forklab({"grade", "--submission", submission.root.string(), "--lab",
                             fixture.lab, "--check", fixture.check, "--timeout", "5"},
                            true, prefix);
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  const auto& lab = grading.result["labs"][0];
  ASSERT_EQ(lab["checks"].size(), 1u) << lab.dump();
  std::string log = lab.value("build_log", "");
  if (twin) {
    EXPECT_EQ(lab["built"], true) << log;
    EXPECT_EQ(lab["checks"][0]["outcome"], fixture.twin_outcome) << lab["checks"][0].dump();
  } else {
    EXPECT_EQ(lab["built"], false) << fixture.threat;
    EXPECT_EQ(lab["checks"][0]["outcome"], fixture.outcome) << log;
    EXPECT_TRUE(std::regex_search(log, std::regex(fixture.detail)))
        << fixture.threat << ": the build log does not match /" << fixture.detail << "/:\n"
        << log;
  }
  auto [in_submission, submission_bytes] = FillFilesAndBytes(submission.root);
  EXPECT_EQ(in_submission, 0) << "the build wrote into the submission";
  auto [in_tree, tree_bytes] = FillFilesAndBytes(submission.tree);
  EXPECT_EQ(in_tree, twin ? fixture.twin_files : 0) << "the build tree on disk";
  EXPECT_LE(tree_bytes, kBuildTreeCap);
  EXPECT_GE(FreeBytes(kBuild) + kDiskNoiseBytes, free_before) << "the disk lost its free space";
  ReapAdopted(/*kill_live=*/false, nullptr);
  EXPECT_TRUE(DescendantsOf(getpid()).empty()) << "a process of the build survived it";
}

class HostileBuildFixture : public testing::TestWithParam<HostileBuild> {
 protected:
  void SetUp() override { BecomeSubreaper(); }
};

// A build that writes files in a loop meets the build tree's cap (a tmpfs in the run), not
// the disk: twin first, then the real one.
TEST_P(HostileBuildFixture, ContainedAsDeclaredTwinFirst) {
  ExpectBuildContained(GetParam(), /*twin=*/true, {});
  if (HasFailure()) GTEST_FAIL() << "the harmless twin was not contained: the real one stays off";
  ExpectBuildContained(GetParam(), /*twin=*/false, {});
}

// The same as an ordinary user, whose sandbox mounts the tmpfs in a user namespace.
TEST_P(HostileBuildFixture, ContainedForAnUnprivilegedGrader) {
  if (geteuid() != 0) GTEST_SKIP() << "already unprivileged: the test above covers it";
  ExpectBuildContained(GetParam(), /*twin=*/true, kAsNobody);
  if (HasFailure()) GTEST_FAIL() << "the harmless twin was not contained: the real one stays off";
  ExpectBuildContained(GetParam(), /*twin=*/false, kAsNobody);
}

INSTANTIATE_TEST_SUITE_P(Builds, HostileBuildFixture, testing::ValuesIn(HostileBuilds()),
                         [](const auto& info) { return info.param.name; });

std::string DetailOf(const Grading& grading, const std::string& lab) {
  for (const auto& graded : grading.result["labs"])
    if (graded["lab"] == lab && !graded["checks"].empty())
      return graded["checks"][0].value("detail", "");
  return "";
}

/// A fresh directory closed to other users, as `mktemp -d` makes them; removed at the end.
struct ClosedDir {
  fs::path path;
  ClosedDir() {
    std::string pattern = (fs::temp_directory_path() / "forklab-closed-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~ClosedDir() { fs::remove_all(path); }
};

// A submission that is one line, exec of a correct implementation the checkout built: none
// of the checkout is in the run's sight, so it scores nothing, and says why.
TEST(Containment, ExecAnAlternativeOfTheCheckoutScoresZero) {
  fs::path alternative = kBuild / "fixtures" / "alternatives" / "fork_basics_pidfd";
  std::vector<std::string> checks = {"--lab",   "fork_basics",
                                     "--check", "ForkBasics.LinesInOrder",
                                     "--check", "ForkBasics.ExitsZero"};
  std::vector<std::string> direct = {"grade", "--exe", "fork_basics=" + alternative.string()};
  direct.insert(direct.end(), checks.begin(), checks.end());
  Grading itself = Forklab(direct);
  ASSERT_TRUE(itself.result.is_object()) << itself.run.err;
  ASSERT_EQ(itself.result["percent"], 100) << "the alternative itself must pass:\n"
                                           << itself.run.out;

  ClosedDir dir;
  fs::path submission = dir.path / "fork_basics";
  std::ofstream(submission) << "#!/bin/sh\nexec " << alternative.string() << " \"$@\"\n";
  fs::permissions(submission, fs::perms::all & ~fs::perms::group_write & ~fs::perms::others_write);
  std::vector<std::string> cheat = {"grade", "--exe", "fork_basics=" + submission.string()};
  cheat.insert(cheat.end(), checks.begin(), checks.end());
  Grading grading = Forklab(cheat);
  ASSERT_TRUE(grading.result.is_object()) << grading.run.err;
  EXPECT_EQ(grading.result["earned"], 0) << grading.run.out;
  for (const auto& check : grading.result["labs"][0]["checks"])
    EXPECT_TRUE(std::regex_search(check.value("detail", ""),
                                  std::regex(alternative.string() + ": (not found|No such file)")))
        << "the report does not say the alternative is absent from the run:\n"
        << check.value("detail", "");
}

// As root, a program graded from a folder closed to others still runs as a uid of its own,
// never as root (the run shows it through directories of its own).
TEST(Containment, AProgramInAClosedFolderNeverRunsAsRoot) {
  BecomeSubreaper();
  ClosedDir dir;
  fs::path copy = dir.path / "uid_probe_twin";
  fs::copy_file(kHostileDir / "uid_probe_twin", copy);
  Grading grading = GradeHostile(copy, {});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.out << grading.run.err;
  EXPECT_NE(DetailOf(grading, "fork_basics").find("uid: not root"), std::string::npos)
      << grading.run.out;
}

// The tty writer graded under a pseudo-terminal, as an instructor grades from a shell:
// nothing it writes or types arrives on the terminal's master side, twin first.
TEST(Containment, NothingReachesTheGradersTerminal) {
  BecomeSubreaper();
  for (const char* name : {"tty_writer_twin", "tty_writer"}) {
    fs::path output = fs::temp_directory_path() / ("forklab-pty-" + std::to_string(getpid()));
    std::vector<std::string> args = HostileArgs(kHostileDir / name, {});
    args.insert(args.end(), {"--format", "json", "--output", output.string()});
    std::string forklab = (kBuild / "grader" / "forklab").string();
    std::vector<char*> argv = {forklab.data()};
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int master = -1;
    pid_t grader = forkpty(&master, nullptr, nullptr, nullptr);
    ASSERT_GE(grader, 0) << strerror(errno);
    if (grader == 0) {
      execv(forklab.c_str(), argv.data());
      _exit(127);
    }
    std::string seen;
    char buffer[4096];
    for (;;) {
      pollfd ready = {master, POLLIN, 0};
      if (poll(&ready, 1, 300'000) <= 0) break;  // a hung grading fails below
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n <= 0) break;  // EIO: every end of the terminal closed
      seen.append(buffer, n);
    }
    close(master);
    int status = 0;
    waitpid(grader, &status, 0);
    std::ifstream in(output);
    nlohmann::json result = nlohmann::json::parse(in, nullptr, false);
    fs::remove(output);
    ASSERT_TRUE(result.is_object()) << seen;
    EXPECT_EQ(seen.find("forklab-tty-probe"), std::string::npos) << name << " reached:\n" << seen;
    Grading grading{{}, result};
    EXPECT_NE(DetailOf(grading, "fork_basics").find("tty: none reachable"), std::string::npos)
        << seen;
    if (HasFailure()) GTEST_FAIL() << "the harmless twin was not contained: the real one stays off";
  }
}

/// The share of one core a busy thread of this process gets over `window` of wall time.
double BusyThreadShare(std::chrono::milliseconds window) {
  double share = 0;
  std::thread busy([&] {
    auto cpu_now = [] {
      timespec now{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
      return now.tv_sec + now.tv_nsec / 1e9;
    };
    double cpu_start = cpu_now();
    auto start = std::chrono::steady_clock::now();
    volatile unsigned long spins = 0;
    while (std::chrono::steady_clock::now() - start < window) spins = spins + 1;
    share = (cpu_now() - cpu_start) /
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
  busy.join();
  return share;
}

// The CPU spinner's twin (a thousand threads spinning for 20 s) graded as root, where each
// check's cgroup has the cpu controller: its threads weigh as one task, so a busy thread
// beside it keeps most of the share it had before the spinner started. Among 1,000 equal
// tasks it would keep about a thousandth of it. The share is compared with the one measured
// just before, so what else runs on the machine weighs on both alike. Then a timed check is
// graded beside the spinner, for a correct and a serial sum: the spinner neither fails the
// one nor passes the other.
TEST(Containment, AThousandSpinningThreadsWeighAsOneTask) {
  if (geteuid() != 0) GTEST_SKIP() << "an ordinary user's runs have no cgroup";
  BecomeSubreaper();
  double share_before = BusyThreadShare(std::chrono::milliseconds(1500));
  fs::path output = fs::temp_directory_path() / ("forklab-spinner-" + std::to_string(getpid()));
  SpawnOptions options;
  options.args = HostileArgs(kHostileDir / "cpu_spinner_twin", {"--timeout", "30"},
                             "ForkBasics.DefaultSleepsAreTenAndFifteen");
  options.args.insert(options.args.end(), {"--format", "json", "--output", output.string()});
  std::unique_ptr<Subprocess> grading =
      Subprocess::Start((kBuild / "grader" / "forklab").string(), options);
  auto spinner_threads = [&] {
    int most = 0;
    for (pid_t pid : DescendantsOf(grading->pid()))
      if (std::optional<ProcStat> stat = ReadProcStat(pid);
          stat && stat->comm.starts_with("cpu_spinner"))
        most = std::max(most, stat->threads);
    return most;
  };
  bool spinning = Eventually(std::chrono::seconds(60), [&] { return spinner_threads() >= 500; });
  double share = spinning ? BusyThreadShare(std::chrono::milliseconds(1500)) : 0;
  bool still_spinning = spinner_threads() >= 500;
  // Then a timed check is started beside it, for a correct sum and a serial one, both at once.
  // The spinner's check waits about 10 s for the lesson's sleeps: on a busy machine the timed
  // checks may outlast that window, and a property records whether they did.
  auto timed_outcome = [](const std::string& exe) {
    Grading timed = Forklab({"grade", "--lab", "fork_sum", "--exe", exe, "--check",
                             "Sum.WorkersRunInParallel", "--jobs", "1"});
    return timed.result.is_object() && timed.result["labs"][0]["checks"].size() == 1
               ? timed.result["labs"][0]["checks"][0].value("outcome", "?")
               : "no result: " + timed.run.err;
  };
  std::future<std::string> correct, serial;
  if (spinning) {
    correct =
        std::async(std::launch::async, timed_outcome, (kBuild / "reference" / "fork_sum").string());
    serial = std::async(std::launch::async, timed_outcome,
                        (kBuild / "fixtures" / "mutants" / "fork_sum_waits_each_worker").string());
    correct.wait();
    serial.wait();
  }
  bool outlived = spinner_threads() >= 500;
  std::optional<ExitStatus> status = grading->Wait(std::chrono::minutes(5));
  std::ifstream in(output);
  nlohmann::json result = nlohmann::json::parse(in, nullptr, false);
  fs::remove(output);
  ASSERT_TRUE(status && result.is_object()) << grading->stderr_text();
  EXPECT_TRUE(DescendantsOf(getpid()).empty()) << "a process of the run survived it";
  std::string isolation = result["isolation_in_force"].dump();
  if (isolation.find("+cpu") == std::string::npos)
    GTEST_SKIP() << "no cpu controller in the run's cgroup here: " << isolation;
  ASSERT_TRUE(spinning) << "the spinner never started its threads\n" << grading->stdout_text();
  ASSERT_TRUE(still_spinning) << "the spinner ended before the measurement did: nothing shown";
  RecordProperty("busy_thread_share_before", std::to_string(share_before));
  RecordProperty("busy_thread_share", std::to_string(share));
  // One more group beside those already there leaves at least half (a quarter, for a noisy
  // machine); a thousand more leave a few thousandths.
  EXPECT_GT(share, share_before / 4)
      << "a busy thread got " << share << " of a core beside the spinner, " << share_before
      << " before it: the spinner's threads were not one scheduling group";
  // Beside the spinner's group a correct program's workers may get one core's worth: taking
  // their waits for it out of the wall time shows them side by side (or, when nothing shows,
  // the check is inconclusive), never evidence against them. A serial program gains nothing.
  std::string correct_outcome = correct.get(), serial_outcome = serial.get();
  RecordProperty("correct_sum_beside_spinner", correct_outcome);
  RecordProperty("serial_sum_beside_spinner", serial_outcome);
  RecordProperty("spinner_outlived_the_timed_checks", outlived ? "yes" : "no");
  EXPECT_TRUE(correct_outcome == "passed" || correct_outcome == "inconclusive")
      << "the reference's Sum.WorkersRunInParallel beside the spinner: " << correct_outcome;
  EXPECT_EQ(serial_outcome, "failed")
      << "a serial sum's Sum.WorkersRunInParallel beside the spinner";
}

// Ten gradings at once, each with its echo server on the default port 12345: every one
// inside its own network namespace, so none collides and all score full.
TEST(Containment, TenParallelGradingsShareOnePort) {
  std::vector<std::unique_ptr<Subprocess>> gradings;
  std::vector<fs::path> outputs;
  for (int i = 0; i < 10; ++i) {
    outputs.push_back(fs::temp_directory_path() / ("forklab-parallel-" + std::to_string(getpid()) +
                                                   "-" + std::to_string(i) + ".json"));
    SpawnOptions options;
    options.args = {"grade",
                    "--impl",
                    "reference",
                    "--lab",
                    i % 2 ? "thread_echo_server" : "fork_echo_server",
                    "--check",
                    "EchoServer.DefaultHostAndPort",
                    "--check",
                    "EchoServer.ReplyFormat",
                    "--format",
                    "json",
                    "--output",
                    outputs.back().string()};
    gradings.push_back(Subprocess::Start((kBuild / "grader" / "forklab").string(), options));
  }
  for (size_t i = 0; i < gradings.size(); ++i) {
    std::optional<ExitStatus> status = gradings[i]->Wait(std::chrono::minutes(10));
    ASSERT_TRUE(status) << "grading " << i << " hung";
    std::ifstream in(outputs[i]);
    nlohmann::json result = nlohmann::json::parse(in, nullptr, false);
    fs::remove(outputs[i]);
    ASSERT_TRUE(result.is_object()) << gradings[i]->stderr_text();
    EXPECT_EQ(result["percent"], 100) << "grading " << i << ":\n" << gradings[i]->stdout_text();
  }
}

// The port squatter holds 12340..12359 while a reference echo server is graded on 12345
// beside it: each run has its own loopback.
TEST(Containment, PortSquatterDoesNotBlockAnotherGrading) {
  SpawnOptions probe;
  probe.args = {kProbeFlag};
  RunResult isolation = forklab::Run((kBuild / "grader" / "forklab-sandbox").string(), probe,
                                     std::chrono::seconds(30));
  // The squatter refuses to run outside the sandbox's namespaces: nothing to prove then.
  std::optional<ProbeAnswer> answer = ProbeAnswer::Parse(isolation.out);
  if (!answer || answer->fallback) GTEST_SKIP() << "containment is partial here: " << isolation.out;
  SpawnOptions squat;
  squat.args = {"grade",
                "--exe",
                (kHostileDir / "port_squat_twin").string(),
                "--lab",
                "fork_basics",
                "--check",
                "ForkBasics.LinesInOrder",
                "--timeout",
                "20"};
  std::unique_ptr<Subprocess> squatter =
      Subprocess::Start((kBuild / "grader" / "forklab").string(), squat);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the ports are held by now
  Grading beside = Forklab({"grade", "--impl", "reference", "--lab", "fork_echo_server", "--check",
                            "EchoServer.DefaultHostAndPort"});
  ASSERT_TRUE(beside.result.is_object()) << beside.run.err;
  EXPECT_EQ(beside.result["percent"], 100) << beside.run.out;
  // The squatter held its ports all along; stopping its grading now spares its 20 s.
  EXPECT_FALSE(squatter->Wait(std::chrono::milliseconds(0))) << "the squatter ended early";
  squatter->Signal(SIGINT);
  std::optional<ExitStatus> stopped = squatter->Wait(std::chrono::minutes(1));
  ASSERT_TRUE(stopped) << "the interrupted grading did not end";
  EXPECT_TRUE(stopped->ExitedWith(130)) << stopped->Describe();
}

// Where namespaces are refused the grader says so once, in the report too, and still grades
// right with its fallback (process group, subreaper, rlimits).
TEST(Containment, FallbackWithoutNamespacesSaysSoAndGrades) {
  BecomeSubreaper();
  Grading grading =
      Forklab({"grade", "--impl", "reference", "--lab", "fork_basics", "--lab", "fork_echo_server",
               "--check", "ForkBasics.LinesInOrder", "--check", "ForkBasics.NothingOutlivesProgram",
               "--check", "EchoServer.ReplyFormat", "--no-namespaces"});
  ASSERT_TRUE(grading.result.is_object()) << grading.run.err;
  EXPECT_EQ(grading.result["percent"], 100) << grading.run.out;
  EXPECT_TRUE(grading.result.value("isolation", "").starts_with("fallback")) << grading.result;
  ASSERT_EQ(grading.result["warnings"].size(), 1u) << grading.result;
  size_t said = 0;
  for (size_t at = 0; (at = grading.run.out.find("warning: ", at)) != std::string::npos; ++at)
    ++said;
  EXPECT_EQ(said, 2u) << "once before the checks, once in the summary:\n" << grading.run.out;
  ReapAdopted(/*kill_live=*/false, nullptr);
  EXPECT_TRUE(DescendantsOf(getpid()).empty());
}

}  // namespace
}  // namespace forklab
