#include "daemon/commands/calendar_command.hpp"

#include <ostream>

#include "core/schedule.hpp"

namespace rpd {

int run_calendar(const CalendarOptions& options, Instant now, std::ostream& out, std::ostream& err) {
  auto zone = find_time_zone(options.timezone);
  if (!zone) {
    err << "restorepointd calendar: --timezone: " << zone.error().message << "\n";
    return 1;
  }
  Instant from = now;
  if (options.from) {
    auto parsed = parse_timestamp(*options.from);
    if (!parsed) {
      err << "restorepointd calendar: --from: " << parsed.error().message << "\n";
      return 1;
    }
    from = *parsed;
  }
  if (options.count < 1) {
    err << "restorepointd calendar: --count: must be at least 1, got " << options.count << "\n";
    return 1;
  }
  auto schedule = parse_schedule_expression(options.expression, *zone);
  if (!schedule) {
    err << "restorepointd calendar: " << schedule.error().message << "\n";
    return 1;
  }
  for (const Instant fire : schedule->next_n(from, static_cast<std::size_t>(options.count))) {
    out << format_utc(fire) << "\n";
  }
  return 0;
}

}  // namespace rpd
