#pragma once
// The parts of an absolute URL that the HTTP client needs: where to connect and what to ask for.
// Pure; Boost.URL does the parsing (parse_uri rather than parse_absolute_uri, so that a fragment is
// reported as such instead of as "not an absolute URL").

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace rpd::azure {

struct HttpUrl {
  std::string scheme;  // "https" or "http", lower case
  std::string host;    // lower case; an IPv6 address without brackets
  std::uint16_t port = 0;
  std::string target;  // origin-form: "/path?query", "/" when the URL has no path

  // "https://host:port", the key of the connection pool.
  std::string origin() const;
  // The Host header: the port only when it is not the scheme's, brackets around IPv6.
  std::string host_header() const;
  bool host_is_ip_literal() const;
};

// http and https only; user information and fragments are refused (a URL with credentials in it is a mistake
// in a setting, and a fragment is never sent). Errors quote at most the scheme and host, never the query:
// operation URLs carry signatures there.
Result<HttpUrl> parse_http_url(std::string_view text);

}  // namespace rpd::azure
