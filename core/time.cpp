#include "core/time.hpp"

// date::parse's internals trip GCC 12's -Wmaybe-uninitialized at -O2 (a false positive inside the library's
// templates, instantiated here); it is silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>
#include <date/tz.h>

#include <array>
#include <sstream>

namespace rpd {

std::string format_utc(Instant t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

namespace {

// True when all of `text` reads with `format` into a time point of type T.
template <class TimePoint>
bool parses_as(const std::string& text, const char* format) {
  std::istringstream in(text);
  TimePoint parsed;
  in >> date::parse(format, parsed);
  return !in.fail() && in.peek() == std::char_traits<char>::eof();
}

}  // namespace

Result<Instant> parse_timestamp(std::string_view text) {
  std::string s(text);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  if (s.empty()) return make_error("empty timestamp");
  std::string normal = s;
  for (char& c : normal) {
    if (c == 't' || c == ' ') c = 'T';
    if (c == 'z') c = 'Z';
  }

  // %Ez reads +hh:mm, %z reads +hhmm; a trailing Z has formats of its own. %S takes a fraction too.
  static constexpr std::array<const char*, 6> zoned = {"%Y-%m-%dT%H:%M:%SZ",  "%Y-%m-%dT%H:%M:%S%Ez",
                                                       "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%MZ",
                                                       "%Y-%m-%dT%H:%M%Ez",   "%Y-%m-%dT%H:%M%z"};
  for (const char* format : zoned) {
    std::istringstream in(normal);
    date::sys_time<std::chrono::nanoseconds> parsed;
    in >> date::parse(format, parsed);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) return std::chrono::floor<Seconds>(parsed);
  }

  using LocalTime = date::local_time<std::chrono::nanoseconds>;
  if (parses_as<LocalTime>(normal, "%Y-%m-%dT%H:%M:%S") || parses_as<LocalTime>(normal, "%Y-%m-%dT%H:%M")) {
    return make_error("'" + s + "' has no time zone: end it with Z or an offset such as +02:00");
  }
  return make_error("'" + s + "' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
}

Result<TimeZone> find_time_zone(std::string_view name) {
  if (name.empty()) return make_error("empty time zone name");
  try {
    return date::locate_zone(name);
  } catch (const std::runtime_error&) {
    return make_error("unknown time zone '" + std::string(name) + "' (use an IANA name such as Europe/Berlin)");
  }
}

TimeZone utc_zone() {
  static const TimeZone zone = date::locate_zone("UTC");
  return zone;
}

}  // namespace rpd
