#include "daemon/azure/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace rpd::azure {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

const SteadyTime kStart{std::chrono::hours{1000}};
const std::string kSubA = "11111111-1111-1111-1111-111111111111";
const std::string kSubB = "22222222-2222-2222-2222-222222222222";

TEST(TokenBucket, StartsFullAndEmpties) {
  TokenBucket bucket(3, 10, kStart);
  EXPECT_EQ(bucket.time_until_available(kStart), 0ms);
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_TRUE(bucket.try_take(kStart));
  EXPECT_FALSE(bucket.try_take(kStart));
  EXPECT_EQ(bucket.time_until_available(kStart), 100ms);  // one token at 10/s
}

TEST(TokenBucket, RefillsOverTime) {
  TokenBucket bucket(2, 8, kStart);
  ASSERT_TRUE(bucket.try_take(kStart));
  ASSERT_TRUE(bucket.try_take(kStart));
  EXPECT_EQ(bucket.time_until_available(kStart), 125ms);
  EXPECT_EQ(bucket.time_until_available(kStart + 25ms), 100ms);
  EXPECT_FALSE(bucket.try_take(kStart + 124ms));
  EXPECT_EQ(bucket.time_until_available(kStart + 124ms), 1ms);
  EXPECT_TRUE(bucket.try_take(kStart + 125ms));
  EXPECT_DOUBLE_EQ(bucket.tokens(kStart + 125ms), 0.0);
  // Never above capacity, however long it waits.
  EXPECT_DOUBLE_EQ(bucket.tokens(kStart + 1h), 2.0);
}

TEST(TokenBucket, WaitRoundsUpNeverToZero) {
  TokenBucket bucket(1, 3, kStart);  // a token every 333.3 ms
  ASSERT_TRUE(bucket.try_take(kStart));
  EXPECT_EQ(bucket.time_until_available(kStart), 334ms);
  EXPECT_TRUE(bucket.try_take(kStart + 334ms));
  TokenBucket fast(1, 1e6, kStart);  // a token every microsecond: still "wait 1 ms", never 0 without a token
  ASSERT_TRUE(fast.try_take(kStart));
  EXPECT_EQ(fast.time_until_available(kStart), 1ms);
}

TEST(TokenBucket, TimeGoingBackwardsCountsAsNoTime) {
  TokenBucket bucket(1, 1, kStart);
  ASSERT_TRUE(bucket.try_take(kStart));
  EXPECT_FALSE(bucket.try_take(kStart - 10s));
  EXPECT_EQ(bucket.time_until_available(kStart - 10s), 1000ms);
  EXPECT_TRUE(bucket.try_take(kStart + 1s));
}

TEST(TokenBucket, ReservationsAreServedInOrderEachWaitingOnce) {
  TokenBucket bucket(2, 10, kStart);
  EXPECT_EQ(bucket.reserve(kStart), 0ms);
  EXPECT_EQ(bucket.reserve(kStart), 0ms);
  EXPECT_EQ(bucket.reserve(kStart), 100ms);  // the next token
  EXPECT_EQ(bucket.reserve(kStart), 200ms);  // the one after: each its own
  EXPECT_EQ(bucket.reserve(kStart + 50ms), 250ms);
  EXPECT_FALSE(bucket.try_take(kStart + 300ms)) << "the tokens to come are promised";
  EXPECT_TRUE(bucket.try_take(kStart + 400ms));
}

TEST(SubscriptionThrottle, AReservationWaitsForThePauseWhenItIsLonger) {
  SubscriptionThrottle throttle(ThrottleOptions{.writes = {1, 10}, .writes_per_second = 10});
  EXPECT_EQ(throttle.reserve(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.reserve(kSubA, RequestKind::write, kStart), 100ms);
  throttle.pause_until(kSubA, kStart + 5s);
  EXPECT_EQ(throttle.reserve(kSubA, RequestKind::write, kStart), 5000ms);
  EXPECT_EQ(throttle.pause_remaining(kSubA, kStart + 4s), 1000ms);
  EXPECT_EQ(throttle.pause_remaining(kSubA, kStart + 5s), 0ms);
  EXPECT_EQ(throttle.paused_until(kSubA), std::nullopt);
  EXPECT_EQ(throttle.reserve(kSubB, RequestKind::write, kStart), 0ms) << "another subscription is not held";
}

TEST(TokenBucket, RejectsBrokenConfiguration) {
  EXPECT_THROW(TokenBucket(0, 1, kStart), std::invalid_argument);
  EXPECT_THROW(TokenBucket(10, 0, kStart), std::invalid_argument);
  EXPECT_THROW(TokenBucket(10, -1, kStart), std::invalid_argument);
}

TEST(RequestKind, FromMethodAndHeaders) {
  EXPECT_EQ(request_kind_for_method("GET"), RequestKind::read);
  EXPECT_EQ(request_kind_for_method("head"), RequestKind::read);
  EXPECT_EQ(request_kind_for_method("DELETE"), RequestKind::deletion);
  EXPECT_EQ(request_kind_for_method("PUT"), RequestKind::write);
  EXPECT_EQ(request_kind_for_method("PATCH"), RequestKind::write);
  EXPECT_EQ(request_kind_for_method("POST"), RequestKind::write);

  Headers headers{{"x-ms-ratelimit-remaining-subscription-reads", "11999"},
                  {"X-MS-RateLimit-Remaining-Subscription-Writes", " 7 "},
                  {"x-ms-ratelimit-remaining-subscription-deletes", "many"}};
  EXPECT_EQ(remaining_from(headers, RequestKind::read), 11999);
  EXPECT_EQ(remaining_from(headers, RequestKind::write), 7);
  EXPECT_EQ(remaining_from(headers, RequestKind::deletion), std::nullopt);
  EXPECT_EQ(remaining_from({}, RequestKind::read), std::nullopt);
}

TEST(SubscriptionThrottle, WritesAreCappedByTheConfiguredRate) {
  SubscriptionThrottle throttle(ThrottleOptions{.writes = {2, 10}, .deletes = {2, 10}, .writes_per_second = 8});
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 125ms);  // 8/s, not 10/s
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::deletion, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::deletion, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::deletion, kStart), 125ms);
  // Reads have their own bucket at their own rate.
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart), 0ms);
  // A configured rate above Azure's does not raise it.
  SubscriptionThrottle generous(ThrottleOptions{.writes = {1, 10}, .writes_per_second = 50});
  EXPECT_EQ(generous.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(generous.wait_before(kSubA, RequestKind::write, kStart), 100ms);
}

