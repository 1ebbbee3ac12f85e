#pragma once
// Small helpers shared by the core tests: instants from text and fire times as text.

#include <string>
#include <string_view>
#include <vector>

#include "core/schedule.hpp"
#include "core/time.hpp"

namespace rpd::test {

inline Instant at(std::string_view text) { return parse_timestamp(text).value(); }

inline TimeZone zone(std::string_view name) { return find_time_zone(name).value(); }

inline Schedule cron_in(std::string_view expr, std::string_view zone_name = "UTC") {
  return Schedule::cron(CronExpr::parse(expr).value(), zone(zone_name));
}

// The next `count` fire times after `from`, as ISO 8601 UTC strings.
inline std::vector<std::string> fires(const Schedule& schedule, std::string_view from, std::size_t count) {
  std::vector<std::string> out;
  for (Instant t : schedule.next_n(at(from), count)) out.push_back(format_utc(t));
  return out;
}

inline std::vector<std::string> fires(std::string_view expr, std::string_view zone_name, std::string_view from,
                                      std::size_t count) {
  return fires(cron_in(expr, zone_name), from, count);
}

inline std::string cron_error(std::string_view expr) {
  auto parsed = CronExpr::parse(expr);
  return parsed ? std::string("(no error)") : parsed.error().message;
}

}  // namespace rpd::test
