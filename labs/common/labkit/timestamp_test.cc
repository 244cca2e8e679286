#include "labkit/timestamp.h"

#include <gtest/gtest.h>

#include <ctime>
#include <regex>

namespace {

TEST(LocalClock, ZeroPadded24HourLocalTime) {
  std::string text = labkit::local_hhmmss();
  ASSERT_TRUE(std::regex_match(text, std::regex(R"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d)"))) << text;
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  // The hour is the local one (the process's TZ), not UTC; minutes may tick over meanwhile.
  EXPECT_EQ(std::stoi(text.substr(0, 2)), local.tm_hour);
}

}  // namespace
