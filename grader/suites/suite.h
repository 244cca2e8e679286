// What every lab suite knows about the run: the executable under test and the fixtures.
#pragma once

#include <string>

#include "harness/fault_profile.h"

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

/// The fault profile a fault check runs under: the one the grader passes from the rubric
/// (--fault-profile PATH, else $FORKLAB_FAULT_PROFILE), else `default_name` from
/// fixtures/faults/. Throws FaultProfileError when it cannot be read.
FaultProfile FaultProfileFor(const std::string& default_name);

/// Opens a fault check: skips the test, with the reason, when faults cannot reach the
/// executable under test (statically linked, libfiu missing); else loads its profile.
#define FORKLAB_FAULT_CHECK(profile, default_name)                         \
  do {                                                                     \
    std::string fault_skip_reason;                                         \
    if (!::forklab::FaultsCanReach(::forklab::ExeUnderTest(), &fault_skip_reason)) \
      GTEST_SKIP() << "fault check skipped: " << fault_skip_reason;       \
    profile = ::forklab::FaultProfileFor(default_name);                    \
  } while (0)

}  // namespace forklab
