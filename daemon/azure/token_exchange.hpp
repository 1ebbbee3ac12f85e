#pragma once
// What the token sources share: one request to a token endpoint, retried by that endpoint's rules.

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/result.hpp"
#include "daemon/azure/http_client.hpp"
#include "daemon/azure/token_sources.hpp"

namespace rpd::azure {

enum class TokenEndpoint {
  managed_identity,  // 404, 410, 429, 5xx and transport failures; 0, 2, 6, 14, 30, 60 s (Retry-After if longer)
  entra,             // 408, 429, 5xx and transport failures; RetryPolicy's backoff and Retry-After
};

struct TokenAnswer {
  HttpResponse response;
  int retries = 0;
};

// The last answer, whatever its status (the caller reads 200 and describes the rest), or, when no answer
// came, the transport failure's message with the number of retries.
boost::asio::awaitable<Result<TokenAnswer>> exchange_token_request(SourceContext context, HttpRequest request,
                                                                   TokenEndpoint endpoint);

// " (after 3 retries)", or "" for none.
std::string retries_text(int retries);

}  // namespace rpd::azure
