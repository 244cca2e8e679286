#include "suites/required_wait.h"

#include <gtest/gtest.h>

#include <string>

#include "sandbox/protocol.h"

namespace forklab {
namespace {

/// The check the total belongs to: a suite process may run several (ctest's contract tests).
struct Counted {
  const testing::TestInfo* check = nullptr;
  std::chrono::duration<double> total{};
};

Counted& CurrentCount() {
  static Counted counted;
  const testing::TestInfo* check = testing::UnitTest::GetInstance()->current_test_info();
  if (counted.check != check) counted = {check, {}};
  return counted;
}

}  // namespace

void RequireWait(std::chrono::duration<double> wait) {
  Counted& counted = CurrentCount();
  counted.total += wait;
  // A property set again is overwritten: the report holds the total.
  testing::Test::RecordProperty(kRequiredWaitProperty, std::to_string(counted.total.count()));
}

std::chrono::duration<double> RequiredWaitSoFar() {
  return CurrentCount().total;
}

}  // namespace forklab
