#include "suites/required_wait.h"

#include <gtest/gtest.h>

#include <string>

#include "sandbox/protocol.h"

namespace forklab {
namespace {

using namespace std::chrono_literals;

// The property as the grader reads it from the report.
std::string RecordedWait() {
  const testing::TestResult& result =
      *testing::UnitTest::GetInstance()->current_test_info()->result();
  for (int i = 0; i < result.test_property_count(); ++i)
    if (result.GetTestProperty(i).key() == std::string(kRequiredWaitProperty))
      return result.GetTestProperty(i).value();
  return "";
}

TEST(RequireWait, AddsUpTheWaitsOfOneCheckIntoItsProperty) {
  RequireWait(1s);
  RequireWait(250ms);
  EXPECT_DOUBLE_EQ(RequiredWaitSoFar().count(), 1.25);
  EXPECT_DOUBLE_EQ(std::stod(RecordedWait()), 1.25);
}

TEST(RequireWait, EachCheckStartsFromNothing) {
  EXPECT_DOUBLE_EQ(RequiredWaitSoFar().count(), 0);
  EXPECT_EQ(RecordedWait(), "");
  RequireWait(80ms);
  EXPECT_DOUBLE_EQ(std::stod(RecordedWait()), 0.08);
}

}  // namespace
}  // namespace forklab
