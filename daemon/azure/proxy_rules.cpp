#include "daemon/azure/proxy_rules.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace rpd::azure {
namespace {

std::string lower_ascii(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// The URL as it may appear in a log: whatever precedes the last '@' may hold a password.
std::string redacted(std::string_view text) {
  auto at = text.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  auto scheme_end = text.find("://");
  auto userinfo_begin = (scheme_end != std::string_view::npos && scheme_end < at) ? scheme_end + 3 : 0;
  return std::string(text.substr(0, userinfo_begin)) + "***" + std::string(text.substr(at));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;  // '%' needs two hex digits after it
    int high = hex_value(text[i + 1]);
    int low = hex_value(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

bool is_host_name(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    bool allowed =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!allowed) return false;
  }
  return true;
}

// An IPv4 or IPv6 address as 16 bytes; IPv4 uses the first 4.
struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};

  int bits() const { return family == AF_INET ? 32 : 128; }
};

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string terminated(text);
  IpAddress address;
  for (int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, terminated.c_str(), address.bytes.data()) == 1) {
      address.family = family;
      return address;
    }
  }
  return std::nullopt;
}

bool same_network(const IpAddress& a, const IpAddress& b, int prefix_bits) {
  if (a.family != b.family) return false;
  auto whole_bytes = static_cast<std::size_t>(prefix_bits / 8);
  if (std::memcmp(a.bytes.data(), b.bytes.data(), whole_bytes) != 0) return false;
  int rest = prefix_bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (a.bytes[whole_bytes] & mask) == (b.bytes[whole_bytes] & mask);
}

// "example.com:443" -> "example.com", "[fd00::1]:443" -> "fd00::1", "[fd00::]/8" -> "fd00::/8"; a bare
// IPv6 address or network (more than one ':') is left alone.
std::string without_port(std::string_view entry) {
  if (entry.starts_with('[')) {
    auto close = entry.find(']');
    if (close == std::string_view::npos) return std::string(entry);
    std::string address(entry.substr(1, close - 1));
    std::string_view after = entry.substr(close + 1);
    if (after.starts_with('/')) address += after.substr(0, after.find(':'));
    return address;
  }
  auto colon = entry.find(':');
  if (colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
    return std::string(entry.substr(0, colon));
  }
  return std::string(entry);
}

bool entry_matches(std::string_view raw_entry, std::string_view host, const std::optional<IpAddress>& host_ip) {
  if (raw_entry == "*") return true;
  std::string entry = without_port(raw_entry);

  if (auto slash = entry.find('/'); slash != std::string::npos) {
    auto network = parse_ip(std::string_view(entry).substr(0, slash));
    std::string_view prefix_text = std::string_view(entry).substr(slash + 1);
    if (!network || !host_ip || prefix_text.empty() || prefix_text.size() > 3) return false;
    int prefix_bits = 0;
    for (char c : prefix_text) {
      if (c < '0' || c > '9') return false;
      prefix_bits = prefix_bits * 10 + (c - '0');
    }
    if (prefix_bits > network->bits()) return false;
    return same_network(*network, *host_ip, prefix_bits);
  }
  if (auto address = parse_ip(entry)) {
    return host_ip && same_network(*address, *host_ip, address->bits());
  }
  if (host_ip) return false;  // a name never matches an IP literal: no resolving here

  std::string_view domain = entry;
  if (domain.starts_with("*.")) domain.remove_prefix(2);
  if (domain.starts_with('.')) domain.remove_prefix(1);
  if (domain.ends_with('.')) domain.remove_suffix(1);
  if (domain.empty()) return false;
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) && host[host.size() - domain.size() - 1] == '.';
}

struct SetVariable {
  const char* name;
  std::string value;
};

std::optional<SetVariable> first_set(const GetEnv& getenv, const char* lower_name, const char* upper_name) {
  for (const char* name : {lower_name, upper_name}) {
    auto value = getenv(name);
    if (value && !trim(*value).empty()) return SetVariable{name, std::string(trim(*value))};
  }
  return std::nullopt;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  encoded.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::size_t available = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      auto byte = j < available ? static_cast<unsigned char>(bytes[i + j]) : 0u;
      group = (group << 8) | byte;
    }
    for (std::size_t j = 0; j < 4; ++j) {
      bool padding = j > available;
      encoded += padding ? '=' : kAlphabet[(group >> (18 - 6 * j)) & 0x3F];
    }
  }
  return encoded;
}

