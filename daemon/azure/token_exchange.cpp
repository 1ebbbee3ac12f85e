#include "daemon/azure/token_exchange.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cctype>
#include <fstream>

#include "daemon/azure/random.hpp"
#include "daemon/azure/retry_policy.hpp"

namespace rpd::azure {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

bool retryable(TokenEndpoint endpoint, int status) {
  return endpoint == TokenEndpoint::managed_identity ? is_retryable_for_managed_identity(status) : is_retryable(status);
}

std::optional<milliseconds> delay_before_retry(TokenEndpoint endpoint, int attempt, std::optional<milliseconds> server) {
  if (endpoint == TokenEndpoint::entra) return RetryPolicy().next_delay(attempt, server, random_unit());
  auto delay = managed_identity_retry_delay(attempt);
  if (delay && server) delay = std::max(*delay, *server);
  return delay;
}

}  // namespace

std::string retries_text(int retries) {
  return retries == 0 ? "" : retries == 1 ? " (after 1 retry)" : " (after " + std::to_string(retries) + " retries)";
}

asio::awaitable<Result<TokenAnswer>> exchange_token_request(SourceContext context, HttpRequest request,
                                                             TokenEndpoint endpoint) {
  for (int attempt = 0;; ++attempt) {
    Result<HttpResponse, TransportError> answer = co_await context.http->send(request);
    std::optional<milliseconds> server_wait;
    if (answer) {
      if (!retryable(endpoint, answer->status)) co_return TokenAnswer{std::move(answer).value(), attempt};
      server_wait = retry_after(answer->headers, context.clock->now());
    } else if (!is_retryable(answer.error().failure)) {
      co_return make_error(answer.error().message + retries_text(attempt));
    }
    const auto delay = delay_before_retry(endpoint, attempt, server_wait);
    if (!delay) {
      if (answer) co_return TokenAnswer{std::move(answer).value(), attempt};
      co_return make_error(answer.error().message + retries_text(attempt));
    }
    co_await context.clock->wait_for(*delay);
  }
}

Result<std::string> read_secret_file(const std::string& path, const std::string& what, std::size_t max_bytes) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error("cannot read the " + what + " " + path + ": " + std::strerror(errno));
  std::string content(max_bytes + 1, '\0');
  file.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (file.bad()) return make_error("cannot read the " + what + " " + path);
  content.resize(static_cast<std::size_t>(file.gcount()));
  if (content.size() > max_bytes) {
    return make_error("the " + what + " " + path + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  while (!content.empty() && std::isspace(static_cast<unsigned char>(content.back()))) content.pop_back();
  if (content.empty()) return make_error("the " + what + " " + path + " is empty");
  return content;
}

}  // namespace rpd::azure
