#include "labkit/timestamp.h"

#include <ctime>

namespace labkit {

std::string local_hhmmss() {
  // localtime_r need not read TZ itself (POSIX); tzset does, once per process.
  static const bool tz_loaded = (tzset(), true);
  (void)tz_loaded;
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &local);
  return text;
}

}  // namespace labkit
