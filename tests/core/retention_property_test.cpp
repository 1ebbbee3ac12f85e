// Properties of apply_retention over many pseudo-random inputs. Every case is built from (property seed, case number)
// alone, so a failure message names exactly the case to rerun: random_scenario(seed, case_number).

#include "core/retention.hpp"

#include <date/date.h>
#include <date/iso_week.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace rpd {
namespace {

constexpr int cases_per_property = 500;

struct Scenario {
  std::vector<RetentionPoint> points;
  RetentionRules rules;
  TimeZone zone = nullptr;
};

int random_int(std::mt19937& rng, int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }

bool one_in(std::mt19937& rng, int n) { return random_int(rng, 1, n) == 1; }

Instant random_time(std::mt19937& rng, int spread_mode) {
  const Instant start = parse_timestamp("2022-01-01T00:00:00Z").value();
  constexpr int day = 86'400;
  switch (spread_mode) {
    case 0:  // anywhere in about three years
      return start + Seconds{random_int(rng, 0, 3 * 365 * day)};
    case 1:  // dense: many points per hour and per day
      return start + Seconds{random_int(rng, 0, 10 * day)};
    case 2:  // whole hours over two months: many ties in time
      return start + Seconds{3600 * random_int(rng, 0, 60 * 24)};
    case 3:  // around the end of summer time in Berlin, where a local hour happens twice
      return parse_timestamp("2022-10-30T01:00:00Z").value() + Seconds{random_int(rng, -2 * day, 2 * day)};
    default:  // around New Year, where ISO weeks and calendar years part (2023-01-01 is in 2022-W52)
      return parse_timestamp("2023-01-01T00:00:00Z").value() + Seconds{random_int(rng, -10 * day, 10 * day)};
  }
}

RetentionRules random_rules(std::mt19937& rng) {
  const auto random_count = [&rng] { return one_in(rng, 2) ? 0 : random_int(rng, 1, 20); };
  RetentionRules rules;
  rules.keep_last = random_count();
  rules.keep_hourly = random_count();
  rules.keep_daily = random_count();
  rules.keep_weekly = random_count();
  rules.keep_monthly = random_count();
  rules.keep_yearly = random_count();
  if (one_in(rng, 3)) rules.keep_within = Seconds{random_int(rng, 0, 90 * 86'400)};
  if (one_in(rng, 3)) rules.min_keep = random_int(rng, 1, 20);
  return rules;
}

Scenario random_scenario(std::uint32_t seed, int case_number) {
  std::mt19937 rng(seed * 100'003u + static_cast<std::uint32_t>(case_number));
  Scenario scenario;
  scenario.zone = case_number % 2 == 0 ? utc_zone() : find_time_zone("Europe/Berlin").value();
  const int spread_mode = random_int(rng, 0, 4);
  const int count = random_int(rng, 0, 300);
  for (int i = 0; i < count; ++i) {
    RetentionPoint point;
    point.time = random_time(rng, spread_mode);
    point.good = !one_in(rng, 5);
    point.pinned = one_in(rng, 10);
    scenario.points.push_back(point);
  }
  scenario.rules = random_rules(rng);
  return scenario;
}

std::string describe_rules(const RetentionRules& rules) {
  std::ostringstream out;
  out << "last " << rules.keep_last << ", hourly " << rules.keep_hourly << ", daily " << rules.keep_daily << ", weekly "
      << rules.keep_weekly << ", monthly " << rules.keep_monthly << ", yearly " << rules.keep_yearly << ", within "
      << (rules.keep_within ? std::to_string(rules.keep_within->count()) + "s" : "none") << ", min_keep "
      << rules.min_keep;
  return out.str();
}

std::string case_name(std::uint32_t seed, int case_number, const Scenario& scenario) {
  return "reproduce with random_scenario(" + std::to_string(seed) + ", " + std::to_string(case_number) +
         "): " + std::to_string(scenario.points.size()) + " points in " + scenario.zone->name() + ", rules {" +
         describe_rules(scenario.rules) + "}";
}

std::size_t good_count(const std::vector<RetentionPoint>& points) {
  return static_cast<std::size_t>(
      std::count_if(points.begin(), points.end(), [](const RetentionPoint& point) { return point.good; }));
}

// Invariants every result must meet, checked on every case of every property.
void expect_well_formed(const Scenario& scenario, const std::vector<RetentionDecision>& decisions) {
  ASSERT_EQ(decisions.size(), scenario.points.size());
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const RetentionPoint& point = scenario.points[i];
    EXPECT_EQ(decisions[i].keep, !decisions[i].reasons.empty()) << "point " << i;
    if (point.pinned) {
      EXPECT_TRUE(decisions[i].reasons.has(KeepReason::pinned)) << "point " << i;
    }
    if (scenario.rules.empty()) {
      EXPECT_EQ(describe(decisions[i].reasons), point.pinned ? "pinned,no_rules" : "no_rules") << "point " << i;
    } else if (!point.good) {
      EXPECT_EQ(decisions[i].keep, point.pinned) << "point " << i << ": a failed point is kept only when pinned";
    }
  }
}

// (a) The newest good point (on equal times: the earliest in input) is always kept.
TEST(RetentionPropertyTest, NewestGoodPointIsAlwaysKept) {
  constexpr std::uint32_t seed = 1;
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    const Scenario scenario = random_scenario(seed, case_number);
    SCOPED_TRACE(case_name(seed, case_number, scenario));
    const auto decisions = apply_retention(scenario.points, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);

    std::optional<std::size_t> newest;
    for (std::size_t i = 0; i < scenario.points.size(); ++i) {
      if (scenario.points[i].good && (!newest || scenario.points[i].time > scenario.points[*newest].time)) newest = i;
    }
    if (!newest) continue;
    EXPECT_TRUE(decisions[*newest].keep) << "newest good point " << *newest;
    if (!scenario.rules.empty()) {
      EXPECT_TRUE(decisions[*newest].reasons.has(KeepReason::newest)) << "newest good point " << *newest;
    }
  }
}

// (b) Asking for more (a higher count, a longer or new keep_within, a higher min_keep) never prunes a point that was
// kept. The base rules must not be empty: the empty policy keeps everything, and adding the first rule prunes.
TEST(RetentionPropertyTest, WideningTheRulesNeverPrunesAKeptPoint) {
  constexpr std::uint32_t seed = 2;
  constexpr std::array<int RetentionRules::*, 6> counts = {&RetentionRules::keep_last,    &RetentionRules::keep_hourly,
                                                           &RetentionRules::keep_daily,   &RetentionRules::keep_weekly,
                                                           &RetentionRules::keep_monthly, &RetentionRules::keep_yearly};
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    Scenario scenario = random_scenario(seed, case_number);
    if (scenario.rules.empty()) scenario.rules.keep_last = 1;
    std::mt19937 rng(seed * 7919u + static_cast<std::uint32_t>(case_number));
    RetentionRules wider = scenario.rules;
    for (int change = random_int(rng, 1, 3); change > 0; --change) {
      const int more = random_int(rng, 1, 5);
      const int which = random_int(rng, 0, 7);
      if (which < 6) {
        wider.*counts[static_cast<std::size_t>(which)] += more;
      } else if (which == 6) {
        wider.keep_within = wider.keep_within.value_or(Seconds{0}) + Seconds{random_int(rng, 1, 30 * 86'400)};
      } else {
        wider.min_keep += more;
      }
    }
    SCOPED_TRACE(case_name(seed, case_number, scenario) + ", widened to {" + describe_rules(wider) + "}");

    const auto before = apply_retention(scenario.points, scenario.rules, scenario.zone);
    const auto after = apply_retention(scenario.points, wider, scenario.zone);
    expect_well_formed(scenario, before);
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
      if (before[i].keep) {
        EXPECT_TRUE(after[i].keep) << "point " << i << " at " << format_utc(scenario.points[i].time) << " was kept for "
                                   << describe(before[i].reasons);
      }
    }
  }
}

// (c) Retention is idempotent: applied to its own kept set (same rules, zone and flags), it keeps everything.
TEST(RetentionPropertyTest, KeptSetIsStable) {
  constexpr std::uint32_t seed = 3;
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    const Scenario scenario = random_scenario(seed, case_number);
    SCOPED_TRACE(case_name(seed, case_number, scenario));
    const auto decisions = apply_retention(scenario.points, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);

    std::vector<RetentionPoint> kept;
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      if (decisions[i].keep) kept.push_back(scenario.points[i]);
    }
    const auto again = apply_retention(kept, scenario.rules, scenario.zone);
    ASSERT_EQ(again.size(), kept.size());
    for (std::size_t i = 0; i < again.size(); ++i) {
      EXPECT_TRUE(again[i].keep) << "kept point " << i << " at " << format_utc(kept[i].time) << " is pruned on rerun";
    }
  }
}

