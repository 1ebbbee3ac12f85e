#include "daemon/azure/client_assertion.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace rpd::azure {
namespace {

using namespace std::chrono_literals;

// 2026-11-25 10:30:00 UTC = 1795602600 seconds since the epoch.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h + 30min;
constexpr std::int64_t kNowSeconds = 1795602600;

struct Pem {
  std::string key;
  std::string certificate;
};

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

EVP_PKEY* generate_key(const char* algorithm) {
  if (std::string(algorithm) == "RSA") return EVP_RSA_gen(2048);
  return EVP_EC_gen("P-256");
}

// A fresh key and a self-signed certificate for it, both as PEM.
Pem make_pem(const char* algorithm = "RSA") {
  EVP_PKEY* key = generate_key(algorithm);
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  X509_sign(certificate, key, EVP_sha256());

  BIO* key_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(key_bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* certificate_bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(certificate_bio, certificate);
  Pem pem{bio_text(key_bio), bio_text(certificate_bio)};
  BIO_free(key_bio);
  BIO_free(certificate_bio);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return pem;
}

std::string base64url_decode(std::string_view text) {
  std::string padded(text);
  for (char& c : padded) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (padded.size() % 4 != 0) padded += '=';
  std::string out(padded.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
  EXPECT_GE(length, 0);
  std::size_t padding = padded.size() - text.size();
  out.resize(static_cast<std::size_t>(length) - padding);
  return out;
}

std::vector<std::string> split_jwt(const std::string& jwt) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwt.substr(start, dot - start));
  parts.push_back(jwt.substr(start));
  return parts;
}

std::string expected_x5t(const std::string& certificate_pem) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha1(), digest, &length);
  X509_free(certificate);
  BIO_free(bio);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
}

bool verify_rs256(const std::string& certificate_pem, const std::string& signing_input, const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  EVP_PKEY* public_key = X509_get_pubkey(certificate);
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(public_key);
  X509_free(certificate);
  BIO_free(bio);
  return ok;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(Base64Url, EncodesWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("\xfb\xff\xfe"), "-__-");
}

TEST(ClientAssertion, SignedJwtHasTheExactHeaderAndClaims) {
  Pem pem = make_pem();
  auto certificate = load_client_certificate(pem.key + pem.certificate);
  ASSERT_TRUE(certificate) << certificate.error().message;
  EXPECT_EQ(certificate->x5t, expected_x5t(pem.certificate));
  EXPECT_EQ(certificate->x5t.size(), 27u);

  const std::string token_url = "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token";
  std::string jwt = make_client_assertion(*certificate, "client-1", token_url,
                                          "6f1c2e7a-0b1d-4d3e-9a8b-7c6d5e4f3a2b", kNow);
  std::vector<std::string> parts = split_jwt(jwt);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(base64url_decode(parts[0]), R"({"alg":"RS256","typ":"JWT","x5t":")" + certificate->x5t + R"("})");
  EXPECT_EQ(base64url_decode(parts[1]),
            R"({"aud":"https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token","iss":"client-1",)"
            R"("sub":"client-1","jti":"6f1c2e7a-0b1d-4d3e-9a8b-7c6d5e4f3a2b","nbf":1795602600,"exp":1795603200})");
  for (const std::string& part : parts) EXPECT_EQ(part.find_first_of("+/="), std::string::npos) << part;

  std::string signature = base64url_decode(parts[2]);
  EXPECT_EQ(signature.size(), 256u);
  EXPECT_TRUE(verify_rs256(pem.certificate, parts[0] + "." + parts[1], signature));
  EXPECT_FALSE(verify_rs256(pem.certificate, parts[0] + "." + parts[1] + "x", signature));
}

TEST(ClientAssertion, NbfTruncatesToWholeSeconds) {
  Pem pem = make_pem();
  auto certificate = load_client_certificate(pem.certificate + pem.key);  // either order
  ASSERT_TRUE(certificate) << certificate.error().message;
  std::string jwt = make_client_assertion(*certificate, "c", "https://t", "j", kNow + 999ms);
  auto claims = boost::json::parse(base64url_decode(split_jwt(jwt)[1])).as_object();
  EXPECT_EQ(claims.at("nbf").as_int64(), kNowSeconds);
  EXPECT_EQ(claims.at("exp").as_int64(), kNowSeconds + 600);
}

TEST(ClientAssertion, LoadsTheEmulatorFixture) {
  std::string key = read_file(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/client-certificate-key.pem");
  std::string certificate_pem = read_file(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/client-certificate.pem");
  ASSERT_FALSE(key.empty());
  ASSERT_FALSE(certificate_pem.empty());
  auto certificate = load_client_certificate(certificate_pem + key);
  ASSERT_TRUE(certificate) << certificate.error().message;
  EXPECT_EQ(certificate->x5t, expected_x5t(certificate_pem));
  std::vector<std::string> parts = split_jwt(make_client_assertion(*certificate, "c", "https://t", "j", kNow));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(verify_rs256(certificate_pem, parts[0] + "." + parts[1], base64url_decode(parts[2])));
}

TEST(ClientAssertion, ErrorsNameWhatIsWrongWithoutTheKey) {
  Pem pem = make_pem();
  Pem other = make_pem();

  auto no_key = load_client_certificate(pem.certificate);
  ASSERT_FALSE(no_key);
  EXPECT_EQ(no_key.error().message, "client certificate: no private key in the PEM file");

  auto no_certificate = load_client_certificate(pem.key);
  ASSERT_FALSE(no_certificate);
  EXPECT_EQ(no_certificate.error().message, "client certificate: no certificate in the PEM file");

  auto mismatch = load_client_certificate(other.key + pem.certificate);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().message, "client certificate: the private key does not match the certificate");

  auto garbage = load_client_certificate("not a PEM file");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().message, "client certificate: no private key in the PEM file");

  Pem ec = make_pem("EC");
  auto not_rsa = load_client_certificate(ec.key + ec.certificate);
  ASSERT_FALSE(not_rsa);
  EXPECT_EQ(not_rsa.error().message, "client certificate: the private key is not an RSA key");
}

TEST(ClientAssertion, EncryptedKeyIsRefusedWithoutPrompting) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  const char* pass = "secret";
  PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), pass, 6, nullptr, nullptr);
  std::string encrypted = bio_text(bio);
  BIO_free(bio);
  EVP_PKEY_free(key);

  auto result = load_client_certificate(encrypted + make_pem().certificate);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message,
            "client certificate: the private key is encrypted; give it without a pass phrase");
}

}  // namespace
}  // namespace rpd::azure
