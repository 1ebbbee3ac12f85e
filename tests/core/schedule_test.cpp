#include "core/schedule.hpp"

#include <gtest/gtest.h>

#include <set>

#include "tests/core/test_support.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::cron_in;
using test::fires;
using Fires = std::vector<std::string>;

std::string slot_of(const Schedule& schedule, std::string_view t) {
  auto slot = schedule.slot_at(at(t));
  return slot ? format_utc(*slot) : "(none)";
}

TEST(IntervalSchedule, FiresFromTheEpochByDefault) {
  auto every4h = Schedule::every(4h).value();
  EXPECT_EQ(fires(every4h, "2026-11-25T10:30:00Z", 3),
            (Fires{"2026-11-25T12:00:00Z", "2026-11-25T16:00:00Z", "2026-11-25T20:00:00Z"}));
  EXPECT_EQ(fires(every4h, "2026-11-25T12:00:00Z", 1), (Fires{"2026-11-25T16:00:00Z"}));
}

TEST(IntervalSchedule, FiresFromItsAnchor) {
  auto every90m = Schedule::every(90min, at("2026-01-01T00:15:00Z")).value();
  EXPECT_EQ(fires(every90m, "2026-01-01T00:00:00Z", 3),
            (Fires{"2026-01-01T00:15:00Z", "2026-01-01T01:45:00Z", "2026-01-01T03:15:00Z"}));
  // Before the anchor the same grid extends backwards.
  EXPECT_EQ(fires(every90m, "2025-12-31T22:00:00Z", 2), (Fires{"2025-12-31T22:45:00Z", "2026-01-01T00:15:00Z"}));
  EXPECT_EQ(slot_of(every90m, "2025-12-31T22:00:00Z"), "2025-12-31T21:15:00Z");
  EXPECT_EQ(slot_of(every90m, "2026-01-01T01:45:00Z"), "2026-01-01T01:45:00Z");
}

TEST(IntervalSchedule, RefusesAnEmptyPeriod) {
  EXPECT_EQ(Schedule::every(0s).error().message, "the interval must be longer than 0s");
}

