// Entra ID's token endpoint, POST {authority}/{tenant}/oauth2/v2.0/token, with the three ways an application
// proves who it is: a client secret, an assertion signed with its certificate, or a federated token.

#include <boost/asio/awaitable.hpp>

#include "daemon/azure/client_assertion.hpp"
#include "daemon/azure/random.hpp"
#include "daemon/azure/token_exchange.hpp"
#include "daemon/azure/token_sources.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;

// Posts `form` and reads the answer; `who` starts every error.
asio::awaitable<Result<AccessToken>> post_token_form(SourceContext context, EntraApplication application,
                                                     std::string form, std::string who) {
  HttpRequest request{"POST", application.token_url,
                      {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}},
                      std::move(form)};
  auto answer = co_await exchange_token_request(context, std::move(request), TokenEndpoint::entra);
  if (!answer) co_return make_error(who + ": " + answer.error().message);
  if (answer->response.status != 200) {
    co_return make_error(who + ": " + describe_token_failure(answer->response.status, answer->response.body) +
                         retries_text(answer->retries));
  }
  auto token = parse_entra_token(answer->response.body, context.clock->now());
  if (!token) co_return make_error(who + ": " + token.error().message);
  co_return token;
}

class ClientSecretSource final : public TokenSource {
 public:
  ClientSecretSource(SourceContext context, EntraApplication application, std::string secret_file)
      : context_(std::move(context)), application_(std::move(application)), secret_file_(std::move(secret_file)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    auto secret = read_secret_file(secret_file_, "client secret file");
    if (!secret) co_return make_error(describe() + ": " + secret.error().message);
    co_return co_await post_token_form(context_, application_,
                                       client_secret_form(application_.client_id, *secret, application_.scope),
                                       describe());
  }

  std::string describe() const override {
    return "service principal " + application_.client_id + " with a client secret (" + application_.token_url + ")";
  }

 private:
  SourceContext context_;
  EntraApplication application_;
  std::string secret_file_;
};

class ClientCertificateSource final : public TokenSource {
 public:
  ClientCertificateSource(SourceContext context, EntraApplication application, std::string certificate_file)
      : context_(std::move(context)), application_(std::move(application)),
        certificate_file_(std::move(certificate_file)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    auto pem = read_secret_file(certificate_file_, "certificate file", 1024 * 1024);
    if (!pem) co_return make_error(describe() + ": " + pem.error().message);
    auto certificate = load_client_certificate(*pem);
    if (!certificate) co_return make_error(describe() + ": " + certificate_file_ + ": " + certificate.error().message);
    const std::string assertion = make_client_assertion(*certificate, application_.client_id, application_.token_url,
                                                        new_guid(), context_.clock->now());
    co_return co_await post_token_form(context_, application_,
                                       client_assertion_form(application_.client_id, assertion, application_.scope),
                                       describe());
  }

  std::string describe() const override {
    return "service principal " + application_.client_id + " with a certificate (" + application_.token_url + ")";
  }

 private:
  SourceContext context_;
  EntraApplication application_;
  std::string certificate_file_;
};

class WorkloadIdentitySource final : public TokenSource {
 public:
  WorkloadIdentitySource(SourceContext context, EntraApplication application, std::string token_file)
      : context_(std::move(context)), application_(std::move(application)), token_file_(std::move(token_file)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    auto federated = read_secret_file(token_file_, "federated token file");
    if (!federated) co_return make_error(describe() + ": " + federated.error().message);
    co_return co_await post_token_form(context_, application_,
                                       client_assertion_form(application_.client_id, *federated, application_.scope),
                                       describe());
  }

  std::string describe() const override {
    return "workload identity " + application_.client_id + " (" + application_.token_url + ")";
  }

 private:
  SourceContext context_;
  EntraApplication application_;
  std::string token_file_;
};

}  // namespace

std::unique_ptr<TokenSource> make_client_secret_source(SourceContext context, EntraApplication application,
                                                       std::string secret_file) {
  return std::make_unique<ClientSecretSource>(std::move(context), std::move(application), std::move(secret_file));
}

std::unique_ptr<TokenSource> make_client_certificate_source(SourceContext context, EntraApplication application,
                                                            std::string certificate_file) {
  return std::make_unique<ClientCertificateSource>(std::move(context), std::move(application),
                                                   std::move(certificate_file));
}

std::unique_ptr<TokenSource> make_workload_identity_source(SourceContext context, EntraApplication application,
                                                           std::string federated_token_file) {
  return std::make_unique<WorkloadIdentitySource>(std::move(context), std::move(application),
                                                  std::move(federated_token_file));
}

}  // namespace rpd::azure
