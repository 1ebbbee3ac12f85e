#include "core/schedule.hpp"

#include <date/tz.h>

#include <cctype>
#include <cstdint>

#include "core/duration.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;

// The instant a matching local time fires at, by the DST rules in schedule.hpp.
Instant fire_instant(date::local_seconds local, TimeZone zone) {
  const date::local_info info = zone->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent:
      return Instant{info.first.end.time_since_epoch()};  // the first instant after the gap
    case date::local_info::ambiguous:                     // first occurrence: the earlier offset
    case date::local_info::unique:
    default:
      return Instant{local.time_since_epoch() - info.first.offset};
  }
}

// Where to start looking backwards for the slot of `t`: its local time, plus the length of a fall-back
// repetition when `t` lies inside the second pass of the repeated hour (local times ahead of `t`'s own
// then fired before it).
date::local_seconds backward_search_start(Instant t, TimeZone zone) {
  const date::sys_info current = zone->get_info(t);
  date::local_seconds start{t.time_since_epoch() + current.offset};
  const date::sys_info before = zone->get_info(current.begin - 1s);
  const Seconds repeated = before.offset - current.offset;
  if (repeated > 0s && t - Instant{current.begin.time_since_epoch()} < repeated) start += repeated;
  return start;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

Schedule Schedule::cron(CronExpr expr, TimeZone zone) { return Schedule(CronInZone{std::move(expr), zone}); }

Result<Schedule> Schedule::every(Seconds period, Instant anchor) {
  if (period <= 0s) return make_error("the interval must be longer than 0s");
  return Schedule(IntervalSchedule{period, anchor});
}

std::optional<Instant> Schedule::next(Instant after) const {
  if (const auto* interval = std::get_if<IntervalSchedule>(&kind_)) {
    const std::int64_t k = floor_div((after - interval->anchor).count(), interval->period.count()) + 1;
    return interval->anchor + k * interval->period;
  }
  const auto& cron = std::get<CronInZone>(kind_);
  // The map from matching local time to fire instant never decreases, so the first candidate at or
  // after `after`'s own local time whose instant lies beyond `after` is the answer. Candidates inside a
  // gap or on the second pass of a repeated hour map to instants already passed and are stepped over.
  auto candidate_from = date::local_seconds{after.time_since_epoch() + cron.zone->get_info(after).offset};
  while (true) {
    const auto local = cron.expr.next_match(candidate_from);
    if (!local) return std::nullopt;
    const Instant fire = fire_instant(*local, cron.zone);
    if (fire > after) return fire;
    candidate_from = *local + 1min;
  }
}

std::vector<Instant> Schedule::next_n(Instant after, std::size_t count) const {
  std::vector<Instant> out;
  out.reserve(count);
  while (out.size() < count) {
    const auto fire = next(after);
    if (!fire) break;
    out.push_back(*fire);
    after = *fire;
  }
  return out;
}

std::optional<Instant> Schedule::slot_at(Instant t) const {
  if (const auto* interval = std::get_if<IntervalSchedule>(&kind_)) {
    const std::int64_t k = floor_div((t - interval->anchor).count(), interval->period.count());
    return interval->anchor + k * interval->period;
  }
  const auto& cron = std::get<CronInZone>(kind_);
  auto candidate_at = backward_search_start(t, cron.zone);
  while (true) {
    const auto local = cron.expr.previous_match(candidate_at);
    if (!local) return std::nullopt;
    const Instant fire = fire_instant(*local, cron.zone);
    if (fire <= t) return fire;
    candidate_at = *local - 1min;
  }
}

std::string Schedule::describe() const {
  if (const auto* interval = std::get_if<IntervalSchedule>(&kind_)) {
    std::string text = "every " + format_duration(interval->period);
    if (interval->anchor != Instant{}) text += " from " + format_utc(interval->anchor);
    return text;
  }
  const auto& cron = std::get<CronInZone>(kind_);
  return "cron '" + cron.expr.text() + "' in " + std::string(cron.zone->name());
}

Result<Schedule> parse_schedule_expression(std::string_view text, TimeZone zone) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  for (std::string_view prefix : {"every:", "every "}) {
    if (text.starts_with(prefix)) {
      std::string_view rest = text.substr(prefix.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      auto period = parse_duration(rest);
      if (!period) return period.error();
      return Schedule::every(*period);
    }
  }
  auto expr = CronExpr::parse(text);
  if (!expr) return make_error("invalid cron expression '" + std::string(text) + "': " + expr.error().message);
  return Schedule::cron(std::move(*expr), zone);
}

Seconds jitter_offset(std::string_view arm_id, Seconds jitter) {
  if (jitter <= 0s) return 0s;
  // FNV-1a (64 bit): tiny, fixed forever, and independent of the standard library's std::hash.
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : arm_id) {
    hash ^= static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
    hash *= 1099511628211ull;
  }
  return Seconds{static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(jitter.count()))};
}

std::optional<Instant> due_slot(const Schedule& schedule, std::optional<Instant> last_handled, Instant now,
                                CatchUp mode, Seconds grace) {
  const auto slot = schedule.slot_at(now);
  if (!slot) return std::nullopt;
  if (last_handled && *slot <= *last_handled) return std::nullopt;
  const bool on_time = now - *slot <= grace;
  if (on_time || mode == CatchUp::latest) return slot;
  return std::nullopt;
}

}  // namespace rpd
