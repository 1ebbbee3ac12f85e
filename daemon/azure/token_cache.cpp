#include "daemon/azure/token_cache.hpp"

#include <algorithm>
#include <utility>

namespace rpd::azure {

Decision TokenCache::next(TimePoint now) {
  Decision decision;
  bool valid = has_valid_token(now);
  if (valid) decision.token = token_->value;

  if (in_flight_) {
    decision.action = valid ? Decision::Action::use_cached : Decision::Action::wait_for_refresh;
    if (!valid) decision.token.reset();
    return decision;
  }
  if (failures_ > 0 && now < retry_at_) {
    decision.action = valid ? Decision::Action::use_cached : Decision::Action::wait_until;
    if (!valid) decision.until = retry_at_;
    return decision;
  }
  if (valid && now < refresh_due_) {
    decision.action = Decision::Action::use_cached;
    return decision;
  }
  decision.action = Decision::Action::fetch_now;
  in_flight_ = true;
  return decision;
}

void TokenCache::fetch_succeeded(AccessToken token, TimePoint now) {
  if (now >= token.expires_on) {
    fetch_failed(now);
    return;
  }
  in_flight_ = false;
  failures_ = 0;
  auto lifetime = token.expires_on - now;
  TimePoint due = lifetime > 2 * options_.refresh_margin ? token.expires_on - options_.refresh_margin
                                                         : now + lifetime / 2;
  if (token.refresh_at) due = std::min(due, *token.refresh_at);
  refresh_due_ = due;
  token_ = std::move(token);
}

void TokenCache::fetch_failed(TimePoint now) {
  in_flight_ = false;
  ++failures_;
  auto delay = options_.min_retry_delay;
  for (int i = 1; i < failures_ && delay < options_.max_retry_delay; ++i) delay *= 2;
  retry_at_ = now + std::min(delay, options_.max_retry_delay);
}

void TokenCache::invalidate() { token_.reset(); }

}  // namespace rpd::azure
