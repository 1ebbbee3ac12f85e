#include "core/time.hpp"

#include <gtest/gtest.h>

#include <date/tz.h>

namespace rpd {
namespace {

std::string error_of(std::string_view text) {
  auto parsed = parse_timestamp(text);
  return parsed ? std::string("(no error)") : parsed.error().message;
}

TEST(Timestamp, ParsesUtcAndOffsets) {
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-29T01:00:00Z").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-29T03:00:00+02:00").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-29T03:00:00+0200").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-28T20:15:00-04:45").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-29T01:00Z").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-03-29 01:00:00Z").value()), "2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("  2026-03-29t01:00:00z\r").value()), "2026-03-29T01:00:00Z");
}

TEST(Timestamp, DropsFractionalSeconds) {
  // Azure's timeCreated carries seven digits of fraction and an offset.
  EXPECT_EQ(format_utc(parse_timestamp("2021-01-27T20:35:05.8401519+00:00").value()), "2021-01-27T20:35:05Z");
  EXPECT_EQ(format_utc(parse_timestamp("2021-01-27T20:35:05.999Z").value()), "2021-01-27T20:35:05Z");
}

TEST(Timestamp, FarYearsDoNotOverflow) {
  // Found by the fuzzer: year 1013 overflowed a nanosecond clock inside the parser.
  EXPECT_EQ(format_utc(parse_timestamp("1013-01-01T02:00:00Z").value()), "1013-01-01T02:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("9999-12-31T23:59:59.9999999Z").value()), "9999-12-31T23:59:59Z");
  EXPECT_EQ(error_of("1013-01-01T02:00:00"), "'1013-01-01T02:00:00' has no time zone: end it with Z or an offset such as +02:00");
  EXPECT_EQ(error_of("+10000-01-01T00:00:00Z"),
            "'+10000-01-01T00:00:00Z' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
}

TEST(Timestamp, MalformedOffsetsAreRefused) {
  // Found by the fuzzer: date's own %z parsing negated an unset offset on input like this.
  EXPECT_EQ(error_of("2026-01-01T02:00:00- las0t 5:0"),
            "'2026-01-01T02:00:00- las0t 5:0' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  EXPECT_EQ(error_of("2026-01-01T02:00:00+24:00"),
            "'2026-01-01T02:00:00+24:00' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  EXPECT_EQ(format_utc(parse_timestamp("2026-01-01T02:00:00+02").value()), "2026-01-01T00:00:00Z");
}

TEST(Timestamp, RefusesAmbiguousOrMalformedText) {
  EXPECT_EQ(error_of(""), "empty timestamp");
  EXPECT_EQ(error_of("2026-03-29T01:00:00"),
            "'2026-03-29T01:00:00' has no time zone: end it with Z or an offset such as +02:00");
  EXPECT_EQ(error_of("yesterday"), "'yesterday' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  EXPECT_EQ(error_of("2026-03-29 01:00"),
            "'2026-03-29 01:00' has no time zone: end it with Z or an offset such as +02:00");
  EXPECT_EQ(error_of("2026-13-01T00:00:00Z"),
            "'2026-13-01T00:00:00Z' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  EXPECT_EQ(error_of("2026-03-29T01:00:00Zjunk"),
            "'2026-03-29T01:00:00Zjunk' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
}

TEST(TimeZone, FindsIanaZonesAndNamesUnknownOnes) {
  EXPECT_EQ(find_time_zone("Europe/Berlin").value()->name(), "Europe/Berlin");
  EXPECT_EQ(utc_zone()->name(), "UTC");
  EXPECT_EQ(find_time_zone("Mars/Olympus").error().message,
            "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)");
  EXPECT_EQ(find_time_zone("").error().message, "empty time zone name");
}

}  // namespace
}  // namespace rpd
