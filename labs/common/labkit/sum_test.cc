#include "labkit/sum.h"

#include <gtest/gtest.h>

#include <chrono>

namespace {

TEST(SumTo, AddsOneToN) {
  EXPECT_EQ(labkit::sum_to(0), 0u);
  EXPECT_EQ(labkit::sum_to(1), 1u);
  EXPECT_EQ(labkit::sum_to(10), 55u);
  EXPECT_EQ(labkit::sum_to(100'000), 5'000'050'000u);
}

TEST(FormatSeconds, ThreeDecimals) {
  EXPECT_EQ(labkit::format_seconds(std::chrono::milliseconds(412)), "0.412");
  EXPECT_EQ(labkit::format_seconds(std::chrono::seconds(12)), "12.000");
  EXPECT_EQ(labkit::format_seconds(std::chrono::microseconds(1'999'600)), "2.000");
}

TEST(PrintWorkerSum, TheContractsLines) {
  testing::internal::CaptureStdout();
  labkit::print_worker_sum(3, 55);
  labkit::print_elapsed(std::chrono::milliseconds(1500));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "worker 3 sum 55\nelapsed 1.500\n");
}

}  // namespace
