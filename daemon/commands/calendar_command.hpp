#pragma once
// `restorepointd calendar EXPR`: the next fire times of a schedule, like `systemd-analyze calendar`.

#include <iosfwd>
#include <optional>
#include <string>

#include "core/time.hpp"

namespace rpd {

struct CalendarOptions {
  std::string expression;           // a cron expression or `every <duration>`
  std::string timezone = "UTC";     // the zone cron fields are read in
  std::optional<std::string> from;  // ISO 8601; the search starts strictly after it (default: now)
  int count = 5;
};

// Prints one ISO 8601 UTC time per line. Returns the process exit code: 0, or 1 with a message on `err`.
int run_calendar(const CalendarOptions& options, Instant now, std::ostream& out, std::ostream& err);

}  // namespace rpd
