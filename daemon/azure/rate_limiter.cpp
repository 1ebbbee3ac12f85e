#include "daemon/azure/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rpd::azure {
namespace {

using std::chrono::milliseconds;

// Refill is floating point: a bucket that has gained 0.9999999999 tokens after exactly the computed wait
// must count as having one, or the caller would wait an extra millisecond for rounding noise.
constexpr double kTolerance = 1e-9;

std::string lower_ascii(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

}  // namespace

TokenBucket::TokenBucket(double capacity, double refill_per_second, SteadyTime now)
    : capacity_(capacity), refill_per_second_(refill_per_second), tokens_(capacity), last_refill_(now) {
  if (!(capacity >= 1)) throw std::invalid_argument("token bucket capacity must be at least 1");
  if (!(refill_per_second > 0)) throw std::invalid_argument("token bucket refill rate must be above 0");
}

double TokenBucket::tokens(SteadyTime now) const {
  if (now <= last_refill_) return tokens_;
  double elapsed_seconds = std::chrono::duration<double>(now - last_refill_).count();
  return std::min(capacity_, tokens_ + elapsed_seconds * refill_per_second_);
}

void TokenBucket::refill(SteadyTime now) {
  if (now <= last_refill_) return;
  tokens_ = tokens(now);
  last_refill_ = now;
}

milliseconds TokenBucket::time_until_available(SteadyTime now) const {
  double deficit = 1.0 - tokens(now);
  if (deficit <= kTolerance) return milliseconds{0};
  // Less a hair before rounding up, so that 1.0000000000000009 ms of noise reads as 1 ms, not 2.
  double wait_ms = deficit / refill_per_second_ * 1000.0;
  auto wait = static_cast<milliseconds::rep>(std::ceil(wait_ms - 1e-6));
  return milliseconds{std::max<milliseconds::rep>(wait, 1)};  // 0 would mean "go", which it is not
}

bool TokenBucket::try_take(SteadyTime now) {
  refill(now);
  if (tokens_ + kTolerance < 1.0) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

milliseconds TokenBucket::reserve(SteadyTime now) {
  refill(now);
  tokens_ -= 1.0;
  if (tokens_ >= -kTolerance) return milliseconds{0};
  const auto wait = static_cast<milliseconds::rep>(std::ceil(-tokens_ / refill_per_second_ * 1000.0 - 1e-6));
  return milliseconds{std::max<milliseconds::rep>(wait, 1)};
}

void TokenBucket::limit_tokens(double tokens, SteadyTime now) {
  refill(now);
  tokens_ = std::min(tokens_, std::max(0.0, tokens));
}

RequestKind request_kind_for_method(std::string_view http_method) {
  std::string method = lower_ascii(http_method);
  if (method == "get" || method == "head") return RequestKind::read;
  if (method == "delete") return RequestKind::deletion;
  return RequestKind::write;
}

std::string_view remaining_header_name(RequestKind kind) {
  switch (kind) {
    case RequestKind::read:
      return "x-ms-ratelimit-remaining-subscription-reads";
    case RequestKind::write:
      return "x-ms-ratelimit-remaining-subscription-writes";
    case RequestKind::deletion:
      return "x-ms-ratelimit-remaining-subscription-deletes";
  }
  return "";
}

std::optional<long> remaining_from(const Headers& headers, RequestKind kind) {
  auto value = find_header(headers, remaining_header_name(kind));
  if (!value) return std::nullopt;
  std::string_view text = *value;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() > 9) return std::nullopt;  // Azure's buckets hold hundreds, not billions
  long remaining = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    remaining = remaining * 10 + (c - '0');
  }
  return remaining;
}

SubscriptionThrottle::SubscriptionThrottle(ThrottleOptions options) : options_(options) {}

TokenBucket& SubscriptionThrottle::bucket(std::string_view subscription, RequestKind kind, SteadyTime now) {
  std::string key = lower_ascii(subscription);
  auto found = buckets_.find(key);
  if (found == buckets_.end()) {
    double writes_refill = std::min(options_.writes.refill_per_second, options_.writes_per_second);
    double deletes_refill = std::min(options_.deletes.refill_per_second, options_.writes_per_second);
    Buckets fresh{TokenBucket(options_.reads.capacity, options_.reads.refill_per_second, now),
                  TokenBucket(options_.writes.capacity, writes_refill, now),
                  TokenBucket(options_.deletes.capacity, deletes_refill, now)};
    found = buckets_.emplace(std::move(key), fresh).first;
  }
  switch (kind) {
    case RequestKind::read:
      return found->second.reads;
    case RequestKind::write:
      return found->second.writes;
    case RequestKind::deletion:
      return found->second.deletes;
  }
  return found->second.writes;
}

milliseconds SubscriptionThrottle::wait_before(std::string_view subscription, RequestKind kind, SteadyTime now) {
  if (auto pause = pauses_.find(lower_ascii(subscription)); pause != pauses_.end()) {
    if (now < pause->second) {
      // Round up: waking early would only find the pause still on.
      return std::max(std::chrono::ceil<milliseconds>(pause->second - now), milliseconds{1});
    }
    pauses_.erase(pause);
  }
  TokenBucket& tokens = bucket(subscription, kind, now);
  if (tokens.try_take(now)) return milliseconds{0};
  return tokens.time_until_available(now);
}

milliseconds SubscriptionThrottle::pause_remaining(std::string_view subscription, SteadyTime now) {
  auto pause = pauses_.find(lower_ascii(subscription));
  if (pause == pauses_.end()) return milliseconds{0};
  if (now < pause->second) return std::max(std::chrono::ceil<milliseconds>(pause->second - now), milliseconds{1});
  pauses_.erase(pause);
  return milliseconds{0};
}

milliseconds SubscriptionThrottle::reserve(std::string_view subscription, RequestKind kind, SteadyTime now) {
  const milliseconds token = bucket(subscription, kind, now).reserve(now);
  return std::max(token, pause_remaining(subscription, now));
}

void SubscriptionThrottle::pause_until(std::string_view subscription, SteadyTime until) {
  auto [entry, inserted] = pauses_.try_emplace(lower_ascii(subscription), until);
  if (!inserted) entry->second = std::max(entry->second, until);
}

void SubscriptionThrottle::observe(std::string_view subscription, RequestKind kind, long remaining, SteadyTime now) {
  TokenBucket& tokens = bucket(subscription, kind, now);
  auto remaining_tokens = static_cast<double>(std::max(remaining, 0L));
  if (remaining_tokens >= options_.slowdown_threshold * tokens.capacity()) return;
  tokens.limit_tokens(options_.remaining_share * remaining_tokens, now);
}

double SubscriptionThrottle::tokens(std::string_view subscription, RequestKind kind, SteadyTime now) {
  return bucket(subscription, kind, now).tokens(now);
}

std::optional<SteadyTime> SubscriptionThrottle::paused_until(std::string_view subscription) const {
  auto pause = pauses_.find(lower_ascii(subscription));
  if (pause == pauses_.end()) return std::nullopt;
  return pause->second;
}

}  // namespace rpd::azure
