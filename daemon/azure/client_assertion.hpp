#pragma once
// The signed JWT a service principal with a certificate sends instead of a secret (AZURE.md section 5):
// RS256, header x5t = base64url of the certificate's SHA-1 thumbprint, claims aud = the token URL,
// iss = sub = the client id, jti, nbf = now, exp = now + 10 minutes.
//
// The private key stays inside ClientCertificate: it is never logged, returned or put in an error message.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace rpd::azure {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const;
};

struct ClientCertificate {
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key;  // RSA, checked to match the certificate
  std::vector<unsigned char> certificate_der;
  std::string x5t;  // base64url(SHA-1(certificate_der)), no padding
};

// Reads the private key (PKCS#8 or traditional RSA, not encrypted) and the first certificate from one PEM
// text, in either order. Errors: no key, no certificate, an encrypted key, a key that is not RSA, a key that
// does not belong to the certificate.
Result<ClientCertificate> load_client_certificate(std::string_view pem);

// The compact JWT: base64url(header) "." base64url(claims) "." base64url(signature). `jti` should be a fresh
// GUID per assertion. Times are whole seconds since the epoch. Throws std::runtime_error only if OpenSSL
// cannot sign with a key that load_client_certificate accepted (a broken invariant, not an expected failure).
std::string make_client_assertion(const ClientCertificate& certificate, std::string_view client_id,
                                  std::string_view token_url, std::string_view jti,
                                  std::chrono::system_clock::time_point now);

// base64url (RFC 4648 section 5) without padding.
std::string base64url_encode(std::string_view bytes);

}  // namespace rpd::azure
