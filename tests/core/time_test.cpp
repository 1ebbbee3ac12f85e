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
