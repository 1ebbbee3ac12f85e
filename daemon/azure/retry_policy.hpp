#pragma once
// When and how long to wait before retrying a Resource Manager request (AZURE.md section 4).
//
// Everything here is pure: no clock is read and no random number is drawn. The caller passes "now" and a
// uniform random number in [0, 1], so the tests can pin every delay exactly.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/azure/headers.hpp"

namespace rpd::azure {

// Ways a request can fail before a complete, readable response arrives.
enum class TransportFailure {
  connect_failed,         // DNS, refused, unreachable
  reset_before_response,  // the connection closed or reset before any response byte
  timeout,                // connect, handshake, write, read or the overall deadline
  tls_failed,             // handshake or certificate verification failed
  truncated_response,     // the connection ended inside the headers or the body
  malformed_response,     // the bytes were not HTTP, or the body was not the JSON promised
  too_large,              // the response's headers or body exceeded the client's limits
  proxy_refused,          // the proxy answered CONNECT with a 4xx (407: wrong or missing credentials)
  invalid_url,            // the URL could not be sent at all (a caller's mistake, or a hostile polling header)
};

// 408, 429, 500, 502, 503 and 504. Every other status is the answer: another 4xx means the request is wrong
// and sending it again will not fix it.
bool is_retryable(int http_status);

// Every transport failure except tls_failed, too_large, proxy_refused and invalid_url: a certificate that does not verify,
// an answer beyond the limits and a proxy that wants other credentials do not fix themselves, and retrying
// would only hide the problem for another minute. Resource Manager's PUT and DELETE are
// idempotent, so resending after a reset or a truncated answer is safe.
bool is_retryable(TransportFailure failure);

// How long the server asked us to wait, from the first of these headers that is present and readable:
//   retry-after-ms, x-ms-retry-after-ms   milliseconds, a non-negative integer
//   Retry-After                           seconds, a non-negative integer, or an HTTP date (IMF-fixdate,
//                                         "Wed, 25 Nov 2026 10:30:00 GMT"); a date in the past means 0
// A header that is present but unreadable ("1.5", "soon", "-3") is skipped, as if absent. nullopt when no
// header gives a wait. Values too large to represent are unreadable.
std::optional<std::chrono::milliseconds> retry_after(const Headers& headers, std::chrono::system_clock::time_point now);

// Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). The obsolete RFC 850 and asctime forms are not
// accepted: Azure does not send them. The weekday must be a weekday name but is not checked against the date.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text);

// The managed identity endpoint's own rules (AZURE.md section 5): 404 (a new identity not there yet), 410
// (IMDS restarting, back within 70 s), 429 and every 5xx are retried; any other status is the answer.
bool is_retryable_for_managed_identity(int http_status);

// The wait before the managed identity endpoint's retry number attempt + 1: 0, 2, 6, 14, 30 and 60 s, then
// nullopt. About two minutes in all, past the 70 s an IMDS restart takes.
std::optional<std::chrono::milliseconds> managed_identity_retry_delay(int attempt);

struct RetryOptions {
  int max_retries = 3;                           // the budget per logical request, not per connection
  std::chrono::milliseconds initial_delay{800};  // the first backoff, before jitter
  std::chrono::milliseconds max_delay{60'000};   // the cap on computed backoff (not on server waits)
  double jitter_fraction = 0.2;                  // the delay varies by +-20 %, as the Azure SDKs do
};

class RetryPolicy {
 public:
  RetryPolicy() = default;
  explicit RetryPolicy(RetryOptions options) : options_(options) {}

  // The wait before the next try, or nullopt when the budget is spent.
  //   attempt             retries already done for this request: 0 before the first retry
  //   server_retry_after  what retry_after() read from the failed response; it wins over the backoff, even
  //                       when it is longer than max_delay (a Compute throttle may ask for 20 minutes and
  //                       retrying sooner only earns another 429)
  //   random01            uniform in [0, 1] (clamped): 0 gives the shortest delay, 1 the longest
  // The backoff is initial_delay * 2^attempt * (1 - jitter + 2 * jitter * random01), capped at max_delay.
  // Jitter that is proportional rather than "full" keeps the first retry near 0.8 s (a transient 503 is
  // over quickly) while still spreading a thousand jobs that failed at the same moment.
  std::optional<std::chrono::milliseconds> next_delay(int attempt,
                                                      std::optional<std::chrono::milliseconds> server_retry_after,
                                                      double random01) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
};

}  // namespace rpd::azure
