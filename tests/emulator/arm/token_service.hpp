#pragma once
// Entra ID and the managed identity endpoints, as far as restorepointd's credentials use them: issuing
// access tokens, and checking the bearer tokens that Resource Manager requests carry.
//
// The managed identity endpoints, on the plain HTTP listener (the api-versions are those the Azure SDKs and MSAL
// send; user-assigned identities are named by the query parameter shown, at most one per request):
//   IMDS         GET /metadata/identity/oauth2/token?api-version=...&resource=...  Metadata: true
//                client_id | object_id | msi_res_id
//   Arc (himds)  the same path with managed_identity_flavour: arc, api-version 2019-08-15, 2019-11-01 or
//                2020-06-01. Without Authorization: 401 and "WWW-Authenticate: Basic realm=<key file>"; the
//                file (<state dir>/tokens/<guid>.key, mode 0600) holds a fresh key, good for one
//                "Authorization: Basic <key>". client_id | object_id | msi_res_id (newer agents).
//   App Service  GET /msi/token?api-version=2019-08-01&resource=...  X-IDENTITY-HEADER: <IDENTITY_HEADER>
//                client_id | principal_id | object_id | mi_res_id; only with settings.app_service_identity_header.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tests/emulator/arm/clock.hpp"
#include "tests/emulator/arm/fixture.hpp"
#include "tests/emulator/http_types.hpp"

namespace rpd::emulator {

// Who a valid token was issued to.
struct Principal {
  std::string client_id;  // application (client) id of the service principal or managed identity
  std::string object_id;
  std::string tenant_id;
};

class TokenService {
 public:
  // `signing_secret` keys the HMAC that signs issued tokens (a seed-derived value: tokens differ per run).
  // `state_dir` (--state-dir) is where Arc's challenge key files go; without it Arc's challenge fails (500).
  TokenService(const Fixture& fixture, const Clock& clock, std::string signing_secret,
               std::filesystem::path state_dir = {});
  // Removes the key files of challenges no client answered.
  ~TokenService();
  TokenService(const TokenService&) = delete;
  TokenService& operator=(const TokenService&) = delete;

  // The audience tokens must carry, e.g. "https://127.0.0.1:8443" (also accepted with a trailing slash).
  void set_resource_manager(std::string url);

  // POST /{tenant}/oauth2/v2.0/token (client secret, client certificate assertion, federated assertion).
  Response handle_token_request(const Request& request, const std::string& tenant);
  // GET /metadata/identity/oauth2/token on the plain HTTP listener: IMDS, or Arc's himds with
  // settings.managed_identity_flavour: arc.
  Response handle_imds_request(const Request& request);
  // GET /msi/token on the plain HTTP listener: App Service's and Functions' IDENTITY_ENDPOINT.
  Response handle_app_service_request(const Request& request);
  // Whether `path` is App Service's endpoint: /msi/token in any case, with or without a trailing slash (App
  // Service on Linux and on Windows spell it differently).
  static bool is_app_service_path(std::string_view path);

  // Checks "Authorization: Bearer <token>": signature, expiry, audience. On failure, `failure` is the 401
  // Resource Manager sends (with WWW-Authenticate) and the result is empty.
  std::optional<Principal> authenticate(const Request& request, Response& failure) const;

  // A token for tests and the SDK check: signed like the issued ones.
  std::string issue(const Principal& principal, int lifetime_seconds) const;

 private:
  // An Arc challenge not yet answered: the key file and the key in it.
  struct ArcChallenge {
    std::filesystem::path file;
    std::string key;
  };

  // Arc: nullopt when the request answers a challenge (which is then used up), else the 401 with a new challenge
  // (or a 500 when its key file cannot be written).
  std::optional<Response> check_arc_authorization(const Request& request);
  // Makes a key, writes it to a new key file and remembers both; the file's path.
  Result<std::filesystem::path> new_arc_challenge();
  // Takes the challenge `key` answers, removing its file; false when it answers none.
  bool take_arc_challenge(std::string_view key);

  const Fixture& fixture_;
  const Clock& clock_;
  std::string signing_secret_;
  std::string resource_manager_;
  std::filesystem::path state_dir_;
  std::vector<ArcChallenge> arc_challenges_;  // oldest first
};

}  // namespace rpd::emulator
