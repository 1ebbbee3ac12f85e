#include "daemon/azure/client_assertion.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <climits>
#include <cstdint>
#include <stdexcept>

namespace rpd::azure {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view text) {
  if (text.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Never prompt on a terminal for a pass phrase: an encrypted key is an error.
int no_password(char*, int, int, void*) { return -1; }

std::string as_string(const std::vector<unsigned char>& bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

void EvpPkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

std::string base64url_encode(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t at) { return static_cast<unsigned>(static_cast<unsigned char>(bytes[at])); };
  for (; i + 3 <= bytes.size(); i += 3) {
    unsigned n = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
    out += alphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    unsigned n = byte(i) << 16;
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
  } else if (rest == 2) {
    unsigned n = byte(i) << 16 | byte(i + 1) << 8;
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
  }
  return out;
}

Result<ClientCertificate> load_client_certificate(std::string_view pem) {
  BioPtr key_bio = memory_bio(pem);
  BioPtr certificate_bio = memory_bio(pem);
  if (!key_bio || !certificate_bio) return make_error("client certificate: cannot read the PEM text");

  bool encrypted = pem.find("ENCRYPTED") != std::string_view::npos;
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
  std::unique_ptr<X509, X509Free> certificate(PEM_read_bio_X509(certificate_bio.get(), nullptr, no_password, nullptr));
  ERR_clear_error();
  if (!key) {
    if (encrypted) return make_error("client certificate: the private key is encrypted; give it without a pass phrase");
    return make_error("client certificate: no private key in the PEM file");
  }
  if (!certificate) return make_error("client certificate: no certificate in the PEM file");
  if (!EVP_PKEY_is_a(key.get(), "RSA")) return make_error("client certificate: the private key is not an RSA key");
  if (X509_check_private_key(certificate.get(), key.get()) != 1) {
    ERR_clear_error();
    return make_error("client certificate: the private key does not match the certificate");
  }

  int length = i2d_X509(certificate.get(), nullptr);
  if (length <= 0) return make_error("client certificate: cannot encode the certificate");
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  i2d_X509(certificate.get(), &out);

  unsigned char sha1[SHA_DIGEST_LENGTH];
  SHA1(der.data(), der.size(), sha1);
  std::string x5t = base64url_encode(std::string_view(reinterpret_cast<const char*>(sha1), sizeof sha1));
  return ClientCertificate{std::move(key), std::move(der), std::move(x5t)};
}

std::string make_client_assertion(const ClientCertificate& certificate, std::string_view client_id,
                                  std::string_view token_url, std::string_view jti,
                                  std::chrono::system_clock::time_point now) {
  using std::chrono::seconds;
  std::int64_t issued = std::chrono::duration_cast<seconds>(now.time_since_epoch()).count();

  boost::json::object header;
  header["alg"] = "RS256";
  header["typ"] = "JWT";
  header["x5t"] = certificate.x5t;
  boost::json::object claims;
  claims["aud"] = token_url;
  claims["iss"] = client_id;
  claims["sub"] = client_id;
  claims["jti"] = jti;
  claims["nbf"] = issued;
  claims["exp"] = issued + 10 * 60;

  std::string signing_input =
      base64url_encode(boost::json::serialize(header)) + "." + base64url_encode(boost::json::serialize(claims));

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> context(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, certificate.key.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("client assertion: cannot start the RS256 signature");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(context.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("client assertion: the RS256 signature failed");
  }
  signature.resize(length);
  return signing_input + "." + base64url_encode(as_string(signature));
}

}  // namespace rpd::azure
