#include "suites/sum_run_limit.h"

#include <algorithm>

#include "i18n/messages.h"

namespace forklab {

namespace {

constexpr std::chrono::milliseconds kLongest(60'000);
constexpr double kWorkMargin = 10;  // a loaded machine, and a pace measured on a short run

}  // namespace

SumRunLimit::SumRunLimit(std::chrono::duration<double> pace_run)
    : seconds_per_addition_(pace_run.count() / static_cast<double>(kPaceN)) {}

std::chrono::milliseconds SumRunLimit::For(uint64_t workers, uint64_t n) const {
  double work_seconds =
      kWorkMargin * seconds_per_addition_ * static_cast<double>(workers) * static_cast<double>(n);
  // Whole milliseconds, and no overflow for the largest N: the minute caps it first.
  double limit_ms =
      std::min(static_cast<double>(kLongest.count()),
               1000 * (static_cast<double>(kStartup.count()) + work_seconds) +
                   static_cast<double>(kPerWorker.count()) * static_cast<double>(workers));
  return std::chrono::milliseconds(static_cast<int64_t>(limit_ms));
}

std::string NoResultAfter(std::chrono::duration<double> waited) {
  return Tr("no result {:.1f} s after start: the program must exit after printing 'elapsed'",
            waited.count());
}

}  // namespace forklab
