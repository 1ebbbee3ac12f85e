#include "core/retention.hpp"

#include <date/date.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rpd {
namespace {

using std::chrono::hours;

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

TimeZone zone_named(std::string_view name) { return find_time_zone(name).value(); }

std::vector<RetentionPoint> good_points(std::initializer_list<std::string_view> times) {
  std::vector<RetentionPoint> points;
  for (std::string_view time : times) points.push_back({at(time), true, false});
  return points;
}

// The kept points in input order as "time reasons": one exact, readable value to compare.
std::vector<std::string> kept(std::span<const RetentionPoint> points, const std::vector<RetentionDecision>& decisions) {
  EXPECT_EQ(decisions.size(), points.size());
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < decisions.size() && i < points.size(); ++i) {
    EXPECT_EQ(decisions[i].keep, !decisions[i].reasons.empty()) << "point " << i;
    if (decisions[i].keep) lines.push_back(format_utc(points[i].time) + " " + describe(decisions[i].reasons));
  }
  return lines;
}

std::vector<std::string> kept(std::span<const RetentionPoint> points, const RetentionRules& rules,
                              TimeZone zone = utc_zone()) {
  return kept(points, apply_retention(points, rules, zone));
}

using Lines = std::vector<std::string>;

// --- restic's documented examples ---------------------------------------------------------------------------------

// One backup every Sunday at 11:00 for 12 weeks, 2019-09-01 .. 2019-11-17 (restic's doc/060_forget.rst).
std::vector<RetentionPoint> twelve_sundays() {
  std::vector<RetentionPoint> points;
  for (int week = 0; week < 12; ++week) points.push_back({at("2019-09-01T11:00:00Z") + hours{24 * 7 * week}});
  return points;
}

