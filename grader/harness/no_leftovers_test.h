// A test fixture that fails any test leaving a process behind.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include "harness/proc.h"

namespace forklab {

/// Makes the test process a subreaper, so that whatever a test's processes orphan is
/// re-parented to it and stays visible; a test that ends with any descendant left fails.
class NoLeftoversTest : public ::testing::Test {
 protected:
  void SetUp() override { BecomeSubreaper(); }
  void TearDown() override {
    EXPECT_TRUE(DescendantsOf(getpid()).empty()) << "the test left processes behind";
    ReapAdopted(/*kill_live=*/true, nullptr);  // so one leak does not fail the tests after it too
  }
};

}  // namespace forklab
