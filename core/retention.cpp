#include "core/retention.hpp"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace rpd {

bool RetentionRules::empty() const {
  // A zero or negative count asks for nothing; min_keep is a floor on top of the rules, not a rule.
  return keep_last <= 0 && keep_hourly <= 0 && keep_daily <= 0 && keep_weekly <= 0 && keep_monthly <= 0 &&
         keep_yearly <= 0 && !keep_within.has_value();
}

namespace {

// The counted rules, in restic's order (which is also the order of their reasons in describe()).
enum RuleIndex : std::size_t { last_rule, hourly_rule, daily_rule, weekly_rule, monthly_rule, yearly_rule, rule_count };

struct CountedRule {
  int count = 0;  // keeps left; the rule is done at 0
  KeepReason reason;
  KeepReason oldest_reason;                // for the oldest point, kept only because the count was not used up
  std::optional<std::int64_t> last_value;  // bucket of the point this rule kept last
};

// A point's bucket for each counted rule. keep_last's bucket is the point's position, so every point has its own.
using BucketValues = std::array<std::int64_t, rule_count>;

// Converts instants to local time in a zone. The points come newest first, so one UTC offset holds for long runs of
// them: looking the offset up again only when a point leaves the current offset's interval (at a DST change) saves
// a search of the zone's transitions per point.
class LocalTimes {
 public:
  explicit LocalTimes(TimeZone zone) : zone_(zone) {}

  date::local_seconds of(Instant time) {
    if (!offset_ || time < offset_->begin || time >= offset_->end) offset_ = zone_->get_info(time);
    return date::local_seconds{time.time_since_epoch() + offset_->offset};
  }

 private:
  TimeZone zone_;
  std::optional<date::sys_info> offset_;  // the zone's offset and the interval in which it holds
};

// Calendar buckets are the point's local date and hour in the policy's zone; weeks are ISO 8601 weeks, whose year
// can differ from the calendar year around New Year (2021-01-03 is in 2020-W53).
BucketValues bucket_values(date::local_seconds local, std::size_t position) {
  const date::local_days day = date::floor<date::days>(local);
  const date::year_month_day calendar_date{day};
  const iso_week::year_weeknum_weekday week{day};

  const std::int64_t year = static_cast<int>(calendar_date.year());
  const std::int64_t month = static_cast<unsigned>(calendar_date.month());
  const std::int64_t day_of_month = static_cast<unsigned>(calendar_date.day());
  const std::int64_t hour = date::floor<std::chrono::hours>(local - day).count();
  const std::int64_t iso_year = static_cast<int>(week.year());
  const std::int64_t iso_week_number = static_cast<unsigned>(week.weeknum());

  BucketValues values{};
  values[last_rule] = static_cast<std::int64_t>(position);
  values[hourly_rule] = year * 1'000'000 + month * 10'000 + day_of_month * 100 + hour;
  values[daily_rule] = year * 10'000 + month * 100 + day_of_month;
  values[weekly_rule] = iso_year * 100 + iso_week_number;
  values[monthly_rule] = year * 100 + month;
  values[yearly_rule] = year;
  return values;
}

bool calendar_rule_active(const std::array<CountedRule, rule_count>& rules) {
  return std::any_of(rules.begin() + hourly_rule, rules.end(), [](const CountedRule& rule) { return rule.count > 0; });
}

bool any_rule_active(const std::array<CountedRule, rule_count>& rules) {
  return std::any_of(rules.begin(), rules.end(), [](const CountedRule& rule) { return rule.count > 0; });
}

// A good point: its time, and its position in the input. Carrying the time (rather than only the position) keeps the
// sort's comparisons on contiguous memory.
struct GoodPoint {
  Instant time;
  std::size_t index;
};

// Walks the good points newest first and lets each counted rule keep the newest point of each new bucket until its
// count is used up. A rule with keeps left when it reaches the oldest point keeps that one too (restic does this so
// that a young policy still keeps the longest history it can).
void apply_counted_rules(std::span<const GoodPoint> good_newest_first, const RetentionRules& rules, TimeZone zone,
                         std::span<RetentionDecision> decisions) {
  std::array<CountedRule, rule_count> counted = {{
      {rules.keep_last, KeepReason::last, KeepReason::oldest_last, std::nullopt},
      {rules.keep_hourly, KeepReason::hourly, KeepReason::oldest_hourly, std::nullopt},
      {rules.keep_daily, KeepReason::daily, KeepReason::oldest_daily, std::nullopt},
      {rules.keep_weekly, KeepReason::weekly, KeepReason::oldest_weekly, std::nullopt},
      {rules.keep_monthly, KeepReason::monthly, KeepReason::oldest_monthly, std::nullopt},
      {rules.keep_yearly, KeepReason::yearly, KeepReason::oldest_yearly, std::nullopt},
  }};
  LocalTimes local_times(zone);

  for (std::size_t position = 0; position < good_newest_first.size() && any_rule_active(counted); ++position) {
    const GoodPoint& point = good_newest_first[position];
    const bool is_oldest = position + 1 == good_newest_first.size();
    // Converting to local time is the costly part: do it once per point, and not at all once only keep_last is left.
    const BucketValues values = calendar_rule_active(counted) ? bucket_values(local_times.of(point.time), position)
                                                              : BucketValues{static_cast<std::int64_t>(position)};
    for (std::size_t rule_index = 0; rule_index < rule_count; ++rule_index) {
      CountedRule& rule = counted[rule_index];
      const std::int64_t value = values[rule_index];
      const bool new_bucket = value != rule.last_value;
      if (rule.count <= 0 || !(new_bucket || is_oldest)) continue;
      decisions[point.index].reasons.add(new_bucket ? rule.reason : rule.oldest_reason);
      rule.last_value = value;
      --rule.count;
    }
  }
}

}  // namespace