std::string ProxyUrl::basic_authorization() const {
  if (!has_credentials()) return {};
  return "Basic " + base64_encode(user + ":" + password);
}

Result<ProxyUrl> parse_proxy_url(std::string_view text) {
  text = trim(text);
  auto fail = [&](std::string_view reason) {
    return make_error("proxy URL '" + redacted(text) + "': " + std::string(reason));
  };
  if (text.empty()) return fail("empty");

  ProxyUrl url;
  std::string_view rest = text;
  if (auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    url.scheme = lower_ascii(rest.substr(0, scheme_end));
    rest.remove_prefix(scheme_end + 3);
    if (url.scheme.starts_with("socks")) return fail("SOCKS proxies are not supported; use an HTTP proxy");
    if (url.scheme != "http" && url.scheme != "https") return fail("the scheme must be http or https");
  } else {
    url.scheme = "http";
  }

  auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos && rest.substr(authority_end) != "/") {
    return fail("a proxy URL has no path, query or fragment");
  }

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password =
        colon == std::string_view::npos ? std::optional<std::string>("") : percent_decode(userinfo.substr(colon + 1));
    if (!user || !password) return fail("bad percent-encoding in the user or password");
    url.user = std::move(*user);
    url.password = std::move(*password);
  }

  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    auto address = parse_ip(authority.substr(1, close - 1));
    if (!address || address->family != AF_INET6) return fail("not an IPv6 address between '[' and ']'");
    url.host = lower_ascii(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) return fail("unexpected text after the IPv6 address");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    auto colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      return fail("put an IPv6 address in brackets, like http://[fd00::1]:3128");
    }
    std::string_view host = authority.substr(0, colon);
    if (host.empty()) return fail("no host");
    if (!is_host_name(host)) return fail("the host may hold only letters, digits, '-', '_' and '.'");
    url.host = lower_ascii(host);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
  }

  if (!has_port) {
    url.port = url.scheme == "https" ? 443 : 80;
    return url;
  }
  if (port_text.empty() || port_text.size() > 5) return fail("the port must be a number from 1 to 65535");
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return fail("the port must be a number from 1 to 65535");
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port < 1 || port > 65535) return fail("the port must be a number from 1 to 65535");
  url.port = static_cast<std::uint16_t>(port);
  return url;
}

Result<ProxySettings> proxy_settings_from(const GetEnv& getenv) {
  ProxySettings settings;
  if (auto proxy = first_set(getenv, "https_proxy", "HTTPS_PROXY")) {
    auto parsed = parse_proxy_url(proxy->value);
    if (!parsed) return make_error(std::string(proxy->name) + ": " + parsed.error().message);
    settings.https_proxy = std::move(parsed).value();
  }
  if (auto exceptions = first_set(getenv, "no_proxy", "NO_PROXY")) {
    std::string_view rest = exceptions->value;
    while (!rest.empty()) {
      auto end = rest.find_first_of(", \t\n\r");
      std::string_view entry = rest.substr(0, end);
      if (!entry.empty()) settings.no_proxy.push_back(lower_ascii(entry));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  return settings;
}

bool bypasses_proxy(const ProxySettings& settings, std::string_view host) {
  std::string normalized = lower_ascii(trim(host));
  if (normalized.starts_with('[') && normalized.ends_with(']')) {
    normalized = normalized.substr(1, normalized.size() - 2);
  }
  if (normalized.ends_with('.')) normalized.pop_back();  // "example.com." is example.com
  if (normalized.empty()) return false;
  auto host_ip = parse_ip(normalized);
  for (const auto& entry : settings.no_proxy) {
    if (entry_matches(entry, normalized, host_ip)) return true;
  }
  return false;
}

}  // namespace rpd::azure
