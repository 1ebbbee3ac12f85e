#include "daemon/commands/retention_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/cli/command_run.hpp"

namespace rpd {
namespace {

CommandRun retention(RetentionOptions options, const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out, err;
  const int code = run_retention(options, in, out, err);
  return {code, out.str(), err.str()};
}

TEST(RetentionCommand, PrintsEveryPointNewestFirstWithItsReasons) {
  RetentionOptions options;
  options.rules.keep_daily = 2;
  const CommandRun run = retention(options,
                                   "2026-11-23T10:00:00Z\n"
                                   "2026-11-24T10:00:00Z\n"
                                   "2026-11-24T22:00:00Z\n"
                                   "\n"
                                   "2026-11-25T12:00:00+02:00\n");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out,
            "2026-11-25T10:00:00Z keep keep_daily,newest\n"
            "2026-11-24T22:00:00Z keep keep_daily\n"
            "2026-11-24T10:00:00Z prune\n"
            "2026-11-23T10:00:00Z prune\n");
}

TEST(RetentionCommand, KeepWithinAndMinKeep) {
  RetentionOptions options;
  options.keep_within = "1d";
  options.rules.min_keep = 3;
  const CommandRun run =
      retention(options, "2026-11-20T00:00:00Z\n2026-11-24T12:00:00Z\n2026-11-25T00:00:00Z\n2026-11-10T00:00:00Z\n");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out,
            "2026-11-25T00:00:00Z keep keep_within,min_keep,newest\n"
            "2026-11-24T12:00:00Z keep keep_within,min_keep\n"
            "2026-11-20T00:00:00Z keep min_keep\n"
            "2026-11-10T00:00:00Z prune\n");
}

TEST(RetentionCommand, BucketsFollowTheTimeZone) {
  RetentionOptions options;
  options.rules.keep_daily = 1;
  options.timezone = "Europe/Berlin";
  // 23:30Z is already the 26th in Berlin, so the two points are on different days there.
  const CommandRun run = retention(options, "2026-11-25T22:00:00Z\n2026-11-25T23:30:00Z\n");
  EXPECT_EQ(run.out,
            "2026-11-25T23:30:00Z keep keep_daily,newest\n"
            "2026-11-25T22:00:00Z prune\n");
}

TEST(RetentionCommand, BadLinesAreReportedWithTheirNumbersAndNoPlanIsPrinted) {
  RetentionOptions options;
  options.rules.keep_last = 1;
  const CommandRun run = retention(options, "2026-11-25T00:00:00Z\nnot a time\n\n2026-11-25T00:00:00\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "restorepointd retention: line 2: 'not a time' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z\n"
            "restorepointd retention: line 4: '2026-11-25T00:00:00' has no time zone: end it with Z or an offset "
            "such as +02:00\n");
}

TEST(RetentionCommand, ExplainsBadOptions) {
  RetentionOptions options;
  options.keep_within = "2 days";
  EXPECT_EQ(retention(options, "").err,
            "restorepointd retention: --keep-within: duration '2 days': unknown unit ' ' (use s, m, h, d or w)\n");
  options.keep_within.reset();
  options.timezone = "Nowhere";
  EXPECT_EQ(retention(options, "").err,
            "restorepointd retention: --timezone: unknown time zone 'Nowhere' (use an IANA name such as "
            "Europe/Berlin)\n");
}

TEST(RetentionCommand, EmptyRulesKeepEverything) {
  const CommandRun run = retention({}, "2026-11-25T00:00:00Z\n2026-11-24T00:00:00Z\n");
  EXPECT_EQ(run.out,
            "2026-11-25T00:00:00Z keep no_rules\n"
            "2026-11-24T00:00:00Z keep no_rules\n");
}

TEST(RetentionCommand, NoInputNoOutput) {
  RetentionOptions options;
  options.rules.keep_last = 1;
  const CommandRun run = retention(options, "");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out, "");
}

}  // namespace
}  // namespace rpd
