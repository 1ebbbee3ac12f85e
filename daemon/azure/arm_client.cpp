#include "daemon/azure/arm_client.hpp"

#include <cctype>

#include "daemon/azure/random.hpp"
#include "daemon/azure/url.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

ArmError client_error(std::string code, std::string message, const std::string& client_request_id) {
  ArmError error;
  error.code = std::move(code);
  error.message = std::move(message);
  error.client_request_id = client_request_id;
  return error;
}

bool has_api_version(std::string_view url) {
  const auto query = url.find('?');
  if (query == std::string_view::npos) return false;
  const std::string_view rest = url.substr(query);
  return rest.find("?api-version=") != std::string_view::npos || rest.find("&api-version=") != std::string_view::npos;
}

}  // namespace

std::string subscription_of(std::string_view url) {
  std::string lower(url.substr(0, url.find('?')));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("/subscriptions/");
  if (at == std::string::npos) return "";
  const auto start = at + std::string_view("/subscriptions/").size();
  return lower.substr(start, lower.find('/', start) - start);
}

ArmClient::ArmClient(std::shared_ptr<HttpClient> http, std::shared_ptr<Credential> credential, Clock& clock,
                     ArmClientOptions options)
    : http_(std::move(http)), credential_(std::move(credential)), clock_(clock), options_(std::move(options)),
      retry_(options_.retry), throttle_(options_.throttle) {
  while (!options_.resource_manager.empty() && options_.resource_manager.back() == '/') options_.resource_manager.pop_back();
}

asio::awaitable<Result<ArmResponse, ArmError>> ArmClient::send(ArmRequest request) {
  const std::string client_request_id = new_guid();

  // The URL: a path is put under the Resource Manager origin; an absolute URL must be on that origin.
  std::string url = request.url.starts_with("/") ? options_.resource_manager + request.url : request.url;
  const auto parsed = parse_http_url(url);
  const auto home = parse_http_url(options_.resource_manager);
  if (!parsed || !home || parsed->scheme != "https" || parsed->origin() != home->origin()) {
    co_return client_error("InvalidRequestUrl",
                           "refusing to send a token to " + (parsed ? parsed->origin() : std::string("a malformed URL")) +
                               ": not the Resource Manager at " + options_.resource_manager,
                           client_request_id);
  }
  if (!has_api_version(url)) {
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("api-version=") + options_.api_version;
  }
  const std::string subscription = subscription_of(url);
  const RequestKind kind = request_kind_for_method(request.method);

  const auto started = clock_.steady_now();
  bool reauthenticated = false;
  for (int attempt = 0;;) {
    // This try's token, in the order of asking; then any pause a 429 began meanwhile.
    for (milliseconds wait = throttle_.reserve(subscription, kind, clock_.steady_now()); wait.count() > 0;
         wait = throttle_.pause_remaining(subscription, clock_.steady_now())) {
      co_await clock_.wait_for(wait);
    }
    Result<std::string> token = co_await credential_->token();
    if (!token) co_return client_error("CredentialUnavailable", token.error().message, client_request_id);

    HttpRequest http_request{request.method, url,
                             {{"Authorization", "Bearer " + *token},
                              {"x-ms-client-request-id", client_request_id},
                              {"User-Agent", options_.user_agent},
                              {"Accept", "application/json"}},
                             request.body};
    if (!request.body.empty()) http_request.headers.emplace_back("Content-Type", "application/json");
    ++stats_.requests;
    Result<HttpResponse, TransportError> answer = co_await http_->send(std::move(http_request));

    std::optional<milliseconds> server_wait;
    if (!answer) {
      if (!is_retryable(answer.error().failure)) {
        co_return client_error("TransportFailure", answer.error().message, client_request_id);
      }
    } else {
      if (const auto remaining = remaining_from(answer->headers, kind)) {
        throttle_.observe(subscription, kind, *remaining, clock_.steady_now());
      }
      if (answer->status < 400) {
        co_return ArmResponse{answer->status, std::move(answer->headers), std::move(answer->body), client_request_id};
      }
      if (answer->status == 401 && !reauthenticated) {
        // The token was refused (revoked, or the clock of one side is off): one new token, one more try.
        reauthenticated = true;
        ++stats_.reauthenticated;
        credential_->invalidate();
        continue;
      }
      if (!is_retryable(answer->status)) {
        ArmError error = parse_arm_error(answer->status, answer->headers, answer->body);
        if (error.client_request_id.empty()) error.client_request_id = client_request_id;
        co_return error;
      }
      server_wait = retry_after(answer->headers, clock_.now());
    }

    const bool throttled = answer && answer->status == 429;
    const auto delay = retry_.next_delay(attempt, server_wait, random_unit());
    if (throttled) {
      // The whole subscription waits, this request with it (through pause_remaining above), also when this
      // request gives up: the others must not run into the same 429.
      ++stats_.throttled;
      if (delay) throttle_.pause_until(subscription, clock_.steady_now() + *delay);
      else if (server_wait) throttle_.pause_until(subscription, clock_.steady_now() + *server_wait);
    }
    if (!delay || clock_.steady_now() + *delay > started + options_.request_budget) {
      if (!answer) co_return client_error("TransportFailure", answer.error().message, client_request_id);
      ArmError error = parse_arm_error(answer->status, answer->headers, answer->body);
      if (error.client_request_id.empty()) error.client_request_id = client_request_id;
      co_return error;
    }
    ++attempt;
    ++stats_.retries;
    if (!throttled) co_await clock_.wait_for(*delay);
  }
}

}  // namespace rpd::azure
