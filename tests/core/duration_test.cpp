#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace rpd {
namespace {

using namespace std::chrono_literals;

std::string error_of(std::string_view text) {
  auto parsed = parse_duration(text);
  return parsed ? std::string("(no error)") : parsed.error().message;
}

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("90s").value(), 90s);
  EXPECT_EQ(parse_duration("10m").value(), 10min);
  EXPECT_EQ(parse_duration("4h").value(), 4h);
  EXPECT_EQ(parse_duration("7d").value(), 7 * 24h);
  EXPECT_EQ(parse_duration("2w").value(), 14 * 24h);
  EXPECT_EQ(parse_duration("0s").value(), 0s);
}

TEST(Duration, ParsesCombinations) {
  EXPECT_EQ(parse_duration("1h30m").value(), 90min);
  EXPECT_EQ(parse_duration("1w2d3h4m5s").value(), 9 * 24h + 3h + 4min + 5s);
  EXPECT_EQ(parse_duration("1d12h").value(), 36h);
}

TEST(Duration, RefusesWhatItCannotRead) {
  EXPECT_EQ(error_of(""), "empty duration (write it like 90s, 10m, 4h, 7d, 2w or 1h30m)");
  EXPECT_EQ(error_of("10"), "duration '10': missing unit after 10 (s, m, h, d or w)");
  EXPECT_EQ(error_of("1h30"), "duration '1h30': missing unit after 30 (s, m, h, d or w)");
  EXPECT_EQ(error_of("10x"), "duration '10x': unknown unit 'x' (use s, m, h, d or w)");
  EXPECT_EQ(error_of("5M"), "duration '5M': unknown unit 'M' (use s, m, h, d or w)");
  EXPECT_EQ(error_of("h"), "duration 'h': expected a number at 'h'");
  EXPECT_EQ(error_of("1h 30m"), "duration '1h 30m': expected a number at ' 30m'");
  EXPECT_EQ(error_of("-5m"), "duration '-5m' must not be negative");
  EXPECT_EQ(error_of("30m1h"), "duration '30m1h': units must go from largest to smallest, each once (w d h m s)");
  EXPECT_EQ(error_of("1h1h"), "duration '1h1h': units must go from largest to smallest, each once (w d h m s)");
  EXPECT_EQ(error_of("99999999999999999999s"), "duration '99999999999999999999s' is too large");
  EXPECT_EQ(error_of("100000000w"), "duration '100000000w' is too large");
}

TEST(Duration, FormatsInTheShortestForm) {
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(48h), "2d");
  EXPECT_EQ(format_duration(14 * 24h + 1s), "2w1s");
}

TEST(Duration, FormatReadsBack) {
  for (long long s : {1LL, 59LL, 60LL, 61LL, 3599LL, 3600LL, 86399LL, 86400LL, 604800LL, 1234567LL}) {
    EXPECT_EQ(parse_duration(format_duration(Seconds{s})).value(), Seconds{s}) << s;
  }
}

}  // namespace
}  // namespace rpd
