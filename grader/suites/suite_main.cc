// main() of every lab suite: GoogleTest strips its own --gtest_* flags, we read the rest.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grading/rubric.h"
#include "harness/confinement.h"
#include "harness/faults.h"
#include "harness/proc.h"
#include "harness/timeline.h"
#include "i18n/messages.h"
#include "paths/build_paths.h"
#include "sandbox/protocol.h"
#include "suites/suite.h"

namespace forklab {
namespace {

std::string exe_flag, lab_flag, fake_ping_flag, fault_profile_flag, reference_flag, lang_flag;

// How this run confines the programs it starts: set once by main from FORKLAB_CONFINE, when
// the suite runs inside forklab's sandbox, before any test reads it.
Confinement run_confinement;
bool in_sandbox = false;

// A containment event, for the grader to list in the report (see protocol.h).
void ReportContainment(const std::string& event) {
  std::string line = ContainmentLine(event);
  // One write, so parallel reports never interleave within a line.
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, line.data(), line.size());
}

// The confinement main() read from FORKLAB_CONFINE: every program started from now on.
void ConfineRun(const Confinement& confinement) {
  run_confinement = confinement;
  in_sandbox = true;
  RecordProgramUid(confinement.uid);
}

// The names of our environment's FORKLAB_* variables.
std::vector<std::string> ForklabVariables() {
  std::vector<std::string> names;
  for (char** variable = environ; *variable; ++variable) {
    std::string_view entry = *variable;
    if (entry.starts_with("FORKLAB_")) names.emplace_back(entry.substr(0, entry.find('=')));
  }
  return names;
}

std::string FirstOf(const std::string& flag, const char* env_name, const std::string& fallback) {
  if (!flag.empty()) return flag;
  if (const char* value = std::getenv(env_name); value && *value) return value;
  return fallback;
}

}  // namespace

const std::string& ExeUnderTest() {
  static const std::string exe = FirstOf(exe_flag, kExeEnv, "");
  return exe;
}

const std::string& LabUnderTest() {
  static const std::string lab =
      FirstOf(lab_flag, kLabEnv, std::filesystem::path(ExeUnderTest()).filename());
  return lab;
}

const std::string& FakePing() {
  static const std::string ping = FirstOf(fake_ping_flag, kFakePingEnv, build_paths::kFakePing);
  return ping;
}

const std::string& ReferenceExe() {
  static const std::string reference = FirstOf(
      reference_flag, kReferenceEnv,
      (std::filesystem::path(build_paths::kBuildDir) / "reference" / LabUnderTest()).string());
  return reference;
}

FaultProfile RubricFaultProfile() {
  std::string chosen = FirstOf(fault_profile_flag, kFaultProfileEnv, "");
  if (!chosen.empty()) return LoadFaultProfile(chosen);
  const testing::TestInfo* test = testing::UnitTest::GetInstance()->current_test_info();
  std::string check = std::string(test->test_suite_name()) + "." + test->name();
  std::filesystem::path rubric =
      std::filesystem::path(build_paths::kSourceDir) / "labs" / LabUnderTest() / "rubric.toml";
  for (const RubricEntry& entry : LoadRubric(rubric, /*suite_dir=*/"").entries) {
    if (entry.test == check && !entry.profile.empty())
      return LoadFaultProfile(std::filesystem::path(build_paths::kSourceDir) / "fixtures" /
                              "faults" / (entry.profile + ".toml"));
  }
  throw FaultProfileError(rubric.string() + ": no entry for " + check +
                          " names its fault profile (profile = \"...\")");
}

bool SkipUnreachableFaults() {
  static const bool skip = FirstOf("", kUnreachableFaultsEnv, "fail") == "skip";
  return skip;
}

bool ForkVariant() {
  return LabUnderTest().starts_with("fork_");
}

Variant VariantUnderTest() {
  return ForkVariant() ? Variant::kProcesses : Variant::kThreads;
}

const char* VariantName(Variant variant) {
  return variant == Variant::kProcesses ? TrLater("processes") : TrLater("threads");
}

SpawnOptions ProgramOptions(std::vector<std::string> args) {
  SpawnOptions options;
  options.args = std::move(args);
  options.confinement = run_confinement;
  if (run_confinement.output_bytes)
    options.output_limit = std::min(options.output_limit, *run_confinement.output_bytes);
  options.on_truncated = ReportContainment;
  return options;
}

std::vector<pid_t> ReapAdopted(bool kill_live) {
  int killed = 0;
  std::vector<pid_t> reaped = ReapAdopted(kill_live, &killed);
  if (killed > 0 && in_sandbox)
    ReportContainment(std::to_string(killed) + (killed == 1 ? " process" : " processes") +
                      " left running after the program exited: killed");
  return reaped;
}

namespace {

// The running fault check's watch (WatchFaultReach), if any; tests run one at a time.
std::unique_ptr<PreloadWatch> fault_reach_watch;

}  // namespace

