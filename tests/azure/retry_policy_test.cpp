#include "daemon/azure/retry_policy.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace rpd::azure {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// 2026-11-25 10:30:00 UTC, a Wednesday.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h + 30min;

TEST(RetryPolicy, RetryableStatuses) {
  for (int status : {408, 429, 500, 502, 503, 504}) EXPECT_TRUE(is_retryable(status)) << status;
  for (int status : {200, 201, 202, 204, 301, 304, 400, 401, 403, 404, 409, 410, 412, 413, 422, 499, 501, 505, 599})
    EXPECT_FALSE(is_retryable(status)) << status;
}

TEST(RetryPolicy, RetryableTransportFailures) {
  EXPECT_TRUE(is_retryable(TransportFailure::connect_failed));
  EXPECT_TRUE(is_retryable(TransportFailure::reset_before_response));
  EXPECT_TRUE(is_retryable(TransportFailure::timeout));
  EXPECT_TRUE(is_retryable(TransportFailure::truncated_response));
  EXPECT_TRUE(is_retryable(TransportFailure::malformed_response));
  EXPECT_FALSE(is_retryable(TransportFailure::tls_failed));
  EXPECT_FALSE(is_retryable(TransportFailure::too_large));
  EXPECT_FALSE(is_retryable(TransportFailure::proxy_refused));
  EXPECT_FALSE(is_retryable(TransportFailure::invalid_url));
}

TEST(RetryPolicy, FindHeaderIgnoresCase) {
  Headers headers{{"Content-Type", "application/json"}, {"X-MS-Request-Id", "abc"}};
  EXPECT_EQ(find_header(headers, "x-ms-request-id"), "abc");
  EXPECT_EQ(find_header(headers, "CONTENT-TYPE"), "application/json");
  EXPECT_EQ(find_header(headers, "retry-after"), std::nullopt);
}

TEST(RetryAfter, Seconds) {
  EXPECT_EQ(retry_after({{"Retry-After", "7"}}, kNow), 7000ms);
  EXPECT_EQ(retry_after({{"retry-after", "0"}}, kNow), 0ms);
  EXPECT_EQ(retry_after({{"RETRY-AFTER", " 1200 "}}, kNow), 1'200'000ms);  // a Compute throttle's 20 minutes
}

TEST(RetryAfter, Milliseconds) {
  EXPECT_EQ(retry_after({{"retry-after-ms", "250"}}, kNow), 250ms);
  EXPECT_EQ(retry_after({{"X-MS-Retry-After-MS", "1500"}}, kNow), 1500ms);
}

TEST(RetryAfter, HttpDate) {
  EXPECT_EQ(retry_after({{"Retry-After", "Wed, 25 Nov 2026 10:30:42 GMT"}}, kNow), 42'000ms);
  EXPECT_EQ(retry_after({{"Retry-After", "Thu, 26 Nov 2026 10:30:00 GMT"}}, kNow), milliseconds{24h});
  // A date in the past, or now, means go now.
  EXPECT_EQ(retry_after({{"Retry-After", "Wed, 25 Nov 2026 10:29:00 GMT"}}, kNow), 0ms);
  EXPECT_EQ(retry_after({{"Retry-After", "Wed, 25 Nov 2026 10:30:00 GMT"}}, kNow), 0ms);
  // Sub-millisecond remainders round up, never down.
  EXPECT_EQ(retry_after({{"Retry-After", "Wed, 25 Nov 2026 10:30:01 GMT"}}, kNow + 100us), 1000ms);
}

TEST(RetryAfter, Precedence) {
  Headers all{{"Retry-After", "9"}, {"x-ms-retry-after-ms", "2000"}, {"retry-after-ms", "300"}};
  EXPECT_EQ(retry_after(all, kNow), 300ms);
  Headers two{{"Retry-After", "9"}, {"x-ms-retry-after-ms", "2000"}};
  EXPECT_EQ(retry_after(two, kNow), 2000ms);
  // An unreadable header of higher precedence is skipped, not fatal.
  Headers bad_ms{{"retry-after-ms", "soon"}, {"Retry-After", "9"}};
  EXPECT_EQ(retry_after(bad_ms, kNow), 9000ms);
}

TEST(RetryAfter, GarbageIsNoWait) {
  EXPECT_EQ(retry_after({}, kNow), std::nullopt);
  EXPECT_EQ(retry_after({{"Content-Type", "application/json"}}, kNow), std::nullopt);
  for (const char* value :
       {"", " ", "1.5", "-3", "+3", "soon", "3s", "0x10", "99999999999999999999", "Wed, 25 Nov 2026 10:30:00 UTC",
        "Wed, 31 Feb 2026 10:30:00 GMT", "Wed, 25 Nov 2026 24:00:00 GMT", "Xyz, 25 Nov 2026 10:30:00 GMT",
        "Wednesday, 25-Nov-26 10:30:00 GMT", "Wed Nov 25 10:30:00 2026"}) {
    EXPECT_EQ(retry_after({{"Retry-After", value}}, kNow), std::nullopt) << '"' << value << '"';
  }
  EXPECT_EQ(retry_after({{"retry-after-ms", "1.5"}}, kNow), std::nullopt);
  EXPECT_EQ(retry_after({{"x-ms-retry-after-ms", "-1"}}, kNow), std::nullopt);
}

TEST(HttpDate, ParsesImfFixdate) {
  auto parsed = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->time_since_epoch(), std::chrono::seconds{784111777});
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), std::chrono::sys_days{std::chrono::year{2024} / 2 / 29});
  EXPECT_EQ(parse_http_date("Sun, 06 nov 1994 08:49:37 GMT"), std::nullopt);  // names are case-sensitive
  EXPECT_EQ(parse_http_date("Sun, 6 Nov 1994 08:49:37 GMT"), std::nullopt);
}

