#include "daemon/azure/token_cache.hpp"

#include <gtest/gtest.h>

namespace rpd::azure {
namespace {

using namespace std::chrono_literals;
using Action = Decision::Action;

// 2026-11-25 10:30:00 UTC.
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h + 30min;

AccessToken token(std::string value, TimePoint expires_on, std::optional<TimePoint> refresh_at = std::nullopt) {
  return AccessToken{std::move(value), expires_on, refresh_at};
}

TEST(TokenCache, EmptyCacheFetchesOnceAndOthersWait) {
  TokenCache cache;
  Decision first = cache.next(kNow);
  EXPECT_EQ(first.action, Action::fetch_now);
  EXPECT_FALSE(first.token);
  EXPECT_TRUE(cache.fetch_in_flight());
  Decision second = cache.next(kNow + 1s);
  EXPECT_EQ(second.action, Action::wait_for_refresh);
  EXPECT_FALSE(second.token);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow + 2s);
  EXPECT_FALSE(cache.fetch_in_flight());
  Decision third = cache.next(kNow + 3s);
  EXPECT_EQ(third.action, Action::use_cached);
  EXPECT_EQ(third.token, "t1");
}

TEST(TokenCache, RefreshesFiveMinutesBeforeExpiryWhileTheOldTokenIsStillUsed) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow);
  EXPECT_EQ(cache.next(kNow + 54min + 59s).action, Action::use_cached);

  Decision due = cache.next(kNow + 55min);
  EXPECT_EQ(due.action, Action::fetch_now);
  EXPECT_EQ(due.token, "t1");  // still valid: the refresh can run in the background
  Decision other = cache.next(kNow + 56min);
  EXPECT_EQ(other.action, Action::use_cached);  // single flight, but no waiting while the token is valid
  EXPECT_EQ(other.token, "t1");

  // The refresh is slow and the old token expires: now callers wait.
  EXPECT_EQ(cache.next(kNow + 1h).action, Action::wait_for_refresh);
  cache.fetch_succeeded(token("t2", kNow + 2h), kNow + 1h + 1s);
  EXPECT_EQ(cache.next(kNow + 1h + 1s).token, "t2");
}

TEST(TokenCache, RefreshAtEarlierThanTheMarginWins) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 24h, kNow + 12h), kNow);
  EXPECT_EQ(cache.next(kNow + 12h - 1s).action, Action::use_cached);
  EXPECT_EQ(cache.next(kNow + 12h).action, Action::fetch_now);
}

TEST(TokenCache, RefreshAtLaterThanTheMarginIsIgnored) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h, kNow + 58min), kNow);
  EXPECT_EQ(cache.next(kNow + 55min).action, Action::fetch_now);
}

TEST(TokenCache, ShortLivedTokenIsRefreshedHalfwayThrough) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 8min), kNow);
  EXPECT_EQ(cache.next(kNow + 4min - 1s).action, Action::use_cached);
  EXPECT_EQ(cache.next(kNow + 4min).action, Action::fetch_now);
}

TEST(TokenCache, FailuresBackOffFromThirtySecondsCappedAtSixty) {
  TokenCache cache;
  EXPECT_EQ(cache.next(kNow).action, Action::fetch_now);
  EXPECT_EQ(cache.next(kNow).action, Action::wait_for_refresh);
  cache.fetch_failed(kNow + 1s);
  EXPECT_EQ(cache.consecutive_failures(), 1);

  Decision waiting = cache.next(kNow + 2s);
  EXPECT_EQ(waiting.action, Action::wait_until);
  EXPECT_EQ(waiting.until, kNow + 31s);
  EXPECT_EQ(cache.next(kNow + 30s).action, Action::wait_until);
  EXPECT_EQ(cache.next(kNow + 31s).action, Action::fetch_now);
  cache.fetch_failed(kNow + 31s);
  EXPECT_EQ(cache.next(kNow + 32s).until, kNow + 91s);  // 60 s
  EXPECT_EQ(cache.next(kNow + 91s).action, Action::fetch_now);
  cache.fetch_failed(kNow + 91s);
  EXPECT_EQ(cache.next(kNow + 92s).until, kNow + 151s);  // capped at 60 s
  EXPECT_EQ(cache.next(kNow + 151s).action, Action::fetch_now);

  cache.fetch_succeeded(token("t1", kNow + 2h), kNow + 152s);
  EXPECT_EQ(cache.consecutive_failures(), 0);
  EXPECT_EQ(cache.next(kNow + 153s).token, "t1");
}

TEST(TokenCache, FailedBackgroundRefreshKeepsUsingTheValidToken) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow);
  EXPECT_EQ(cache.next(kNow + 55min).action, Action::fetch_now);
  cache.fetch_failed(kNow + 55min);

  Decision before_retry = cache.next(kNow + 55min + 10s);
  EXPECT_EQ(before_retry.action, Action::use_cached);
  EXPECT_EQ(before_retry.token, "t1");
  Decision retry = cache.next(kNow + 55min + 30s);
  EXPECT_EQ(retry.action, Action::fetch_now);
  EXPECT_EQ(retry.token, "t1");
  cache.fetch_failed(kNow + 59min + 50s);

  // The token expires while failing: it is never handed out again.
  Decision expired = cache.next(kNow + 1h);
  EXPECT_EQ(expired.action, Action::wait_until);
  EXPECT_FALSE(expired.token);
  EXPECT_EQ(expired.until, kNow + 1h + 50s);
}

TEST(TokenCache, ExpiredTokenIsNeverUsed) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow);
  Decision decision = cache.next(kNow + 1h);
  EXPECT_EQ(decision.action, Action::fetch_now);
  EXPECT_FALSE(decision.token);
}

TEST(TokenCache, TokenAlreadyExpiredOnArrivalCountsAsAFailure) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow), kNow);
  EXPECT_EQ(cache.consecutive_failures(), 1);
  EXPECT_FALSE(cache.fetch_in_flight());
  EXPECT_EQ(cache.next(kNow).action, Action::wait_until);
}

TEST(TokenCache, InvalidateAfterUnauthorizedFetchesAgain) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow);
  cache.invalidate();
  Decision decision = cache.next(kNow + 1min);
  EXPECT_EQ(decision.action, Action::fetch_now);
  EXPECT_FALSE(decision.token);
  EXPECT_EQ(cache.next(kNow + 1min).action, Action::wait_for_refresh);
  cache.fetch_succeeded(token("t2", kNow + 2h), kNow + 1min);
  EXPECT_EQ(cache.next(kNow + 1min).token, "t2");
}

TEST(TokenCache, InvalidateWhileFailingKeepsTheBackoff) {
  TokenCache cache;
  (void)cache.next(kNow);
  cache.fetch_succeeded(token("t1", kNow + 1h), kNow);
  (void)cache.next(kNow + 55min);
  cache.fetch_failed(kNow + 55min);
  cache.invalidate();
  Decision decision = cache.next(kNow + 55min + 1s);
  EXPECT_EQ(decision.action, Action::wait_until);
  EXPECT_EQ(decision.until, kNow + 55min + 30s);
}

}  // namespace
}  // namespace rpd::azure
