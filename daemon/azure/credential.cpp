#include "daemon/azure/credential.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rpd::azure {

namespace asio = boost::asio;

struct Credential::State {
  State(asio::any_io_executor on, std::unique_ptr<TokenSource> from, Clock& time, TokenCacheOptions options)
      : executor(on), source(std::move(from)), clock(time), cache(options), fetch_done(on) {
    fetch_done.expires_at(asio::steady_timer::time_point::max());
  }

  asio::any_io_executor executor;
  std::unique_ptr<TokenSource> source;
  Clock& clock;
  TokenCache cache;
  // Callers waiting for the fetch in flight wait on this timer; the fetch cancels it when it ends. It never
  // expires by itself: the fetch is bounded by the HTTP client's deadlines.
  asio::steady_timer fetch_done;
  std::string last_failure;
  CredentialStats stats;
};

namespace {

// The one fetch TokenCache asked for: reports its outcome and wakes whoever waits for it.
asio::awaitable<void> fetch_and_report(std::shared_ptr<Credential::State> state) {
  ++state->stats.fetches;
  Result<AccessToken> token = co_await state->source->fetch();
  const auto now = state->clock.now();
  if (token && now < token->expires_on) {
    state->last_failure.clear();
    state->cache.fetch_succeeded(std::move(token).value(), now);
  } else {
    state->last_failure = token ? state->source->describe() + ": the token it gave has already expired"
                                : token.error().message;
    state->cache.fetch_failed(now);
    ++state->stats.failures;
  }
  state->fetch_done.cancel();
}

asio::awaitable<void> wait_for_fetch(std::shared_ptr<Credential::State> state) {
  boost::system::error_code ignored;  // operation_aborted: the fetch ended
  co_await state->fetch_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace

Credential::Credential(asio::any_io_executor executor, std::unique_ptr<TokenSource> source, Clock& clock,
                       TokenCacheOptions options)
    : state_(std::make_shared<State>(executor, std::move(source), clock, options)) {}

Credential::~Credential() = default;

asio::awaitable<Result<std::string>> Credential::token() {
  const std::shared_ptr<State> state = state_;
  for (;;) {
    const Decision decision = state->cache.next(state->clock.now());
    switch (decision.action) {
      case Decision::Action::use_cached:
        co_return *decision.token;
      case Decision::Action::fetch_now:
        if (decision.token) {
          asio::co_spawn(state->executor, fetch_and_report(state), asio::detached);
          co_return *decision.token;
        }
        co_await fetch_and_report(state);
        break;  // ask the cache again: a token now, or the failure
      case Decision::Action::wait_for_refresh:
        co_await wait_for_fetch(state);
        break;
      case Decision::Action::wait_until: {
        const auto seconds = std::chrono::ceil<std::chrono::seconds>(decision.until - state->clock.now()).count();
        co_return make_error(state->last_failure + " (next try in " + std::to_string(seconds) + " s)");
      }
    }
  }
}

void Credential::invalidate() { state_->cache.invalidate(); }

std::string Credential::describe() const { return state_->source->describe(); }

CredentialStats Credential::stats() const { return state_->stats; }

}  // namespace rpd::azure
