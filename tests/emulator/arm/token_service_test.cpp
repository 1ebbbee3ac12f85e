#include "tests/emulator/arm/token_service.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/emulator/arm/emulator.hpp"
#include "tests/emulator/openssl_handles.hpp"

namespace rpd::emulator {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr const char* kOtherTenant = "0d5c6f3a-1b2e-4c7d-9e8f-a1b2c3d4e5f6";
constexpr const char* kResourceManager = "https://127.0.0.1:8443";

constexpr const char* kSecretClient = "a1b2c3d4-0000-4000-8000-000000000001";
constexpr const char* kSecret = "s3cr et/+=&%~x";  // exercises '+' and %XX decoding of the form
constexpr const char* kCertificateClient = "a1b2c3d4-0000-4000-8000-000000000002";
constexpr const char* kFederatedClient = "a1b2c3d4-0000-4000-8000-000000000003";
constexpr const char* kFederatedToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln";
constexpr const char* kOtherTenantClient = "a1b2c3d4-0000-4000-8000-000000000004";
// The federated credential of kFederatedClient: a Kubernetes cluster's service account.
constexpr const char* kIssuer = "https://oidc.example.test/cluster1";
constexpr const char* kSubject = "system:serviceaccount:backup:restorepointd";
constexpr const char* kTokenExchange = "api://AzureADTokenExchange";

constexpr const char* kSystemIdentityClient = "5e7a0000-0000-4000-8000-00000000000a";
constexpr const char* kUserIdentityClient = "5e7a0000-0000-4000-8000-00000000000b";
constexpr const char* kUserIdentityObject = "0b1e0000-0000-4000-8000-00000000000b";
constexpr const char* kUserIdentityResource =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/backup-identity";

constexpr const char* kJwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// 2025-06-01 12:00:00 UTC
const EmulatorTime kStart{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1} + 12h};

std::int64_t unix_seconds(EmulatorTime time) {
  return std::chrono::floor<std::chrono::seconds>(time).time_since_epoch().count();
}

// ---------------------------------------------------------------------------------------------------
// OpenSSL helpers for the test's own keys, certificates and assertions


std::string base64url(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  for (char& c : encoded) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return encoded;
}

std::string base64url_decode(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const std::size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');
  std::string decoded(standard.size() / 4 * 3, '\0');
  const int length =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                      reinterpret_cast<const unsigned char*>(standard.data()), static_cast<int>(standard.size()));
  if (length < 0) {
    ADD_FAILURE() << "not base64url: " << text;
    return {};
  }
  decoded.resize(static_cast<std::size_t>(length) - padding);
  return decoded;
}

// A JWT's parts, decoded: header and claims as JSON.
struct JwtParts {
  json::object header;
  json::object claims;
};

JwtParts decode_jwt(const std::string& token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first + 1);
  EXPECT_NE(first, std::string::npos);
  EXPECT_NE(second, std::string::npos);
  return {json::parse(base64url_decode(token.substr(0, first))).as_object(),
          json::parse(base64url_decode(token.substr(first + 1, second - first - 1))).as_object()};
}

// An RSA 2048 key and a self-signed certificate for it, as an app registration would hold.
struct SigningKey {
  PkeyPtr key;
  std::string certificate_pem;
  std::string sha1_thumbprint;  // raw digest of the DER certificate
  std::string sha256_thumbprint;
};

std::string certificate_digest(X509* certificate, const EVP_MD* digest) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> buffer{};
  unsigned int length = 0;
  EXPECT_EQ(X509_digest(certificate, digest, buffer.data(), &length), 1);
  return std::string(reinterpret_cast<const char*>(buffer.data()), length);
}

SigningKey make_signing_key(const char* common_name) {
  SigningKey result;
  result.key.reset(EVP_RSA_gen(2048));
  EXPECT_TRUE(result.key);
  const X509Ptr certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate.get()), 365L * 24 * 3600);
  X509_set_pubkey(certificate.get(), result.key.get());
  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(certificate.get(), name);
  EXPECT_GT(X509_sign(certificate.get(), result.key.get(), EVP_sha256()), 0);

  const BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_X509(bio.get(), certificate.get()), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  result.certificate_pem.assign(data, static_cast<std::size_t>(length));
  result.sha1_thumbprint = certificate_digest(certificate.get(), EVP_sha1());
  result.sha256_thumbprint = certificate_digest(certificate.get(), EVP_sha256());
  return result;
}

// Key generation is slow: one registered key and one stranger's, for the whole run.
const SigningKey& registered_key() {
  static const SigningKey key = make_signing_key("registered");
  return key;
}
const SigningKey& stranger_key() {
  static const SigningKey key = make_signing_key("stranger");
  return key;
}

std::string sign(EVP_PKEY* key, std::string_view algorithm, std::string_view data) {
  const DigestContextPtr context(EVP_MD_CTX_new());
  EVP_PKEY_CTX* key_context = nullptr;
  EXPECT_EQ(EVP_DigestSignInit(context.get(), &key_context, EVP_sha256(), nullptr, key), 1);
  if (algorithm == "PS256") {
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_padding(key_context, RSA_PKCS1_PSS_PADDING), 1);
    EXPECT_EQ(EVP_PKEY_CTX_set_rsa_pss_saltlen(key_context, RSA_PSS_SALTLEN_DIGEST), 1);
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  EXPECT_EQ(EVP_DigestSign(context.get(), nullptr, &length, bytes, data.size()), 1);
  std::string signature(length, '\0');
  EXPECT_EQ(
      EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, bytes, data.size()),
      1);
  signature.resize(length);
  return signature;
}

std::string make_jwt(EVP_PKEY* signer, std::string_view algorithm, const json::object& header,
                     const json::object& claims) {
  const std::string signed_part = base64url(json::serialize(header)) + "." + base64url(json::serialize(claims));
  return signed_part + "." + base64url(sign(signer, algorithm, signed_part));
}

// What MSAL puts in a certificate assertion for kCertificateClient.
json::object assertion_claims(EmulatorTime now) {
  const std::int64_t seconds = unix_seconds(now);
  return {{"aud", std::string(kResourceManager) + "/" + kTenant + "/oauth2/v2.0/token"},
          {"iss", kCertificateClient},
          {"sub", kCertificateClient},
          {"jti", "6f1c3a52-4b7e-4d2a-9c51-2f0e8d7b6a31"},
          {"nbf", seconds},
          {"exp", seconds + 600}};
}

json::object x5t_header(const SigningKey& named, std::string_view algorithm = "RS256") {
  return {{"alg", algorithm}, {"typ", "JWT"}, {"x5t", base64url(named.sha1_thumbprint)}};
}

// What the kubelet writes to AZURE_FEDERATED_TOKEN_FILE: a service account token for kSubject, valid an hour.
json::object service_account_claims(EmulatorTime issued) {
  const std::int64_t seconds = unix_seconds(issued);
  return {{"aud", json::array{kTokenExchange}},
          {"iss", kIssuer},
          {"sub", kSubject},
          {"iat", seconds},
          {"nbf", seconds},
          {"exp", seconds + 3600},
          {"kubernetes.io",
           json::object{{"namespace", "backup"}, {"serviceaccount", json::object{{"name", "restorepointd"}}}}}};
}

std::string service_account_token(const json::object& claims, const SigningKey& signer = stranger_key()) {
  return make_jwt(signer.key.get(), "RS256", {{"alg", "RS256"}, {"kid", "cluster1-key"}}, claims);
}

FederatedCredential kubernetes_credential() { return {.issuer = kIssuer, .subject = kSubject}; }

// The issuer's key as a fixture holds it: "-----BEGIN PUBLIC KEY-----".
std::string public_key_pem(EVP_PKEY* key) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

// ---------------------------------------------------------------------------------------------------
// Requests and responses

std::string percent_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string encoded;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += c;
    } else if (c == ' ') {
      encoded += '+';
    } else {
      encoded += '%';
      encoded += digits[byte >> 4];
      encoded += digits[byte & 0x0f];
    }
  }
  return encoded;
}

using Form = std::vector<std::pair<std::string, std::string>>;

Request token_request(const Form& form) {
  Request request;
  request.method = "POST";
  request.target = std::string("/") + kTenant + "/oauth2/v2.0/token";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  for (const auto& [name, value] : form) {
    if (!request.body.empty()) request.body += '&';
    request.body += percent_encode(name) + "=" + percent_encode(value);
  }
  return request;
}

Form secret_form(std::string secret = kSecret) {
  return {{"grant_type", "client_credentials"},
          {"client_id", kSecretClient},
          {"client_secret", std::move(secret)},
          {"scope", std::string(kResourceManager) + "/.default"}};
}