TEST(RetentionTest, ResticSundayExampleKeepDaily4KeepsTheLastFourSundays) {
  const auto points = twelve_sundays();
  ASSERT_EQ(format_utc(points.back().time), "2019-11-17T11:00:00Z");
  RetentionRules rules;
  rules.keep_daily = 4;
  EXPECT_EQ(kept(points, rules), (Lines{"2019-10-27T11:00:00Z keep_daily", "2019-11-03T11:00:00Z keep_daily",
                                        "2019-11-10T11:00:00Z keep_daily", "2019-11-17T11:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, ResticSundayExampleOtherRules) {
  // Not in restic's documentation: the same data under other rules, worked out by hand.
  const auto points = twelve_sundays();
  RetentionRules weekly;
  weekly.keep_weekly = 2;
  EXPECT_EQ(kept(points, weekly),
            (Lines{"2019-11-10T11:00:00Z keep_weekly", "2019-11-17T11:00:00Z keep_weekly,newest"}));

  // The newest Sunday of November, October and September; the count is used up, so 09-01 goes.
  RetentionRules monthly;
  monthly.keep_monthly = 3;
  EXPECT_EQ(kept(points, monthly), (Lines{"2019-09-29T11:00:00Z keep_monthly", "2019-10-27T11:00:00Z keep_monthly",
                                          "2019-11-17T11:00:00Z keep_monthly,newest"}));

  // Only three months hold points: the fourth keep goes to the oldest point, in September's bucket already.
  monthly.keep_monthly = 4;
  EXPECT_EQ(kept(points, monthly),
            (Lines{"2019-09-01T11:00:00Z keep_monthly:oldest", "2019-09-29T11:00:00Z keep_monthly",
                   "2019-10-27T11:00:00Z keep_monthly", "2019-11-17T11:00:00Z keep_monthly,newest"}));
}

struct ReasonCounts {
  int kept = 0;
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
  int yearly = 0;
  int oldest = 0;
};

// One backup a day at 12:00Z from 1920-01-01 (100 years) up to `last_day`, under restic's documented
// "--keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75".
ReasonCounts hundred_years_of_daily_backups(date::sys_days last_day, std::vector<std::string>* weekly_only) {
  std::vector<RetentionPoint> points;
  for (date::sys_days day = date::sys_days{date::year{1920} / 1 / 1}; day <= last_day; day += date::days{1}) {
    points.push_back({Instant{day} + hours{12}});
  }
  RetentionRules rules;
  rules.keep_daily = 7;
  rules.keep_weekly = 5;
  rules.keep_monthly = 12;
  rules.keep_yearly = 75;
  const auto decisions = apply_retention(points, rules, utc_zone());

  ReasonCounts counts;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const KeepReasons reasons = decisions[i].reasons;
    counts.kept += decisions[i].keep ? 1 : 0;
    counts.daily += reasons.has(KeepReason::daily) ? 1 : 0;
    counts.weekly += reasons.has(KeepReason::weekly) ? 1 : 0;
    counts.monthly += reasons.has(KeepReason::monthly) ? 1 : 0;
    counts.yearly += reasons.has(KeepReason::yearly) ? 1 : 0;
    counts.oldest += reasons.has(KeepReason::oldest_yearly) || reasons.has(KeepReason::oldest_monthly) ? 1 : 0;
    if (reasons.has(KeepReason::weekly) && !reasons.has(KeepReason::daily)) {
      weekly_only->push_back(format_utc(points[i].time));
    }
  }
  return counts;
}

// restic's doc: "would keep the most recent 7 daily snapshots and 4 last-day-of-the-week ones (since the 7 dailies
// already include 1 weekly). Additionally, 12 or 11 last-day-of-the-month snapshots [...] And finally 75 or 74
// last-day-of-the-year snapshots". With one backup a day the newest point is always the newest of its month and of
// its year, and it is a daily one, so the months add 11 and the years add 74 (the 12 / 75 of the doc cannot happen
// with daily backups). The weeks add 4 only when the newest day is a Sunday: then the 7 dailies are exactly one ISO
// week. Ending on any other day, the 7 dailies touch two weeks and the weeks add 3.
TEST(RetentionTest, ResticHundredYearsOfDailyBackupsEndingOnASunday) {
  std::vector<std::string> weekly_only;
  const ReasonCounts counts =
      hundred_years_of_daily_backups(date::sys_days{date::year{2019} / 12 / 29}, &weekly_only);  // a Sunday
  EXPECT_EQ(counts.daily, 7);               // 2019-12-23 .. 2019-12-29, one ISO week
  EXPECT_EQ(counts.weekly, 5);              // 12-29 (daily), 12-22, 12-15, 12-08, 12-01
  EXPECT_EQ(counts.monthly, 12);            // 2019-12-29 (daily), then 2019-11-30 back to 2019-01-31
  EXPECT_EQ(counts.yearly, 75);             // 2019-12-29 (daily), then 2018-12-31 back to 1945-12-31
  EXPECT_EQ(counts.oldest, 0);              // 100 years of data: no count is left over
  EXPECT_EQ(counts.kept, 7 + 4 + 11 + 74);  // = 96: no month or year end is among the weeklies
  EXPECT_EQ(weekly_only,
            (Lines{"2019-12-01T12:00:00Z", "2019-12-08T12:00:00Z", "2019-12-15T12:00:00Z", "2019-12-22T12:00:00Z"}));
}

TEST(RetentionTest, ResticHundredYearsOfDailyBackupsEndingOnATuesday) {
  std::vector<std::string> weekly_only;
  const ReasonCounts counts =
      hundred_years_of_daily_backups(date::sys_days{date::year{2019} / 12 / 31}, &weekly_only);  // a Tuesday
  EXPECT_EQ(counts.daily, 7);  // 2019-12-25 .. 2019-12-31: end of 2019-W52 and start of 2020-W01
  EXPECT_EQ(counts.weekly, 5);
  EXPECT_EQ(counts.monthly, 12);
  EXPECT_EQ(counts.yearly, 75);
  EXPECT_EQ(counts.oldest, 0);
  EXPECT_EQ(counts.kept, 7 + 3 + 11 + 74);  // = 95
  EXPECT_EQ(weekly_only, (Lines{"2019-12-08T12:00:00Z", "2019-12-15T12:00:00Z", "2019-12-22T12:00:00Z"}));
}

// --- each rule alone ------------------------------------------------------------------------------------------------

TEST(RetentionTest, KeepLastKeepsTheNewestPoints) {
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z",
                                   "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z"});
  RetentionRules rules;
  rules.keep_last = 2;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T11:00:00Z keep_last", "2024-05-01T12:00:00Z keep_last,newest"}));
}

