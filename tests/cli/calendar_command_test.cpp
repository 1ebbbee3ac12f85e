#include "daemon/commands/calendar_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/cli/command_run.hpp"

namespace rpd {
namespace {

// Runs the command as if it were 2026-11-25T10:30:00Z.
CommandRun calendar(std::string expression, int count = 5, std::string timezone = "UTC",
                    std::optional<std::string> from = std::nullopt) {
  CalendarOptions options;
  options.expression = std::move(expression);
  options.count = count;
  options.timezone = std::move(timezone);
  options.from = std::move(from);
  std::ostringstream out, err;
  const int code = run_calendar(options, parse_timestamp("2026-11-25T10:30:00Z").value(), out, err);
  return {code, out.str(), err.str()};
}

TEST(CalendarCommand, PrintsFireTimesAfterNow) {
  const CommandRun run = calendar("0 */4 * * *", 3);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "2026-11-25T12:00:00Z\n2026-11-25T16:00:00Z\n2026-11-25T20:00:00Z\n");
  EXPECT_EQ(run.err, "");
}

TEST(CalendarCommand, ReadsCronInTheGivenZoneFromTheGivenTime) {
  const CommandRun run = calendar("30 2 * * *", 2, "Europe/Berlin", "2026-03-28T12:00:00Z");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "2026-03-29T01:00:00Z\n2026-03-30T00:30:00Z\n");
}

TEST(CalendarCommand, TakesIntervals) {
  const CommandRun run = calendar("every 90m", 2, "UTC", "2026-01-01T00:00:00Z");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "2026-01-01T01:30:00Z\n2026-01-01T03:00:00Z\n");
}

TEST(CalendarCommand, ExplainsEachBadArgument) {
  EXPECT_EQ(calendar("0 24 * * *").err,
            "restorepointd calendar: invalid cron expression '0 24 * * *': field 2 (hour): 24 is out of range 0-23\n");
  EXPECT_EQ(calendar("@daily", 5, "Europe/Berlln").err,
            "restorepointd calendar: --timezone: unknown time zone 'Europe/Berlln' (use an IANA name such as "
            "Europe/Berlin)\n");
  EXPECT_EQ(calendar("@daily", 5, "UTC", "tomorrow").err,
            "restorepointd calendar: --from: 'tomorrow' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z\n");
  EXPECT_EQ(calendar("@daily", 0).err, "restorepointd calendar: --count: must be at least 1, got 0\n");
  EXPECT_EQ(calendar("every 4").exit_code, 1);
  EXPECT_EQ(calendar("every 4").out, "");
}

}  // namespace
}  // namespace rpd
