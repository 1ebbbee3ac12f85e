#pragma once
// Entra ID and the managed identity endpoint, as far as restorepointd's credentials use them: issuing
// access tokens, and checking the bearer tokens that Resource Manager requests carry.

#include <optional>
#include <string>

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
  TokenService(const Fixture& fixture, const Clock& clock, std::string signing_secret);

  // The audience tokens must carry, e.g. "https://127.0.0.1:8443" (also accepted with a trailing slash).
  void set_resource_manager(std::string url);

  // POST /{tenant}/oauth2/v2.0/token (client secret, client certificate assertion, federated assertion).
  Response handle_token_request(const Request& request, const std::string& tenant);
  // GET /metadata/identity/oauth2/token (IMDS) on the plain HTTP listener.
  Response handle_imds_request(const Request& request);

  // Checks "Authorization: Bearer <token>": signature, expiry, audience. On failure, `failure` is the 401
  // Resource Manager sends (with WWW-Authenticate) and the result is empty.
  std::optional<Principal> authenticate(const Request& request, Response& failure) const;

  // A token for tests and the SDK check: signed like the issued ones.
  std::string issue(const Principal& principal, int lifetime_seconds) const;

 private:
  const Fixture& fixture_;
  const Clock& clock_;
  std::string signing_secret_;
  std::string resource_manager_;
};

}  // namespace rpd::emulator