TEST(RetentionTest, KeepLastWithMoreCountThanPointsKeepsAllAsPlainKeepLast) {
  // Every point is its own keep_last bucket, so the oldest is a plain keep: "keep_last:oldest" never occurs.
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"});
  RetentionRules rules;
  rules.keep_last = 5;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T08:00:00Z keep_last", "2024-05-01T09:00:00Z keep_last",
                                        "2024-05-01T10:00:00Z keep_last,newest"}));
}

TEST(RetentionTest, KeepHourlyKeepsTheNewestOfEachHour) {
  const auto points = good_points({"2024-05-01T10:05:00Z", "2024-05-01T10:40:00Z", "2024-05-01T11:10:00Z",
                                   "2024-05-01T11:50:00Z", "2024-05-01T12:20:00Z"});
  RetentionRules rules;
  rules.keep_hourly = 2;
  EXPECT_EQ(kept(points, rules),
            (Lines{"2024-05-01T11:50:00Z keep_hourly", "2024-05-01T12:20:00Z keep_hourly,newest"}));
}

TEST(RetentionTest, KeepDailyKeepsTheNewestOfEachDay) {
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T20:00:00Z", "2024-05-02T07:00:00Z",
                                   "2024-05-02T23:59:59Z", "2024-05-03T00:00:00Z"});
  RetentionRules rules;
  rules.keep_daily = 2;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-02T23:59:59Z keep_daily", "2024-05-03T00:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, KeepWeeklyKeepsTheNewestOfEachIsoWeek) {
  // ISO weeks run Monday to Sunday: 2024-01-01 (Mon) .. 2024-01-07 (Sun) is 2024-W01.
  const auto points = good_points({"2023-12-27T12:00:00Z", "2024-01-01T12:00:00Z", "2024-01-07T23:00:00Z",
                                   "2024-01-08T00:00:00Z", "2024-01-10T12:00:00Z"});
  RetentionRules rules;
  rules.keep_weekly = 2;
  EXPECT_EQ(kept(points, rules),
            (Lines{"2024-01-07T23:00:00Z keep_weekly", "2024-01-10T12:00:00Z keep_weekly,newest"}));
}

TEST(RetentionTest, KeepMonthlyKeepsTheNewestOfEachMonth) {
  const auto points = good_points({"2024-01-15T12:00:00Z", "2024-01-31T23:59:59Z", "2024-02-01T00:00:00Z",
                                   "2024-02-29T12:00:00Z", "2024-03-01T00:00:00Z"});
  RetentionRules rules;
  rules.keep_monthly = 2;
  EXPECT_EQ(kept(points, rules),
            (Lines{"2024-02-29T12:00:00Z keep_monthly", "2024-03-01T00:00:00Z keep_monthly,newest"}));
}

TEST(RetentionTest, KeepYearlyKeepsTheNewestOfEachYear) {
  const auto points =
      good_points({"2022-06-01T12:00:00Z", "2023-01-01T00:00:00Z", "2023-12-31T23:59:59Z", "2024-03-01T12:00:00Z"});
  RetentionRules rules;
  rules.keep_yearly = 2;
  EXPECT_EQ(kept(points, rules),
            (Lines{"2023-12-31T23:59:59Z keep_yearly", "2024-03-01T12:00:00Z keep_yearly,newest"}));
}

TEST(RetentionTest, KeepWithinKeepsPointsStrictlyAfterNewestMinusWithin) {
  const auto points = good_points({"2024-05-08T11:59:59Z", "2024-05-08T12:00:00Z", "2024-05-08T12:00:01Z",
                                   "2024-05-09T12:00:00Z", "2024-05-10T12:00:00Z"});
  RetentionRules rules;
  rules.keep_within = hours{48};
  // 2024-05-08T12:00:00Z is exactly 48h before the newest point: not strictly after, so pruned.
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-08T12:00:01Z keep_within", "2024-05-09T12:00:00Z keep_within",
                                        "2024-05-10T12:00:00Z keep_within,newest"}));
}

