#include "tests/emulator/server/tls_identity.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <fstream>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/emulator/openssl_handles.hpp"

namespace rpd::emulator {
namespace {


constexpr long one_hour = 60L * 60;
constexpr long thirty_days = 30L * 24 * one_hour;

// What failed, and the reason OpenSSL put first on its error queue (the root cause; later entries only say
// which caller gave up).
Error openssl_error(std::string_view what) {
  std::string message = "TLS identity: " + std::string(what);
  if (const unsigned long code = ERR_get_error(); code != 0) {
    std::array<char, 256> text{};
    ERR_error_string_n(code, text.data(), text.size());
    message += ": ";
    message += text.data();
  }
  ERR_clear_error();
  return make_error(std::move(message));
}

Result<PkeyPtr> generate_p256_key() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating an EC P-256 key");
  return key;
}

// A positive 127-bit random serial: unique enough that a client never sees two certificates from the same
// issuer with the same serial across restarts, which some clients cache and then reject.
bool set_random_serial(X509* certificate) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return false;
  bytes[0] = static_cast<unsigned char>((bytes[0] & 0x7f) | 0x40);
  BignumPtr serial(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  return serial && BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate)) != nullptr;
}

bool add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                                    -1, -1, 0) == 1;
}

// An extension in openssl.cnf syntax ("critical,CA:TRUE"), resolved against `context` (which names the issuer
// for authorityKeyIdentifier).
bool add_extension(X509* certificate, X509V3_CTX* context, int nid, const char* value) {
  ExtensionPtr extension(X509V3_EXT_nconf_nid(nullptr, context, nid, value));
  return extension && X509_add_ext(certificate, extension.get(), -1) == 1;
}

struct CertificateRequest {
  std::string common_name;
  EVP_PKEY* subject_key = nullptr;
  X509* issuer = nullptr;  // nullptr: self-signed
  EVP_PKEY* issuer_key = nullptr;
  std::vector<std::pair<int, const char*>> extensions;  // after subjectKeyIdentifier and authorityKeyIdentifier
};

Result<X509Ptr> make_certificate(const CertificateRequest& request) {
  X509Ptr certificate(X509_new());
  if (!certificate) return openssl_error("allocating a certificate for " + request.common_name);
  X509* const issuer = request.issuer != nullptr ? request.issuer : certificate.get();

  X509_NAME* const subject = X509_get_subject_name(certificate.get());
  const bool fields_set = X509_set_version(certificate.get(), X509_VERSION_3) == 1 &&
                          set_random_serial(certificate.get()) &&
                          // An hour in the past: a client whose clock runs a little behind still accepts it.
                          X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -one_hour) != nullptr &&
                          X509_gmtime_adj(X509_getm_notAfter(certificate.get()), thirty_days - one_hour) != nullptr &&
                          X509_set_pubkey(certificate.get(), request.subject_key) == 1 &&
                          add_name_entry(subject, "O", "restorepointd azure-emulator") &&
                          add_name_entry(subject, "CN", request.common_name) &&
                          X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer)) == 1;
  if (!fields_set) return openssl_error("filling in the certificate for " + request.common_name);

  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate.get(), nullptr, nullptr, 0);
  // The key identifiers come first: authorityKeyIdentifier of a self-signed certificate reads its own
  // subjectKeyIdentifier. Strict verifiers (Python 3.13's default) insist on both.
  if (!add_extension(certificate.get(), &context, NID_subject_key_identifier, "hash") ||
      !add_extension(certificate.get(), &context, NID_authority_key_identifier, "keyid:always")) {
    return openssl_error("adding key identifiers to the certificate for " + request.common_name);
  }
  for (const auto& [nid, value] : request.extensions) {
    if (!add_extension(certificate.get(), &context, nid, value)) {
      return openssl_error("adding extension " + std::string(OBJ_nid2sn(nid)) + "=" + value +
                           " to the certificate for " + request.common_name);
    }
  }
  if (X509_sign(certificate.get(), request.issuer_key, EVP_sha256()) <= 0) {
    return openssl_error("signing the certificate for " + request.common_name);
  }
  return certificate;
}

template <class WritePem>
Result<std::string> pem_text(std::string_view what, WritePem write_pem) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write_pem(bio.get()) != 1) return openssl_error("writing " + std::string(what) + " as PEM");
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio.get(), &memory);
  return std::string(memory->data, memory->length);
}

}  // namespace

Result<TlsIdentity> generate_tls_identity() {
  auto ca_key = generate_p256_key();
  if (!ca_key) return ca_key.error();
  auto server_key = generate_p256_key();
  if (!server_key) return server_key.error();

  auto ca = make_certificate({
      .common_name = "azure-emulator test CA",
      .subject_key = ca_key->get(),
      .issuer = nullptr,
      .issuer_key = ca_key->get(),
      .extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                     {NID_key_usage, "critical,keyCertSign,cRLSign"}},
  });
  if (!ca) return ca.error();
  auto server = make_certificate({
      .common_name = "localhost",
      .subject_key = server_key->get(),
      .issuer = ca->get(),
      .issuer_key = ca_key->get(),
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"}},
  });
  if (!server) return server.error();

  auto ca_pem = pem_text("the CA certificate", [&](BIO* bio) { return PEM_write_bio_X509(bio, ca->get()); });
  if (!ca_pem) return ca_pem.error();
  auto server_pem =
      pem_text("the server certificate", [&](BIO* bio) { return PEM_write_bio_X509(bio, server->get()); });
  if (!server_pem) return server_pem.error();
  auto key_pem = pem_text("the server key", [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, server_key->get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key_pem) return key_pem.error();

  return TlsIdentity{
      .ca_certificate_pem = *ca_pem,
      .server_certificate_chain_pem = *server_pem + *ca_pem,
      .server_private_key_pem = *key_pem,
  };
}

Result<std::filesystem::path> write_ca_pem(const TlsIdentity& identity, const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "ca.pem";
  const std::filesystem::path temporary = dir / "ca.pem.tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return make_error("cannot create " + temporary.string() + ": " + std::generic_category().message(errno));
    out << identity.ca_certificate_pem;
    out.close();
    if (!out) return make_error("cannot write " + temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return make_error("cannot rename " + temporary.string() + " to " + path.string() + ": " + error.message());
  return path;
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsIdentity& identity) {
  namespace ssl = boost::asio::ssl;
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const boost::system::system_error& error) {
    return make_error(std::string("TLS context: ") + error.what());
  }
  // Azure accepts TLS 1.2 and 1.3 only; an emulator that accepted less would hide a client that offers less.
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return openssl_error("setting the minimum protocol version to TLS 1.2");
  }
  context->set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);

  boost::system::error_code error;
  context->use_certificate_chain(boost::asio::buffer(identity.server_certificate_chain_pem), error);
  if (error) return make_error("TLS context: loading the server certificate chain: " + error.message());
  context->use_private_key(boost::asio::buffer(identity.server_private_key_pem), ssl::context::pem, error);
  if (error) return make_error("TLS context: loading the server key: " + error.message());
  return context;
}

}  // namespace rpd::emulator
