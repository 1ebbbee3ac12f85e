#pragma once
// When to use the cached access token and when to fetch a new one (AZURE.md section 5).
//
// Pure state: no clock is read, no lock is taken and nothing is fetched here. The caller passes "now", holds
// its own mutex around the calls, and does the fetch when told to. One TokenCache per credential.
//
// States (a token is "valid" while now < expires_on; an expired token is never handed out):
//   empty       no token, no fetch in flight, no recent failure      -> fetch_now
//   fresh       valid token, before its refresh time                 -> use_cached
//   due         valid token, at or after its refresh time            -> the first caller gets fetch_now (with the
//                                                                       still-valid token, so that it can refresh
//                                                                       in the background); see in flight
//   in flight   a fetch was started and has not finished             -> use_cached while the token is valid,
//                                                                       else wait_for_refresh (single flight)
//   failing     the last fetch failed, none in flight                -> before retry_at: use_cached while the
//                                                                       token is valid, else wait_until(retry_at);
//                                                                       from retry_at: fetch_now
//
// The refresh time is 5 minutes before expires_on, or refresh_at when that is earlier. A token that lives
// less than twice that margin is refreshed halfway through its life instead, so that a short-lived token does
// not cause a refresh on every call. After n failures in a row the next try waits 30 s * 2^(n-1), capped
// at 60 s: never more often than once per 30 s while failing. invalidate() (after a 401 from Resource
// Manager) drops the token but keeps the failure backoff.

#include <chrono>
#include <optional>
#include <string>

namespace rpd::azure {

using TimePoint = std::chrono::system_clock::time_point;

struct AccessToken {
  std::string value;
  TimePoint expires_on;
  std::optional<TimePoint> refresh_at;  // IMDS's refresh_in, made absolute
};

struct TokenCacheOptions {
  std::chrono::seconds refresh_margin{5 * 60};  // refresh this long before expires_on
  std::chrono::seconds min_retry_delay{30};     // after the first failure
  std::chrono::seconds max_retry_delay{60};     // the cap on the growing delay
};

struct Decision {
  enum class Action {
    use_cached,        // use `token`
    fetch_now,         // this caller starts the single fetch and must report fetch_succeeded or fetch_failed;
                       // `token` is set when the cached token is still valid and may be used meanwhile
    wait_for_refresh,  // another caller's fetch is in flight and there is no valid token: wait for it
    wait_until,        // the last fetch failed and there is no valid token: ask again at `until`
  };
  Action action = Action::fetch_now;
  std::optional<std::string> token;
  TimePoint until{};
};

class TokenCache {
 public:
  TokenCache() = default;
  explicit TokenCache(TokenCacheOptions options) : options_(options) {}

  Decision next(TimePoint now);

  // The fetch started by a fetch_now ended. A token that is already expired at `now` counts as a failure.
  void fetch_succeeded(AccessToken token, TimePoint now);
  void fetch_failed(TimePoint now);

  // Resource Manager answered 401 with the cached token: forget it. A fetch in flight is not affected.
  void invalidate();

  bool fetch_in_flight() const { return in_flight_; }
  int consecutive_failures() const { return failures_; }

 private:
  bool has_valid_token(TimePoint now) const { return token_ && now < token_->expires_on; }

  TokenCacheOptions options_;
  std::optional<AccessToken> token_;
  TimePoint refresh_due_{};
  bool in_flight_ = false;
  int failures_ = 0;
  TimePoint retry_at_{};
};

}  // namespace rpd::azure