Form assertion_form(const char* client_id, std::string assertion) {
  return {{"grant_type", "client_credentials"},
          {"client_id", client_id},
          {"client_assertion_type", kJwtBearer},
          {"client_assertion", std::move(assertion)},
          {"scope", std::string(kResourceManager) + "/.default"}};
}

Form without(Form form, std::string_view name) {
  std::erase_if(form, [&](const auto& entry) { return entry.first == name; });
  return form;
}

Form with(Form form, std::string_view name, std::string value) {
  for (auto& entry : form) {
    if (entry.first == name) entry.second = value;
  }
  return form;
}

Request imds_request(std::string query, bool with_metadata_header = true) {
  Request request;
  request.method = "GET";
  request.https = false;
  request.target = "/metadata/identity/oauth2/token?" + std::move(query);
  if (with_metadata_header) request.headers = {{"Metadata", "true"}};
  return request;
}

std::string imds_query(std::string extra = "") {
  return "api-version=2018-02-01&resource=" + percent_encode(std::string(kResourceManager) + "/") + extra;
}

Request arm_request(std::string authorization) {
  Request request;
  request.method = "GET";
  request.target = "/subscriptions?api-version=2022-12-01";
  if (!authorization.empty()) request.headers = {{"Authorization", std::move(authorization)}};
  return request;
}

std::string header_of(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

json::object body_of(const Response& response) { return json::parse(response.body).as_object(); }

// Asserts Entra's error shape: status, OAuth error, one AADSTS code, ids and timestamp.
void expect_entra_error(const Response& response, int status, std::string_view error, std::int64_t code) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json; charset=utf-8");
  const json::object body = body_of(response);
  EXPECT_EQ(body.at("error").as_string(), error) << response.body;
  EXPECT_EQ(body.at("error_codes"), (json::array{code})) << response.body;
  const std::string description(body.at("error_description").as_string());
  EXPECT_TRUE(description.starts_with("AADSTS" + std::to_string(code) + ": ")) << description;
  EXPECT_NE(description.find("\r\nTrace ID: " + std::string(body.at("trace_id").as_string())), std::string::npos);
  EXPECT_EQ(body.at("trace_id").as_string().size(), 36u);
  EXPECT_EQ(body.at("correlation_id").as_string().size(), 36u);
  EXPECT_EQ(body.at("timestamp").as_string(), "2025-06-01 12:00:00Z");
}

void expect_arm_401(const Response& response, std::string_view code) {
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(body_of(response).at("error").at("code").as_string(), code) << response.body;
  const std::string challenge = header_of(response, "WWW-Authenticate");
  EXPECT_TRUE(challenge.starts_with(std::string("Bearer authorization_uri=\"") + kResourceManager + "/" + kTenant +
                                    "\", error=\"invalid_token\", error_description=\""))
      << challenge;
}

// ---------------------------------------------------------------------------------------------------

Fixture make_fixture() {
  Fixture fixture;
  fixture.tenants = {kTenant, kOtherTenant};
  fixture.service_principals = {
      {kTenant, kSecretClient, kSecret, std::nullopt, std::nullopt, "0b1e0000-0000-4000-8000-000000000001"},
      {kTenant, kCertificateClient, std::nullopt, registered_key().certificate_pem, std::nullopt,
       "0b1e0000-0000-4000-8000-000000000002"},
      {kTenant, kFederatedClient, std::nullopt, std::nullopt, kFederatedToken, "0b1e0000-0000-4000-8000-000000000003",
       kubernetes_credential()},
      {kOtherTenant, kOtherTenantClient, "other-secret", std::nullopt, std::nullopt,
       "0b1e0000-0000-4000-8000-000000000004"},
  };
  fixture.managed_identities = {
      {kSystemIdentityClient, "0b1e0000-0000-4000-8000-00000000000a",
       "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/"
       "virtualMachines/vm1",
       true},
      {kUserIdentityClient, kUserIdentityObject, kUserIdentityResource, false},
  };
  fixture.token_lifetime_seconds = 3600;
  return fixture;
}

class TokenServiceTest : public ::testing::Test {
 protected:
  TokenServiceTest() { service_.set_resource_manager(std::string(kResourceManager) + "/"); }

  Fixture fixture_ = make_fixture();
  ManualClock clock_{kStart};
  TokenService service_{fixture_, clock_, "seed-derived-signing-secret"};

  Response token(const Form& form) { return service_.handle_token_request(token_request(form), kTenant); }

  std::optional<Principal> authenticate(std::string authorization, Response& failure) {
    return service_.authenticate(arm_request(std::move(authorization)), failure);
  }
};

// ---------------------------------------------------------------------------------------------------
// Issued tokens

TEST_F(TokenServiceTest, IssuedTokensAreHs256JwtsWithTheDocumentedClaims) {
  const std::string token = service_.issue({"app", "object", kTenant}, 1200);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  EXPECT_EQ(token.find_first_of("+/= "), std::string::npos) << "base64url without padding";

  const JwtParts parts = decode_jwt(token);
  EXPECT_EQ(parts.header, (json::object{{"alg", "HS256"}, {"typ", "JWT"}}));
  const std::int64_t now = unix_seconds(kStart);
  EXPECT_EQ(parts.claims, (json::object{{"aud", kResourceManager},
                                        {"iss", std::string("https://sts.windows.net/") + kTenant + "/"},
                                        {"iat", now},
                                        {"nbf", now},
                                        {"exp", now + 1200},
                                        {"appid", "app"},
                                        {"oid", "object"},
                                        {"tid", kTenant}}));
}

TEST_F(TokenServiceTest, IssuedTokensDependOnTheSigningSecret) {
  TokenService other{fixture_, clock_, "another-seed"};
  other.set_resource_manager(kResourceManager);
  EXPECT_NE(service_.issue({"app", "object", kTenant}, 60), other.issue({"app", "object", kTenant}, 60));
}

// ---------------------------------------------------------------------------------------------------
// Token endpoint: client secret

TEST_F(TokenServiceTest, ClientSecretGetsAToken) {
  const Response response = token(secret_form());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(header_of(response, "Cache-Control"), "no-store, no-cache");
  const json::object body = body_of(response);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), 3600);
  EXPECT_EQ(body.at("ext_expires_in"), 3600);
  EXPECT_EQ(response.body.find("s3cr"), std::string::npos) << "never a secret in a response";

  const JwtParts parts = decode_jwt(std::string(body.at("access_token").as_string()));
  EXPECT_EQ(parts.claims.at("appid"), kSecretClient);
  EXPECT_EQ(parts.claims.at("oid"), "0b1e0000-0000-4000-8000-000000000001");
  EXPECT_EQ(parts.claims.at("tid"), kTenant);
  EXPECT_EQ(parts.claims.at("exp"), unix_seconds(kStart) + 3600);
}

TEST_F(TokenServiceTest, TokenLifetimeComesFromTheFixture) {
  fixture_.token_lifetime_seconds = 300;
  const Response response = token(secret_form());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(body_of(response).at("expires_in"), 300);
}

TEST_F(TokenServiceTest, IssuedTokenAuthenticatesAsTheServicePrincipal) {
  const Response response = token(secret_form());
  ASSERT_EQ(response.status, 200);
  Response failure;
  const auto principal =
      authenticate("Bearer " + std::string(body_of(response).at("access_token").as_string()), failure);
  ASSERT_TRUE(principal) << failure.body;
  EXPECT_EQ(principal->client_id, kSecretClient);
  EXPECT_EQ(principal->object_id, "0b1e0000-0000-4000-8000-000000000001");
  EXPECT_EQ(principal->tenant_id, kTenant);
}

TEST_F(TokenServiceTest, WrongSecretIs7000215AndLeaksNoSecret) {
  const Response response = token(secret_form("not-the-secret"));
  expect_entra_error(response, 401, "invalid_client", 7000215);
  EXPECT_EQ(response.body.find("not-the-secret"), std::string::npos);
  EXPECT_EQ(response.body.find("s3cr"), std::string::npos);
}

