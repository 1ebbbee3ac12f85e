// The managed identity endpoints: an Azure VM's IMDS, App Service's IDENTITY_ENDPOINT and Azure Arc's himds.
// All three are plain HTTP on the machine itself, and HttpClient never sends plain HTTP through a proxy.
//
// Requests are built as named variables before they are passed to a coroutine: GCC 12 destroys a braced
// temporary in a co_await expression twice (free(): invalid pointer).

#include <boost/asio/awaitable.hpp>

#include "daemon/azure/token_exchange.hpp"
#include "daemon/azure/token_sources.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;

std::string identity_text(const ManagedIdentityId& id) {
  switch (id.kind) {
    case ManagedIdentityId::Kind::system_assigned: return "managed identity";
    case ManagedIdentityId::Kind::client_id: return "managed identity " + id.value;
    case ManagedIdentityId::Kind::object_id: return "managed identity with object id " + id.value;
    case ManagedIdentityId::Kind::resource_id: return "managed identity " + id.value;
  }
  return "managed identity";
}

// A 200 becomes the token; anything else the endpoint's refusal, described.
Result<AccessToken> token_from(const std::string& who, const TokenAnswer& answer, TimePoint now) {
  if (answer.response.status != 200) {
    return make_error(who + ": " + describe_token_failure(answer.response.status, answer.response.body) +
                      retries_text(answer.retries));
  }
  auto token = parse_managed_identity_token(answer.response.body, now);
  if (!token) return make_error(who + ": " + token.error().message);
  return token;
}

class ImdsSource final : public TokenSource {
 public:
  ImdsSource(SourceContext context, std::string endpoint, std::string resource, ManagedIdentityId id)
      : context_(std::move(context)), endpoint_(std::move(endpoint)), resource_(std::move(resource)), id_(std::move(id)) {
    while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  }

  asio::awaitable<Result<AccessToken>> fetch() override {
    const TokenGet get = imds_request(resource_, id_);
    HttpRequest request{"GET", endpoint_ + get.target, get.headers, ""};
    auto answer = co_await exchange_token_request(context_, std::move(request), TokenEndpoint::managed_identity);
    if (!answer) co_return make_error(describe() + ": " + answer.error().message);
    co_return token_from(describe(), *answer, context_.clock->now());
  }

  std::string describe() const override { return identity_text(id_) + " (IMDS at " + endpoint_ + ")"; }

 private:
  SourceContext context_;
  std::string endpoint_;
  std::string resource_;
  ManagedIdentityId id_;
};

class AppServiceSource final : public TokenSource {
 public:
  AppServiceSource(SourceContext context, std::string endpoint, std::string header, std::string resource,
                   ManagedIdentityId id)
      : context_(std::move(context)), endpoint_(std::move(endpoint)), header_(std::move(header)),
        resource_(std::move(resource)), id_(std::move(id)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    const TokenGet get = app_service_request(endpoint_, header_, resource_, id_);
    HttpRequest request{"GET", get.target, get.headers, ""};
    auto answer = co_await exchange_token_request(context_, std::move(request), TokenEndpoint::managed_identity);
    if (!answer) co_return make_error(describe() + ": " + answer.error().message);
    co_return token_from(describe(), *answer, context_.clock->now());
  }

  std::string describe() const override { return identity_text(id_) + " (App Service at " + endpoint_ + ")"; }

 private:
  SourceContext context_;
  std::string endpoint_;
  std::string header_;
  std::string resource_;
  ManagedIdentityId id_;
};

// Arc's himds answers a first request with 401 and the name of a key file only root (and the agent's group)
// can read; sending the file's content back proves that we run on the machine with that right.
class ArcSource final : public TokenSource {
 public:
  ArcSource(SourceContext context, std::string endpoint, std::string resource, std::string key_directory)
      : context_(std::move(context)), endpoint_(std::move(endpoint)), resource_(std::move(resource)),
        key_directory_(std::move(key_directory)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    const TokenGet get = arc_request(endpoint_, resource_);
    HttpRequest first{"GET", get.target, get.headers, ""};
    auto challenge = co_await exchange_token_request(context_, std::move(first), TokenEndpoint::managed_identity);
    if (!challenge) co_return make_error(describe() + ": " + challenge.error().message);
    if (challenge->response.status != 401) {
      if (challenge->response.status == 200) {
        co_return make_error(describe() + ": the endpoint gave a token without a challenge; it is not Azure Arc's");
      }
      co_return token_from(describe(), *challenge, context_.clock->now());
    }
    const auto file = arc_key_file(challenge->response.headers, key_directory_);
    if (!file) co_return make_error(describe() + ": " + file.error().message);
    const auto key = read_secret_file(*file, "Azure Arc key file", 4096);
    if (!key) co_return make_error(describe() + ": " + key.error().message);

    Headers headers = get.headers;
    headers.emplace_back("Authorization", "Basic " + *key);
    HttpRequest answered{"GET", get.target, std::move(headers), ""};
    auto answer = co_await exchange_token_request(context_, std::move(answered), TokenEndpoint::managed_identity);
    if (!answer) co_return make_error(describe() + ": " + answer.error().message);
    co_return token_from(describe(), *answer, context_.clock->now());
  }

  std::string describe() const override { return "managed identity (Azure Arc at " + endpoint_ + ")"; }

 private:
  SourceContext context_;
  std::string endpoint_;
  std::string resource_;
  std::string key_directory_;
};

}  // namespace

std::unique_ptr<TokenSource> make_imds_source(SourceContext context, std::string endpoint, std::string resource,
                                              ManagedIdentityId id) {
  return std::make_unique<ImdsSource>(std::move(context), std::move(endpoint), std::move(resource), std::move(id));
}

std::unique_ptr<TokenSource> make_app_service_source(SourceContext context, std::string identity_endpoint,
                                                     std::string identity_header, std::string resource,
                                                     ManagedIdentityId id) {
  return std::make_unique<AppServiceSource>(std::move(context), std::move(identity_endpoint),
                                            std::move(identity_header), std::move(resource), std::move(id));
}

std::unique_ptr<TokenSource> make_arc_source(SourceContext context, std::string identity_endpoint,
                                             std::string resource, std::string key_directory) {
  return std::make_unique<ArcSource>(std::move(context), std::move(identity_endpoint), std::move(resource),
                                     std::move(key_directory));
}

}  // namespace rpd::azure
