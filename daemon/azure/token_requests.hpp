#pragma once
// The requests that fetch an access token and the parsing of the answers (AZURE.md section 5). Pure: no
// network, no clock ("now" is a parameter).
//
// Error messages name the field that is missing or wrong; they never contain the token or the response body.

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "daemon/azure/headers.hpp"
#include "daemon/azure/token_cache.hpp"

namespace rpd::azure {

// Percent-encodes everything except the unreserved characters A-Z a-z 0-9 - . _ ~ (space becomes %20).
std::string url_encode(std::string_view text);

// "{resource manager}/.default", with exactly one slash before ".default".
std::string default_scope(std::string_view resource_manager);

// "{authority}/{tenant}/oauth2/v2.0/token", the POST target and the client assertion's aud.
std::string entra_token_url(std::string_view authority, std::string_view tenant);

// application/x-www-form-urlencoded bodies for POST {authority}/{tenant}/oauth2/v2.0/token.
std::string client_secret_form(std::string_view client_id, std::string_view client_secret, std::string_view scope);
std::string client_assertion_form(std::string_view client_id, std::string_view assertion, std::string_view scope);

// A user-assigned identity is named by at most one of these; none means the system-assigned identity.
struct ManagedIdentityId {
  enum class Kind { system_assigned, client_id, object_id, resource_id };
  Kind kind = Kind::system_assigned;
  std::string value;
};

struct TokenGet {
  std::string target;  // for IMDS the origin-form path and query; for App Service the absolute URL
  Headers headers;
};

// GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=<resource with one trailing slash>
// [&client_id=|&object_id=|&msi_res_id=], header Metadata: true. Sent to endpoints.managed_identity.
TokenGet imds_request(std::string_view resource, const ManagedIdentityId& id = {});

// GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...[&client_id=|&principal_id=|&mi_res_id=],
// header X-IDENTITY-HEADER: {IDENTITY_HEADER}.
TokenGet app_service_request(std::string_view identity_endpoint, std::string_view identity_header,
                             std::string_view resource, const ManagedIdentityId& id = {});

// Azure Arc's himds: GET {IDENTITY_ENDPOINT}?api-version=2019-11-01&resource=..., header Metadata: true. Arc
// has only the machine's system-assigned identity.
TokenGet arc_request(std::string_view identity_endpoint, std::string_view resource);

// The key file of an Arc challenge ("401" with "WWW-Authenticate: Basic realm=<path>"). Only a file directly
// in `key_directory` whose name ends in ".key" is accepted: whatever answers on the endpoint's port must not
// make us read an arbitrary file and send its content.
Result<std::string> arc_key_file(const Headers& headers, std::string_view key_directory);

// A token endpoint's refusal, for people: "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret
// provided." (Entra's and IMDS's {"error", "error_description"}; the first line of the description, at most
// 300 characters). Neither field ever holds a secret; a body that is not such an object is not quoted.
std::string describe_token_failure(int http_status, std::string_view body);

// Entra ID v2: {"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}. expires_in may also be a
// string of digits (v1 endpoints and some emulators). token_type, when present, must be Bearer (any case).
Result<AccessToken> parse_entra_token(std::string_view body, TimePoint now);

// IMDS and App Service: {"access_token", "expires_on": "1767225600", "expires_in": "86399", "refresh_in"?}.
// expires_on (seconds since the epoch, string or number) wins; expires_in is used when it is absent.
// refresh_in (seconds from now) becomes refresh_at.
Result<AccessToken> parse_managed_identity_token(std::string_view body, TimePoint now);

// `az account get-access-token --output json`: {"accessToken", "expiresOn": local time, "expires_on": 1767225600}.
// Only expires_on is read (Azure CLI 2.54 and later); the local-time expiresOn is not used.
Result<AccessToken> parse_azure_cli_token(std::string_view body);

}  // namespace rpd::azure