TEST_F(TokenServiceTest, ErrorEchoesTheClientRequestIdAsCorrelationId) {
  Request request = token_request(secret_form("wrong"));
  request.headers.emplace_back("client-request-id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  const Response response = service_.handle_token_request(request, kTenant);
  EXPECT_EQ(body_of(response).at("correlation_id"), "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
  EXPECT_EQ(header_of(response, "client-request-id"), "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
}

TEST_F(TokenServiceTest, MissingParametersAre900144) {
  for (const char* name : {"grant_type", "client_id", "scope"}) {
    SCOPED_TRACE(name);
    const Response response = token(without(secret_form(), name));
    expect_entra_error(response, 400, "invalid_request", 900144);
    EXPECT_NE(response.body.find(std::string("parameter: '") + name + "'"), std::string::npos) << response.body;
  }
}

TEST_F(TokenServiceTest, JsonBodyIsNoForm) {
  Request request = token_request({});
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"grant_type":"client_credentials"})";
  expect_entra_error(service_.handle_token_request(request, kTenant), 400, "invalid_request", 900144);
}

TEST_F(TokenServiceTest, NoCredentialIs7000216) {
  expect_entra_error(token(without(secret_form(), "client_secret")), 401, "invalid_client", 7000216);
}

TEST_F(TokenServiceTest, UnsupportedGrantTypeIs70003) {
  expect_entra_error(token(with(secret_form(), "grant_type", "password")), 400, "unsupported_grant_type", 70003);
}

TEST_F(TokenServiceTest, UnknownClientIs700016) {
  expect_entra_error(token(with(secret_form(), "client_id", "00000000-dead-4000-8000-000000000000")), 400,
                     "unauthorized_client", 700016);
}

TEST_F(TokenServiceTest, ClientOfAnotherTenantIs700016) {
  Form form = with(secret_form("other-secret"), "client_id", kOtherTenantClient);
  expect_entra_error(token(form), 400, "unauthorized_client", 700016);
  // ... and works at its own tenant's endpoint.
  EXPECT_EQ(service_.handle_token_request(token_request(form), kOtherTenant).status, 200);
}

TEST_F(TokenServiceTest, IdsAreComparedCaseInsensitively) {
  std::string upper_client = kSecretClient;
  for (char& c : upper_client) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(token(with(secret_form(), "client_id", upper_client)).status, 200);
}

TEST_F(TokenServiceTest, UnknownTenantIs90002) {
  expect_entra_error(service_.handle_token_request(token_request(secret_form()), "contoso.onmicrosoft.com"), 400,
                     "invalid_tenant", 90002);
}

TEST_F(TokenServiceTest, ScopeWithTrailingSlashBeforeDefaultIsAccepted) {
  EXPECT_EQ(token(with(secret_form(), "scope", std::string(kResourceManager) + "//.default")).status, 200);
}

TEST_F(TokenServiceTest, BadScopes) {
  expect_entra_error(token(with(secret_form(), "scope", std::string(kResourceManager) + "/user_impersonation")), 400,
                     "invalid_scope", 1002012);
  expect_entra_error(token(with(secret_form(), "scope", "https://management.azure.com/.default")), 400,
                     "invalid_resource", 500011);
  expect_entra_error(token(with(secret_form(), "scope",
                                std::string(kResourceManager) + "/.default https://graph.microsoft.com/.default")),
                     400, "invalid_scope", 70011);
}

TEST_F(TokenServiceTest, TokenEndpointOnlyAcceptsPost) {
  Request request = token_request(secret_form());
  request.method = "GET";
  expect_entra_error(service_.handle_token_request(request, kTenant), 400, "invalid_request", 900561);
}

TEST_F(TokenServiceTest, TokenEndpointIsNotOnThePlainHttpListener) {
  Request request = token_request(secret_form());
  request.https = false;
  EXPECT_EQ(service_.handle_token_request(request, kTenant).status, 404);
}

// ---------------------------------------------------------------------------------------------------
// Token endpoint: certificate assertions

TEST_F(TokenServiceTest, Rs256AssertionWithX5tGetsAToken) {
  const std::string assertion =
      make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), assertion_claims(kStart));
  const Response response = token(assertion_form(kCertificateClient, assertion));
  ASSERT_EQ(response.status, 200) << response.body;
  const JwtParts parts = decode_jwt(std::string(body_of(response).at("access_token").as_string()));
  EXPECT_EQ(parts.claims.at("appid"), kCertificateClient);
  EXPECT_EQ(parts.claims.at("oid"), "0b1e0000-0000-4000-8000-000000000002");
}

TEST_F(TokenServiceTest, Ps256AssertionWithX5tS256GetsAToken) {
  const json::object header{
      {"alg", "PS256"}, {"typ", "JWT"}, {"x5t#S256", base64url(registered_key().sha256_thumbprint)}};
  const std::string assertion = make_jwt(registered_key().key.get(), "PS256", header, assertion_claims(kStart));
  const Response response = token(assertion_form(kCertificateClient, assertion));
  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_F(TokenServiceTest, AssertionSignedByAnotherKeyIs700027) {
  // Names the registered certificate but is signed by a stranger's key.
  const std::string assertion =
      make_jwt(stranger_key().key.get(), "RS256", x5t_header(registered_key()), assertion_claims(kStart));
  const Response response = token(assertion_form(kCertificateClient, assertion));
  expect_entra_error(response, 401, "invalid_client", 700027);
  EXPECT_NE(response.body.find("invalid signature"), std::string::npos) << response.body;
}

TEST_F(TokenServiceTest, AssertionNamingAnUnregisteredCertificateIs700027) {
  const std::string assertion =
      make_jwt(stranger_key().key.get(), "RS256", x5t_header(stranger_key()), assertion_claims(kStart));
  const Response response = token(assertion_form(kCertificateClient, assertion));
  expect_entra_error(response, 401, "invalid_client", 700027);
  EXPECT_NE(response.body.find("not registered"), std::string::npos) << response.body;
}

TEST_F(TokenServiceTest, AssertionWithoutThumbprintOrWithASymmetricAlgorithmIs700027) {
  const std::string no_thumbprint =
      make_jwt(registered_key().key.get(), "RS256", {{"alg", "RS256"}, {"typ", "JWT"}}, assertion_claims(kStart));
  expect_entra_error(token(assertion_form(kCertificateClient, no_thumbprint)), 401, "invalid_client", 700027);

  // An RS256 signature presented as "none" or HS256 must not pass.
  for (const char* algorithm : {"none", "HS256"}) {
    json::object header = x5t_header(registered_key());
    header["alg"] = algorithm;
    const std::string assertion = make_jwt(registered_key().key.get(), "RS256", header, assertion_claims(kStart));
    expect_entra_error(token(assertion_form(kCertificateClient, assertion)), 401, "invalid_client", 700027);
  }
}

TEST_F(TokenServiceTest, ExpiredAssertionIs700024) {
  json::object claims = assertion_claims(kStart - 30min);  // expired 20 minutes ago
  const std::string assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
  const Response response = token(assertion_form(kCertificateClient, assertion));
  expect_entra_error(response, 401, "invalid_client", 700024);
  EXPECT_NE(response.body.find("Current time: 2025-06-01T12:00:00.0000000Z"), std::string::npos) << response.body;
  EXPECT_NE(response.body.find("expiry time of assertion 2025-06-01T11:40:00.0000000Z"), std::string::npos);
}

TEST_F(TokenServiceTest, AssertionTimesAllowFiveMinutesOfSkew) {
  json::object claims = assertion_claims(kStart - 12min);  // expired 2 minutes ago: within skew
  std::string assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
  EXPECT_EQ(token(assertion_form(kCertificateClient, assertion)).status, 200);

  claims = assertion_claims(kStart + 4min);  // not valid for another 4 minutes: within skew
  assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
  EXPECT_EQ(token(assertion_form(kCertificateClient, assertion)).status, 200);

  claims = assertion_claims(kStart + 6min);  // beyond skew
  assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
  expect_entra_error(token(assertion_form(kCertificateClient, assertion)), 401, "invalid_client", 700024);
}

TEST_F(TokenServiceTest, AssertionForAnotherAudienceIs700023) {
  for (const std::string& audience :
       {std::string("https://login.microsoftonline.com/") + kTenant + "/oauth2/v2.0/token",
        std::string(kResourceManager) + "/" + kOtherTenant + "/oauth2/v2.0/token"}) {
    json::object claims = assertion_claims(kStart);
    claims["aud"] = audience;
    const std::string assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
    expect_entra_error(token(assertion_form(kCertificateClient, assertion)), 401, "invalid_client", 700023);
  }
}

TEST_F(TokenServiceTest, AssertionIssuerOrSubjectOtherThanTheClientIs700021) {
  for (const char* claim : {"iss", "sub"}) {
    json::object claims = assertion_claims(kStart);
    claims[claim] = kSecretClient;
    const std::string assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
    expect_entra_error(token(assertion_form(kCertificateClient, assertion)), 401, "invalid_client", 700021);
  }
}

TEST_F(TokenServiceTest, AssertionWithoutJtiOrExpIsMalformed) {
  for (const char* claim : {"jti", "exp"}) {
    json::object claims = assertion_claims(kStart);
    claims.erase(claim);
    const std::string assertion = make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), claims);
    expect_entra_error(token(assertion_form(kCertificateClient, assertion)), 400, "invalid_request", 50027);
  }
}