TEST(RetryPolicy, ExponentialBackoffWithJitter) {
  RetryPolicy policy;
  EXPECT_EQ(policy.next_delay(0, std::nullopt, 0.0), 640ms);
  EXPECT_EQ(policy.next_delay(0, std::nullopt, 0.5), 800ms);
  EXPECT_EQ(policy.next_delay(0, std::nullopt, 1.0), 960ms);
  EXPECT_EQ(policy.next_delay(1, std::nullopt, 0.0), 1280ms);
  EXPECT_EQ(policy.next_delay(1, std::nullopt, 0.5), 1600ms);
  EXPECT_EQ(policy.next_delay(1, std::nullopt, 1.0), 1920ms);
  EXPECT_EQ(policy.next_delay(2, std::nullopt, 0.0), 2560ms);
  EXPECT_EQ(policy.next_delay(2, std::nullopt, 0.5), 3200ms);
  EXPECT_EQ(policy.next_delay(2, std::nullopt, 1.0), 3840ms);
  // Out-of-range random numbers are clamped.
  EXPECT_EQ(policy.next_delay(0, std::nullopt, -4.0), 640ms);
  EXPECT_EQ(policy.next_delay(0, std::nullopt, 7.0), 960ms);
}

TEST(RetryPolicy, BudgetExhausted) {
  RetryPolicy policy;
  EXPECT_TRUE(policy.next_delay(2, std::nullopt, 0.5));
  EXPECT_EQ(policy.next_delay(3, std::nullopt, 0.5), std::nullopt);
  EXPECT_EQ(policy.next_delay(3, 5s, 0.5), std::nullopt);  // a server wait does not extend the budget
  EXPECT_EQ(RetryPolicy(RetryOptions{.max_retries = 0}).next_delay(0, std::nullopt, 0.5), std::nullopt);
}

TEST(RetryPolicy, CappedAtMaxDelay) {
  RetryPolicy policy(RetryOptions{.max_retries = 100});
  EXPECT_EQ(policy.next_delay(6, std::nullopt, 0.5), 51'200ms);  // 0.8 s * 64, under the cap
  EXPECT_EQ(policy.next_delay(6, std::nullopt, 1.0), 60'000ms);  // 61.44 s jittered, capped
  EXPECT_EQ(policy.next_delay(7, std::nullopt, 0.0), 60'000ms);
  EXPECT_EQ(policy.next_delay(7, std::nullopt, 1.0), 60'000ms);
  EXPECT_EQ(policy.next_delay(99, std::nullopt, 0.5), 60'000ms);  // no overflow
}

TEST(RetryPolicy, ServerRetryAfterWins) {
  RetryPolicy policy;
  EXPECT_EQ(policy.next_delay(0, 5s, 0.0), 5000ms);
  EXPECT_EQ(policy.next_delay(2, 100ms, 1.0), 100ms);                // shorter than the backoff
  EXPECT_EQ(policy.next_delay(1, 20min, 0.5), milliseconds{20min});  // longer than the 60 s cap
  EXPECT_EQ(policy.next_delay(0, 0ms, 0.5), 0ms);
}

TEST(RetryPolicy, NoJitter) {
  RetryPolicy policy(RetryOptions{.jitter_fraction = 0.0});
  EXPECT_EQ(policy.next_delay(0, std::nullopt, 0.0), 800ms);
  EXPECT_EQ(policy.next_delay(2, std::nullopt, 1.0), 3200ms);
}

TEST(ManagedIdentityRetry, RetriesWhatImdsSaysIsPassing) {
  for (int status : {404, 410, 429, 500, 503, 599}) EXPECT_TRUE(is_retryable_for_managed_identity(status)) << status;
  for (int status : {200, 400, 401, 403, 408}) EXPECT_FALSE(is_retryable_for_managed_identity(status)) << status;
}

TEST(ManagedIdentityRetry, BacksOffForAboutTwoMinutes) {
  std::vector<long> delays;
  for (int attempt = 0; auto delay = managed_identity_retry_delay(attempt); ++attempt) delays.push_back(delay->count());
  EXPECT_EQ(delays, (std::vector<long>{0, 2000, 6000, 14000, 30000, 60000}));
  EXPECT_FALSE(managed_identity_retry_delay(-1).has_value());
}

}  // namespace
}  // namespace rpd::azure