// (d) With distinct times, a point's decision does not depend on where it stands in the input.
TEST(RetentionPropertyTest, DecisionsDoNotDependOnInputOrder) {
  constexpr std::uint32_t seed = 4;
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    Scenario scenario = random_scenario(seed, case_number);
    // Equal times are ordered by input position by design, so drop duplicates of a time for this property.
    auto& points = scenario.points;
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.time < b.time; });
    points.erase(
        std::unique(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.time == b.time; }),
        points.end());
    std::mt19937 rng(seed * 7919u + static_cast<std::uint32_t>(case_number));
    std::shuffle(points.begin(), points.end(), rng);
    SCOPED_TRACE(case_name(seed, case_number, scenario));

    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<RetentionPoint> shuffled;
    for (std::size_t from : order) shuffled.push_back(points[from]);

    const auto decisions = apply_retention(points, scenario.rules, scenario.zone);
    const auto shuffled_decisions = apply_retention(shuffled, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);
    ASSERT_EQ(shuffled_decisions.size(), order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      EXPECT_EQ(describe(shuffled_decisions[i].reasons), describe(decisions[order[i]].reasons))
          << "point at " << format_utc(shuffled[i].time);
    }
  }
}

// (d, with ties) When tied points cannot be told apart (no pinning), the decisions as a multiset of
// (time, good, reasons) do not depend on the input order either.
TEST(RetentionPropertyTest, DecisionsForTiedPointsDoNotDependOnInputOrder) {
  constexpr std::uint32_t seed = 5;
  using Outcome = std::tuple<Instant, bool, std::uint32_t>;
  const auto outcomes = [](const std::vector<RetentionPoint>& points, const std::vector<RetentionDecision>& decisions) {
    std::vector<Outcome> result;
    for (std::size_t i = 0; i < points.size() && i < decisions.size(); ++i) {
      result.emplace_back(points[i].time, points[i].good, decisions[i].reasons.bits());
    }
    std::sort(result.begin(), result.end());
    return result;
  };
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    Scenario scenario = random_scenario(seed, case_number);
    for (RetentionPoint& point : scenario.points) point.pinned = false;
    SCOPED_TRACE(case_name(seed, case_number, scenario));
    std::vector<RetentionPoint> shuffled = scenario.points;
    std::mt19937 rng(seed * 7919u + static_cast<std::uint32_t>(case_number));
    std::shuffle(shuffled.begin(), shuffled.end(), rng);

    const auto decisions = apply_retention(scenario.points, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);
    EXPECT_EQ(outcomes(scenario.points, decisions),
              outcomes(shuffled, apply_retention(shuffled, scenario.rules, scenario.zone)));
  }
}