TEST_F(TokenServiceTest, GarbageAssertionsAreMalformed) {
  for (const char* garbage : {"not-a-jwt", "a.b.c", "e30.e30.", "e30.e30.e30.e30", "!!.??.**", ".."}) {
    SCOPED_TRACE(garbage);
    expect_entra_error(token(assertion_form(kCertificateClient, garbage)), 400, "invalid_request", 50027);
  }
}

TEST_F(TokenServiceTest, AssertionNeedsTheJwtBearerType) {
  const std::string assertion =
      make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), assertion_claims(kStart));
  expect_entra_error(token(without(assertion_form(kCertificateClient, assertion), "client_assertion_type")), 400,
                     "invalid_request", 900144);
  expect_entra_error(token(with(assertion_form(kCertificateClient, assertion), "client_assertion_type", "saml")), 400,
                     "invalid_request", 50027);
}

TEST_F(TokenServiceTest, AssertionForAClientWithOnlyASecretIs700027) {
  const std::string assertion =
      make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), assertion_claims(kStart));
  expect_entra_error(token(assertion_form(kSecretClient, assertion)), 401, "invalid_client", 700027);
}

TEST_F(TokenServiceTest, SecretForAClientWithOnlyACertificateIs7000215) {
  expect_entra_error(token(with(secret_form(), "client_id", kCertificateClient)), 401, "invalid_client", 7000215);
}

// ---------------------------------------------------------------------------------------------------
// Token endpoint: workload identity (federated) assertions

TEST_F(TokenServiceTest, FederatedTokenGetsAToken) {
  const Response response = token(assertion_form(kFederatedClient, kFederatedToken));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(decode_jwt(std::string(body_of(response).at("access_token").as_string())).claims.at("appid"),
            kFederatedClient);
  EXPECT_EQ(response.body.find(kFederatedToken), std::string::npos);
}

TEST_F(TokenServiceTest, OtherFederatedTokenIs70021) {
  const std::string rotated_away = std::string(kFederatedToken) + "x";
  const Response response = token(assertion_form(kFederatedClient, rotated_away));
  expect_entra_error(response, 400, "invalid_request", 70021);
  EXPECT_EQ(response.body.find(kFederatedToken), std::string::npos);
}

TEST_F(TokenServiceTest, RotatedServiceAccountTokensAreEachAccepted) {
  // The client re-reads the token file: each token the cluster projects into it must do.
  const std::string first = service_account_token(service_account_claims(kStart));
  clock_.advance(50min);
  json::object claims = service_account_claims(kStart + 50min);
  claims["aud"] = kTokenExchange;  // a single string is as good as an array holding it
  const std::string second = service_account_token(claims);
  ASSERT_NE(first, second);

  for (const std::string& assertion : {first, second}) {
    const Response response = token(assertion_form(kFederatedClient, assertion));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(decode_jwt(std::string(body_of(response).at("access_token").as_string())).claims.at("appid"),
              kFederatedClient);
  }
}

TEST_F(TokenServiceTest, ServiceAccountTokenFromAnotherIssuerIs70021) {
  json::object claims = service_account_claims(kStart);
  claims["iss"] = "https://oidc.example.test/cluster2";
  const Response response = token(assertion_form(kFederatedClient, service_account_token(claims)));
  expect_entra_error(response, 400, "invalid_request", 70021);
  EXPECT_NE(response.body.find("Assertion Issuer: 'https://oidc.example.test/cluster2'"), std::string::npos)
      << response.body;
}

TEST_F(TokenServiceTest, ServiceAccountTokenForAnotherSubjectIs70021) {
  // Entra matches the subject exactly, case included.
  for (const char* subject : {"system:serviceaccount:default:default", "system:serviceaccount:Backup:restorepointd"}) {
    SCOPED_TRACE(subject);
    json::object claims = service_account_claims(kStart);
    claims["sub"] = subject;
    const Response response = token(assertion_form(kFederatedClient, service_account_token(claims)));
    expect_entra_error(response, 400, "invalid_request", 70021);
    EXPECT_NE(response.body.find(std::string("Assertion Subject: '") + subject + "'"), std::string::npos);
  }
}

TEST_F(TokenServiceTest, ServiceAccountTokenForAnotherAudienceIs700212) {
  for (const json::value& audience : {json::value("api://other"), json::value(json::array{"api://other", "x"})}) {
    SCOPED_TRACE(json::serialize(audience));
    json::object claims = service_account_claims(kStart);
    claims["aud"] = audience;
    const Response response = token(assertion_form(kFederatedClient, service_account_token(claims)));
    expect_entra_error(response, 401, "invalid_client", 700212);
    EXPECT_NE(response.body.find("audience 'api://other"), std::string::npos) << response.body;
  }
}

TEST_F(TokenServiceTest, ServiceAccountTokenOutOfItsTimeIs700024) {
  // Expired ten minutes ago: beyond the five minutes of skew.
  std::string assertion = service_account_token(service_account_claims(kStart - 70min));
  expect_entra_error(token(assertion_form(kFederatedClient, assertion)), 401, "invalid_client", 700024);

  // Expired two minutes ago: within the skew.
  assertion = service_account_token(service_account_claims(kStart - 62min));
  EXPECT_EQ(token(assertion_form(kFederatedClient, assertion)).status, 200);

  // Not valid for another ten minutes.
  assertion = service_account_token(service_account_claims(kStart + 10min));
  expect_entra_error(token(assertion_form(kFederatedClient, assertion)), 401, "invalid_client", 700024);

  json::object claims = service_account_claims(kStart);
  claims.erase("exp");
  expect_entra_error(token(assertion_form(kFederatedClient, service_account_token(claims))), 400, "invalid_request",
                     50027);
}

TEST_F(TokenServiceTest, ServiceAccountTokenNeedsTheJwtBearerType) {
  const std::string assertion = service_account_token(service_account_claims(kStart));
  expect_entra_error(token(with(assertion_form(kFederatedClient, assertion), "client_assertion_type", "saml")), 400,
                     "invalid_request", 50027);
}

TEST_F(TokenServiceTest, WithTheIssuerKeyOnlyTokensItSignedAreAccepted) {
  fixture_.service_principals[2].federated_credential->issuer_key_pem = public_key_pem(registered_key().key.get());

  const std::string signed_by_issuer = service_account_token(service_account_claims(kStart), registered_key());
  const Response accepted = token(assertion_form(kFederatedClient, signed_by_issuer));
  EXPECT_EQ(accepted.status, 200) << accepted.body;

  const std::string signed_by_stranger = service_account_token(service_account_claims(kStart), stranger_key());
  expect_entra_error(token(assertion_form(kFederatedClient, signed_by_stranger)), 401, "invalid_client", 700027);

  // The issuer's signature presented under another algorithm does not pass either.
  for (const char* algorithm : {"none", "HS256", "PS256"}) {
    SCOPED_TRACE(algorithm);
    const std::string assertion =
        make_jwt(registered_key().key.get(), "RS256", {{"alg", algorithm}}, service_account_claims(kStart));
    expect_entra_error(token(assertion_form(kFederatedClient, assertion)), 401, "invalid_client", 700027);
  }
}

TEST_F(TokenServiceTest, WithoutTheIssuerKeyNoSignatureIsChecked) {
  // Whoever signed it: the emulator cannot fetch the issuer's keys (see check_federated_assertion).
  const std::string assertion = service_account_token(service_account_claims(kStart), stranger_key());
  EXPECT_EQ(token(assertion_form(kFederatedClient, assertion)).status, 200);
}

TEST_F(TokenServiceTest, FederatedAudienceComesFromTheFixture) {
  fixture_.service_principals[2].federated_credential->audience = "api://restorepointd";
  json::object claims = service_account_claims(kStart);
  expect_entra_error(token(assertion_form(kFederatedClient, service_account_token(claims))), 401, "invalid_client",
                     700212);
  claims["aud"] = "api://restorepointd";
  EXPECT_EQ(token(assertion_form(kFederatedClient, service_account_token(claims))).status, 200);
}

