#pragma once
// Five-field cron expressions as Vixie cron reads them, matched against local (wall-clock) time.
//
//   minute hour day-of-month month day-of-week
//
// Each field: `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (a to the field's maximum),
// or a comma-separated list of these. Months and weekdays also take names (JAN-DEC, SUN-SAT, any case);
// weekday 7 is Sunday like 0. The macros @yearly @annually @monthly @weekly @daily @midnight @hourly
// stand for their usual expressions. When both day fields are restricted (neither starts with `*`),
// a day matches if either matches (Vixie cron's rule); otherwise both must.

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

#include "core/result.hpp"

namespace rpd {

class CronExpr {
 public:
  // Parses and checks that the expression fires at all (`0 0 30 2 *` never does and is refused).
  static Result<CronExpr> parse(std::string_view text);

  // The first matching local minute at or after `from` (seconds are rounded up to the next minute).
  // Empty only if the expression cannot fire, which parse() rules out.
  std::optional<date::local_seconds> next_match(date::local_seconds from) const;

  // The last matching local minute at or before `at`.
  std::optional<date::local_seconds> previous_match(date::local_seconds at) const;

  bool matches_day(date::year_month_day day) const;
  const std::string& text() const { return text_; }

 private:
  CronExpr() = default;
  bool fires_at_all() const;
  std::optional<int> first_minute_at_or_after(int hour, int minute) const;  // minute-of-day
  std::optional<int> last_minute_at_or_before(int hour, int minute) const;

  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bits 1..31
  std::bitset<13> months_;         // bits 1..12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
};

}  // namespace rpd
