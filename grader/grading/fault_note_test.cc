#include "grading/fault_note.h"

#include <gtest/gtest.h>

#include "harness/fault_profile.h"

namespace forklab {
namespace {

class FaultNoteTest : public testing::Test {
 protected:
  RubricEntry entry_;
  std::string explained_;
  void SetUp() override {
    entry_.profile = std::string(FORKLAB_SOURCE_DIR) + "/fixtures/faults/fork-eagain.toml";
    explained_ = LoadFaultProfile(entry_.profile).Explain();
  }
};

TEST_F(FaultNoteTest, AFailedFaultCheckSaysWhichFault) {
  CheckResult result{Outcome::kFailed, 0, "lines missing\n", {}};
  NoteInjectedFault(entry_, &result);
  EXPECT_EQ(result.detail, "injected: " + explained_ + "\nlines missing\n");

  NoteInjectedFault(entry_, &result);  // said once, however often asked
  EXPECT_EQ(result.detail, "injected: " + explained_ + "\nlines missing\n");
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