// (e) With at least min_keep good points, at least min_keep good points are kept.
TEST(RetentionPropertyTest, AtLeastMinKeepGoodPointsAreKept) {
  constexpr std::uint32_t seed = 6;
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    Scenario scenario = random_scenario(seed, case_number);
    std::mt19937 rng(seed * 7919u + static_cast<std::uint32_t>(case_number));
    scenario.rules.min_keep = random_int(rng, 0, 20);  // every case tests a floor, often above the rules' keeps
    SCOPED_TRACE(case_name(seed, case_number, scenario));
    const auto decisions = apply_retention(scenario.points, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);

    const auto min_keep = static_cast<std::size_t>(scenario.rules.min_keep);
    if (good_count(scenario.points) < min_keep) continue;
    std::size_t kept_good = 0;
    for (std::size_t i = 0; i < decisions.size(); ++i) {
      if (decisions[i].keep && scenario.points[i].good) ++kept_good;
    }
    EXPECT_GE(kept_good, min_keep);
  }
}

// The rules transcribed one at a time, without the shortcuts of the real code (no offset cache, no early stop, no
// shared walk, a stable sort instead of an explicit tie-break): the model the real code must agree with.
std::vector<KeepReasons> model_reasons(const std::vector<RetentionPoint>& points, const RetentionRules& rules,
                                       TimeZone zone) {
  std::vector<KeepReasons> reasons(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].pinned) reasons[i].add(KeepReason::pinned);
    if (rules.empty()) reasons[i].add(KeepReason::no_rules);
  }
  if (rules.empty()) return reasons;

  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].good) good.push_back(i);
  }
  std::stable_sort(good.begin(), good.end(),
                   [&](std::size_t a, std::size_t b) { return points[a].time > points[b].time; });
  if (good.empty()) return reasons;

  using Bucket = std::function<std::int64_t(std::size_t position, date::local_seconds local)>;
  const auto local_date = [](date::local_seconds local) {
    return date::year_month_day{date::floor<date::days>(local)};
  };
  const auto year = [&](date::local_seconds local) { return std::int64_t{static_cast<int>(local_date(local).year())}; };
  const auto month = [&](date::local_seconds local) {
    return std::int64_t{static_cast<unsigned>(local_date(local).month())};
  };
  const auto day = [&](date::local_seconds local) {
    return std::int64_t{static_cast<unsigned>(local_date(local).day())};
  };
  const auto hour = [](date::local_seconds local) {
    return std::int64_t{date::floor<std::chrono::hours>(local - date::floor<date::days>(local)).count()};
  };
  const auto iso_week = [](date::local_seconds local) {
    const iso_week::year_weeknum_weekday week{date::floor<date::days>(local)};
    return std::int64_t{static_cast<int>(week.year())} * 100 + std::int64_t{static_cast<unsigned>(week.weeknum())};
  };
  const std::vector<std::tuple<int, KeepReason, KeepReason, Bucket>> counted_rules = {
      {rules.keep_last, KeepReason::last, KeepReason::oldest_last,
       [](std::size_t position, date::local_seconds) { return static_cast<std::int64_t>(position); }},
      {rules.keep_hourly, KeepReason::hourly, KeepReason::oldest_hourly,
       [&](std::size_t, date::local_seconds t) {
         return year(t) * 1'000'000 + month(t) * 10'000 + day(t) * 100 + hour(t);
       }},
      {rules.keep_daily, KeepReason::daily, KeepReason::oldest_daily,
       [&](std::size_t, date::local_seconds t) { return year(t) * 10'000 + month(t) * 100 + day(t); }},
      {rules.keep_weekly, KeepReason::weekly, KeepReason::oldest_weekly,
       [&](std::size_t, date::local_seconds t) { return iso_week(t); }},
      {rules.keep_monthly, KeepReason::monthly, KeepReason::oldest_monthly,
       [&](std::size_t, date::local_seconds t) { return year(t) * 100 + month(t); }},
      {rules.keep_yearly, KeepReason::yearly, KeepReason::oldest_yearly,
       [&](std::size_t, date::local_seconds t) { return year(t); }},
  };
  for (const auto& [count, reason, oldest_reason, bucket] : counted_rules) {
    int left = count;
    std::optional<std::int64_t> last;
    for (std::size_t position = 0; position < good.size() && left > 0; ++position) {
      const std::int64_t value = bucket(position, zone->to_local(points[good[position]].time));
      if (value != last) {
        reasons[good[position]].add(reason);
      } else if (position + 1 == good.size()) {
        reasons[good[position]].add(oldest_reason);
      } else {
        continue;
      }
      last = value;
      --left;
    }
  }

  const Instant newest = points[good.front()].time;
  for (std::size_t position = 0; position < good.size(); ++position) {
    if (rules.keep_within && points[good[position]].time > newest - *rules.keep_within) {
      reasons[good[position]].add(KeepReason::within);
    }
    if (static_cast<int>(position) < rules.min_keep) reasons[good[position]].add(KeepReason::min_keep);
  }
  reasons[good.front()].add(KeepReason::newest);
  return reasons;
}

// (f) The real code agrees with the model, reason for reason.
TEST(RetentionPropertyTest, AgreesWithAStraightforwardModel) {
  constexpr std::uint32_t seed = 7;
  for (int case_number = 0; case_number < cases_per_property && !HasFailure(); ++case_number) {
    const Scenario scenario = random_scenario(seed, case_number);
    SCOPED_TRACE(case_name(seed, case_number, scenario));
    const auto decisions = apply_retention(scenario.points, scenario.rules, scenario.zone);
    expect_well_formed(scenario, decisions);
    const auto expected = model_reasons(scenario.points, scenario.rules, scenario.zone);
    for (std::size_t i = 0; i < decisions.size() && !HasFailure(); ++i) {
      EXPECT_EQ(describe(decisions[i].reasons), describe(expected[i]))
          << "point " << i << " at " << format_utc(scenario.points[i].time);
    }
  }
}

}  // namespace
}  // namespace rpd
