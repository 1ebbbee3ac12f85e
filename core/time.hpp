#pragma once
// Instants, their ISO 8601 form, and time zones. Core code never reads a clock: "now" is always a parameter.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace date {
class time_zone;
}

namespace rpd {

using Seconds = std::chrono::seconds;
using Instant = std::chrono::sys_seconds;  // a point in time, UTC, to the second

// "2026-03-29T01:00:00Z"
std::string format_utc(Instant t);

// ISO 8601 with `Z` or a numeric offset: 2026-03-29T01:00:00Z, 2026-03-29T03:00:00+02:00,
// 2026-03-29T01:00Z, with optional fractional seconds (dropped: instants are whole seconds).
// A space instead of `T` is accepted; a time without zone designator is refused as ambiguous.
Result<Instant> parse_timestamp(std::string_view text);

// An IANA time zone from the system's database ("UTC", "Europe/Berlin"). The zone rules are data the
// core computes with; looking a zone up by name is the one place that reads the database.
using TimeZone = const date::time_zone*;
Result<TimeZone> find_time_zone(std::string_view name);
TimeZone utc_zone();
// Why the time zone database cannot be read (tzdata not installed), or nullopt when it can. Every command
// needs it; without it the date library would throw from deep inside the first schedule.
std::optional<std::string> time_zone_database_problem();

}  // namespace rpd