TEST(RetentionTest, RulesAreOred) {
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T20:00:00Z", "2024-05-02T08:00:00Z",
                                   "2024-05-02T20:00:00Z", "2024-05-03T08:00:00Z", "2024-05-03T09:00:00Z"});
  RetentionRules rules;
  rules.keep_last = 2;
  rules.keep_daily = 2;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-02T20:00:00Z keep_daily", "2024-05-03T08:00:00Z keep_last",
                                        "2024-05-03T09:00:00Z keep_last,keep_daily,newest"}));
}

// --- the oldest point -----------------------------------------------------------------------------------------------

std::vector<RetentionPoint> three_days_three_points_each() {
  return good_points({"2024-05-01T08:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T20:00:00Z", "2024-05-02T08:00:00Z",
                      "2024-05-02T12:00:00Z", "2024-05-02T20:00:00Z", "2024-05-03T08:00:00Z", "2024-05-03T12:00:00Z",
                      "2024-05-03T20:00:00Z"});
}

TEST(RetentionTest, BucketRuleWithCountLeftAlsoKeepsTheOldestPoint) {
  RetentionRules rules;
  rules.keep_daily = 10;  // only 3 days hold points
  EXPECT_EQ(kept(three_days_three_points_each(), rules),
            (Lines{"2024-05-01T08:00:00Z keep_daily:oldest", "2024-05-01T20:00:00Z keep_daily",
                   "2024-05-02T20:00:00Z keep_daily", "2024-05-03T20:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, BucketRuleWithCountUsedUpDoesNotKeepTheOldestPoint) {
  RetentionRules rules;
  rules.keep_daily = 3;
  EXPECT_EQ(kept(three_days_three_points_each(), rules),
            (Lines{"2024-05-01T20:00:00Z keep_daily", "2024-05-02T20:00:00Z keep_daily",
                   "2024-05-03T20:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, OldestPointAloneInItsBucketIsAPlainKeep) {
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-02T08:00:00Z", "2024-05-02T20:00:00Z"});
  RetentionRules rules;
  rules.keep_daily = 10;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T08:00:00Z keep_daily", "2024-05-02T20:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, OnlyRulesWithCountLeftKeepTheOldestPoint) {
  RetentionRules rules;
  rules.keep_hourly = 1;  // used up by the newest point
  rules.keep_daily = 10;
  rules.keep_monthly = 2;  // one month only: count left
  EXPECT_EQ(
      kept(three_days_three_points_each(), rules),
      (Lines{"2024-05-01T08:00:00Z keep_daily:oldest,keep_monthly:oldest", "2024-05-01T20:00:00Z keep_daily",
             "2024-05-02T20:00:00Z keep_daily", "2024-05-03T20:00:00Z keep_hourly,keep_daily,keep_monthly,newest"}));
}

// --- calendars and zones --------------------------------------------------------------------------------------------

TEST(RetentionTest, IsoWeeksCrossTheYearBoundary) {
  // 2020-12-28 (Mon) .. 2021-01-03 (Sun) is ISO week 2020-W53; 2021-01-04 starts 2021-W01.
  const auto points = good_points({"2020-12-21T12:00:00Z", "2020-12-28T12:00:00Z", "2020-12-31T12:00:00Z",
                                   "2021-01-03T12:00:00Z", "2021-01-04T12:00:00Z"});
  RetentionRules weekly;
  weekly.keep_weekly = 2;
  EXPECT_EQ(kept(points, weekly),
            (Lines{"2021-01-03T12:00:00Z keep_weekly", "2021-01-04T12:00:00Z keep_weekly,newest"}));
  weekly.keep_weekly = 3;
  EXPECT_EQ(kept(points, weekly), (Lines{"2020-12-21T12:00:00Z keep_weekly", "2021-01-03T12:00:00Z keep_weekly",
                                         "2021-01-04T12:00:00Z keep_weekly,newest"}));

  // Years are calendar years, not ISO years: 2020's newest point is 12-31.
  RetentionRules yearly;
  yearly.keep_yearly = 2;
  EXPECT_EQ(kept(points, yearly),
            (Lines{"2020-12-31T12:00:00Z keep_yearly", "2021-01-04T12:00:00Z keep_yearly,newest"}));
}

TEST(RetentionTest, BucketsUseTheLocalTimeOfTheZone) {
  // 2024-03-10T23:30Z is 2024-03-11 00:30 in Berlin (CET, +01:00): it falls in Berlin's March 11.
  const auto points = good_points({"2024-03-10T22:30:00Z", "2024-03-10T23:30:00Z", "2024-03-11T10:00:00Z"});
  RetentionRules rules;
  rules.keep_daily = 2;
  EXPECT_EQ(kept(points, rules, utc_zone()),
            (Lines{"2024-03-10T23:30:00Z keep_daily", "2024-03-11T10:00:00Z keep_daily,newest"}));
  EXPECT_EQ(kept(points, rules, zone_named("Europe/Berlin")),
            (Lines{"2024-03-10T22:30:00Z keep_daily", "2024-03-11T10:00:00Z keep_daily,newest"}));
}

TEST(RetentionTest, RepeatedLocalHourAtDstEndIsOneHourlyBucket) {
  // Berlin leaves summer time on 2024-10-27 at 01:00Z (03:00 CEST becomes 02:00 CET): local 02:xx happens twice and,
  // as in restic, both occurrences are the same hourly bucket 2024-10-27 02.
  const auto points = good_points({"2024-10-26T23:30:00Z",    // 01:30 CEST
                                   "2024-10-27T00:10:00Z",    // 02:10 CEST
                                   "2024-10-27T00:50:00Z",    // 02:50 CEST
                                   "2024-10-27T01:10:00Z",    // 02:10 CET
                                   "2024-10-27T01:50:00Z",    // 02:50 CET
                                   "2024-10-27T02:10:00Z"});  // 03:10 CET
  RetentionRules rules;
  rules.keep_hourly = 3;
  EXPECT_EQ(kept(points, rules, zone_named("Europe/Berlin")),
            (Lines{"2024-10-26T23:30:00Z keep_hourly", "2024-10-27T01:50:00Z keep_hourly",
                   "2024-10-27T02:10:00Z keep_hourly,newest"}));
  EXPECT_EQ(kept(points, rules, utc_zone()),
            (Lines{"2024-10-27T00:50:00Z keep_hourly", "2024-10-27T01:50:00Z keep_hourly",
                   "2024-10-27T02:10:00Z keep_hourly,newest"}));
}

// --- the daemon's floors: newest, min_keep, pinned ------------------------------------------------------------------

TEST(RetentionTest, MinKeepKeepsTheNewestGoodPoints) {
  auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z",
                             "2024-05-01T11:00:00Z", "2024-05-01T12:00:00Z"});
  points[3].good = false;  // 11:00 failed: it neither counts for min_keep nor is kept by it
  RetentionRules rules;
  rules.keep_last = 1;
  rules.min_keep = 3;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T09:00:00Z min_keep", "2024-05-01T10:00:00Z min_keep",
                                        "2024-05-01T12:00:00Z keep_last,min_keep,newest"}));
}

TEST(RetentionTest, MinKeepAboveTheNumberOfGoodPointsKeepsThemAll) {
  const auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z"});
  RetentionRules rules;
  rules.keep_within = Seconds{0};
  rules.min_keep = 10;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T08:00:00Z min_keep", "2024-05-01T09:00:00Z min_keep,newest"}));
}

TEST(RetentionTest, NewestGoodPointIsAlwaysKept) {
  // keep_within 0 keeps nothing (no point is strictly after the newest one), yet the newest stays.
  auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"});
  RetentionRules rules;
  rules.keep_within = Seconds{0};
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T10:00:00Z newest"}));

  points[2].good = false;  // the newest point failed: the newest good one is kept instead
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T09:00:00Z newest"}));
}

TEST(RetentionTest, FailedPointsArePrunedAndDoNotFillBuckets) {
  auto points = good_points({"2024-05-01T10:00:00Z", "2024-05-01T23:00:00Z", "2024-05-02T10:00:00Z",
                             "2024-05-02T11:00:00Z", "2024-05-02T12:00:00Z"});
  points[1].good = false;  // newest of May 1, but failed
  points[4].good = false;  // newest of all, but failed
  RetentionRules rules;
  rules.keep_daily = 2;
  rules.keep_last = 1;
  EXPECT_EQ(kept(points, rules),
            (Lines{"2024-05-01T10:00:00Z keep_daily", "2024-05-02T11:00:00Z keep_last,keep_daily,newest"}));
}

TEST(RetentionTest, KeepWithinCountsFromTheNewestGoodPoint) {
  auto points =
      good_points({"2024-05-01T06:00:00Z", "2024-05-01T06:30:00Z", "2024-05-01T08:00:00Z", "2024-05-01T12:00:00Z"});
  points[3].good = false;
  RetentionRules rules;
  rules.keep_within = hours{2};  // from 08:00, the newest good point, not from the failed 12:00
  EXPECT_EQ(kept(points, rules),
            (Lines{"2024-05-01T06:30:00Z keep_within", "2024-05-01T08:00:00Z keep_within,newest"}));
}

TEST(RetentionTest, OnlyFailedPointsAreAllPruned) {
  auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z"});
  points[0].good = false;
  points[1].good = false;
  RetentionRules rules;
  rules.keep_last = 5;
  rules.min_keep = 2;
  EXPECT_EQ(kept(points, rules), Lines{});
}

TEST(RetentionTest, PinnedPointsAreAlwaysKeptEvenFailed) {
  auto points =
      good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"});
  points[0].pinned = true;  // old and good
  points[1].pinned = true;  // failed
  points[1].good = false;
  points[3].pinned = true;  // also the newest
  RetentionRules rules;
  rules.keep_last = 1;
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T08:00:00Z pinned", "2024-05-01T09:00:00Z pinned",
                                        "2024-05-01T11:00:00Z keep_last,newest,pinned"}));
}