void WatchFaultReach() {
  fault_reach_watch = std::make_unique<PreloadWatch>(ExeUnderTest());
}

void ProgramTest::TearDown() {
  std::string lost = fault_reach_watch ? fault_reach_watch->Stop() : "";
  fault_reach_watch.reset();
  ReapAdopted(/*kill_live=*/true);
  if (lost.empty()) return;
  if (SkipUnreachableFaults()) GTEST_SKIP() << Tr("fault check skipped: {}", lost);
  ADD_FAILURE() << Tr(
      "The grader could not inject its faults into the program: {}. Keep LD_PRELOAD in the "
      "environment of every program you start, yourself included.",
      lost);
}

namespace {

/// Records each test's process timeline when the grader asks (kTimelineEnv), and returns it
/// in the test's kTimelineProperty. OnTestEnd comes after the fixture's TearDown, so the
/// recording sees every process killed and reaped.
class TimelineListener : public testing::EmptyTestEventListener {
 public:
  void OnTestStart(const testing::TestInfo&) override {
    // The echo servers' clients are their connections: counted only there (it costs a
    // read of /proc/net/tcp per process per sample).
    bool echo = LabUnderTest().find("echo") != std::string::npos;
    recorder_ = std::make_unique<TimelineRecorder>(std::chrono::milliseconds(5), echo);
  }
  void OnTestEnd(const testing::TestInfo&) override {
    if (!recorder_) return;
    testing::Test::RecordProperty(kTimelineProperty, recorder_->Stop().ToJson());
    recorder_.reset();
  }

 private:
  std::unique_ptr<TimelineRecorder> recorder_;
};

}  // namespace
}  // namespace forklab

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // The grader names the check in the environment (see protocol.h), off our command line.
  if (const char* check = std::getenv(forklab::kCheckEnv); check && *check)
    testing::GTEST_FLAG(filter) = check;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        std::cerr << "suite: " << arg << " needs a value\n";
        std::exit(2);
      }
      *out = argv[++i];
    };
    if (arg == "--exe")
      value(&forklab::exe_flag);
    else if (arg == "--lab")
      value(&forklab::lab_flag);
    else if (arg == "--fake-ping")
      value(&forklab::fake_ping_flag);
    else if (arg == "--fault-profile")
      value(&forklab::fault_profile_flag);
    else if (arg == "--reference")
      value(&forklab::reference_flag);
    else if (arg == "--lang")
      value(&forklab::lang_flag);
    else {
      std::cerr << "suite: unknown option " << arg << "\n";
      return 2;
    }
  }
  if (forklab::ExeUnderTest().empty()) {
    // gtest_discover_tests lists tests without an executable; only running needs one.
    if (!testing::GTEST_FLAG(list_tests)) {
      std::cerr << "suite: no executable under test (--exe PATH or " << forklab::kExeEnv << ")\n";
      return 2;
    }
  }
  if (const char* confine = std::getenv(forklab::kConfineEnv); confine && *confine) {
    // In the sandbox: a program with our uid must not ptrace us or open /proc/<us>/fd, where
    // our results channel is (which no child inherits).
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    fcntl(forklab::kReportFd, F_SETFD, FD_CLOEXEC);
    fcntl(forklab::kPassedFileFd, F_SETFD, FD_CLOEXEC);
    try {
      forklab::ConfineRun(forklab::Confinement::Parse(confine));
    } catch (const std::invalid_argument& e) {
      std::cerr << "suite: " << forklab::kConfineEnv << ": " << e.what() << "\n";
      return 2;
    }
  }
  // The failure messages in the student's language; without its catalogue, said once, in English.
  std::string language = forklab::FirstOf(forklab::lang_flag, forklab::kLangEnv, "en");
  if (std::optional<std::string> why = forklab::UseLanguage(forklab::CatalogueLanguage(language)))
    std::cerr << "suite: " << *why << "\n";
  // Read before the grader's variables are cleared below.
  bool record_timelines = forklab::FirstOf("", forklab::kTimelineEnv, "") == "1";
  if (forklab::in_sandbox) {
    // What the grader told us is ours alone: the programs we start inherit our environment,
    // and must not learn from it which check runs them.
    forklab::LabUnderTest();
    forklab::FakePing();
    forklab::ReferenceExe();
    forklab::SkipUnreachableFaults();
    forklab::fault_profile_flag =
        forklab::FirstOf(forklab::fault_profile_flag, forklab::kFaultProfileEnv, "");
    for (const std::string& name : forklab::ForklabVariables()) unsetenv(name.c_str());
  }
  // Orphans of the program under test are re-parented to us, so we see and reap them.
  forklab::BecomeSubreaper();
  if (record_timelines)
    testing::UnitTest::GetInstance()->listeners().Append(new forklab::TimelineListener);
  int result = RUN_ALL_TESTS();
  forklab::ReapAdopted(/*kill_live=*/true);
  return result;
}
