#include "tests/emulator/arm/token_service.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/emulator/openssl_handles.hpp"

namespace rpd::emulator {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------------
// Small string helpers

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Tenant and client ids are GUIDs and resource ids are ARM ids: Azure compares both case-insensitively.
bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view without_trailing_slash(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return url;
}

// Text that ends up inside a quoted header parameter (WWW-Authenticate) may come from a token the client
// sent: keep quotes, backslashes and control characters out so that it cannot break the header.
std::string header_safe(std::string_view text) {
  std::string safe;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') continue;
    safe += c;
  }
  return safe;
}

// Secrets and assertions are compared in constant time, as a real service would.
bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string upper_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string hex;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

// ---------------------------------------------------------------------------------------------------
// OpenSSL: RAII, base64url, digests, signatures


const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

std::string base64url_encode(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), bytes_of(bytes),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  std::ranges::replace(encoded, '+', '-');
  std::ranges::replace(encoded, '/', '_');
  return encoded;
}

// Strict base64url without padding, as JWTs use it; nullopt for anything else.
std::optional<std::string> base64url_decode(std::string_view text) {
  const bool alphabet_only = std::ranges::all_of(
      text, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; });
  if (!alphabet_only || text.size() % 4 == 1) return std::nullopt;

  std::string standard(text);
  std::ranges::replace(standard, '-', '+');
  std::ranges::replace(standard, '_', '/');
  const std::size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');

  std::string decoded(standard.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()), bytes_of(standard),
                                     static_cast<int>(standard.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the zero bytes that stand for the padding; they are not data.
  decoded.resize(static_cast<std::size_t>(length) - padding);
  return decoded;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(), mac.data(), &length);
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

X509Ptr read_certificate(std::string_view pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// A "-----BEGIN PUBLIC KEY-----" PEM (SubjectPublicKeyInfo).
PkeyPtr read_public_key(std::string_view pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

// The certificate's thumbprint: the digest of its DER encoding.
std::string certificate_digest(X509* certificate, const EVP_MD* digest) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> buffer{};
  unsigned int length = 0;
  if (X509_digest(certificate, digest, buffer.data(), &length) != 1) return {};
  return std::string(reinterpret_cast<const char*>(buffer.data()), length);
}

// RS256 (PKCS#1 v1.5) or PS256 (PSS, salt as long as the digest, as RFC 7518 says) with SHA-256.
bool verify_rsa_signature(EVP_PKEY* key, std::string_view algorithm, std::string_view signed_data,
                          std::string_view signature) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return false;
  const DigestContextPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  if (!context || EVP_DigestVerifyInit(context.get(), &key_context, EVP_sha256(), nullptr, key) != 1) return false;
  if (algorithm == "PS256") {
    if (EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_DIGEST) != 1) {
      return false;
    }
  }
  return EVP_DigestVerify(context.get(), bytes_of(signature), signature.size(), bytes_of(signed_data),
                          signed_data.size()) == 1;
}

// Entra's trace ids and correlation ids are random GUIDs.
std::string random_guid() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) bytes.fill(0);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    static constexpr char digits[] = "0123456789abcdef";
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 0x0f];
  }
  return hex;
}

// ---------------------------------------------------------------------------------------------------
// Time, in the formats the real services print it

std::int64_t unix_seconds(EmulatorTime time) {
  return std::chrono::floor<std::chrono::seconds>(time).time_since_epoch().count();
}

EmulatorTime from_unix_seconds(std::int64_t seconds) {
  return EmulatorTime(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::seconds(seconds)));
}

struct UtcFields {
  int year, month, day, hour, minute, second, millisecond;
};

UtcFields utc_fields(EmulatorTime time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss clock{time - day};
  return {static_cast<int>(date.year()),
          static_cast<int>(static_cast<unsigned>(date.month())),
          static_cast<int>(static_cast<unsigned>(date.day())),
          static_cast<int>(clock.hours().count()),
          static_cast<int>(clock.minutes().count()),
          static_cast<int>(clock.seconds().count()),
          static_cast<int>(clock.subseconds().count())};
}

// "2024-02-14 02:40:29Z", the `timestamp` of Entra's errors.
std::string entra_timestamp(EmulatorTime time) {
  const auto f = utc_fields(time);
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02dZ", f.year, f.month, f.day, f.hour, f.minute,
                f.second);
  return text;
}

// "2024-10-02T22:05:03.6750000Z": .NET's round-trip format, with seven fractional digits.
std::string dotnet_round_trip(EmulatorTime time) {
  const auto f = utc_fields(time);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03d0000Z", f.year, f.month, f.day, f.hour, f.minute,
                f.second, f.millisecond);
  return text;
}

// "2/14/2024 2:40:29 AM": what Resource Manager prints in ExpiredAuthenticationToken.
std::string dotnet_us_time(EmulatorTime time) {
  const auto f = utc_fields(time);
  const int hour12 = f.hour % 12 == 0 ? 12 : f.hour % 12;
  char text[48];
  std::snprintf(text, sizeof text, "%d/%d/%d %d:%02d:%02d %s", f.month, f.day, f.year, hour12, f.minute, f.second,
                f.hour < 12 ? "AM" : "PM");
  return text;
}

// ---------------------------------------------------------------------------------------------------
// JWTs

struct DecodedJwt {
  std::string signed_part;  // "header.payload": what the signature covers
  json::object header;
  json::object claims;
  std::string signature;
};