TEST(RetentionTest, EmptyRulesKeepEverything) {
  auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T10:00:00Z"});
  points[1].good = false;
  points[2].pinned = true;
  RetentionRules rules;
  rules.min_keep = 1;  // not a rule: the set stays empty
  EXPECT_EQ(kept(points, rules), (Lines{"2024-05-01T08:00:00Z no_rules", "2024-05-01T09:00:00Z no_rules",
                                        "2024-05-01T10:00:00Z pinned,no_rules"}));
}

TEST(RetentionTest, RulesAreEmptyOnlyWithoutAnyKeepRule) {
  RetentionRules rules;
  EXPECT_TRUE(rules.empty());
  rules.min_keep = 3;
  EXPECT_TRUE(rules.empty());
  rules.keep_daily = -1;  // a count that asks for nothing is no rule
  EXPECT_TRUE(rules.empty());

  for (int RetentionRules::*count :
       {&RetentionRules::keep_last, &RetentionRules::keep_hourly, &RetentionRules::keep_daily,
        &RetentionRules::keep_weekly, &RetentionRules::keep_monthly, &RetentionRules::keep_yearly}) {
    RetentionRules one;
    one.*count = 1;
    EXPECT_FALSE(one.empty());
  }
  RetentionRules within;
  within.keep_within = Seconds{0};  // set, even if zero
  EXPECT_FALSE(within.empty());
}

