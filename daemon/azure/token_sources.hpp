#pragma once
// The ways of getting a token for Resource Manager (AZURE.md section 5), one TokenSource each. They fetch;
// Credential caches. Each fetch re-reads what may rotate: the client secret file, the certificate file, the
// federated token file.
//
//   managed identity   IMDS (an Azure VM), App Service's IDENTITY_ENDPOINT, Azure Arc's challenge; retried
//                      on 404, 410, 429 and 5xx with IMDS's backoff (0, 2, 6, 14, 30, 60 s)
//   Azure CLI          `az account get-access-token`, for a workstation
//   Entra ID           client secret, client certificate (an RS256 assertion with x5t), workload identity
//                      (the federated token as assertion); retried as Resource Manager requests are
//                      (408, 429, 5xx, transport failures; backoff from 0.8 s, Retry-After honoured)
//
// Errors start with the source's description and never quote a secret, a token or a response body beyond
// the endpoint's own error and error_description.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemon/azure/clock.hpp"
#include "daemon/azure/credential.hpp"
#include "daemon/azure/http_client.hpp"
#include "daemon/azure/token_requests.hpp"

namespace rpd::azure {

// The HTTP client and the clock every source uses; both outlive the sources.
struct SourceContext {
  std::shared_ptr<HttpClient> http;
  Clock* clock = nullptr;
};

// `endpoint`: "http://169.254.169.254" (settings' endpoints.managed_identity); `resource`:
// "https://management.azure.com".
std::unique_ptr<TokenSource> make_imds_source(SourceContext context, std::string endpoint, std::string resource,
                                              ManagedIdentityId id);

// `identity_endpoint` and `identity_header`: App Service's IDENTITY_ENDPOINT and IDENTITY_HEADER.
std::unique_ptr<TokenSource> make_app_service_source(SourceContext context, std::string identity_endpoint,
                                                     std::string identity_header, std::string resource,
                                                     ManagedIdentityId id);

// `identity_endpoint`: Arc's IDENTITY_ENDPOINT; `key_directory`: where the agent writes its challenge keys
// (/var/opt/azcmagent/tokens on Linux). A key file must be at most 4096 bytes, as the agent's are.
std::unique_ptr<TokenSource> make_arc_source(SourceContext context, std::string identity_endpoint,
                                             std::string resource, std::string key_directory);

// An application registered in Entra ID: where to ask and for what.
struct EntraApplication {
  std::string token_url;  // entra_token_url(authority, tenant)
  std::string client_id;
  std::string scope;      // "https://management.azure.com/.default"
};

std::unique_ptr<TokenSource> make_client_secret_source(SourceContext context, EntraApplication application,
                                                       std::string secret_file);
// `certificate_file`: the private key and the certificate in one PEM file (load_client_certificate).
std::unique_ptr<TokenSource> make_client_certificate_source(SourceContext context, EntraApplication application,
                                                            std::string certificate_file);
// `federated_token_file`: AZURE_FEDERATED_TOKEN_FILE, re-read at every fetch (Kubernetes rotates it).
std::unique_ptr<TokenSource> make_workload_identity_source(SourceContext context, EntraApplication application,
                                                           std::string federated_token_file);

// `az account get-access-token --output json --scope <scope> [--tenant <tenant>]`; `program` is looked up
// in PATH unless it holds a slash. The CLI is slow (a second or more) but Credential calls it once an hour.
std::unique_ptr<TokenSource> make_azure_cli_source(SourceContext context, std::string program, std::string scope,
                                                   std::optional<std::string> tenant,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The content of a file that holds a secret, for sending and nothing else: at most `max_bytes`, trailing
// white space (the newline an editor adds) removed, not empty. Errors name the file and never its content.
Result<std::string> read_secret_file(const std::string& path, const std::string& what, std::size_t max_bytes = 65536);

}  // namespace rpd::azure
