#include "core/time.hpp"

// date::parse's internals trip GCC 12's -Wmaybe-uninitialized at -O2 (a false positive inside the library's
// templates, instantiated here); it is silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <cstdint>
#include <sstream>

namespace rpd {

std::string format_utc(Instant t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

namespace {

// "+02:00", "+0200", "-04:45" or "+02" as a signed offset; empty for anything else.
std::optional<Seconds> parse_offset(std::string_view text) {
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  std::string digits;
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] == ':' && i == 3 && text.size() == 6) continue;
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    digits += text[i];
  }
  if (digits.size() != 2 && digits.size() != 4) return std::nullopt;
  const int hours = std::stoi(digits.substr(0, 2));
  const int minutes = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
  if (hours > 23 || minutes > 59) return std::nullopt;
  const Seconds offset{hours * 3600 + minutes * 60};
  return text[0] == '-' ? -offset : offset;
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
  const auto not_iso = [&] {
    return make_error("'" + s + "' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  };

  // Four digits of year (0000-9999) keep every instant within the range of 100 ns ticks, the precision of
  // Azure's timestamps (seven fractional digits). The zone designator is read here rather than by date's
  // %z, which misbehaves on some malformed offsets (found by fuzzing).
  const bool four_digit_year = normal.size() > 10 && normal[4] == '-' &&
                               std::all_of(normal.begin(), normal.begin() + 4, [](char c) { return c >= '0' && c <= '9'; });
  if (!four_digit_year) return not_iso();
  std::optional<Seconds> offset;
  std::string_view local_part = normal;
  if (local_part.back() == 'Z') {
    offset = Seconds{0};
    local_part.remove_suffix(1);
  } else if (const auto sign = local_part.find_last_of("+-"); sign != std::string_view::npos && sign > 10) {
    offset = parse_offset(local_part.substr(sign));
    if (!offset) return not_iso();
    local_part = local_part.substr(0, sign);
  }

  using Ticks = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;
  std::optional<date::local_time<Ticks>> local;
  for (const char* format : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"}) {
    std::istringstream in{std::string(local_part)};
    date::local_time<Ticks> parsed;
    in >> date::parse(format, parsed);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      local = parsed;
      break;
    }
  }
  if (!local) return not_iso();
  if (!offset) return make_error("'" + s + "' has no time zone: end it with Z or an offset such as +02:00");
  return std::chrono::floor<Seconds>(date::sys_time<Ticks>{local->time_since_epoch()}) - *offset;
}

Result<TimeZone> find_time_zone(std::string_view name) {
  if (name.empty()) return make_error("empty time zone name");
  try {
    return date::locate_zone(name);
  } catch (const std::runtime_error&) {
    return make_error("unknown time zone '" + std::string(name) + "' (use an IANA name such as Europe/Berlin)");
  }
}

std::optional<std::string> time_zone_database_problem() {
  try {
    (void)date::get_tzdb();
    (void)date::locate_zone("UTC");  // an empty /usr/share/zoneinfo loads as an empty database
    return std::nullopt;
  } catch (const std::exception& failure) {
    std::string why = failure.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();  // date's ends in a newline
    return "the time zone database cannot be read (" + why + "): install Debian's tzdata (/usr/share/zoneinfo)";
  }
}

TimeZone utc_zone() {
  static const TimeZone zone = date::locate_zone("UTC");
  return zone;
}

}  // namespace rpd