// --- order, ties, edge cases ----------------------------------------------------------------------------------------

TEST(RetentionTest, DecisionsComeInInputOrder) {
  const auto points =
      good_points({"2024-05-01T10:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T08:00:00Z", "2024-05-01T11:00:00Z"});
  RetentionRules rules;
  rules.keep_last = 2;
  const auto decisions = apply_retention(points, rules, utc_zone());
  ASSERT_EQ(decisions.size(), 4u);
  EXPECT_FALSE(decisions[0].keep);
  EXPECT_EQ(describe(decisions[1].reasons), "keep_last,newest");
  EXPECT_FALSE(decisions[2].keep);
  EXPECT_EQ(describe(decisions[3].reasons), "keep_last");
}

TEST(RetentionTest, TiesInTimeAreBrokenByInputOrder) {
  auto points = good_points({"2024-05-01T08:00:00Z", "2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"});
  RetentionRules rules;
  rules.keep_last = 1;
  rules.keep_daily = 1;
  // Points 1 and 2 share a time: the earlier input counts as newer and takes the keeps.
  auto decisions = apply_retention(points, rules, utc_zone());
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_FALSE(decisions[0].keep);
  EXPECT_EQ(describe(decisions[1].reasons), "keep_last,keep_daily,newest");
  EXPECT_FALSE(decisions[2].keep);

  // Same again, and the same with the tied pair told apart by a flag to show which one won.
  EXPECT_EQ(apply_retention(points, rules, utc_zone())[1].reasons, decisions[1].reasons);
  points[2].pinned = true;
  decisions = apply_retention(points, rules, utc_zone());
  EXPECT_EQ(describe(decisions[1].reasons), "keep_last,keep_daily,newest");
  EXPECT_EQ(describe(decisions[2].reasons), "pinned");
}

