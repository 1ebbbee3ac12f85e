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

// How the application proves who it is; each proof is read from its file at every fetch (they rotate).
enum class Proof { client_secret, client_certificate, federated_token };

class EntraSource final : public TokenSource {
 public:
  EntraSource(SourceContext context, EntraApplication application, Proof proof, std::string file)
      : context_(std::move(context)), application_(std::move(application)), proof_(proof), file_(std::move(file)) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    auto form = proof_form();
    const std::string who = describe();
    if (!form) co_return make_error(who + ": " + form.error().message);
    std::string body = std::move(form).value();
    co_return co_await post_token_form(context_, application_, std::move(body), who);
  }

  std::string describe() const override {
    const std::string& id = application_.client_id;
    const std::string where = " (" + application_.token_url + ")";
    switch (proof_) {
      case Proof::client_secret: return "service principal " + id + " with a client secret" + where;
      case Proof::client_certificate: return "service principal " + id + " with a certificate" + where;
      case Proof::federated_token: return "workload identity " + id + where;
    }
    return id;
  }

 private:
  // The token request's form, with the secret, the signed assertion or the federated token in it.
  Result<std::string> proof_form() const {
    const EntraApplication& app = application_;
    switch (proof_) {
      case Proof::client_secret: {
        auto secret = read_secret_file(file_, "client secret file");
        if (!secret) return secret.error();
        return client_secret_form(app.client_id, *secret, app.scope);
      }
      case Proof::client_certificate: {
        auto pem = read_secret_file(file_, "certificate file", 1024 * 1024);
        if (!pem) return pem.error();
        auto certificate = load_client_certificate(*pem);
        if (!certificate) return make_error(file_ + ": " + certificate.error().message);
        const std::string assertion =
            make_client_assertion(*certificate, app.client_id, app.token_url, new_guid(), context_.clock->now());
        return client_assertion_form(app.client_id, assertion, app.scope);
      }
      case Proof::federated_token: {
        auto federated = read_secret_file(file_, "federated token file");
        if (!federated) return federated.error();
        return client_assertion_form(app.client_id, *federated, app.scope);
      }
    }
    return make_error("unknown proof");
  }

  SourceContext context_;
  EntraApplication application_;
  Proof proof_;
  std::string file_;
};

}  // namespace

std::unique_ptr<TokenSource> make_client_secret_source(SourceContext context, EntraApplication application,
                                                       std::string secret_file) {
  return std::make_unique<EntraSource>(std::move(context), std::move(application), Proof::client_secret,
                                       std::move(secret_file));
}

std::unique_ptr<TokenSource> make_client_certificate_source(SourceContext context, EntraApplication application,
                                                            std::string certificate_file) {
  return std::make_unique<EntraSource>(std::move(context), std::move(application), Proof::client_certificate,
                                       std::move(certificate_file));
}

std::unique_ptr<TokenSource> make_workload_identity_source(SourceContext context, EntraApplication application,
                                                           std::string federated_token_file) {
  return std::make_unique<EntraSource>(std::move(context), std::move(application), Proof::federated_token,
                                       std::move(federated_token_file));
}

}  // namespace rpd::azure