TEST_F(TokenServiceTest, CertificateAndFederatedCredentialOnOnePrincipal) {
  fixture_.service_principals[1].federated_credential = kubernetes_credential();
  const std::string certificate_assertion =
      make_jwt(registered_key().key.get(), "RS256", x5t_header(registered_key()), assertion_claims(kStart));
  EXPECT_EQ(token(assertion_form(kCertificateClient, certificate_assertion)).status, 200);
  const std::string federated_assertion = service_account_token(service_account_claims(kStart));
  EXPECT_EQ(token(assertion_form(kCertificateClient, federated_assertion)).status, 200);
}

TEST_F(TokenServiceTest, ServiceAccountTokenForAPrincipalWithoutFederatedCredentialIs700027) {
  const std::string assertion = service_account_token(service_account_claims(kStart));
  expect_entra_error(token(assertion_form(kSecretClient, assertion)), 401, "invalid_client", 700027);
}

// ---------------------------------------------------------------------------------------------------
// The fixture's federated credentials

TEST(FederatedCredentialFixture, SmallFixtureDeclaresOne) {
  const auto fixture = load_fixture(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml");
  ASSERT_TRUE(fixture) << fixture.error().message;
  const ServicePrincipal& principal = fixture->service_principals.at(2);
  EXPECT_EQ(principal.client_id, "33333333-3333-4333-8333-333333333333");
  EXPECT_TRUE(principal.federated_token);
  ASSERT_TRUE(principal.federated_credential);
  EXPECT_EQ(principal.federated_credential->issuer, kIssuer);
  EXPECT_EQ(principal.federated_credential->subject, kSubject);
  EXPECT_EQ(principal.federated_credential->audience, kTokenExchange);
  EXPECT_FALSE(principal.federated_credential->issuer_key_pem);
  EXPECT_FALSE(fixture->service_principals.at(0).federated_credential);
}

std::string principal_yaml(const std::string& federated_keys) {
  return "tenants: [ t ]\nservice_principals:\n  - { tenant_id: t, client_id: c, " + federated_keys + " }\n";
}

TEST(FederatedCredentialFixture, ReadsAudienceAndIssuerKey) {
  const auto inline_key = parse_fixture(
      principal_yaml("federated_issuer: i, federated_subject: s, federated_audience: a, federated_issuer_key_pem: k"));
  ASSERT_TRUE(inline_key) << inline_key.error().message;
  const FederatedCredential& credential = *inline_key->service_principals.at(0).federated_credential;
  EXPECT_EQ(credential.issuer, "i");
  EXPECT_EQ(credential.subject, "s");
  EXPECT_EQ(credential.audience, "a");
  EXPECT_EQ(credential.issuer_key_pem, "k");

  // A key file is found relative to the fixture's directory.
  const auto directory = std::filesystem::temp_directory_path() / ("federated-fixture-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  const std::string pem = public_key_pem(registered_key().key.get());
  std::ofstream(directory / "issuer.pem") << pem;
  const auto key_file =
      parse_fixture(principal_yaml("federated_issuer: i, federated_subject: s, federated_issuer_key_file: issuer.pem"),
                    directory.string());
  std::filesystem::remove_all(directory);
  ASSERT_TRUE(key_file) << key_file.error().message;
  EXPECT_EQ(key_file->service_principals.at(0).federated_credential->issuer_key_pem, pem);
}

TEST(FederatedCredentialFixture, IncompleteDeclarationsFailLoudly) {
  for (const char* keys :
       {"federated_issuer: i", "federated_subject: s", "federated_audience: a", "federated_issuer_key_pem: k",
        "federated_issuer: i, federated_subject: s, federated_issuer_key_file: /nonexistent.pem",
        "federated_issuer: i, federated_subject: s, federated_issuer_key_pem: k, "
        "federated_issuer_key_file: k.pem",
        "federated_issuer: i, federated_subject: s, federated_issuer_key: k"}) {
    SCOPED_TRACE(keys);
    EXPECT_FALSE(parse_fixture(principal_yaml(keys)));
  }
}

// ---------------------------------------------------------------------------------------------------
// Managed identity endpoint (IMDS)

TEST_F(TokenServiceTest, ImdsRequiresTheMetadataHeader) {
  const Response response = service_.handle_imds_request(imds_request(imds_query(), false));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response), (json::object{{"error", "invalid_request"},
                                             {"error_description", "Required metadata header not specified"}}));
}

TEST_F(TokenServiceTest, ImdsGivesTheSystemAssignedIdentityATokenWithNumbersAsStrings) {
  const Response response = service_.handle_imds_request(imds_request(imds_query()));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json; charset=utf-8");
  const json::object body = body_of(response);
  const std::int64_t now = unix_seconds(kStart);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("refresh_token"), "");
  EXPECT_EQ(body.at("expires_in"), "3600");
  EXPECT_EQ(body.at("expires_on").as_string(), std::to_string(now + 3600));
  EXPECT_EQ(body.at("not_before").as_string(), std::to_string(now));
  EXPECT_EQ(body.at("resource").as_string(), std::string(kResourceManager) + "/");
  EXPECT_EQ(body.at("client_id"), kSystemIdentityClient);

  const JwtParts parts = decode_jwt(std::string(body.at("access_token").as_string()));
  EXPECT_EQ(parts.claims.at("appid"), kSystemIdentityClient);
  EXPECT_EQ(parts.claims.at("tid"), kTenant);
  EXPECT_EQ(parts.claims.at("exp"), now + 3600);

  Response failure;
  const auto principal = authenticate("Bearer " + std::string(body.at("access_token").as_string()), failure);
  ASSERT_TRUE(principal) << failure.body;
  EXPECT_EQ(principal->client_id, kSystemIdentityClient);
}

TEST_F(TokenServiceTest, ImdsSelectsAUserAssignedIdentity) {
  for (const std::string& selector :
       {std::string("client_id=") + kUserIdentityClient, std::string("object_id=") + kUserIdentityObject,
        "msi_res_id=" + percent_encode(kUserIdentityResource)}) {
    SCOPED_TRACE(selector);
    const Response response = service_.handle_imds_request(imds_request(imds_query("&" + selector)));
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(body_of(response).at("client_id"), kUserIdentityClient);
  }
}

TEST_F(TokenServiceTest, ImdsRefusesTwoSelectors) {
  const Response response = service_.handle_imds_request(
      imds_request(imds_query(std::string("&client_id=") + kUserIdentityClient + "&object_id=" + kUserIdentityObject)));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response).at("error"), "invalid_request");
}

TEST_F(TokenServiceTest, ImdsUnknownIdentity) {
  const Response response =
      service_.handle_imds_request(imds_request(imds_query("&client_id=00000000-0000-4000-8000-0000000000ff")));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response),
            (json::object{{"error", "invalid_request"}, {"error_description", "Identity not found"}}));
}

TEST_F(TokenServiceTest, ImdsWithoutASystemAssignedIdentity) {
  fixture_.managed_identities[0].system_assigned = false;
  const Response response = service_.handle_imds_request(imds_request(imds_query()));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response).at("error_description"), "Identity not found");
}

TEST_F(TokenServiceTest, ImdsIsNotServedOverHttps) {
  Request request = imds_request(imds_query());
  request.https = true;
  EXPECT_EQ(service_.handle_imds_request(request).status, 404);
}

TEST_F(TokenServiceTest, ImdsQueryChecks) {
  EXPECT_EQ(service_.handle_imds_request(imds_request("resource=" + percent_encode(kResourceManager))).status, 400);
  EXPECT_EQ(service_.handle_imds_request(imds_request("api-version=2018-02-01")).status, 400);
  const Response wrong_resource =
      service_.handle_imds_request(imds_request("api-version=2018-02-01&resource=https://vault.azure.net"));
  EXPECT_EQ(wrong_resource.status, 400);
  EXPECT_EQ(body_of(wrong_resource).at("error"), "invalid_resource");
  // Without the trailing slash is as good as with it.
  const Response no_slash =
      service_.handle_imds_request(imds_request("api-version=2019-08-01&resource=" + percent_encode(kResourceManager)));
  EXPECT_EQ(no_slash.status, 200) << no_slash.body;
  EXPECT_EQ(body_of(no_slash).at("resource"), kResourceManager);
}

TEST_F(TokenServiceTest, ImdsOnlyAnswersGetWithoutProxies) {
  Request post = imds_request(imds_query());
  post.method = "POST";
  EXPECT_EQ(service_.handle_imds_request(post).status, 405);

  Request proxied = imds_request(imds_query());
  proxied.headers.emplace_back("X-Forwarded-For", "10.0.0.4");
  EXPECT_EQ(service_.handle_imds_request(proxied).status, 400);
}

