#include "suites/sum_run_limit.h"

#include <gtest/gtest.h>

namespace forklab {
namespace {

using std::chrono::milliseconds;

TEST(SumRunLimit, StartupPerWorkerAndTenTimesTheWorkAtTheProgramsPace) {
  // 1 µs per addition: a million additions take a second.
  SumRunLimit limit(std::chrono::duration<double>(SumRunLimit::kPaceN * 1e-6));
  EXPECT_EQ(limit.For(1, 1), milliseconds(5'200));
  EXPECT_EQ(limit.For(2, 1'000'000), milliseconds(25'400)) << "workers counted one after another";
  EXPECT_EQ(limit.For(100, 1), milliseconds(25'001)) << "each worker has its start-up";
}

TEST(SumRunLimit, NeverMoreThanAMinute) {
  SumRunLimit limit(std::chrono::duration<double>(1.0));
  EXPECT_EQ(limit.For(256, 4'294'967'295), milliseconds(60'000));
}

TEST(SumRunLimit, SaysTheProgramMustExit) {
  EXPECT_EQ(NoResultAfter(std::chrono::duration<double>(5.04)),
            "no result 5.0 s after start: the program must exit after printing 'elapsed'");
}

}  // namespace
}  // namespace forklab
