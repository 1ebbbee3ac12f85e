#pragma once
// Which proxy, if any, a request to Azure goes through: HTTPS_PROXY and NO_PROXY as curl reads them.
//
// The managed identity endpoints (IMDS at 169.254.169.254, App Service's and Arc's IDENTITY_ENDPOINT) never
// go through a proxy, whatever NO_PROXY says: a proxy cannot reach the link-local IMDS address, and a token
// request must not leave the host. That rule lives in the caller (the managed identity credential connects
// directly and does not consult these settings); nothing here knows which host is the identity endpoint.
//
// Pure: the environment is read through the function passed in, and no name is resolved.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace rpd::azure {

struct ProxyUrl {
  std::string scheme;  // "http", or "https" for TLS to the proxy itself (the connector may refuse it)
  std::string host;    // lower case; an IPv6 address without its brackets
  std::uint16_t port = 0;
  std::string user;      // percent-decoded; empty: no credentials
  std::string password;  // percent-decoded

  bool has_credentials() const { return !user.empty(); }
  // "Basic " + base64("user:password") for Proxy-Authorization; empty without credentials.
  std::string basic_authorization() const;
};

// [scheme://][user[:password]@]host[:port][/]
//   scheme  http (the default when absent, as curl does) or https; socks is refused
//   host    a name, an IPv4 address, or an IPv6 address in brackets
//   port    1..65535; the scheme's port (80, 443) when absent. curl would use 1080; Go, Python and the
//           Azure SDKs that run on them use the scheme's port, and so do we
// A path, query or fragment is refused rather than ignored: it is almost always a mistake in the setting.
// Error messages never repeat the user or password.
Result<ProxyUrl> parse_proxy_url(std::string_view text);

struct ProxySettings {
  std::optional<ProxyUrl> https_proxy;  // no proxy when absent
  std::vector<std::string> no_proxy;    // lower case, trimmed, empty entries dropped
};

using GetEnv = std::function<std::optional<std::string>(const char*)>;

// The proxy from https_proxy, else HTTPS_PROXY (the lower-case name wins, as in curl and Python; an empty
// value counts as unset), and the exceptions from no_proxy, else NO_PROXY, split on commas and white space.
// All requests to Azure are https, so http_proxy/HTTP_PROXY and ALL_PROXY are not read.
// A malformed proxy URL is an error: silently going direct would look like an Azure outage.
Result<ProxySettings> proxy_settings_from(const GetEnv& getenv);

// Whether a request to `host` (a name or an IP literal, brackets allowed, no port) goes direct. NO_PROXY
// entries:
//   *                          every host
//   example.com, .example.com  that domain and everything under it (*.example.com too)
//   10.1.2.3, fd00::1          that IP literal
//   10.0.0.0/8, fd00::/8       IP literals in that network
// A port in an entry (example.com:443, [fd00::1]:443) is ignored. IPs and networks match only hosts given
// as IP literals: names are not resolved, as in curl. Entries that cannot be read match nothing.
bool bypasses_proxy(const ProxySettings& settings, std::string_view host);

// Standard base64 with padding (RFC 4648 section 4).
std::string base64_encode(std::string_view bytes);

}  // namespace rpd::azure
