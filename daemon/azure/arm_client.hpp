#pragma once
// Requests to Azure Resource Manager (AZURE.md section 4): one call of send() is one logical request, with
// everything Resource Manager expects around it.
//
//   - api-version added to the query (unless the URL has one: nextLink and operation URLs do), a fresh
//     x-ms-client-request-id kept across the request's retries, User-Agent, JSON in and out, the bearer token.
//   - Only the Resource Manager origin the client was made for is ever sent a token: an absolute URL (a
//     nextLink or a polling header) on another origin is refused before anything is sent.
//   - Client-side throttling per subscription (SubscriptionThrottle): a token per request, a pause of the
//     whole subscription when Azure answers 429, and slowing down as the x-ms-ratelimit-remaining-* headers
//     run low.
//   - Retries by RetryPolicy: 408, 429, 5xx and transport failures, backoff with jitter, Retry-After and its
//     cousins always honoured; other 4xx are the answer. A 401 fetches a new token and tries once more.
//     The retries end when RetryPolicy's count is spent or the next would end past request_budget.
//
// Failures are ArmError values: Azure's own error (status, code, message, target, request and correlation
// ids), or one this client made, with http_status 0 and code "TransportFailure", "CredentialUnavailable" or
// "InvalidRequestUrl".

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "daemon/azure/arm_error.hpp"
#include "daemon/azure/clock.hpp"
#include "daemon/azure/credential.hpp"
#include "daemon/azure/http_client.hpp"
#include "daemon/azure/rate_limiter.hpp"
#include "daemon/azure/retry_policy.hpp"

namespace rpd::azure {

struct ArmClientOptions {
  std::string resource_manager;  // "https://management.azure.com"
  std::string api_version = "2025-04-01";
  std::string user_agent = "restorepointd";  // "restorepointd/<version>"
  RetryOptions retry;
  ThrottleOptions throttle;
  // The time one logical request may take, its retries and waits included. A retry that would end past it
  // is not made: the error is returned (a Compute throttle that asks for 20 minutes is honoured by not
  // asking sooner, and the caller's job is retried later), so that no request holds its caller for ever.
  std::chrono::milliseconds request_budget{std::chrono::minutes(10)};
};

struct ArmRequest {
  std::string method;  // GET, PUT, PATCH, DELETE, POST
  std::string url;     // a path ("/subscriptions/.../restorePoints/x", query allowed) or an absolute URL
  std::string body;    // JSON, or empty
};

struct ArmResponse {
  int status = 0;
  Headers headers;
  std::string body;
  std::string client_request_id;
};

struct ArmClientStats {
  long requests = 0;         // HTTP requests sent, retries included
  long retries = 0;
  long throttled = 0;        // 429 answers
  long reauthenticated = 0;  // 401 answers followed by a new token
};

class ArmClient {
 public:
  // `clock` must outlive the client and its coroutines.
  ArmClient(std::shared_ptr<HttpClient> http, std::shared_ptr<Credential> credential, Clock& clock,
            ArmClientOptions options);

  // The answer when its status is below 400 (a 202 is an answer: the caller polls), otherwise the error.
  boost::asio::awaitable<Result<ArmResponse, ArmError>> send(ArmRequest request);

  const ArmClientStats& stats() const { return stats_; }
  SubscriptionThrottle& throttle() { return throttle_; }
  Clock& clock() { return clock_; }

 private:
  std::shared_ptr<HttpClient> http_;
  std::shared_ptr<Credential> credential_;
  Clock& clock_;
  ArmClientOptions options_;
  RetryPolicy retry_;
  SubscriptionThrottle throttle_;
  ArmClientStats stats_;
};

// The subscription id in an ARM path or URL ("/subscriptions/<id>/..."), or "" when there is none.
std::string subscription_of(std::string_view url);

}  // namespace rpd::azure