std::optional<json::object> parse_json_object(std::string_view text) {
  boost::system::error_code error;
  json::value value = json::parse(text, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// Splits and decodes a compact JWS; nullopt for anything that is not three base64url parts whose first
// two are JSON objects. Checks no signature.
std::optional<DecodedJwt> decode_jwt(std::string_view token) {
  const auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  const auto header_text = base64url_decode(token.substr(0, first_dot));
  const auto claims_text = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!header_text || !claims_text || !signature || signature->empty()) return std::nullopt;
  auto header = parse_json_object(*header_text);
  auto claims = parse_json_object(*claims_text);
  if (!header || !claims) return std::nullopt;
  return DecodedJwt{std::string(token.substr(0, second_dot)), std::move(*header), std::move(*claims),
                    std::move(*signature)};
}

std::optional<std::string> string_member(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

// A NumericDate claim (exp, nbf, iat): whole seconds; a fractional or huge number is no date.
std::optional<std::int64_t> seconds_member(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() &&
      value->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  if (value->is_double()) {
    const double number = value->get_double();
    if (std::isfinite(number) && std::fabs(number) < 1e15) return static_cast<std::int64_t>(number);
  }
  return std::nullopt;
}

// `aud` may be one string or an array of them.
bool audience_matches(const json::object& claims, std::string_view expected) {
  const json::value* audience = claims.if_contains("aud");
  if (audience == nullptr) return false;
  if (audience->is_string()) return audience->get_string() == expected;
  if (const auto* list = audience->if_array()) {
    return std::ranges::any_of(*list,
                               [&](const json::value& v) { return v.is_string() && v.get_string() == expected; });
  }
  return false;
}

// The `aud` claim for an error message: the string, or the strings of the array separated by commas.
std::string audience_text(const json::object& claims) {
  const json::value* audience = claims.if_contains("aud");
  if (audience == nullptr) return {};
  if (audience->is_string()) return std::string(audience->get_string());
  std::string text;
  if (const auto* list = audience->if_array()) {
    for (const json::value& item : *list) {
      if (!item.is_string()) continue;
      if (!text.empty()) text += ',';
      text += item.get_string();
    }
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------
// Request parsing

// application/x-www-form-urlencoded: %XX and '+' decoded; the first of repeated names wins; an empty value
// counts as absent, as Entra treats it. A body that is no form (JSON, say) has no fields.
using FormFields = std::map<std::string, std::string, std::less<>>;

FormFields parse_form(std::string_view body) {
  FormFields fields;
  if (!boost::urls::parse_query(body)) return fields;
  boost::urls::encoding_opts plus_is_space;
  plus_is_space.space_as_plus = true;
  for (const auto& param : boost::urls::params_view(body, plus_is_space)) {
    if (param.has_value && !param.value.empty()) fields.try_emplace(param.key, param.value);
  }
  return fields;
}

std::optional<std::string> field(const FormFields& fields, std::string_view name) {
  const auto found = fields.find(name);
  if (found == fields.end()) return std::nullopt;
  return found->second;
}

// ---------------------------------------------------------------------------------------------------
// Responses

constexpr std::string_view json_content_type = "application/json; charset=utf-8";
constexpr int assertion_clock_skew_seconds = 300;  // Entra and Resource Manager both allow five minutes

Response json_response(int status, const json::value& body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", json_content_type);
  response.body = json::serialize(body);
  return response;
}

// An Entra ID rejection: HTTP status, OAuth error, AADSTS number and text.
struct EntraError {
  int status;
  std::string error;
  int code;
  std::string description;
};

constexpr std::string_view certificate_docs =
    "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";
constexpr std::string_view workload_identity_docs =
    "Check your federated identity credential Subject, Audience and Issuer against the presented assertion. "
    "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";

EntraError unknown_tenant(std::string_view tenant) {
  return {400, "invalid_tenant", 90002,
          "Tenant '" + std::string(tenant) +
              "' not found. Check to make sure you have the correct tenant ID and are signing into the correct "
              "cloud. Check with your subscription administrator, this may happen if there are no active "
              "subscriptions for the tenant."};
}

EntraError post_only(std::string_view method) {
  return {400, "invalid_request", 900561,
          "The endpoint only accepts POST requests. Received a " + std::string(method) + " request."};
}

EntraError missing_parameter(std::string_view name) {
  return {400, "invalid_request", 900144,
          "The request body must contain the following parameter: '" + std::string(name) + "'."};
}

EntraError unsupported_grant(std::string_view grant_type) {
  return {400, "unsupported_grant_type", 70003,
          "The app requested an unsupported grant type '" + std::string(grant_type) + "'."};
}

EntraError unknown_application(std::string_view client_id, std::string_view tenant) {
  return {400, "unauthorized_client", 700016,
          "Application with identifier '" + std::string(client_id) + "' was not found in the directory '" +
              std::string(tenant) +
              "'. This can happen if the application has not been installed by the administrator of the tenant or "
              "consented to by any user in the tenant. You may have sent your authentication request to the wrong "
              "tenant."};
}

EntraError invalid_scope(std::string_view scope) {
  return {400, "invalid_scope", 70011,
          "The provided value for the input parameter 'scope' is not valid. The scope " + std::string(scope) +
              " is not valid."};
}

EntraError scope_without_default(std::string_view scope) {
  return {400, "invalid_scope", 1002012,
          "The provided value for scope " + std::string(scope) +
              " is not valid. Client credential flows must have a scope value with /.default suffixed to the "
              "resource identifier (application ID URI)."};
}

EntraError unknown_resource(std::string_view resource, std::string_view tenant) {
  return {400, "invalid_resource", 500011,
          "The resource principal named " + std::string(resource) + " was not found in the tenant named " +
              std::string(tenant) +
              ". This can happen if the application has not been installed by the administrator of the tenant or "
              "consented to by any user in the tenant. You might have sent your authentication request to the "
              "wrong tenant."};
}

EntraError no_credential() {
  return {401, "invalid_client", 7000216,
          "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."};
}

EntraError wrong_assertion_type(std::string_view type) {
  return {400, "invalid_request", 50027,
          "Invalid client_assertion_type '" + std::string(type) +
              "'. Expected 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'."};
}

EntraError invalid_secret(std::string_view client_id) {
  return {401, "invalid_client", 7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "
          "not the client secret ID, for a secret added to app '" +
              std::string(client_id) + "'."};
}

EntraError malformed_assertion() { return {400, "invalid_request", 50027, "JWT token is invalid or malformed."}; }

EntraError key_not_registered(std::string_view client_id, std::string_view thumbprint) {
  return {401, "invalid_client", 700027,
          "The certificate with identifier used to sign the client assertion is not registered on application. "
          "[Reason - The key was not found., Thumbprint of key used by client: '" +
              std::string(thumbprint) +
              "', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys "
              "for app Id '" +
              std::string(client_id) + "'.]"};
}

EntraError bad_assertion_signature(std::string_view client_id, std::string_view thumbprint) {
  return {401, "invalid_client", 700027,
          "Client assertion contains an invalid signature. [Reason - The provided signature value did not match "
          "the expected signature value., Thumbprint of key used by client: '" +
              std::string(thumbprint) + "', Found key for app Id '" + std::string(client_id) + "'.]"};
}

EntraError assertion_out_of_time(EmulatorTime now, std::optional<std::int64_t> not_before, std::int64_t expiry,
                                 std::string_view docs) {
  return {401, "invalid_client", 700024,
          "Client assertion is not within its valid time range. Current time: " + dotnet_round_trip(now) +
              ", assertion valid from " + dotnet_round_trip(from_unix_seconds(not_before.value_or(0))) +
              ", expiry time of assertion " + dotnet_round_trip(from_unix_seconds(expiry)) + ". " + std::string(docs)};
}

EntraError wrong_assertion_audience() {
  return {401, "invalid_client", 700023,
          "Client assertion audience claim does not match Realm issuer. " + std::string(certificate_docs)};
}

EntraError wrong_assertion_subject() {
  return {
      401, "invalid_client", 700021,
      "Client assertion application identifier doesn't match 'client_id' parameter. " + std::string(certificate_docs)};
}

EntraError no_federated_record() {
  return {400, "invalid_request", 70021, "No matching federated identity record found for presented assertion."};
}

EntraError no_federated_record(std::string_view issuer, std::string_view subject, std::string_view audience) {
  EntraError error = no_federated_record();
  error.description += " Assertion Issuer: '" + std::string(issuer) + "'. Assertion Subject: '" + std::string(subject) +
                       "'. Assertion Audience: '" + std::string(audience) + "'. " + std::string(workload_identity_docs);
  return error;
}

EntraError wrong_federated_audience(std::string_view audience) {
  return {401, "invalid_client", 700212,
          "No matching federated identity record found for presented assertion audience '" + std::string(audience) +
              "'. " + std::string(workload_identity_docs)};
}

EntraError bad_federated_signature(std::string_view issuer, std::string_view key_id) {
  return {401, "invalid_client", 700027,
          "Client assertion contains an invalid signature. [Reason - No key of issuer '" + std::string(issuer) +
              "' verifies the signature., Key id used by client: '" + std::string(key_id) + "'.]"};
}

// Entra's error body, with the trace id, correlation id (the client's `client-request-id` when it sent
// one) and timestamp repeated at the end of the description as the real service does.
Response entra_error_response(const Request& request, const EntraError& rejection, EmulatorTime now,
                              std::string_view authority) {
  const std::string trace_id = random_guid();
  const std::string client_request_id = header_safe(request.header("client-request-id"));
  const std::string correlation_id = client_request_id.empty() ? random_guid() : client_request_id;
  const std::string timestamp = entra_timestamp(now);

  json::object body;
  body["error"] = rejection.error;
  body["error_description"] = "AADSTS" + std::to_string(rejection.code) + ": " + rejection.description +
                              "\r\nTrace ID: " + trace_id + "\r\nCorrelation ID: " + correlation_id +
                              "\r\nTimestamp: " + timestamp;
  body["error_codes"] = json::array{rejection.code};
  body["timestamp"] = timestamp;
  body["trace_id"] = trace_id;
  body["correlation_id"] = correlation_id;
  body["error_uri"] = std::string(authority) + "/error?code=" + std::to_string(rejection.code);

  Response response = json_response(rejection.status, body);
  response.headers.emplace_back("Cache-Control", "no-store, no-cache");
  response.headers.emplace_back("Pragma", "no-cache");
  response.headers.emplace_back("x-ms-request-id", trace_id);
  if (!client_request_id.empty()) response.headers.emplace_back("client-request-id", client_request_id);
  return response;
}

Response imds_error(int status, std::string_view error, std::string_view description) {
  return json_response(status, json::object{{"error", error}, {"error_description", description}});
}

Response not_found() {
  Response response;
  response.status = 404;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = "Not Found";
  return response;
}

// ---------------------------------------------------------------------------------------------------
// Client credentials

constexpr std::string_view jwt_bearer_assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// exp and nbf of a client assertion, with the clock skew Entra allows.
std::optional<EntraError> check_assertion_time(const json::object& claims, std::int64_t expiry, EmulatorTime now,
                                               std::string_view docs) {
  const auto not_before = seconds_member(claims, "nbf");
  const std::int64_t current = unix_seconds(now);
  if (expiry + assertion_clock_skew_seconds <= current ||
      (not_before && *not_before - assertion_clock_skew_seconds > current)) {
    return assertion_out_of_time(now, not_before, expiry, docs);
  }
  return std::nullopt;
}

// An assertion signed by the service principal's certificate (what MSAL builds for a certificate credential).
std::optional<EntraError> check_certificate_assertion(std::string_view assertion, const ServicePrincipal& principal,
                                                      std::string_view token_url, EmulatorTime now) {
  const auto jwt = decode_jwt(assertion);
  if (!jwt) return malformed_assertion();

  const X509Ptr certificate = read_certificate(*principal.certificate_pem);
  if (!certificate) return key_not_registered(principal.client_id, "");

  // The header names the key by thumbprint: SHA-1 in x5t, SHA-256 in x5t#S256 (newer clients).
  const auto sha1_thumbprint = string_member(jwt->header, "x5t");
  const auto sha256_thumbprint = string_member(jwt->header, "x5t#S256");
  const auto claimed = sha1_thumbprint ? sha1_thumbprint : sha256_thumbprint;
  if (!claimed) return key_not_registered(principal.client_id, "");
  const std::string claimed_thumbprint = upper_hex(base64url_decode(*claimed).value_or(""));
  if (sha1_thumbprint && base64url_decode(*sha1_thumbprint) != certificate_digest(certificate.get(), EVP_sha1())) {
    return key_not_registered(principal.client_id, claimed_thumbprint);
  }
  if (sha256_thumbprint &&
      base64url_decode(*sha256_thumbprint) != certificate_digest(certificate.get(), EVP_sha256())) {
    return key_not_registered(principal.client_id, claimed_thumbprint);
  }

  const auto algorithm = string_member(jwt->header, "alg");
  const PkeyPtr public_key(X509_get_pubkey(certificate.get()));
  if (!algorithm || (*algorithm != "RS256" && *algorithm != "PS256") || !public_key ||
      !verify_rsa_signature(public_key.get(), *algorithm, jwt->signed_part, jwt->signature)) {
    return bad_assertion_signature(principal.client_id, claimed_thumbprint);
  }

  const auto expiry = seconds_member(jwt->claims, "exp");
  const auto issuer = string_member(jwt->claims, "iss");
  const auto subject = string_member(jwt->claims, "sub");
  if (!expiry || !issuer || !subject || !string_member(jwt->claims, "jti") || !jwt->claims.contains("aud")) {
    return malformed_assertion();
  }
  if (!audience_matches(jwt->claims, token_url)) return wrong_assertion_audience();
  if (!iequals(*issuer, principal.client_id) || !iequals(*subject, principal.client_id)) {
    return wrong_assertion_subject();
  }
  return check_assertion_time(jwt->claims, *expiry, now, certificate_docs);
}

// A workload identity assertion: a JWT that the external issuer trusted by the principal's federated
// credential issued (a Kubernetes service account token, say) to that credential's subject and audience.
// It rotates: any such JWT will do, not one particular token.
std::optional<EntraError> check_federated_assertion(std::string_view assertion, const FederatedCredential& credential,
                                                    EmulatorTime now) {
  const auto jwt = decode_jwt(assertion);
  if (!jwt) return no_federated_record();
  // Entra matches issuer and subject exactly, case included.
  const std::string issuer = string_member(jwt->claims, "iss").value_or("");
  const std::string subject = string_member(jwt->claims, "sub").value_or("");
  if (issuer != credential.issuer || subject != credential.subject) {
    return no_federated_record(issuer, subject, audience_text(jwt->claims));
  }

  // Entra verifies the signature with the keys the issuer publishes (the jwks_uri of its OIDC discovery
  // document). The emulator cannot fetch them: it verifies the signature only when the fixture gives the
  // issuer's key, and without one it accepts the JWT whatever its signature.
  if (credential.issuer_key_pem) {
    const PkeyPtr key = read_public_key(*credential.issuer_key_pem);
    if (!key || string_member(jwt->header, "alg") != "RS256" ||
        !verify_rsa_signature(key.get(), "RS256", jwt->signed_part, jwt->signature)) {
      return bad_federated_signature(issuer, string_member(jwt->header, "kid").value_or(""));
    }
  }

  if (!audience_matches(jwt->claims, credential.audience)) {
    return wrong_federated_audience(audience_text(jwt->claims));
  }
  const auto expiry = seconds_member(jwt->claims, "exp");
  if (!expiry) return malformed_assertion();
  return check_assertion_time(jwt->claims, *expiry, now, workload_identity_docs);
}

// A principal may hold both a certificate and a federated credential: an assertion its client issued
// itself (iss is the client id) is a certificate assertion, any other a federated one.
bool is_self_issued(std::string_view assertion, const ServicePrincipal& principal) {
  const auto jwt = decode_jwt(assertion);
  const auto issuer = jwt ? string_member(jwt->claims, "iss") : std::nullopt;
  return issuer && iequals(*issuer, principal.client_id);
}

// Whichever credential the request carries, checked against the fixture; nullopt when it is good.
std::optional<EntraError> check_credential(const FormFields& form, const ServicePrincipal& principal,
                                           std::string_view token_url, EmulatorTime now) {
  if (const auto assertion = field(form, "client_assertion")) {
    const auto type = field(form, "client_assertion_type");
    if (!type) return missing_parameter("client_assertion_type");
    if (*type != jwt_bearer_assertion_type) return wrong_assertion_type(*type);
    // Workload identity, simply: the fixture declares the one token it accepts.
    if (principal.federated_token && constant_time_equal(*assertion, *principal.federated_token)) return std::nullopt;
    if (principal.federated_credential && !(principal.certificate_pem && is_self_issued(*assertion, principal))) {
      return check_federated_assertion(*assertion, *principal.federated_credential, now);
    }
    if (principal.certificate_pem) return check_certificate_assertion(*assertion, principal, token_url, now);
    if (principal.federated_token) return no_federated_record();
    return key_not_registered(principal.client_id, "");
  }
  if (const auto secret = field(form, "client_secret")) {
    if (principal.secret && constant_time_equal(*secret, *principal.secret)) return std::nullopt;
    return invalid_secret(principal.client_id);
  }
  return no_credential();
}

// `scope` for client credentials: exactly one "<resource>/.default" naming Resource Manager.
std::optional<EntraError> check_scope(std::string_view scope, std::string_view resource_manager,
                                      std::string_view tenant) {
  if (scope.find(' ') != std::string_view::npos) return invalid_scope(scope);
  constexpr std::string_view default_suffix = "/.default";
  if (!scope.ends_with(default_suffix)) return scope_without_default(scope);
  const auto resource = scope.substr(0, scope.size() - default_suffix.size());
  if (without_trailing_slash(resource) != resource_manager) return unknown_resource(resource, tenant);
  return std::nullopt;
}

const ServicePrincipal* find_service_principal(const Fixture& fixture, std::string_view client_id,
                                               std::string_view tenant) {
  for (const auto& principal : fixture.service_principals) {
    if (iequals(principal.client_id, client_id) && iequals(principal.tenant_id, tenant)) return &principal;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------
// Managed identity endpoints

constexpr std::string_view imds_token_path = "/metadata/identity/oauth2/token";
constexpr std::string_view app_service_token_path = "/msi/token";
// The only version App Service's IDENTITY_ENDPOINT protocol has had since 2019 (2017-09-01 used MSI_ENDPOINT,
// MSI_SECRET and a `secret` header); the one every SDK sends.
constexpr std::string_view app_service_api_version = "2019-08-01";
// What clients have sent to himds: 2019-08-15 (the first azidentity), 2019-11-01 (Microsoft's documentation,
// MSAL.NET, azure-identity for JavaScript) and 2020-06-01 (azure-identity for Python, MSAL for Python and Go).
constexpr std::array<std::string_view, 3> arc_api_versions = {"2019-08-15", "2019-11-01", "2020-06-01"};
// Unanswered Arc challenges kept, with their key files, before the oldest is dropped: a client that never
// comes back must not fill the state directory.
constexpr std::size_t max_arc_challenges = 64;

using QueryParams = std::map<std::string, std::string, std::less<>>;

// The query of a managed identity request, percent-decoded; the first of repeated names wins.
QueryParams query_params(const boost::urls::url_view& target) {
  QueryParams query;
  for (const auto& param : target.params()) query.try_emplace(param.key, param.value);
  return query;
}

std::string query_value(const QueryParams& query, std::string_view name) {
  const auto found = query.find(name);
  return found == query.end() ? std::string() : found->second;
}

enum class IdentityField { client_id, object_id, resource_id };

// A query parameter that names a user-assigned identity by one of its ids.
struct SelectorParameter {
  std::string_view name;
  IdentityField field;
};

// IMDS's spelling; newer Arc agents take the same names (and ignore App Service's mi_res_id).
constexpr std::array<SelectorParameter, 3> imds_selectors = {{{"client_id", IdentityField::client_id},
                                                              {"object_id", IdentityField::object_id},
                                                              {"msi_res_id", IdentityField::resource_id}}};
// App Service's: its documentation names principal_id, MSAL sends object_id, and the resource id is mi_res_id.
constexpr std::array<SelectorParameter, 4> app_service_selectors = {{{"client_id", IdentityField::client_id},
                                                                     {"principal_id", IdentityField::object_id},
                                                                     {"object_id", IdentityField::object_id},
                                                                     {"mi_res_id", IdentityField::resource_id}}};

struct IdentitySelector {
  SelectorParameter parameter;
  std::string value;
};

// The selectors the query carries (empty values do not count); more than one is an error for the caller.
std::vector<IdentitySelector> selectors_in(const QueryParams& query, std::span<const SelectorParameter> parameters) {
  std::vector<IdentitySelector> selectors;
  for (const SelectorParameter& parameter : parameters) {
    if (std::string value = query_value(query, parameter.name); !value.empty()) {
      selectors.push_back({parameter, std::move(value)});
    }
  }
  return selectors;
}

const std::string& id_of(const ManagedIdentity& identity, IdentityField field) {
  switch (field) {
    case IdentityField::client_id: return identity.client_id;
    case IdentityField::object_id: return identity.object_id;
    case IdentityField::resource_id: return identity.resource_id;
  }
  return identity.client_id;
}

// The identity `selector` names, or the system-assigned one without a selector; nullptr when there is none.
const ManagedIdentity* find_identity(const Fixture& fixture, const IdentitySelector* selector) {
  const auto found = std::ranges::find_if(fixture.managed_identities, [&](const ManagedIdentity& identity) {
    if (selector == nullptr) return identity.system_assigned;
    const std::string& id = id_of(identity, selector->parameter.field);
    return !id.empty() && iequals(id, selector->value);
  });
  return found == fixture.managed_identities.end() ? nullptr : &*found;
}

std::string_view tenant_of(const Fixture& fixture) {
  return fixture.tenants.empty() ? std::string_view() : std::string_view(fixture.tenants.front());
}

// IMDS's and himds's token response. The real services send their numbers as strings.
json::object imds_token_body(std::string_view token, int lifetime, std::int64_t issued_at, std::string_view resource,
                             std::string_view client_id) {
  return json::object{{"access_token", token},
                      {"refresh_token", ""},
                      {"expires_in", std::to_string(lifetime)},
                      {"expires_on", std::to_string(issued_at + lifetime)},
                      {"ext_expires_in", std::to_string(lifetime)},
                      {"not_before", std::to_string(issued_at)},
                      {"resource", resource},
                      {"token_type", "Bearer"},
                      {"client_id", client_id}};
}

// What IMDS refuses before it looks at the query: other methods, proxied requests, no Metadata header.
std::optional<Response> refuse_metadata_request(const Request& request) {
  if (request.method != "GET") {
    Response response = imds_error(405, "invalid_request", "The requested HTTP method is not supported.");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  // IMDS refuses anything that went through a proxy; clients must bypass HTTP(S)_PROXY for it.
  if (!request.header("X-Forwarded-For").empty()) {
    return imds_error(400, "invalid_request", "Request contains X-Forwarded-For header");
  }
  if (!iequals(request.header("Metadata"), "true")) {
    return imds_error(400, "invalid_request", "Required metadata header not specified");
  }
  return std::nullopt;
}

// IMDS and himds issue tokens for Resource Manager only: Entra's AADSTS500011 for anything else.
std::optional<Response> refuse_resource(std::string_view resource, std::string_view resource_manager,
                                        std::string_view tenant) {
  if (without_trailing_slash(resource) == resource_manager) return std::nullopt;
  return imds_error(400, "invalid_resource", "AADSTS500011: " + unknown_resource(resource, tenant).description);
}

bool is_arc_api_version(std::string_view version) {
  return std::ranges::find(arc_api_versions, version) != arc_api_versions.end();
}

// App Service's token service answers errors as {"statusCode", "message", "correlationId"} (the shape MSAL's
// App Service test doubles use and MSAL for Python reads), not in IMDS's OAuth shape.
Response app_service_error(int status, std::string_view message) {
  return json_response(status,
                       json::object{{"statusCode", status}, {"message", message}, {"correlationId", random_guid()}});
}

// The key a challenge writes: 32 random bytes in hex; nullopt when OpenSSL has no randomness to give.
std::optional<std::string> random_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  static constexpr char digits[] = "0123456789abcdef";
  std::string key;
  for (const unsigned char byte : bytes) {
    key += digits[byte >> 4];
    key += digits[byte & 0x0f];
  }
  return key;
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// A new <guid>.key file in `directory` (made 0700 if need be) holding `key`, mode 0600 whatever the umask: the
// challenge proves the client may read what only the agent's user may, as the agent's
// /var/opt/azcmagent/tokens does. The name is fresh, so no earlier challenge's file is touched.
Result<std::filesystem::path> write_key_file(const std::filesystem::path& directory, std::string_view key) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (!error) {
    std::filesystem::permissions(directory, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  if (error) return make_error("cannot prepare " + directory.string() + ": " + error.message());

  const std::filesystem::path file = directory / (random_guid() + ".key");
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) return make_error("cannot create " + file.string() + ": " + std::generic_category().message(errno));
  int failure = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0 && write_all(fd, key) ? 0 : errno;
  if (::close(fd) != 0 && failure == 0) failure = errno;
  if (failure != 0) {
    std::filesystem::remove(file, error);
    return make_error("cannot write " + file.string() + ": " + std::generic_category().message(failure));
  }
  return file;
}

// ---------------------------------------------------------------------------------------------------
// Resource Manager's 401

Response arm_unauthorized(std::string_view authorization_uri, std::string_view code, std::string_view message,
                          std::string_view description) {
  Response response = json_response(401, json::object{{"error", json::object{{"code", code}, {"message", message}}}});
  response.headers.emplace_back("WWW-Authenticate", "Bearer authorization_uri=\"" + header_safe(authorization_uri) +
                                                        "\", error=\"invalid_token\", error_description=\"" +
                                                        header_safe(description) + "\"");
  response.headers.emplace_back("x-ms-failure-cause", "gateway");
  return response;
}

}  // namespace

// -----------------------------------------------------------------------------------------------------

TokenService::TokenService(const Fixture& fixture, const Clock& clock, std::string signing_secret,
                           std::filesystem::path state_dir)
    : fixture_(fixture), clock_(clock), signing_secret_(std::move(signing_secret)) {
  // The realm names the key file by its absolute path: the client opens it from a directory of its own.
  std::error_code error;
  if (!state_dir.empty()) state_dir_ = std::filesystem::absolute(state_dir, error);
  if (error) state_dir_ = std::move(state_dir);
}

TokenService::~TokenService() {
  std::error_code ignored;
  for (const ArcChallenge& challenge : arc_challenges_) std::filesystem::remove(challenge.file, ignored);
}

void TokenService::set_resource_manager(std::string url) {
  resource_manager_ = std::string(without_trailing_slash(url));
}

std::string TokenService::issue(const Principal& principal, int lifetime_seconds) const {
  const std::int64_t issued_at = unix_seconds(clock_.now());
  const json::object header{{"alg", "HS256"}, {"typ", "JWT"}};
  const json::object claims{
      {"aud", resource_manager_},
      {"iss", "https://sts.windows.net/" + principal.tenant_id + "/"},
      {"iat", issued_at},
      {"nbf", issued_at},
      {"exp", issued_at + lifetime_seconds},
      {"appid", principal.client_id},
      {"oid", principal.object_id},
      {"tid", principal.tenant_id},
  };
  const std::string signed_part =
      base64url_encode(json::serialize(header)) + "." + base64url_encode(json::serialize(claims));
  return signed_part + "." + base64url_encode(hmac_sha256(signing_secret_, signed_part));
}

Response TokenService::handle_token_request(const Request& request, const std::string& tenant) {
  // Client secrets travel only over TLS: the plain HTTP listener has no token endpoint.
  if (!request.https) return not_found();

  const EmulatorTime now = clock_.now();
  const auto reject = [&](const EntraError& rejection) {
    return entra_error_response(request, rejection, now, resource_manager_);
  };

  const bool known_tenant =
      std::ranges::any_of(fixture_.tenants, [&](const std::string& known) { return iequals(known, tenant); });
  if (!known_tenant) return reject(unknown_tenant(tenant));
  if (request.method != "POST") return reject(post_only(request.method));

  const FormFields form = parse_form(request.body);
  const auto grant_type = field(form, "grant_type");
  if (!grant_type) return reject(missing_parameter("grant_type"));
  if (*grant_type != "client_credentials") return reject(unsupported_grant(*grant_type));
  const auto client_id = field(form, "client_id");
  if (!client_id) return reject(missing_parameter("client_id"));
  const ServicePrincipal* principal = find_service_principal(fixture_, *client_id, tenant);
  if (principal == nullptr) return reject(unknown_application(*client_id, tenant));
  const auto scope = field(form, "scope");
  if (!scope) return reject(missing_parameter("scope"));
  if (auto rejection = check_scope(*scope, resource_manager_, tenant)) return reject(*rejection);

  // The assertion's audience is this token endpoint: the emulator serves Entra ID on Resource Manager's origin.
  const std::string token_url = resource_manager_ + "/" + tenant + "/oauth2/v2.0/token";
  if (auto rejection = check_credential(form, *principal, token_url, now)) return reject(*rejection);

  const int lifetime = fixture_.token_lifetime_seconds;
  const std::string token =
      issue(Principal{principal->client_id, principal->object_id, principal->tenant_id}, lifetime);
  Response response = json_response(
      200,
      json::object{
          {"token_type", "Bearer"}, {"expires_in", lifetime}, {"ext_expires_in", lifetime}, {"access_token", token}});
  response.headers.emplace_back("Cache-Control", "no-store, no-cache");
  response.headers.emplace_back("Pragma", "no-cache");
  return response;
}

Response TokenService::handle_imds_request(const Request& request) {
  // IMDS listens on plain HTTP only (169.254.169.254:80), himds on http://localhost:40342; nothing answers for
  // them over TLS.
  if (request.https) return not_found();

  const auto target = boost::urls::parse_origin_form(request.target);
  if (!target || target->path() != imds_token_path) return not_found();
  if (auto refusal = refuse_metadata_request(request)) return std::move(*refusal);

  const bool arc = fixture_.managed_identity_flavour == ManagedIdentityFlavour::arc;
  const QueryParams query = query_params(*target);
  const std::string api_version = query_value(query, "api-version");
  if (api_version.empty()) {
    return imds_error(400, "invalid_request", "Required query variable 'api-version' is missing");
  }
  if (arc && !is_arc_api_version(api_version)) {
    return imds_error(400, "invalid_request", "Invalid api-version '" + api_version + "'");
  }
  const std::string resource = query_value(query, "resource");
  if (resource.empty()) return imds_error(400, "invalid_request", "Required audience parameter not specified");
  const std::string_view tenant = tenant_of(fixture_);
  // IMDS refuses a resource it has no token for at once; himds only once the challenge is answered.
  if (!arc) {
    if (auto refusal = refuse_resource(resource, resource_manager_, tenant)) return std::move(*refusal);
  }

  // At most one selector for a user-assigned identity; none means the system-assigned one.
  const std::vector<IdentitySelector> selectors = selectors_in(query, imds_selectors);
  if (selectors.size() > 1) {
    return imds_error(400, "invalid_request", "Only one of client_id, object_id or msi_res_id may be specified");
  }
  const IdentitySelector* selector = selectors.empty() ? nullptr : &selectors.front();
  const ManagedIdentity* identity = find_identity(fixture_, selector);
  // A newer Arc agent refuses an identity the machine does not have with 404, before it challenges.
  if (identity == nullptr) return imds_error(arc ? 404 : 400, "invalid_request", "Identity not found");

  if (arc) {
    if (auto challenge = check_arc_authorization(request)) return std::move(*challenge);
    if (auto refusal = refuse_resource(resource, resource_manager_, tenant)) return std::move(*refusal);
  }

  const int lifetime = fixture_.token_lifetime_seconds;
  const std::int64_t issued_at = unix_seconds(clock_.now());
  const std::string token =
      issue(Principal{identity->client_id, identity->object_id, std::string(tenant)}, lifetime);
  json::object body = imds_token_body(token, lifetime, issued_at, resource, identity->client_id);
  // An agent that honours a user-assigned selector echoes the identity it used (MSAL checks the echo and refuses
  // a token without it: an older agent silently hands out the system-assigned identity's).
  if (arc && selector != nullptr) body[selector->parameter.name] = id_of(*identity, selector->parameter.field);
  return json_response(200, body);
}

std::optional<Response> TokenService::check_arc_authorization(const Request& request) {
  constexpr std::string_view scheme = "Basic ";
  const std::string authorization = request.header("Authorization");
  const bool basic = authorization.size() > scheme.size() &&
                     iequals(std::string_view(authorization).substr(0, scheme.size()), scheme);
  if (basic && take_arc_challenge(std::string_view(authorization).substr(scheme.size()))) return std::nullopt;

  // No key, or one that answers no challenge: a new challenge, as HTTP Basic answers bad credentials.
  const auto file = new_arc_challenge();
  if (!file) return imds_error(500, "server_error", "Could not create the challenge token file: " + file.error().message);
  Response response =
      imds_error(401, "unauthorized_client", "Read the key file named by the WWW-Authenticate header and send its "
                                             "content as 'Authorization: Basic <key>'");
  // Unquoted, as himds sends it: clients split the header at '=' and take the rest as the path.
  response.headers.emplace_back("WWW-Authenticate", "Basic realm=" + file->string());
  return response;
}

Result<std::filesystem::path> TokenService::new_arc_challenge() {
  if (state_dir_.empty()) return make_error("the emulator has no state directory");
  auto key = random_key();
  if (!key) return make_error("no random bytes for the key");
  auto file = write_key_file(state_dir_ / "tokens", *key);
  if (!file) return file;
  arc_challenges_.push_back({*file, std::move(*key)});
  if (arc_challenges_.size() > max_arc_challenges) {
    std::error_code ignored;
    std::filesystem::remove(arc_challenges_.front().file, ignored);
    arc_challenges_.erase(arc_challenges_.begin());
  }
  return file;
}

bool TokenService::take_arc_challenge(std::string_view key) {
  const auto answered = std::ranges::find_if(
      arc_challenges_, [&](const ArcChallenge& challenge) { return constant_time_equal(key, challenge.key); });
  if (answered == arc_challenges_.end()) return false;
  // A key is good once: the next token needs a new challenge, as the SDKs do it anyway.
  std::error_code ignored;
  std::filesystem::remove(answered->file, ignored);
  arc_challenges_.erase(answered);
  return true;
}

bool TokenService::is_app_service_path(std::string_view path) {
  return iequals(without_trailing_slash(path), app_service_token_path);
}

Response TokenService::handle_app_service_request(const Request& request) {
  // Only where the fixture declares App Service's secret; IDENTITY_ENDPOINT is plain http, never TLS.
  if (request.https || !fixture_.app_service_identity_header) return not_found();
  const auto target = boost::urls::parse_origin_form(request.target);
  if (!target || !is_app_service_path(target->path())) return not_found();
  if (request.method != "GET") {
    Response response = app_service_error(405, "The requested HTTP method is not supported.");
    response.headers.emplace_back("Allow", "GET");
    return response;
  }
  // The secret guards against server-side request forgery: nothing else is looked at without it.
  const std::string secret = request.header("X-IDENTITY-HEADER");
  if (secret.empty()) return app_service_error(400, "The X-IDENTITY-HEADER header is required.");
  if (!constant_time_equal(secret, *fixture_.app_service_identity_header)) {
    return app_service_error(401, "The X-IDENTITY-HEADER header is invalid.");
  }

  const QueryParams query = query_params(*target);
  const std::string api_version = query_value(query, "api-version");
  if (api_version.empty()) return app_service_error(400, "The api-version query parameter is required.");
  if (api_version != app_service_api_version) {
    return app_service_error(400, "The api-version '" + api_version + "' is not supported.");
  }
  const std::string resource = query_value(query, "resource");
  if (resource.empty()) return app_service_error(400, "The resource query parameter is required.");
  const std::vector<IdentitySelector> selectors = selectors_in(query, app_service_selectors);
  if (selectors.size() > 1) {
    return app_service_error(400, "Only one of client_id, principal_id, object_id or mi_res_id may be specified.");
  }
  const ManagedIdentity* identity = find_identity(fixture_, selectors.empty() ? nullptr : &selectors.front());
  if (identity == nullptr) return app_service_error(400, "Unable to load the proper Managed Identity.");
  // A resource Entra ID has no token for comes back as a vague 500 (MSAL for Python notes it so), in the words
  // (typo included) of MSAL's App Service test doubles.
  if (without_trailing_slash(resource) != resource_manager_) {
    return app_service_error(500, "An unexpected error occured while fetching the AAD Token.");
  }

  const int lifetime = fixture_.token_lifetime_seconds;
  const std::int64_t issued_at = unix_seconds(clock_.now());
  const std::string tenant(tenant_of(fixture_));
  const std::string token = issue(Principal{identity->client_id, identity->object_id, tenant}, lifetime);
  // No expires_in: App Service tells the expiry as epoch seconds, in a string.
  return json_response(200, json::object{{"access_token", token},
                                         {"expires_on", std::to_string(issued_at + lifetime)},
                                         {"resource", resource},
                                         {"token_type", "Bearer"},
                                         {"client_id", identity->client_id}});
}

std::optional<Principal> TokenService::authenticate(const Request& request, Response& failure) const {
  const std::string tenant = fixture_.tenants.empty() ? std::string("common") : fixture_.tenants.front();
  const std::string authorization_uri = resource_manager_ + "/" + tenant;
  const auto fail = [&](std::string_view code, std::string_view message, std::string_view description) {
    failure = arm_unauthorized(authorization_uri, code, message, description);
    return std::nullopt;
  };
  constexpr std::string_view invalid_token = "The access token is invalid.";

  const std::string authorization = request.header("Authorization");
  if (authorization.empty()) {
    return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.");
  }
  constexpr std::string_view scheme = "Bearer ";
  if (authorization.size() <= scheme.size() ||
      !iequals(std::string_view(authorization).substr(0, scheme.size()), scheme)) {
    return fail("AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                "The 'Authorization' header is provided in an invalid format.");
  }

  const auto jwt = decode_jwt(std::string_view(authorization).substr(scheme.size()));
  if (!jwt || string_member(jwt->header, "alg") != "HS256" ||
      !constant_time_equal(jwt->signature, hmac_sha256(signing_secret_, jwt->signed_part))) {
    return fail("InvalidAuthenticationToken", invalid_token, invalid_token);
  }
  const auto expiry = seconds_member(jwt->claims, "exp");
  const auto not_before = seconds_member(jwt->claims, "nbf");
  const auto audience = string_member(jwt->claims, "aud");
  const auto client_id = string_member(jwt->claims, "appid");
  const auto object_id = string_member(jwt->claims, "oid");
  const auto tenant_id = string_member(jwt->claims, "tid");
  if (!expiry || !not_before || !audience || !client_id || !object_id || !tenant_id) {
    return fail("InvalidAuthenticationToken", invalid_token, invalid_token);
  }

  const EmulatorTime now = clock_.now();
  if (*expiry <= unix_seconds(now)) {
    const std::string message = "The access token expiry UTC time '" + dotnet_us_time(from_unix_seconds(*expiry)) +
                                "' is earlier than current UTC time '" + dotnet_us_time(now) + "'.";
    return fail("ExpiredAuthenticationToken", message, message);
  }
  if (*not_before - assertion_clock_skew_seconds > unix_seconds(now)) {
    return fail("InvalidAuthenticationToken", invalid_token, invalid_token);
  }
  if (*audience != resource_manager_ && *audience != resource_manager_ + "/") {
    const std::string message = "The access token has been obtained for wrong audience or resource '" + *audience +
                                "'. It should exactly match with one of the allowed audiences '" + resource_manager_ +
                                "/','" + resource_manager_ + "'.";
    return fail("InvalidAuthenticationTokenAudience", message, message);
  }
  return Principal{*client_id, *object_id, *tenant_id};
}

}  // namespace rpd::emulator
