#pragma once
// Access tokens for Resource Manager: a TokenSource fetches one (IMDS, Entra ID, ...; see token_sources.hpp),
// a Credential keeps it and decides when to fetch again (TokenCache's rules: refresh about 5 minutes before
// expiry or at refresh_in, one fetch in flight however many requests ask, backoff after a failure).
//
//   auto token = co_await credential->token();     // "eyJ0eXAi..." or an Error naming the credential
//   ... Resource Manager answers 401 ...
//   credential->invalidate();                      // the next token() fetches a new one
//
// A token that is due for refresh but still valid is handed out at once while the refresh runs in the
// background, so requests do not wait on Entra ID every hour. With no valid token and a fetch that failed
// recently, token() fails at once with that failure (and when the next try is), rather than every job
// waiting for up to a minute: the jobs' own retries come back later.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "daemon/azure/clock.hpp"
#include "daemon/azure/token_cache.hpp"

namespace rpd::azure {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A new token, each time it is called. Errors say what failed and never contain a secret or a token.
  virtual boost::asio::awaitable<Result<AccessToken>> fetch() = 0;
  // What this is, for logs and errors: "managed identity (IMDS at http://169.254.169.254)".
  virtual std::string describe() const = 0;
};

struct CredentialStats {
  long fetches = 0;   // fetches started
  long failures = 0;  // fetches that failed
};

class Credential {
 public:
  // `clock` must outlive the Credential and every coroutine it started.
  Credential(boost::asio::any_io_executor executor, std::unique_ptr<TokenSource> source, Clock& clock,
             TokenCacheOptions options = {});
  ~Credential();
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;

  boost::asio::awaitable<Result<std::string>> token();
  // Resource Manager refused the token (401): forget it.
  void invalidate();

  std::string describe() const;
  CredentialStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace rpd::azure
