#include "grading/fault_note.h"

#include <gtest/gtest.h>

#include "harness/fault_profile.h"
#include "paths/build_paths.h"

namespace forklab {
namespace {

class FaultNoteTest : public testing::Test {
 protected:
  RubricEntry entry_;
  std::string explained_;  // with the internals
  std::string plain_;      // without
  void SetUp() override {
    entry_.profile = std::string(build_paths::kSourceDir) + "/fixtures/faults/fork-eagain.toml";
    FaultProfile profile = LoadFaultProfile(entry_.profile);
    explained_ = profile.Explain();
    plain_ = "fault profile fork-eagain (" + profile.description + "); expected: " + profile.expect;
  }
};

TEST_F(FaultNoteTest, AFailedFaultCheckSaysWhichFault) {
  CheckResult result{Outcome::kFailed, 0, "lines missing\n", {}};
  NoteInjectedFault(entry_, &result);
  EXPECT_EQ(result.detail, "injected: " + plain_ + "\nlines missing\n");

  NoteInjectedFault(entry_, &result);  // said once, however often asked
  EXPECT_EQ(result.detail, "injected: " + plain_ + "\nlines missing\n");
}

TEST_F(FaultNoteTest, TheProfilesInternalsMoveOutOfTheDetail) {
  CheckResult result{Outcome::kFailed, 0, "under " + explained_ + "\nexit 3\n", {}};
  NoteInjectedFault(entry_, &result);
  EXPECT_EQ(result.detail, "under " + plain_ + "\nexit 3\n");
  EXPECT_EQ(result.fault_points, "posix/proc/fork always EAGAIN, seed 1");
}

TEST_F(FaultNoteTest, PassedSkippedAndOrdinaryChecksAreLeftAlone) {
  for (Outcome outcome : {Outcome::kPassed, Outcome::kSkipped}) {
    CheckResult result{outcome, 1, "note", {}};
    NoteInjectedFault(entry_, &result);
    EXPECT_EQ(result.detail, "note") << OutcomeName(outcome);
  }
  CheckResult ordinary{Outcome::kFailed, 0, "wrong", {}};
  NoteInjectedFault(RubricEntry{}, &ordinary);
  EXPECT_EQ(ordinary.detail, "wrong");
}

}  // namespace
}  // namespace forklab