TEST(SubscriptionThrottle, DefaultBuckets) {
  SubscriptionThrottle throttle;
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::read, kStart), 250.0);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::write, kStart), 200.0);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::deletion, kStart), 200.0);
  for (int i = 0; i < 250; ++i) ASSERT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart), 0ms) << i;
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart), 40ms);  // 25/s
}

TEST(SubscriptionThrottle, AskAgainLoopGetsTheToken) {
  SubscriptionThrottle throttle(ThrottleOptions{.writes = {1, 10}});
  SteadyTime now = kStart;
  ASSERT_EQ(throttle.wait_before(kSubA, RequestKind::write, now), 0ms);
  int waits = 0;
  for (auto wait = throttle.wait_before(kSubA, RequestKind::write, now); wait > 0ms;
       wait = throttle.wait_before(kSubA, RequestKind::write, now)) {
    now += wait;  // what co_await timer(wait) does
    ++waits;
  }
  EXPECT_EQ(waits, 1);
  EXPECT_EQ(now, kStart + 125ms);
}

TEST(SubscriptionThrottle, SubscriptionsCompareCaseInsensitively) {
  SubscriptionThrottle throttle(ThrottleOptions{.writes = {1, 10}});
  EXPECT_EQ(throttle.wait_before("ABCDEF00-0000-0000-0000-000000000000", RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before("abcdef00-0000-0000-0000-000000000000", RequestKind::write, kStart), 125ms);
  throttle.pause_until("ABCDEF00-0000-0000-0000-000000000000", kStart + 5s);
  EXPECT_EQ(throttle.wait_before("abcdef00-0000-0000-0000-000000000000", RequestKind::read, kStart), 5000ms);
}

TEST(SubscriptionThrottle, PauseOnOneSubscriptionDoesNotSlowAnother) {
  SubscriptionThrottle throttle;
  throttle.pause_until(kSubA, kStart + 30s);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 30'000ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart + 10s), 20'000ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::deletion, kStart + 29'999'500us), 1ms);  // rounded up
  for (int i = 0; i < 100; ++i) ASSERT_EQ(throttle.wait_before(kSubB, RequestKind::write, kStart), 0ms) << i;
  // A paused request takes no token: subscription A still has its full bucket when the pause ends.
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::write, kStart), 200.0);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart + 30s), 0ms);
  EXPECT_EQ(throttle.paused_until(kSubA), std::nullopt);  // dropped once over
  EXPECT_EQ(throttle.paused_until(kSubB), std::nullopt);
}

TEST(SubscriptionThrottle, LongerPauseWins) {
  SubscriptionThrottle throttle;
  throttle.pause_until(kSubA, kStart + 20min);
  throttle.pause_until(kSubA, kStart + 10s);  // a later, shorter Retry-After does not cut the 20 minutes short
  EXPECT_EQ(throttle.paused_until(kSubA), kStart + 20min);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart + 1min), milliseconds{19min});
  throttle.pause_until(kSubA, kStart + 30min);
  EXPECT_EQ(throttle.paused_until(kSubA), kStart + 30min);
}

TEST(SubscriptionThrottle, SlowsDownWhenAzureSaysTheBucketIsNearlyEmpty) {
  SubscriptionThrottle throttle;  // writes: 200 at 8/s; threshold 10 % = 20
  throttle.observe(kSubA, RequestKind::write, 150, kStart);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::write, kStart), 200.0);  // plenty left: no change
  throttle.observe(kSubA, RequestKind::write, 20, kStart);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::write, kStart), 200.0);  // at the threshold: no change
  throttle.observe(kSubA, RequestKind::write, 6, kStart);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::write, kStart), 3.0);  // half of what Azure has left
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 0ms);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::write, kStart), 125ms);  // now at the refill rate
  // Other kinds and other subscriptions are untouched.
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::deletion, kStart), 200.0);
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubB, RequestKind::write, kStart), 200.0);
  // Azure at zero: the next request waits a full refill interval.
  throttle.observe(kSubA, RequestKind::read, 0, kStart);
  EXPECT_EQ(throttle.wait_before(kSubA, RequestKind::read, kStart), 40ms);
  // It recovers by refilling, not by a later header.
  EXPECT_DOUBLE_EQ(throttle.tokens(kSubA, RequestKind::read, kStart + 2s), 50.0);
}

}  // namespace
}  // namespace rpd::azure