std::vector<RetentionDecision> apply_retention(std::span<const RetentionPoint> points, const RetentionRules& rules,
                                               TimeZone zone) {
  std::vector<RetentionDecision> decisions(points.size());
  const bool no_rules = rules.empty();

  for (std::size_t index = 0; index < points.size(); ++index) {
    if (points[index].pinned) decisions[index].reasons.add(KeepReason::pinned);
    // An empty policy never deletes, failed points included.
    if (no_rules) decisions[index].reasons.add(KeepReason::no_rules);
  }

  // Only good points count for the rules. Newest first; on equal times the earlier input counts as newer, which makes
  // the order total and the result deterministic.
  std::vector<GoodPoint> good_newest_first;
  if (!no_rules) {
    good_newest_first.reserve(points.size());
    // Collected backwards: points usually come oldest first, so the list is then in order already, and checking
    // that is much cheaper than sorting.
    for (std::size_t index = points.size(); index-- > 0;) {
      if (points[index].good) good_newest_first.push_back({points[index].time, index});
    }
    const auto newer = [](const GoodPoint& a, const GoodPoint& b) {
      if (a.time != b.time) return a.time > b.time;
      return a.index < b.index;
    };
    if (!std::is_sorted(good_newest_first.begin(), good_newest_first.end(), newer)) {
      std::sort(good_newest_first.begin(), good_newest_first.end(), newer);
    }
  }

  if (!good_newest_first.empty()) {
    apply_counted_rules(good_newest_first, rules, zone, decisions);

    const Instant newest_time = good_newest_first.front().time;
    if (rules.keep_within) {
      // "Strictly after newest - within", written as a difference so that a huge duration cannot overflow.
      for (const GoodPoint& point : good_newest_first) {
        if (newest_time - point.time >= *rules.keep_within) break;
        decisions[point.index].reasons.add(KeepReason::within);
      }
    }

    const auto min_keep = std::min(static_cast<std::size_t>(std::max(rules.min_keep, 0)), good_newest_first.size());
    for (std::size_t position = 0; position < min_keep; ++position) {
      decisions[good_newest_first[position].index].reasons.add(KeepReason::min_keep);
    }

    decisions[good_newest_first.front().index].reasons.add(KeepReason::newest);
  }

  for (RetentionDecision& decision : decisions) decision.keep = !decision.reasons.empty();
  return decisions;
}

std::string describe(KeepReasons reasons) {
  static constexpr std::array<std::pair<KeepReason, const char*>, 17> words = {{
      {KeepReason::last, "keep_last"},
      {KeepReason::hourly, "keep_hourly"},
      {KeepReason::daily, "keep_daily"},
      {KeepReason::weekly, "keep_weekly"},
      {KeepReason::monthly, "keep_monthly"},
      {KeepReason::yearly, "keep_yearly"},
      {KeepReason::oldest_last, "keep_last:oldest"},
      {KeepReason::oldest_hourly, "keep_hourly:oldest"},
      {KeepReason::oldest_daily, "keep_daily:oldest"},
      {KeepReason::oldest_weekly, "keep_weekly:oldest"},
      {KeepReason::oldest_monthly, "keep_monthly:oldest"},
      {KeepReason::oldest_yearly, "keep_yearly:oldest"},
      {KeepReason::within, "keep_within"},
      {KeepReason::min_keep, "min_keep"},
      {KeepReason::newest, "newest"},
      {KeepReason::pinned, "pinned"},
      {KeepReason::no_rules, "no_rules"},
  }};
  std::string text;
  for (const auto& [reason, word] : words) {
    if (!reasons.has(reason)) continue;
    if (!text.empty()) text += ',';
    text += word;
  }
  return text;
}

}  // namespace rpd