TEST(Schedule, SlotIsTheLatestFireTimeAtOrBefore) {
  auto schedule = cron_in("0 */4 * * *");
  EXPECT_EQ(slot_of(schedule, "2026-11-25T10:30:00Z"), "2026-11-25T08:00:00Z");
  EXPECT_EQ(slot_of(schedule, "2026-11-25T08:00:00Z"), "2026-11-25T08:00:00Z");
  EXPECT_EQ(slot_of(schedule, "2026-11-25T07:59:59Z"), "2026-11-25T04:00:00Z");
  EXPECT_EQ(slot_of(cron_in("@yearly"), "2026-11-25T07:59:59Z"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(slot_of(cron_in("0 0 29 2 *"), "2031-01-01T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(Schedule, SlotAndNextAgreeEverywhere) {
  // For every minute of a week: next(slot_at(t)) is the first fire time after t.
  for (const char* expr : {"*/7 * * * *", "0 */4 * * *", "30 2 * * *", "0 9 * * MON-FRI"}) {
    for (const char* zone : {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"}) {
      auto schedule = cron_in(expr, zone);
      for (Instant t = at("2026-03-27T00:00:00Z"); t < at("2026-04-07T00:00:00Z"); t += 13min) {
        const auto slot = schedule.slot_at(t);
        ASSERT_TRUE(slot) << expr << " " << zone;
        ASSERT_LE(*slot, t);
        ASSERT_GT(*schedule.next(*slot), t) << expr << " " << zone << " at " << format_utc(t);
      }
    }
  }
}

TEST(Schedule, DescribesItself) {
  EXPECT_EQ(cron_in("0 */4 * * *", "Europe/Berlin").describe(), "cron '0 */4 * * *' in Europe/Berlin");
  EXPECT_EQ(Schedule::every(4h).value().describe(), "every 4h");
  EXPECT_EQ(Schedule::every(90min, at("2026-01-01T00:15:00Z")).value().describe(),
            "every 1h30m from 2026-01-01T00:15:00Z");
}

TEST(ScheduleExpression, ReadsCronAndEvery) {
  const TimeZone utc = utc_zone();
  EXPECT_EQ(parse_schedule_expression("every 4h", utc).value().describe(), "every 4h");
  EXPECT_EQ(parse_schedule_expression("every: 1h30m", utc).value().describe(), "every 1h30m");
  EXPECT_EQ(parse_schedule_expression(" @daily ", utc).value().describe(), "cron '@daily' in UTC");
  EXPECT_EQ(parse_schedule_expression("every 4x", utc).error().message,
            "duration '4x': unknown unit 'x' (use s, m, h, d or w)");
  EXPECT_EQ(parse_schedule_expression("every 0s", utc).error().message, "the interval must be longer than 0s");
  EXPECT_EQ(parse_schedule_expression("0 24 * * *", utc).error().message,
            "invalid cron expression '0 24 * * *': field 2 (hour): 24 is out of range 0-23");
}

TEST(Jitter, IsAStableOffsetInsideTheWindow) {
  const std::string vm = "/subscriptions/0000/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/sql01";
  const Seconds offset = jitter_offset(vm, 10min);
  EXPECT_GE(offset, 0s);
  EXPECT_LT(offset, 10min);
  EXPECT_EQ(jitter_offset(vm, 10min), offset);
  // Azure returns ids in varying case; the offset must not change with it.
  std::string upper = vm;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(jitter_offset(upper, 10min), offset);
  // Fixed forever: a changed hash would move every VM's fire time on upgrade.
  EXPECT_EQ(jitter_offset("vm-a", 1h), jitter_offset("VM-A", 1h));
  EXPECT_EQ(jitter_offset("", 1h), Seconds{14695981039346656037ull % 3600});
  EXPECT_EQ(jitter_offset(vm, 0s), 0s);
}

TEST(Jitter, SpreadsVmsOverTheWindow) {
  std::set<long long> minutes;
  for (int i = 0; i < 1000; ++i) {
    const Seconds offset =
        jitter_offset("/subscriptions/s/resourceGroups/rg/virtualMachines/vm" + std::to_string(i), 10min);
    ASSERT_LT(offset, 10min);
    minutes.insert(std::chrono::duration_cast<std::chrono::minutes>(offset).count());
  }
  EXPECT_EQ(minutes.size(), 10u);  // every minute of the window is used
}

TEST(CatchUp, OnTimeSlotsRunInEitherMode) {
  auto schedule = cron_in("0 */4 * * *");
  for (CatchUp mode : {CatchUp::latest, CatchUp::none}) {
    EXPECT_EQ(due_slot(schedule, at("2026-11-25T04:00:00Z"), at("2026-11-25T08:00:30Z"), mode, 5min),
              at("2026-11-25T08:00:00Z"));
  }
}

TEST(CatchUp, ASlotRunsOnlyOnce) {
  auto schedule = cron_in("0 */4 * * *");
  EXPECT_EQ(due_slot(schedule, at("2026-11-25T08:00:00Z"), at("2026-11-25T08:01:00Z"), CatchUp::latest, 5min),
            std::nullopt);
}

TEST(CatchUp, LatestRunsTheMostRecentMissedSlotOnce) {
  auto schedule = cron_in("0 */4 * * *");
  // Down from 03:00 to 13:30: the 04:00, 08:00 and 12:00 slots were missed; only 12:00 runs.
  EXPECT_EQ(due_slot(schedule, at("2026-11-25T00:00:00Z"), at("2026-11-25T13:30:00Z"), CatchUp::latest, 5min),
            at("2026-11-25T12:00:00Z"));
  EXPECT_EQ(due_slot(schedule, at("2026-11-25T12:00:00Z"), at("2026-11-25T13:30:00Z"), CatchUp::latest, 5min),
            std::nullopt);
}

TEST(CatchUp, NoneWaitsForTheNextSlot) {
  auto schedule = cron_in("0 */4 * * *");
  EXPECT_EQ(due_slot(schedule, at("2026-11-25T00:00:00Z"), at("2026-11-25T13:30:00Z"), CatchUp::none, 5min),
            std::nullopt);
  EXPECT_EQ(due_slot(schedule, at("2026-11-25T00:00:00Z"), at("2026-11-25T16:02:00Z"), CatchUp::none, 5min),
            at("2026-11-25T16:00:00Z"));
}

TEST(CatchUp, AFirstStartFollowsTheMode) {
  auto schedule = cron_in("0 */4 * * *");
  EXPECT_EQ(due_slot(schedule, std::nullopt, at("2026-11-25T13:30:00Z"), CatchUp::latest, 5min),
            at("2026-11-25T12:00:00Z"));
  EXPECT_EQ(due_slot(schedule, std::nullopt, at("2026-11-25T13:30:00Z"), CatchUp::none, 5min), std::nullopt);
}

}  // namespace
}  // namespace rpd
