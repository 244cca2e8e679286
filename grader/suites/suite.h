// What every lab suite knows about the run: the executable under test and the fixtures.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/fault_profile.h"
#include "harness/subprocess.h"
#include "i18n/messages.h"

namespace forklab {

/// The executable under test: --exe PATH, else $FORKLAB_EXE.
const std::string& ExeUnderTest();
/// The lab it implements: --lab NAME, else $FORKLAB_LAB, else the executable's file name.
/// Suites shared by several labs (the ping sweeps, the echo servers, the sums) use it to run
/// the variant-only checks.
const std::string& LabUnderTest();
/// The fake ping from fixtures/: --fake-ping PATH, else $FORKLAB_FAKE_PING, else the one
/// built beside this suite.
const std::string& FakePing();

/// The reference implementation of LabUnderTest(), for checks scored against it in the same
/// run: --reference PATH, else $FORKLAB_REFERENCE, else build/reference/<lab>.
const std::string& ReferenceExe();

/// True when LabUnderTest() starts with "fork_" (processes) rather than "thread_".
bool ForkVariant();

/// How a lab family's variants do the work: in child processes or in threads.
enum class Variant { kProcesses, kThreads };
Variant VariantUnderTest();
/// "processes", "threads".
const char* VariantName(Variant variant);

/// Opens a check that holds for one variant only: skips it, saying why, for the other.
#define FORKLAB_ONLY_FOR(variant)                                               \
  do {                                                                          \
    if (::forklab::VariantUnderTest() != (variant))                             \
      GTEST_SKIP() << ::forklab::Tr(                                            \
          "{} uses {}; this check is for {}", ::forklab::LabUnderTest(),        \
          ::forklab::Tr(::forklab::VariantName(::forklab::VariantUnderTest())), \
          ::forklab::Tr(::forklab::VariantName(variant)));                      \
  } while (0)

/// The options every program a suite starts (the one under test, the reference) begins from:
/// `args`, the run's confinement (FORKLAB_CONFINE, read once by suite_main.cc: uid, rlimits,
/// output kept), and a report of any output stream cut short. Suites add their own
/// environment on top.
SpawnOptions ProgramOptions(std::vector<std::string> args = {});

/// Reaps what the suite adopted (harness/proc.h's ReapAdopted, SIGKILLing live orphans first
/// when `kill_live`); inside the sandbox, reports how many were still running, a program's
/// escaped daemons, as a containment event. Returns the pids collected.
std::vector<pid_t> ReapAdopted(bool kill_live);

/// The base of every suite's fixture: whatever the program under test did, nothing it started
/// outlives the test (the suite is a subreaper, see suite_main.cc, and kills what it adopted).
class ProgramTest : public testing::Test {
 protected:
  void TearDown() override;
};

/// The fault profile the running fault check runs under, as its rubric entry names it: the
/// grader passes it (--fault-profile PATH, else $FORKLAB_FAULT_PROFILE); run on its own, the
/// suite reads the entry from labs/<lab>/rubric.toml. Throws FaultProfileError when the entry
/// names none or it cannot be read, RubricError when the rubric cannot be.
FaultProfile RubricFaultProfile();

/// Whether the grader asked that a fault check its injection cannot reach be skipped
/// (FORKLAB_UNREACHABLE_FAULTS=skip: an instructor grading another language) rather than
/// failed, the default: a skip leaves the total, so dodging the faults would raise the score.
bool SkipUnreachableFaults();

/// Watches, until the fault check's end (ProgramTest::TearDown), that the injection stays in
/// the program's processes (PreloadWatch): one that took LD_PRELOAD out of its environment
/// fails the check as unreachable, or skips it under SkipUnreachableFaults().
void WatchFaultReach();

/// Opens a fault check: skips the test, with the reason, when this machine cannot inject
/// faults (libfiu missing); fails it, saying what to do, when the injection cannot reach the
/// executable under test (statically linked), unless SkipUnreachableFaults(); else loads its
/// profile and watches that the injection stays in reach.
#define FORKLAB_FAULT_CHECK(profile)                                                       \
  do {                                                                                     \
    std::string fault_unreached;                                                           \
    if (!::forklab::FaultInjectionAvailable(&fault_unreached))                             \
      GTEST_SKIP() << ::forklab::Tr("fault check skipped: {}", fault_unreached);           \
    if (!::forklab::FaultsCanReach(::forklab::ExeUnderTest(), &fault_unreached)) {         \
      if (::forklab::SkipUnreachableFaults())                                              \
        GTEST_SKIP() << ::forklab::Tr("fault check skipped: {}", fault_unreached);         \
      FAIL() << ::forklab::Tr(                                                             \
          "The grader could not inject its faults into the program: {}. Link the program " \
          "dynamically (no -static) so that the grader's LD_PRELOAD reaches it.",          \
          fault_unreached);                                                                \
    }                                                                                      \
    profile = ::forklab::RubricFaultProfile();                                             \
    ::forklab::WatchFaultReach();                                                          \
  } while (0)

}  // namespace forklab