// ---------------------------------------------------------------------------------------------------
// Managed identity endpoint (App Service and Functions)

constexpr const char* kIdentityHeader = "9f1d2c3b-app-service-identity-header";

Request app_service_request(std::string query, std::string identity_header = kIdentityHeader) {
  Request request;
  request.method = "GET";
  request.https = false;
  request.target = "/msi/token?" + std::move(query);
  if (!identity_header.empty()) request.headers = {{"X-IDENTITY-HEADER", std::move(identity_header)}};
  return request;
}

std::string app_service_query(std::string extra = "") {
  return "api-version=2019-08-01&resource=" + percent_encode(std::string(kResourceManager) + "/") + extra;
}

// App Service's error shape: the status repeated in the body, a message and a correlation id.
void expect_app_service_error(const Response& response, int status, std::string_view message) {
  EXPECT_EQ(response.status, status) << response.body;
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json; charset=utf-8");
  const json::object body = body_of(response);
  EXPECT_EQ(body.at("statusCode"), status) << response.body;
  EXPECT_EQ(std::string_view(body.at("message").as_string()), message) << response.body;
  EXPECT_EQ(body.at("correlationId").as_string().size(), 36u) << response.body;
  EXPECT_EQ(response.body.find(kIdentityHeader), std::string::npos) << "the secret is not echoed";
}

class AppServiceTest : public TokenServiceTest {
 protected:
  AppServiceTest() { fixture_.app_service_identity_header = kIdentityHeader; }

  Response get(std::string query, std::string identity_header = kIdentityHeader) {
    return service_.handle_app_service_request(app_service_request(std::move(query), std::move(identity_header)));
  }
};

TEST_F(TokenServiceTest, AppServiceIsOffUnlessTheFixtureDeclaresItsSecret) {
  const Response response = service_.handle_app_service_request(app_service_request(app_service_query()));
  EXPECT_EQ(response.status, 404);
}

TEST_F(AppServiceTest, SystemAssignedIdentityGetsATokenWithExpiresOnAsAString) {
  const Response response = get(app_service_query());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(header_of(response, "Content-Type"), "application/json; charset=utf-8");
  const json::object body = body_of(response);
  const std::int64_t now = unix_seconds(kStart);
  // Exactly the fields App Service sends: no expires_in.
  EXPECT_EQ(body.size(), 5u) << response.body;
  EXPECT_EQ(body.at("expires_on").as_string(), std::to_string(now + 3600));
  EXPECT_EQ(body.at("resource").as_string(), std::string(kResourceManager) + "/");
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("client_id"), kSystemIdentityClient);

  const JwtParts parts = decode_jwt(std::string(body.at("access_token").as_string()));
  EXPECT_EQ(parts.claims.at("appid"), kSystemIdentityClient);
  EXPECT_EQ(parts.claims.at("tid"), kTenant);
  Response failure;
  const auto principal = authenticate("Bearer " + std::string(body.at("access_token").as_string()), failure);
  ASSERT_TRUE(principal) << failure.body;
  EXPECT_EQ(principal->client_id, kSystemIdentityClient);
}

TEST_F(AppServiceTest, EachSelectorNamesTheUserAssignedIdentity) {
  for (const std::string& selector :
       {std::string("client_id=") + kUserIdentityClient, std::string("principal_id=") + kUserIdentityObject,
        std::string("object_id=") + kUserIdentityObject, "mi_res_id=" + percent_encode(kUserIdentityResource)}) {
    SCOPED_TRACE(selector);
    const Response response = get(app_service_query("&" + selector));
    ASSERT_EQ(response.status, 200) << response.body;
    const json::object body = body_of(response);
    EXPECT_EQ(body.at("client_id"), kUserIdentityClient);
    EXPECT_EQ(decode_jwt(std::string(body.at("access_token").as_string())).claims.at("oid"), kUserIdentityObject);
  }
}

TEST_F(AppServiceTest, UnknownOrAmbiguousIdentity) {
  expect_app_service_error(get(app_service_query("&client_id=00000000-0000-4000-8000-0000000000ff")), 400,
                           "Unable to load the proper Managed Identity.");
  expect_app_service_error(
      get(app_service_query(std::string("&client_id=") + kUserIdentityClient + "&mi_res_id=" +
                            percent_encode(kUserIdentityResource))),
      400, "Only one of client_id, principal_id, object_id or mi_res_id may be specified.");
  fixture_.managed_identities[0].system_assigned = false;
  expect_app_service_error(get(app_service_query()), 400, "Unable to load the proper Managed Identity.");
}

TEST_F(AppServiceTest, MissingIdentityHeaderIs400) {
  expect_app_service_error(get(app_service_query(), ""), 400, "The X-IDENTITY-HEADER header is required.");
  // App Service's protocol before 2019 used a `secret` header; it is no substitute.
  Request old_protocol = app_service_request(app_service_query(), "");
  old_protocol.headers = {{"secret", kIdentityHeader}};
  EXPECT_EQ(service_.handle_app_service_request(old_protocol).status, 400);
}

TEST_F(AppServiceTest, WrongIdentityHeaderIs401BeforeAnythingElseIsChecked) {
  expect_app_service_error(get(app_service_query(), "not-the-identity-header"), 401,
                           "The X-IDENTITY-HEADER header is invalid.");
  // A prefix of the secret is no better, and the query is not looked at without the secret.
  expect_app_service_error(get("resource=x", std::string(kIdentityHeader).substr(0, 10)), 401,
                           "The X-IDENTITY-HEADER header is invalid.");
  // Header names are case-insensitive.
  Request lower_case = app_service_request(app_service_query(), "");
  lower_case.headers = {{"x-identity-header", kIdentityHeader}};
  EXPECT_EQ(service_.handle_app_service_request(lower_case).status, 200);
}

TEST_F(AppServiceTest, QueryChecks) {
  expect_app_service_error(get("resource=" + percent_encode(kResourceManager)), 400,
                           "The api-version query parameter is required.");
  expect_app_service_error(get("api-version=2017-09-01&resource=" + percent_encode(kResourceManager)), 400,
                           "The api-version '2017-09-01' is not supported.");
  expect_app_service_error(get("api-version=2019-08-01"), 400, "The resource query parameter is required.");
  expect_app_service_error(get("api-version=2019-08-01&resource=https://vault.azure.net"), 500,
                           "An unexpected error occured while fetching the AAD Token.");
  const Response no_slash = get("api-version=2019-08-01&resource=" + percent_encode(kResourceManager));
  ASSERT_EQ(no_slash.status, 200) << no_slash.body;
  EXPECT_EQ(body_of(no_slash).at("resource"), kResourceManager);
}

TEST_F(AppServiceTest, PathMethodAndTransport) {
  // Windows App Service spells the endpoint http://127.0.0.1:<port>/MSI/token/.
  Request windows = app_service_request(app_service_query());
  windows.target = "/MSI/token/?" + app_service_query();
  EXPECT_EQ(service_.handle_app_service_request(windows).status, 200);
  EXPECT_TRUE(TokenService::is_app_service_path("/MSI/token/"));
  EXPECT_FALSE(TokenService::is_app_service_path("/msi/token/extra"));

  Request post = app_service_request(app_service_query());
  post.method = "POST";
  const Response refused = service_.handle_app_service_request(post);
  EXPECT_EQ(refused.status, 405);
  EXPECT_EQ(header_of(refused, "Allow"), "GET");

  Request over_tls = app_service_request(app_service_query());
  over_tls.https = true;
  EXPECT_EQ(service_.handle_app_service_request(over_tls).status, 404);
}

TEST_F(AppServiceTest, ImdsStaysAsItWas) {
  // Declaring App Service's secret changes nothing on the IMDS path.
  EXPECT_EQ(service_.handle_imds_request(imds_request(imds_query())).status, 200);
}

// ---------------------------------------------------------------------------------------------------
// Managed identity endpoint (Azure Arc's himds)

// A private temporary directory, removed with everything in it.
struct ScratchDirectory {
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "arc-state-XXXXXX").string();
    EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
    path = pattern;
  }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;
  ~ScratchDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

std::string arc_query(std::string extra = "", std::string api_version = "2020-06-01") {
  return "api-version=" + std::move(api_version) + "&resource=" + percent_encode(std::string(kResourceManager) + "/") +
         extra;
}

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::filesystem::perms permissions_of(const std::filesystem::path& path) {
  return std::filesystem::status(path).permissions() & std::filesystem::perms::mask;
}

