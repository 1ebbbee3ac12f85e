// Cron schedules across daylight-saving transitions: a skipped local time fires once, right after the gap;
// a repeated local time fires once, at its first occurrence.

#include <gtest/gtest.h>

#include "core/schedule.hpp"
#include "tests/core/test_support.hpp"

namespace rpd {
namespace {

using test::at;
using test::cron_in;
using test::fires;
using Fires = std::vector<std::string>;

std::string slot_of(std::string_view expr, std::string_view zone, std::string_view t) {
  return format_utc(*cron_in(expr, zone).slot_at(at(t)));
}

// Europe/Berlin 2026: 02:00 CET -> 03:00 CEST on 29 March (01:00Z); 03:00 CEST -> 02:00 CET on 25 October (01:00Z).

TEST(DstBerlin, SkippedTimeFiresRightAfterTheGap) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-03-27T12:00:00Z", 3),
            (Fires{"2026-03-28T01:30:00Z",     // 02:30 CET
                   "2026-03-29T01:00:00Z",     // 02:30 does not exist: 03:00 CEST
                   "2026-03-30T00:30:00Z"}));  // 02:30 CEST
}

TEST(DstBerlin, SeveralSkippedTimesFireOnce) {
  EXPECT_EQ(fires("*/15 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3),
            (Fires{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T00:15:00Z"}));
  // 03:00 exists and is the same instant as the end of the gap: still one fire.
  EXPECT_EQ(fires("0,30 2,3 * * *", "Europe/Berlin", "2026-03-28T23:00:00Z", 3),
            (Fires{"2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:00:00Z"}));
}

TEST(DstBerlin, RepeatedTimeFiresAtItsFirstOccurrence) {
  EXPECT_EQ(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2),
            (Fires{"2026-10-25T00:30:00Z",     // 02:30 CEST, the first 02:30
                   "2026-10-26T01:30:00Z"}));  // 02:30 CET
}

TEST(DstBerlin, NoFireDuringTheSecondPassOfTheRepeatedHour) {
  // Half-hourly: 02:00 and 02:30 CEST fire; their repetitions in CET do not; 03:00 CET is next.
  EXPECT_EQ(fires("*/30 * * * *", "Europe/Berlin", "2026-10-24T23:45:00Z", 4),
            (Fires{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z"}));
  // Starting inside the second pass changes nothing.
  EXPECT_EQ(fires("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", 1), (Fires{"2026-10-25T02:00:00Z"}));
}

TEST(DstBerlin, SlotsAcrossTheTransitions) {
  // In the second pass of 02:xx the slot is still the first 02:30.
  EXPECT_EQ(slot_of("30 2 * * *", "Europe/Berlin", "2026-10-25T01:15:00Z"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(slot_of("30 2 * * *", "Europe/Berlin", "2026-10-25T01:45:00Z"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(slot_of("*/30 * * * *", "Europe/Berlin", "2026-10-25T01:45:00Z"), "2026-10-25T00:30:00Z");
  EXPECT_EQ(slot_of("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z"), "2026-03-29T01:00:00Z");
  EXPECT_EQ(slot_of("30 2 * * *", "Europe/Berlin", "2026-03-29T00:59:59Z"), "2026-03-28T01:30:00Z");
}

TEST(DstBerlin, DailyScheduleKeepsWallClockTime) {
  EXPECT_EQ(fires("0 9 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", 2),
            (Fires{"2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"}));
}

// America/New_York 2026: 02:00 EST -> 03:00 EDT on 8 March (07:00Z); 02:00 EDT -> 01:00 EST on 1 November (06:00Z).

TEST(DstNewYork, SkippedTimeFiresRightAfterTheGap) {
  EXPECT_EQ(fires("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", 3),
            (Fires{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"}));
}

TEST(DstNewYork, RepeatedTimeFiresAtItsFirstOccurrence) {
  EXPECT_EQ(fires("30 1 * * *", "America/New_York", "2026-10-31T00:00:00Z", 3),
            (Fires{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}));
  EXPECT_EQ(slot_of("30 1 * * *", "America/New_York", "2026-11-01T06:45:00Z"), "2026-11-01T05:30:00Z");
}

// Australia/Lord_Howe: +10:30 standard, +11:00 summer, a 30-minute shift at 02:00 local.
// 2026: 02:00 -> 01:30 on 5 April (15:00Z on the 4th); 02:00 -> 02:30 on 4 October (15:30Z on the 3rd).

TEST(DstLordHowe, HalfHourGapFiresRightAfterIt) {
  EXPECT_EQ(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-02T00:00:00Z", 3),
            (Fires{"2026-10-02T15:45:00Z",     // 02:15 +10:30
                   "2026-10-03T15:30:00Z",     // 02:15 does not exist: 02:30 +11
                   "2026-10-04T15:15:00Z"}));  // 02:15 +11
}

TEST(DstLordHowe, HalfHourRepetitionFiresOnce) {
  EXPECT_EQ(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-03T00:00:00Z", 3),
            (Fires{"2026-04-03T14:45:00Z",     // 01:45 +11
                   "2026-04-04T14:45:00Z",     // the first 01:45, still +11
                   "2026-04-05T15:15:00Z"}));  // 01:45 +10:30
  EXPECT_EQ(fires("*/10 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:25:00Z", 5),
            (Fires{"2026-04-04T14:30:00Z", "2026-04-04T14:40:00Z", "2026-04-04T14:50:00Z", "2026-04-05T14:30:00Z",
                   "2026-04-05T14:40:00Z"}));
}

// Asia/Kathmandu: +05:45 without DST; it moved from +05:30 at midnight on 1 January 1986, skipping 00:00-00:15.

TEST(Kathmandu, FortyFiveMinuteOffset) {
  EXPECT_EQ(fires("0 9 * * *", "Asia/Kathmandu", "2026-11-25T00:00:00Z", 2),
            (Fires{"2026-11-25T03:15:00Z", "2026-11-26T03:15:00Z"}));
  EXPECT_EQ(slot_of("0 9 * * *", "Asia/Kathmandu", "2026-11-25T03:14:59Z"), "2026-11-24T03:15:00Z");
}

TEST(Kathmandu, FifteenMinuteGapOf1986) {
  EXPECT_EQ(fires("5 0 * * *", "Asia/Kathmandu", "1985-12-30T00:00:00Z", 3),
            (Fires{"1985-12-30T18:35:00Z",     // 00:05 +05:30
                   "1985-12-31T18:30:00Z",     // 00:05 does not exist: 00:15 +05:45
                   "1986-01-01T18:20:00Z"}));  // 00:05 +05:45
}

}  // namespace
}  // namespace rpd
