#include "core/cron.hpp"

#include <gtest/gtest.h>

#include "tests/core/test_support.hpp"

namespace rpd {
namespace {

using test::cron_error;
using test::fires;
using Fires = std::vector<std::string>;

TEST(Cron, EveryMinuteAndSteps) {
  EXPECT_EQ(fires("* * * * *", "UTC", "2026-01-01T00:07:30Z", 2),
            (Fires{"2026-01-01T00:08:00Z", "2026-01-01T00:09:00Z"}));
  EXPECT_EQ(fires("*/15 * * * *", "UTC", "2026-01-01T00:07:00Z", 4),
            (Fires{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}));
  EXPECT_EQ(fires("0 */4 * * *", "UTC", "2026-01-01T03:59:59Z", 3),
            (Fires{"2026-01-01T04:00:00Z", "2026-01-01T08:00:00Z", "2026-01-01T12:00:00Z"}));
}

TEST(Cron, FireTimesAreStrictlyAfterTheStart) {
  EXPECT_EQ(fires("0 * * * *", "UTC", "2026-01-01T04:00:00Z", 1), (Fires{"2026-01-01T05:00:00Z"}));
}

TEST(Cron, ListsRangesAndRangeSteps) {
  EXPECT_EQ(fires("0,30 9 * * *", "UTC", "2026-01-01T00:00:00Z", 3),
            (Fires{"2026-01-01T09:00:00Z", "2026-01-01T09:30:00Z", "2026-01-02T09:00:00Z"}));
  EXPECT_EQ(fires("0 9-11 * * *", "UTC", "2026-01-01T00:00:00Z", 4),
            (Fires{"2026-01-01T09:00:00Z", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z", "2026-01-02T09:00:00Z"}));
  EXPECT_EQ(fires("0 1-10/3 * * *", "UTC", "2026-01-01T00:00:00Z", 5),
            (Fires{"2026-01-01T01:00:00Z", "2026-01-01T04:00:00Z", "2026-01-01T07:00:00Z", "2026-01-01T10:00:00Z",
                   "2026-01-02T01:00:00Z"}));
  // `a/n` runs from a to the field's end.
  EXPECT_EQ(fires("5/20 * * * *", "UTC", "2026-01-01T00:00:00Z", 4),
            (Fires{"2026-01-01T00:05:00Z", "2026-01-01T00:25:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:05:00Z"}));
  EXPECT_EQ(fires("0 0 1,15 * *", "UTC", "2026-01-02T00:00:00Z", 3),
            (Fires{"2026-01-15T00:00:00Z", "2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z"}));
}

TEST(Cron, MonthAndWeekdayNamesInAnyCase) {
  // 2026-11-25 is a Wednesday.
  EXPECT_EQ(fires("0 12 * * MON-FRI", "UTC", "2026-11-27T13:00:00Z", 2),
            (Fires{"2026-11-30T12:00:00Z", "2026-12-01T12:00:00Z"}));
  EXPECT_EQ(fires("0 12 * * sat,Sun", "UTC", "2026-11-25T00:00:00Z", 2),
            (Fires{"2026-11-28T12:00:00Z", "2026-11-29T12:00:00Z"}));
  EXPECT_EQ(fires("0 0 1 jan,JUL *", "UTC", "2026-11-25T00:00:00Z", 2),
            (Fires{"2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 1 MAR-MAY/2 *", "UTC", "2026-11-25T00:00:00Z", 2),
            (Fires{"2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z"}));
}

TEST(Cron, SevenIsSundayAndSatSunIsAWeekend) {
  EXPECT_EQ(fires("0 0 * * 7", "UTC", "2026-11-25T00:00:00Z", 2),
            (Fires{"2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * 0", "UTC", "2026-11-25T00:00:00Z", 1), (Fires{"2026-11-29T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * SAT-SUN", "UTC", "2026-11-25T00:00:00Z", 3),
            (Fires{"2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z", "2026-12-05T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 * * 5-7", "UTC", "2026-11-25T00:00:00Z", 3),
            (Fires{"2026-11-27T00:00:00Z", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z"}));
}

TEST(Cron, BothDayFieldsRestrictedMeansEither) {
  // Every 13th and every Friday (Vixie cron's rule). December 2026: Fridays 4, 11, 18, 25; the 13th is a Sunday.
  EXPECT_EQ(fires("0 0 13 * FRI", "UTC", "2026-12-01T00:00:00Z", 5),
            (Fires{"2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z", "2026-12-18T00:00:00Z",
                   "2026-12-25T00:00:00Z"}));
}

TEST(Cron, AStarredDayFieldMeansBoth) {
  // `*/2` starts with `*`, so Vixie cron ANDs: odd days that are Mondays. Mondays: Nov 2, 9, 16, 23, 30; Dec 7, 14, 21.
  EXPECT_EQ(fires("0 0 */2 * MON", "UTC", "2026-11-01T00:00:00Z", 4),
            (Fires{"2026-11-09T00:00:00Z", "2026-11-23T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-21T00:00:00Z"}));
}

TEST(Cron, Macros) {
  const char* from = "2026-11-25T10:30:00Z";
  EXPECT_EQ(fires("@yearly", "UTC", from, 1), (Fires{"2027-01-01T00:00:00Z"}));
  EXPECT_EQ(fires("@annually", "UTC", from, 1), (Fires{"2027-01-01T00:00:00Z"}));
  EXPECT_EQ(fires("@monthly", "UTC", from, 1), (Fires{"2026-12-01T00:00:00Z"}));
  EXPECT_EQ(fires("@weekly", "UTC", from, 1), (Fires{"2026-11-29T00:00:00Z"}));
  EXPECT_EQ(fires("@daily", "UTC", from, 1), (Fires{"2026-11-26T00:00:00Z"}));
  EXPECT_EQ(fires("@midnight", "UTC", from, 1), (Fires{"2026-11-26T00:00:00Z"}));
  EXPECT_EQ(fires("@hourly", "UTC", from, 1), (Fires{"2026-11-25T11:00:00Z"}));
}

TEST(Cron, SparseDaysAreFound) {
  EXPECT_EQ(fires("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z", 2),
            (Fires{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 31 * *", "UTC", "2026-11-01T00:00:00Z", 3),
            (Fires{"2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z", "2027-03-31T00:00:00Z"}));
  // 29 February or any Monday in February: the weekday keeps it frequent.
  EXPECT_EQ(fires("0 0 29 2 MON", "UTC", "2026-03-01T00:00:00Z", 1), (Fires{"2027-02-01T00:00:00Z"}));
}

TEST(Cron, ExtraWhitespaceIsFine) {
  EXPECT_EQ(fires("  0   12 * *\tMON ", "UTC", "2026-11-25T00:00:00Z", 1), (Fires{"2026-11-30T12:00:00Z"}));
}

TEST(Cron, ErrorsNameTheFieldAndTheReason) {
  EXPECT_EQ(cron_error(""), "empty cron expression");
  EXPECT_EQ(cron_error("* * * *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(cron_error("* * * * * *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
  EXPECT_EQ(cron_error("60 * * * *"), "field 1 (minute): 60 is out of range 0-59");
  EXPECT_EQ(cron_error("0 24 * * *"), "field 2 (hour): 24 is out of range 0-23");
  EXPECT_EQ(cron_error("0 0 0 * *"), "field 3 (day-of-month): 0 is out of range 1-31");
  EXPECT_EQ(cron_error("0 0 32 * *"), "field 3 (day-of-month): 32 is out of range 1-31");
  EXPECT_EQ(cron_error("0 0 * 13 *"), "field 4 (month): 13 is out of range 1-12");
  EXPECT_EQ(cron_error("0 0 * * 8"), "field 5 (day-of-week): 8 is out of range 0-7");
  EXPECT_EQ(cron_error("0 0 * FOO *"), "field 4 (month): unknown name 'FOO'");
  EXPECT_EQ(cron_error("0 0 * * MON-XYZ"), "field 5 (day-of-week): unknown name 'XYZ'");
  EXPECT_EQ(cron_error("0 JAN * * *"), "field 2 (hour): 'JAN' is not a number");
  EXPECT_EQ(cron_error("abc * * * *"), "field 1 (minute): 'abc' is not a number");
  EXPECT_EQ(cron_error("5x * * * *"), "field 1 (minute): '5x' is not a number");
  EXPECT_EQ(cron_error("*/0 * * * *"), "field 1 (minute): step must be at least 1, got 0");
  EXPECT_EQ(cron_error("*/x * * * *"), "field 1 (minute): step 'x' is not a number");
  EXPECT_EQ(cron_error("*/ * * * *"), "field 1 (minute): step '' is not a number");
  EXPECT_EQ(cron_error("*/61 * * * *"), "field 1 (minute): step 61 is larger than the field's range 0-59");
  EXPECT_EQ(cron_error("30-10 * * * *"), "field 1 (minute): range '30-10' goes backwards");
  EXPECT_EQ(cron_error("0 0 * * FRI-MON"), "field 5 (day-of-week): range 'FRI-MON' goes backwards");
  EXPECT_EQ(cron_error("1,,2 * * * *"), "field 1 (minute): empty list item in '1,,2'");
  EXPECT_EQ(cron_error("1- * * * *"), "field 1 (minute): missing value");
  EXPECT_EQ(cron_error("-5 * * * *"), "field 1 (minute): missing value");
  EXPECT_EQ(cron_error("@reboot"),
            "unknown macro '@reboot' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
  EXPECT_EQ(cron_error("@daily 5"), "expected 5 fields (minute hour day-of-month month day-of-week), got 2");
}

TEST(Cron, ExpressionsThatNeverFireAreRefused) {
  const std::string never = "never fires: no month in the month field has any of the days in the day-of-month field";
  EXPECT_EQ(cron_error("0 0 30 2 *"), never);
  EXPECT_EQ(cron_error("0 0 31 4,6,9,11 *"), never);
  // With a weekday as well, either field may match, so these do fire.
  EXPECT_EQ(cron_error("0 0 30 2 MON"), "(no error)");
  EXPECT_EQ(cron_error("0 0 29 2 *"), "(no error)");
}

TEST(Cron, MatchesDaysByVixieRule) {
  auto either = CronExpr::parse("0 0 13 * FRI").value();
  EXPECT_TRUE(either.matches_day(date::year{2026} / 12 / 13));   // a Sunday, but the 13th
  EXPECT_TRUE(either.matches_day(date::year{2026} / 12 / 4));    // a Friday
  EXPECT_FALSE(either.matches_day(date::year{2026} / 12 / 14));  // neither
  auto both = CronExpr::parse("0 0 13 * *").value();
  EXPECT_FALSE(both.matches_day(date::year{2026} / 12 / 4));
}

TEST(Cron, PreviousMatchWalksBackwards) {
  auto expr = CronExpr::parse("0 0 29 2 *").value();
  const auto local = date::local_days{date::year{2031} / 1 / 1};
  EXPECT_EQ(expr.previous_match(local), date::local_seconds{date::local_days{date::year{2028} / 2 / 29}});
  auto hourly = CronExpr::parse("15 * * * *").value();
  const auto noon = date::local_days{date::year{2026} / 1 / 1} + std::chrono::hours{12};
  EXPECT_EQ(hourly.previous_match(noon), noon - std::chrono::minutes{45});
  EXPECT_EQ(hourly.previous_match(noon + std::chrono::minutes{15}), noon + std::chrono::minutes{15});
}

}  // namespace
}  // namespace rpd