class ArcTest : public TokenServiceTest {
 protected:
  ArcTest() {
    fixture_.managed_identity_flavour = ManagedIdentityFlavour::arc;
    arc_.set_resource_manager(std::string(kResourceManager) + "/");
  }

  Response get(std::string query, std::string authorization = "") {
    Request request = imds_request(std::move(query));
    if (!authorization.empty()) request.headers.emplace_back("Authorization", std::move(authorization));
    return arc_.handle_imds_request(request);
  }

  // The key file a 401 names, after checking the challenge's shape.
  std::filesystem::path challenged_file(const Response& response) {
    EXPECT_EQ(response.status, 401) << response.body;
    const std::string challenge = header_of(response, "WWW-Authenticate");
    constexpr std::string_view prefix = "Basic realm=";
    EXPECT_TRUE(challenge.starts_with(prefix)) << challenge;
    // Clients split the header at '=' and take the rest as the path: one '=' only, no quotes.
    EXPECT_EQ(std::count(challenge.begin(), challenge.end(), '='), 1) << challenge;
    EXPECT_EQ(challenge.find('"'), std::string::npos) << challenge;
    return challenge.substr(std::min(prefix.size(), challenge.size()));
  }

  // The challenge, then the answer with the key read from the file.
  Response challenge_and_answer(const std::string& query) {
    const std::filesystem::path file = challenged_file(get(query));
    return get(query, "Basic " + file_text(file));
  }

  ScratchDirectory state_dir_;
  TokenService arc_{fixture_, clock_, "seed-derived-signing-secret", state_dir_.path};
};

TEST_F(ArcTest, ChallengeThenToken) {
  const Response challenge = get(arc_query());
  const std::filesystem::path file = challenged_file(challenge);
  EXPECT_EQ(body_of(challenge).at("error"), "unauthorized_client");
  ASSERT_TRUE(std::filesystem::is_regular_file(file)) << file;
  const std::string key = file_text(file);
  EXPECT_EQ(key.size(), 64u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;

  const Response response = get(arc_query(), "Basic " + key);
  ASSERT_EQ(response.status, 200) << response.body;
  const json::object body = body_of(response);
  const std::int64_t now = unix_seconds(kStart);
  // The token as IMDS gives it: numbers as strings.
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), "3600");
  EXPECT_EQ(body.at("expires_on").as_string(), std::to_string(now + 3600));
  EXPECT_EQ(body.at("resource").as_string(), std::string(kResourceManager) + "/");
  EXPECT_EQ(body.at("client_id"), kSystemIdentityClient);
  Response failure;
  const auto principal = authenticate("Bearer " + std::string(body.at("access_token").as_string()), failure);
  ASSERT_TRUE(principal) << failure.body;
  EXPECT_EQ(principal->client_id, kSystemIdentityClient);

  // The key is used up, and its file with it.
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(get(arc_query(), "Basic " + key).status, 401);
}

TEST_F(ArcTest, KeyFileIsPrivateAbsoluteAndInsideTheStateDir) {
  const std::filesystem::path file = challenged_file(get(arc_query()));
  EXPECT_TRUE(file.is_absolute()) << file;
  EXPECT_EQ(file.extension(), ".key");
  EXPECT_EQ(file.parent_path(), std::filesystem::canonical(state_dir_.path) / "tokens");
  EXPECT_EQ(permissions_of(file), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(permissions_of(file.parent_path()), std::filesystem::perms::owner_all);
  EXPECT_LE(std::filesystem::file_size(file), 4096u) << "clients refuse larger key files";

  // Whatever the umask says.
  const mode_t previous = ::umask(0);
  const std::filesystem::path second = challenged_file(get(arc_query()));
  ::umask(previous);
  EXPECT_EQ(permissions_of(second), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_NE(second, file) << "every challenge has a file of its own";
}

TEST_F(ArcTest, RelativeStateDirStillGivesAnAbsoluteRealm) {
  const std::filesystem::path relative = std::filesystem::relative(state_dir_.path);
  ASSERT_FALSE(relative.is_absolute());
  TokenService service{fixture_, clock_, "seed-derived-signing-secret", relative};
  const std::filesystem::path file = challenged_file(service.handle_imds_request(imds_request(arc_query())));
  EXPECT_TRUE(file.is_absolute()) << file;
  EXPECT_TRUE(std::filesystem::exists(file));
}

TEST_F(ArcTest, WrongKeyIsChallengedAgain) {
  const std::filesystem::path file = challenged_file(get(arc_query()));
  const std::string key = file_text(file);

  for (const std::string& authorization : {std::string("Basic not-the-key"), "Basic " + key.substr(0, 63),
                                           "Bearer " + key, std::string("Basic ")}) {
    SCOPED_TRACE(authorization);
    const Response refused = get(arc_query(), authorization);
    const std::filesystem::path again = challenged_file(refused);
    EXPECT_NE(again, file);
    EXPECT_TRUE(std::filesystem::exists(again));
  }
  // The first challenge still stands: a wrong key spoils no other.
  EXPECT_EQ(get(arc_query(), "basic " + key).status, 200);
}

TEST_F(ArcTest, ApiVersionsOfTheSdks) {
  for (const char* version : {"2019-08-15", "2019-11-01", "2020-06-01"}) {
    SCOPED_TRACE(version);
    EXPECT_EQ(challenge_and_answer(arc_query("", version)).status, 200);
  }
  // IMDS's version is not himds's: refused before any challenge.
  const Response imds_version = get(arc_query("", "2018-02-01"));
  EXPECT_EQ(imds_version.status, 400);
  EXPECT_EQ(body_of(imds_version).at("error"), "invalid_request");
  EXPECT_EQ(header_of(imds_version, "WWW-Authenticate"), "");
  EXPECT_EQ(get("resource=x").status, 400);
}

TEST_F(ArcTest, UserAssignedIdentitiesAreEchoed) {
  const std::vector<std::pair<std::string, std::string>> selectors = {
      {"client_id", kUserIdentityClient}, {"object_id", kUserIdentityObject}, {"msi_res_id", kUserIdentityResource}};
  for (const auto& [name, value] : selectors) {
    SCOPED_TRACE(name);
    const Response response = challenge_and_answer(arc_query("&" + name + "=" + percent_encode(value)));
    ASSERT_EQ(response.status, 200) << response.body;
    const json::object body = body_of(response);
    EXPECT_EQ(body.at("client_id"), kUserIdentityClient);
    EXPECT_EQ(std::string_view(body.at(name).as_string()), value);
  }
  // App Service's spelling means nothing to himds: the system-assigned identity answers.
  const Response ignored = challenge_and_answer(arc_query("&mi_res_id=" + percent_encode(kUserIdentityResource)));
  ASSERT_EQ(ignored.status, 200) << ignored.body;
  EXPECT_EQ(body_of(ignored).at("client_id"), kSystemIdentityClient);
  EXPECT_FALSE(body_of(ignored).contains("mi_res_id"));
}

TEST_F(ArcTest, UnknownIdentityIs404BeforeAnyChallenge) {
  const Response response = get(arc_query("&client_id=00000000-0000-4000-8000-0000000000ff"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(header_of(response, "WWW-Authenticate"), "");
  EXPECT_FALSE(std::filesystem::exists(state_dir_.path / "tokens")) << "no key file was written";
  EXPECT_EQ(get(arc_query(std::string("&client_id=") + kUserIdentityClient + "&object_id=" + kUserIdentityObject))
                .status,
            400);
}

TEST_F(ArcTest, WrongResourceIsRefusedOnceTheChallengeIsAnswered) {
  const std::string query = "api-version=2020-06-01&resource=https://vault.azure.net";
  const Response response = challenge_and_answer(query);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response).at("error"), "invalid_resource");
}

TEST_F(ArcTest, MetadataHeaderIsStillRequired) {
  const Response response = arc_.handle_imds_request(imds_request(arc_query(), false));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(body_of(response).at("error_description"), "Required metadata header not specified");
}

TEST_F(ArcTest, WithoutAStateDirTheChallengeFails) {
  const Response response = service_.handle_imds_request(imds_request(arc_query()));
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(header_of(response, "WWW-Authenticate"), "");
}

TEST_F(ArcTest, UnansweredChallengesLeaveNoLitter) {
  const auto key_files = [&] {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(state_dir_.path / "tokens")) {
      count += entry.path().extension() == ".key" ? 1u : 0u;
    }
    return count;
  };
  const std::filesystem::path first = challenged_file(get(arc_query()));
  for (int i = 0; i < 70; ++i) (void)get(arc_query());
  EXPECT_EQ(key_files(), 64u) << "the oldest challenges are dropped";
  EXPECT_FALSE(std::filesystem::exists(first));

  {
    TokenService short_lived{fixture_, clock_, "seed-derived-signing-secret", state_dir_.path};
    (void)challenged_file(short_lived.handle_imds_request(imds_request(arc_query())));
    EXPECT_EQ(key_files(), 65u);
  }
  EXPECT_EQ(key_files(), 64u) << "a service removes its files when it goes";
}

// ---------------------------------------------------------------------------------------------------
// The fixture's switches and the emulator's routing

TEST(ManagedIdentityFixture, SettingsAreRead) {
  const auto defaults = parse_fixture("tenants: [ t ]\n");
  ASSERT_TRUE(defaults) << defaults.error().message;
  EXPECT_EQ(defaults->managed_identity_flavour, ManagedIdentityFlavour::imds);
  EXPECT_FALSE(defaults->app_service_identity_header);

  const auto set = parse_fixture(
      "tenants: [ t ]\nsettings: { managed_identity_flavour: arc, app_service_identity_header: s3cret }\n");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->managed_identity_flavour, ManagedIdentityFlavour::arc);
  EXPECT_EQ(set->app_service_identity_header, "s3cret");

  EXPECT_FALSE(parse_fixture("settings: { managed_identity_flavour: appservice }\n"));
  EXPECT_FALSE(parse_fixture("settings: { app_service_identity_header: '' }\n"));
}

