#pragma once
// The emulator's TLS identity: a throw-away CA and a server certificate it signs, made fresh at every start so
// that no key is ever checked in. Clients trust the CA (written to DIR/ca.pem); the server certificate names
// 127.0.0.1, ::1 and localhost, so real host-name verification passes on loopback.

#include <filesystem>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rpd::emulator {

struct TlsIdentity {
  std::string ca_certificate_pem;            // the CA clients must trust
  std::string server_certificate_chain_pem;  // the server certificate, then the CA certificate
  std::string server_private_key_pem;        // PKCS#8, unencrypted
};

// An EC P-256 CA (CA:TRUE, keyCertSign) and a server certificate signed by it (serverAuth; subjectAltName
// IP:127.0.0.1, IP:::1, DNS:localhost), both valid from an hour ago for 30 days.
Result<TlsIdentity> generate_tls_identity();

// Writes the CA certificate to DIR/ca.pem (through a temporary file, so a reader never sees half of it) and
// returns that path.
Result<std::filesystem::path> write_ca_pem(const TlsIdentity& identity, const std::filesystem::path& dir);

// A server-side TLS context (TLS 1.2 and later only) presenting the identity's chain and key.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsIdentity& identity);

}  // namespace rpd::emulator
