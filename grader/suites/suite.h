// What every lab suite knows about the run: the executable under test and the fixtures.
#pragma once

#include <string>

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

/// True when LabUnderTest() starts with "fork_" (processes) rather than "thread_".
bool ForkVariant();

}  // namespace forklab
