#include "core/limits.hpp"

#include <gtest/gtest.h>

#include "core/policy.hpp"
#include "tests/core/test_support.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::cron_in;

TEST(Limits, SampleCoversDenseAndSparseSchedules) {
  EXPECT_EQ(sample_fire_times(cron_in("* * * * *"), at("2026-01-01T00:00:00Z")).size(), 2000u);
  const auto yearly = sample_fire_times(cron_in("@yearly"), at("2026-06-01T00:00:00Z"));
  EXPECT_EQ(yearly.size(), 2u);  // at least two, to see the period
  EXPECT_EQ(shortest_gap(yearly), 365 * 24h);
}

TEST(Limits, ShortestGapSeesTheDstNight) {
  // Every 4 hours in Berlin: on the spring-forward night 00:00 and 04:00 CEST are only 3 hours apart.
  const auto fires = sample_fire_times(cron_in("0 */4 * * *", "Europe/Berlin"), at("2026-03-27T00:00:00Z"));
  EXPECT_EQ(shortest_gap(fires), 3h);
  EXPECT_EQ(shortest_gap({}), 0s);
}

TEST(Limits, DensestHour) {
  const auto fires = sample_fire_times(cron_in("0,20,40,50 9 * * *"), at("2026-01-01T00:00:00Z"));
  const DensestHour densest = densest_hour(fires);
  EXPECT_EQ(densest.creates, 4);
  EXPECT_EQ(format_utc(densest.starting_at), "2026-01-01T09:00:00Z");
  EXPECT_EQ(densest_hour(sample_fire_times(cron_in("0 */4 * * *"), at("2026-01-01T00:00:00Z"))).creates, 1);
}

TEST(Limits, PeakPointsBySimulation) {
  RetentionRules last600;
  last600.keep_last = 600;
  EXPECT_EQ(peak_points(cron_in("0 * * * *"), last600, utc_zone(), at("2026-01-01T00:00:00Z")), 601);  // the 601st before the prune
  RetentionRules calendar;
  calendar.keep_hourly = 400;  // a 4-hourly schedule has only 6 points a day to fill hourly buckets
  calendar.keep_daily = 120;
  const int peak = peak_points(cron_in("0 */4 * * *"), calendar, utc_zone(), at("2026-01-01T00:00:00Z"));
  EXPECT_EQ(peak, 400 + 120 - 67 + 1);  // 400 hourly points cover 67 days, the daily rule adds 53, +1 new
  EXPECT_GT(peak_points_bound(calendar, 4h), 500);
}

TEST(Limits, PeakSimulationStopsOnceAboveTheLimit) {
  RetentionRules last10000;
  last10000.keep_last = 10000;
  EXPECT_EQ(peak_points(cron_in("*/20 * * * *"), last10000, utc_zone(), at("2026-01-01T00:00:00Z"), 20000, 500), 501);
  RetentionRules last3;
  last3.keep_last = 3;  // under the limit: the exact peak
  EXPECT_EQ(peak_points(cron_in("0 * * * *"), last3, utc_zone(), at("2026-01-01T00:00:00Z"), 20000, 500), 4);
}

TEST(Limits, PeakBoundIsAnUpperBound) {
  RetentionRules rules;
  rules.keep_last = 3;
  rules.keep_daily = 7;
  rules.keep_within = 48h;
  rules.min_keep = 2;
  const long long bound = peak_points_bound(rules, 4h);
  EXPECT_EQ(bound, 2 + 4 + 8 + 2 + 13);
  EXPECT_GE(bound, peak_points(cron_in("0 */4 * * *"), rules, utc_zone(), at("2026-01-01T00:00:00Z")));
}

TEST(PolicyNames, CollectionsAndRestorePoints) {
  Policy policy;
  policy.name = "sql-tier1";
  EXPECT_EQ(collection_name_for(policy, "sql01"), "rpc-sql01-sql-tier1");
  policy.collection_name = "{policy}-{vm}-{vm}";
  EXPECT_EQ(collection_name_for(policy, "a"), "sql-tier1-a-a");
  EXPECT_EQ(restore_point_name("sql-tier1", at("2026-11-25T10:00:00Z")), "sql-tier1-20261125T1000Z");
}

}  // namespace
}  // namespace rpd
