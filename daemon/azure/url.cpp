#include "daemon/azure/url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

namespace rpd::azure {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string HttpUrl::origin() const { return scheme + "://" + host_header() + ":" + std::to_string(port); }

std::string HttpUrl::host_header() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  std::string text = ipv6 ? "[" + host + "]" : host;
  const bool default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!default_port) text += ":" + std::to_string(port);
  return text;
}

bool HttpUrl::host_is_ip_literal() const {
  boost::system::error_code error;
  (void)boost::asio::ip::make_address(host, error);
  return !error;
}

Result<HttpUrl> parse_http_url(std::string_view text) {
  const auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return make_error("not an absolute URL");
  const boost::urls::url_view& url = *parsed;
  HttpUrl out;
  out.scheme = lower(url.scheme());
  if (out.scheme != "https" && out.scheme != "http") {
    return make_error("unsupported scheme '" + out.scheme + "' (use https)");
  }
  if (url.has_userinfo()) return make_error("a URL must not carry user information");
  if (url.has_fragment()) return make_error("a URL must not carry a fragment");
  std::string host = lower(url.encoded_host_address());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return make_error("the URL has no host");
  out.host = std::move(host);
  if (url.has_port()) {
    const auto port = url.port_number();
    if (port == 0) return make_error("port of " + out.host + " is not between 1 and 65535");
    out.port = port;
  } else {
    out.port = out.scheme == "https" ? 443 : 80;
  }
  out.target = std::string(url.encoded_path());
  if (out.target.empty()) out.target = "/";
  if (url.has_query()) out.target += "?" + std::string(url.encoded_query());
  return out;
}

}  // namespace rpd::azure
