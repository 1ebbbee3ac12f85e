#pragma once
// Client-side throttling per subscription, so that a thousand jobs do not all hammer one subscription
// (AZURE.md section 4: Resource Manager keeps a token bucket per subscription and principal; reads 250 at
// 25/s, writes and deletes 200 at 10/s).
//
// Pure: time is a parameter (steady_clock), nothing here sleeps. A request coroutine asks and waits:
//
//   for (auto wait = throttle.wait_before(subscription, kind, clock.now()); wait > 0ms;
//        wait = throttle.wait_before(subscription, kind, clock.now())) {
//     co_await timer(wait);
//   }
//
// Asking again after the wait (rather than assuming the token is now ours) is what keeps it right when
// several coroutines wake at once, or when a 429 paused the subscription in the meantime. The client itself
// uses reserve(), which hands tokens out in order: with hundreds of requests waiting, asking again would
// wake all of them for every token.
// Not thread-safe: the client runs on one io_context thread.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/azure/retry_policy.hpp"

namespace rpd::azure {

using SteadyTime = std::chrono::steady_clock::time_point;

// A bucket that starts full, holds at most `capacity` tokens and gains `refill_per_second` tokens a second.
// Refill is computed lazily from the time passed in; a time earlier than one already seen counts as no time.
class TokenBucket {
 public:
  // capacity >= 1 and refill_per_second > 0, or std::invalid_argument (configuration checks come first).
  TokenBucket(double capacity, double refill_per_second, SteadyTime now);

  // 0 when a token is there now; otherwise how long until one is, rounded up to a whole millisecond.
  std::chrono::milliseconds time_until_available(SteadyTime now) const;
  // Takes a token when there is one.
  bool try_take(SteadyTime now);
  // Takes the next token, now or in the future (the bucket goes into debt): how long until it is there.
  // Callers that reserve are served in the order they asked, each woken once.
  std::chrono::milliseconds reserve(SteadyTime now);
  // Lowers the tokens to at most `tokens` (never raises them).
  void limit_tokens(double tokens, SteadyTime now);

  double tokens(SteadyTime now) const;
  double capacity() const { return capacity_; }
  double refill_per_second() const { return refill_per_second_; }

 private:
  void refill(SteadyTime now);

  double capacity_;
  double refill_per_second_;
  double tokens_;
  SteadyTime last_refill_;
};

// Resource Manager counts reads, writes and deletes in separate buckets.
enum class RequestKind { read, write, deletion };

// GET and HEAD are reads, DELETE is a deletion, everything else (PUT, PATCH, POST) a write.
RequestKind request_kind_for_method(std::string_view http_method);

// "x-ms-ratelimit-remaining-subscription-reads" / "-writes" / "-deletes".
std::string_view remaining_header_name(RequestKind kind);

// What that header says, when it is present and a non-negative integer.
std::optional<long> remaining_from(const Headers& headers, RequestKind kind);

struct BucketRates {
  double capacity;
  double refill_per_second;
};

struct ThrottleOptions {
  BucketRates reads{250, 25};
  BucketRates writes{200, 10};
  BucketRates deletes{200, 10};
  // limits.writes_per_second from the settings: lowers the refill of writes AND deletes (both are changes,
  // both are 10/s at Azure, and the setting exists to stay under Azure's limit). Never raises it.
  double writes_per_second = 8;
  // When Azure says fewer than this fraction of a bucket's capacity remains, slow down (see observe).
  double slowdown_threshold = 0.1;
  // ... by keeping at most this share of what remains as local tokens: the rest is left for other
  // processes sharing the principal and for the requests already in flight.
  double remaining_share = 0.5;
};

class SubscriptionThrottle {
 public:
  explicit SubscriptionThrottle(ThrottleOptions options = {});

  // 0: go now, a token was taken. Otherwise wait that long and ask again. Subscriptions compare
  // case-insensitively (Azure returns ids in varying case).
  std::chrono::milliseconds wait_before(std::string_view subscription, RequestKind kind, SteadyTime now);

  // Reserves this request's token (see TokenBucket::reserve): how long to wait for it, or for a pause of
  // the subscription when that is longer. After the wait, only pause_remaining needs asking: the token is
  // this request's. Many waiting requests then cost one wake-up each, not one per token handed out.
  std::chrono::milliseconds reserve(std::string_view subscription, RequestKind kind, SteadyTime now);
  // How long the subscription's pause (a 429) still holds; 0 when there is none.
  std::chrono::milliseconds pause_remaining(std::string_view subscription, SteadyTime now);

  // Azure answered 429: hold every request to this subscription (every kind) until `until`. A later pause
  // extends an earlier one; an earlier one does not shorten it. Other subscriptions are unaffected.
  void pause_until(std::string_view subscription, SteadyTime until);

  // Azure's x-ms-ratelimit-remaining-subscription-* header said `remaining`. Below the threshold, the local
  // bucket is lowered to remaining_share * remaining tokens, so the requests that are left trickle out at
  // the refill rate instead of in one burst that ends in a 429. At or above it, nothing changes.
  void observe(std::string_view subscription, RequestKind kind, long remaining, SteadyTime now);

  // For tests and metrics: the local tokens of one bucket, and the end of the last pause (maybe past).
  double tokens(std::string_view subscription, RequestKind kind, SteadyTime now);
  std::optional<SteadyTime> paused_until(std::string_view subscription) const;

 private:
  struct Buckets {
    TokenBucket reads;
    TokenBucket writes;
    TokenBucket deletes;
  };

  // The buckets are made full on a subscription's first request; both maps are keyed by the lower-case id.
  TokenBucket& bucket(std::string_view subscription, RequestKind kind, SteadyTime now);

  ThrottleOptions options_;
  std::map<std::string, Buckets, std::less<>> buckets_;
  std::map<std::string, SteadyTime, std::less<>> pauses_;  // entries past their end are dropped when seen
};

}  // namespace rpd::azure