TEST(RetentionTest, EmptyInputGivesNoDecisions) {
  RetentionRules rules;
  EXPECT_TRUE(apply_retention({}, rules, utc_zone()).empty());
  rules.keep_daily = 3;
  rules.keep_within = hours{1};
  rules.min_keep = 2;
  EXPECT_TRUE(apply_retention({}, rules, utc_zone()).empty());
}

// --- describe -------------------------------------------------------------------------------------------------------

KeepReasons reasons_of(std::initializer_list<KeepReason> list) {
  KeepReasons reasons;
  for (KeepReason reason : list) reasons.add(reason);
  return reasons;
}

TEST(RetentionTest, DescribeNamesEachReason) {
  EXPECT_EQ(describe(KeepReasons{}), "");
  EXPECT_EQ(describe(reasons_of({KeepReason::last})), "keep_last");
  EXPECT_EQ(describe(reasons_of({KeepReason::hourly})), "keep_hourly");
  EXPECT_EQ(describe(reasons_of({KeepReason::daily})), "keep_daily");
  EXPECT_EQ(describe(reasons_of({KeepReason::weekly})), "keep_weekly");
  EXPECT_EQ(describe(reasons_of({KeepReason::monthly})), "keep_monthly");
  EXPECT_EQ(describe(reasons_of({KeepReason::yearly})), "keep_yearly");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_last})), "keep_last:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_hourly})), "keep_hourly:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_daily})), "keep_daily:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_weekly})), "keep_weekly:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_monthly})), "keep_monthly:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_yearly})), "keep_yearly:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::within})), "keep_within");
  EXPECT_EQ(describe(reasons_of({KeepReason::min_keep})), "min_keep");
  EXPECT_EQ(describe(reasons_of({KeepReason::newest})), "newest");
  EXPECT_EQ(describe(reasons_of({KeepReason::pinned})), "pinned");
  EXPECT_EQ(describe(reasons_of({KeepReason::no_rules})), "no_rules");
}

TEST(RetentionTest, DescribeUsesAFixedOrder) {
  EXPECT_EQ(describe(reasons_of({KeepReason::pinned, KeepReason::newest, KeepReason::min_keep, KeepReason::within,
                                 KeepReason::daily, KeepReason::last})),
            "keep_last,keep_daily,keep_within,min_keep,newest,pinned");
  EXPECT_EQ(describe(reasons_of({KeepReason::oldest_daily, KeepReason::yearly, KeepReason::oldest_last})),
            "keep_yearly,keep_last:oldest,keep_daily:oldest");
  EXPECT_EQ(describe(reasons_of({KeepReason::no_rules, KeepReason::oldest_yearly, KeepReason::oldest_monthly,
                                 KeepReason::oldest_weekly, KeepReason::oldest_daily, KeepReason::oldest_hourly,
                                 KeepReason::oldest_last, KeepReason::pinned, KeepReason::newest, KeepReason::min_keep,
                                 KeepReason::within, KeepReason::yearly, KeepReason::monthly, KeepReason::weekly,
                                 KeepReason::daily, KeepReason::hourly, KeepReason::last})),
            "keep_last,keep_hourly,keep_daily,keep_weekly,keep_monthly,keep_yearly,keep_last:oldest,"
            "keep_hourly:oldest,keep_daily:oldest,keep_weekly:oldest,keep_monthly:oldest,keep_yearly:oldest,"
            "keep_within,min_keep,newest,pinned,no_rules");
}

}  // namespace
}  // namespace rpd
