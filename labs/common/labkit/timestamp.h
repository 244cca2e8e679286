// The echo servers' reply clock.
#pragma once

#include <string>

namespace labkit {

/// The current local time (honouring TZ) as zero-padded 24-hour "HH:MM:SS".
/// Thread-safe: it uses localtime_r.
std::string local_hhmmss();

}  // namespace labkit