TEST(ManagedIdentityRouting, ThePlainHttpListenerCarriesAllThreeEndpoints) {
  auto fixture = load_fixture(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml");
  ASSERT_TRUE(fixture) << fixture.error().message;
  fixture.value().managed_identity_flavour = ManagedIdentityFlavour::arc;
  fixture.value().app_service_identity_header = kIdentityHeader;
  ScratchDirectory state_dir;
  ManualClock clock{kStart};
  Emulator emulator(std::move(fixture).value(), clock, EmulatorOptions{.seed = 1, .state_dir = state_dir.path});
  emulator.set_endpoints(kResourceManager, "http://127.0.0.1:8080");

  const Response app_service = emulator.handle(app_service_request(app_service_query()));
  ASSERT_EQ(app_service.status, 200) << app_service.body;
  EXPECT_EQ(body_of(app_service).at("client_id"), "44444444-4444-4444-8444-444444444444");

  const Response challenge = emulator.handle(imds_request(arc_query()));
  ASSERT_EQ(challenge.status, 401) << challenge.body;
  const std::string realm = header_of(challenge, "WWW-Authenticate").substr(std::string("Basic realm=").size());
  EXPECT_TRUE(realm.starts_with(std::filesystem::canonical(state_dir.path).string() + "/tokens/")) << realm;
  Request answer = imds_request(arc_query());
  answer.headers.emplace_back("Authorization", "Basic " + file_text(realm));
  EXPECT_EQ(emulator.handle(answer).status, 200);

  Request elsewhere = app_service_request(app_service_query());
  elsewhere.target = "/metadata/instance?api-version=2021-02-01";
  EXPECT_EQ(emulator.handle(elsewhere).status, 404);
}

// ---------------------------------------------------------------------------------------------------
// Resource Manager's bearer check

TEST_F(TokenServiceTest, MissingAuthorizationHeader) {
  Response failure;
  EXPECT_FALSE(authenticate("", failure));
  expect_arm_401(failure, "AuthenticationFailed");
  EXPECT_EQ(body_of(failure).at("error").at("message"),
            "Authentication failed. The 'Authorization' header is missing.");
  EXPECT_EQ(header_of(failure, "Content-Type"), "application/json; charset=utf-8");
}

TEST_F(TokenServiceTest, AuthorizationOfAnotherScheme) {
  Response failure;
  EXPECT_FALSE(authenticate("Basic dXNlcjpwYXNz", failure));
  expect_arm_401(failure, "AuthenticationFailed");
}

TEST_F(TokenServiceTest, MalformedTokens) {
  const std::string valid = service_.issue({"app", "object", kTenant}, 3600);
  for (const std::string& token :
       {std::string("abc"), std::string("a.b.c"), std::string(".."), std::string("e30.e30."),
        std::string("e30.e30.e30"), valid.substr(0, valid.size() - 3), valid + ".extra", std::string(5000, 'A')}) {
    SCOPED_TRACE(token);
    Response failure;
    EXPECT_FALSE(authenticate("Bearer " + token, failure));
    expect_arm_401(failure, "InvalidAuthenticationToken");
  }
}

TEST_F(TokenServiceTest, TokenSignedWithAnotherSecret) {
  TokenService impostor{fixture_, clock_, "not-our-secret"};
  impostor.set_resource_manager(kResourceManager);
  Response failure;
  EXPECT_FALSE(authenticate("Bearer " + impostor.issue({"app", "object", kTenant}, 3600), failure));
  expect_arm_401(failure, "InvalidAuthenticationToken");
}

TEST_F(TokenServiceTest, TamperedClaimsBreakTheSignature) {
  const std::string valid = service_.issue({"app", "object", kTenant}, 3600);
  const auto first = valid.find('.');
  const auto second = valid.find('.', first + 1);
  JwtParts parts = decode_jwt(valid);
  parts.claims["appid"] = "someone-else";
  const std::string tampered =
      valid.substr(0, first + 1) + base64url(json::serialize(parts.claims)) + valid.substr(second);
  Response failure;
  EXPECT_FALSE(authenticate("Bearer " + tampered, failure));
  expect_arm_401(failure, "InvalidAuthenticationToken");
}

TEST_F(TokenServiceTest, UnsignedTokenIsRefused) {
  const std::int64_t now = unix_seconds(kStart);
  const json::object claims{{"aud", kResourceManager}, {"iat", now}, {"nbf", now},    {"exp", now + 3600},
                            {"appid", "app"},          {"oid", "o"}, {"tid", kTenant}};
  const std::string unsigned_token =
      base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(json::serialize(claims)) + ".";
  Response failure;
  EXPECT_FALSE(authenticate("Bearer " + unsigned_token, failure));
  expect_arm_401(failure, "InvalidAuthenticationToken");
}

TEST_F(TokenServiceTest, TokenExpiresAfterItsLifetime) {
  const std::string token = service_.issue({"app", "object", kTenant}, 3600);
  Response failure;
  clock_.advance(3599s);
  EXPECT_TRUE(authenticate("Bearer " + token, failure));

  clock_.advance(2s);
  EXPECT_FALSE(authenticate("Bearer " + token, failure));
  expect_arm_401(failure, "ExpiredAuthenticationToken");
  EXPECT_EQ(body_of(failure).at("error").at("message"),
            "The access token expiry UTC time '6/1/2025 1:00:00 PM' is earlier than current UTC time "
            "'6/1/2025 1:00:01 PM'.");
}

TEST_F(TokenServiceTest, TokenForAnotherAudience) {
  TokenService other_cloud{fixture_, clock_, "seed-derived-signing-secret"};
  other_cloud.set_resource_manager("https://management.azure.com");
  Response failure;
  EXPECT_FALSE(authenticate("Bearer " + other_cloud.issue({"app", "object", kTenant}, 3600), failure));
  expect_arm_401(failure, "InvalidAuthenticationTokenAudience");
  EXPECT_NE(failure.body.find("wrong audience or resource 'https://management.azure.com'"), std::string::npos);
}

TEST_F(TokenServiceTest, ClaimsInTheChallengeCannotBreakTheHeader) {
  TokenService hostile{fixture_, clock_, "seed-derived-signing-secret"};
  hostile.set_resource_manager("https://evil\"\r\nSet-Cookie: x=1");
  Response failure;
  EXPECT_FALSE(authenticate("Bearer " + hostile.issue({"app", "object", kTenant}, 3600), failure));
  const std::string challenge = header_of(failure, "WWW-Authenticate");
  EXPECT_EQ(challenge.find_first_of("\r\n"), std::string::npos) << challenge;
  EXPECT_EQ(std::count(challenge.begin(), challenge.end(), '"'), 6) << challenge;
}

TEST_F(TokenServiceTest, ValidTokenReturnsThePrincipal) {
  Response failure;
  const auto principal = authenticate("Bearer " + service_.issue({"client", "object", kOtherTenant}, 3600), failure);
  ASSERT_TRUE(principal);
  EXPECT_EQ(principal->client_id, "client");
  EXPECT_EQ(principal->object_id, "object");
  EXPECT_EQ(principal->tenant_id, kOtherTenant);
}

}  // namespace
}  // namespace rpd::emulator
