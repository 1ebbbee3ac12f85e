#pragma once
// Durations as people write them in policies: 90s, 10m, 4h, 7d, 2w, and combinations such as 1h30m.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace rpd {

// Units from largest to smallest, each at most once: w, d, h, m, s. A day is 24 hours and a week 7 days
// (durations are spans of time, not calendar steps). "0s" is a valid zero duration.
Result<Seconds> parse_duration(std::string_view text);

// The shortest form parse_duration reads back to the same value: 5400s -> "1h30m", 0s -> "0s".
std::string format_duration(Seconds duration);

}  // namespace rpd
