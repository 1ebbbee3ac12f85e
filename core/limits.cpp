#include "core/limits.hpp"

#include <algorithm>

namespace rpd {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t max_sample = 2000;
constexpr Seconds sample_span = 400 * 24h;

// How long the rules can look back: a point older than this (measured from the newest) is kept by no
// calendar rule's full count, so the number of points has peaked once the schedule has run this long.
Seconds longest_span(const RetentionRules& rules, Seconds gap) {
  const auto days = [](long long n) { return Seconds{n * 86400}; };
  Seconds span = rules.keep_within.value_or(0s);
  span = std::max(span, gap * (rules.keep_last + 1));
  span = std::max(span, Seconds{3600LL * (rules.keep_hourly + 1)});
  span = std::max(span, days(rules.keep_daily + 1));
  span = std::max(span, days(7LL * (rules.keep_weekly + 1)));
  span = std::max(span, days(31LL * (rules.keep_monthly + 1)));
  span = std::max(span, days(366LL * (rules.keep_yearly + 1)));
  return span;
}

}  // namespace

std::vector<Instant> sample_fire_times(const Schedule& schedule, Instant from) {
  std::vector<Instant> fires;
  Instant t = from;
  while (fires.size() < max_sample) {
    const auto fire = schedule.next(t);
    if (!fire) break;
    if (fires.size() >= 2 && *fire - from > sample_span) break;
    fires.push_back(*fire);
    t = *fire;
  }
  return fires;
}

Seconds shortest_gap(const std::vector<Instant>& fire_times) {
  Seconds gap{0};
  for (std::size_t i = 1; i < fire_times.size(); ++i) {
    const Seconds d = fire_times[i] - fire_times[i - 1];
    if (i == 1 || d < gap) gap = d;
  }
  return gap;
}

DensestHour densest_hour(const std::vector<Instant>& fire_times) {
  DensestHour densest;
  std::size_t window_start = 0;
  for (std::size_t i = 0; i < fire_times.size(); ++i) {
    while (fire_times[i] - fire_times[window_start] >= 1h) ++window_start;
    const int creates = static_cast<int>(i - window_start + 1);
    if (creates > densest.creates) densest = {creates, fire_times[window_start]};
  }
  return densest;
}

int peak_points(const Schedule& schedule, const RetentionRules& rules, TimeZone zone, Instant from, int max_creates,
                int stop_above) {
  std::vector<RetentionPoint> points;
  int peak = 0;
  Instant t = from;
  Instant first{};
  const Seconds span = longest_span(rules, shortest_gap(sample_fire_times(schedule, from)));
  for (int created = 0; created < max_creates; ++created) {
    const auto fire = schedule.next(t);
    if (!fire) break;
    t = *fire;
    if (created == 0) first = t;
    points.push_back({t, true, false});
    // Azure counts the new point before retention prunes an old one: that moment is the peak.
    peak = std::max(peak, static_cast<int>(points.size()));
    if (peak > stop_above) return stop_above + 1;
    const auto decisions = apply_retention(points, rules, zone);
    std::vector<RetentionPoint> kept;
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (decisions[i].keep) kept.push_back(points[i]);
    }
    points = std::move(kept);
    if (t - first > span + 366 * 24h) break;
  }
  return peak;
}

long long peak_points_bound(const RetentionRules& rules, Seconds gap) {
  long long bound = 2;  // the newest point, and a new one before the prune
  for (int count : {rules.keep_last, rules.keep_hourly, rules.keep_daily, rules.keep_weekly, rules.keep_monthly,
                    rules.keep_yearly}) {
    if (count > 0) bound += count + 1;  // the rule's points, and the oldest point it may keep as well
  }
  bound += std::max(rules.min_keep, 0);
  if (rules.keep_within) bound += gap > 0s ? rules.keep_within->count() / gap.count() + 1 : 1'000'000;
  return bound;
}

}  // namespace rpd
