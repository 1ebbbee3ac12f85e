#include "daemon/azure/proxy_rules.hpp"

#include <gtest/gtest.h>

#include <map>

namespace rpd::azure {
namespace {

GetEnv environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const char* name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

std::string error_of(std::string_view text) {
  auto parsed = parse_proxy_url(text);
  return parsed ? std::string("(no error)") : parsed.error().message;
}

ProxySettings no_proxy(std::string value) {
  auto settings = proxy_settings_from(environment({{"NO_PROXY", std::move(value)}}));
  EXPECT_TRUE(settings.ok());
  return settings.value();
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ProxyUrl, ParsesTheUsualForms) {
  auto plain = parse_proxy_url("http://proxy.corp.example:3128");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->scheme, "http");
  EXPECT_EQ(plain->host, "proxy.corp.example");
  EXPECT_EQ(plain->port, 3128);
  EXPECT_FALSE(plain->has_credentials());
  EXPECT_EQ(plain->basic_authorization(), "");

  auto bare = parse_proxy_url("Proxy.Corp.Example:8080/");  // no scheme: http, as curl does
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->scheme, "http");
  EXPECT_EQ(bare->host, "proxy.corp.example");
  EXPECT_EQ(bare->port, 8080);

  EXPECT_EQ(parse_proxy_url("http://proxy").value().port, 80);
  EXPECT_EQ(parse_proxy_url("HTTPS://proxy").value().port, 443);
  EXPECT_EQ(parse_proxy_url("https://proxy").value().scheme, "https");

  auto v4 = parse_proxy_url("http://10.0.0.5:3128");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "10.0.0.5");

  auto v6 = parse_proxy_url("http://[FD00::1]:3128");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "fd00::1");
  EXPECT_EQ(v6->port, 3128);
  EXPECT_EQ(parse_proxy_url("http://[::1]").value().port, 80);
}

TEST(ProxyUrl, CredentialsArePercentDecoded) {
  auto url = parse_proxy_url("http://DOMAIN%5Cjoe:p%40ss%3Aw0rd%25@proxy:3128");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->user, "DOMAIN\\joe");
  EXPECT_EQ(url->password, "p@ss:w0rd%");
  EXPECT_EQ(url->host, "proxy");
  EXPECT_EQ(url->basic_authorization(), "Basic " + base64_encode("DOMAIN\\joe:p@ss:w0rd%"));
  EXPECT_EQ(parse_proxy_url("http://Aladdin:open%20sesame@proxy").value().basic_authorization(),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617's example
  // An '@' the user forgot to encode: the last one ends the credentials.
  EXPECT_EQ(parse_proxy_url("http://joe:p@ss@proxy").value().password, "p@ss");
  auto user_only = parse_proxy_url("http://joe@proxy");
  ASSERT_TRUE(user_only.ok());
  EXPECT_EQ(user_only->basic_authorization(), "Basic " + base64_encode("joe:"));
  EXPECT_FALSE(parse_proxy_url("http://@proxy").value().has_credentials());
}

TEST(ProxyUrl, MalformedUrlsSayWhy) {
  EXPECT_EQ(error_of(""), "proxy URL '': empty");
  EXPECT_EQ(error_of("http://"), "proxy URL 'http://': no host");
  EXPECT_EQ(error_of("http://:3128"), "proxy URL 'http://:3128': no host");
  EXPECT_EQ(error_of("ftp://proxy"), "proxy URL 'ftp://proxy': the scheme must be http or https");
  EXPECT_EQ(error_of("socks5://proxy:1080"),
            "proxy URL 'socks5://proxy:1080': SOCKS proxies are not supported; use an HTTP proxy");
  EXPECT_EQ(error_of("http://proxy:0"), "proxy URL 'http://proxy:0': the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("http://proxy:65536"),
            "proxy URL 'http://proxy:65536': the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("http://proxy:"), "proxy URL 'http://proxy:': the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("http://proxy:31a8"), "proxy URL 'http://proxy:31a8': the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("http://proxy:3128/path"),
            "proxy URL 'http://proxy:3128/path': a proxy URL has no path, query or fragment");
  EXPECT_EQ(error_of("http://proxy?x=1"), "proxy URL 'http://proxy?x=1': a proxy URL has no path, query or fragment");
  EXPECT_EQ(error_of("http://pro xy"),
            "proxy URL 'http://pro xy': the host may hold only letters, digits, '-', '_' and '.'");
  EXPECT_EQ(error_of("http://fd00::1:3128"),
            "proxy URL 'http://fd00::1:3128': put an IPv6 address in brackets, like http://[fd00::1]:3128");
  EXPECT_EQ(error_of("http://[fd00::1"), "proxy URL 'http://[fd00::1': missing ']' after the IPv6 address");
  EXPECT_EQ(error_of("http://[10.0.0.1]"), "proxy URL 'http://[10.0.0.1]': not an IPv6 address between '[' and ']'");
  EXPECT_EQ(error_of("http://[::1]x"), "proxy URL 'http://[::1]x': unexpected text after the IPv6 address");
}

TEST(ProxyUrl, ErrorsNeverShowThePassword) {
  EXPECT_EQ(error_of("http://joe:s3cret%zz@proxy"),
            "proxy URL 'http://***@proxy': bad percent-encoding in the user or password");
  EXPECT_EQ(error_of("http://joe:s3cret@proxy:99999"),
            "proxy URL 'http://***@proxy:99999': the port must be a number from 1 to 65535");
  EXPECT_EQ(error_of("joe:s3cret%4@proxy"), "proxy URL '***@proxy': bad percent-encoding in the user or password");
}

TEST(ProxySettings, ReadsTheEnvironment) {
  auto none = proxy_settings_from(environment({}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->https_proxy);
  EXPECT_TRUE(none->no_proxy.empty());

  auto upper = proxy_settings_from(environment({{"HTTPS_PROXY", "http://upper:3128"}}));
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(upper->https_proxy->host, "upper");

  // Lower case wins, as in curl.
  auto both = proxy_settings_from(environment({{"HTTPS_PROXY", "http://upper:3128"},
                                               {"https_proxy", "http://lower:3128"},
                                               {"NO_PROXY", "upper.example"},
                                               {"no_proxy", "lower.example"}}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->https_proxy->host, "lower");
  EXPECT_EQ(both->no_proxy, std::vector<std::string>{"lower.example"});

  // An empty value counts as unset.
  auto empty_lower = proxy_settings_from(environment({{"https_proxy", " "}, {"HTTPS_PROXY", "http://upper:1"}}));
  ASSERT_TRUE(empty_lower.ok());
  EXPECT_EQ(empty_lower->https_proxy->host, "upper");

  // http_proxy is for plain http, which we never speak.
  auto http_only = proxy_settings_from(environment({{"http_proxy", "http://plain:3128"}}));
  ASSERT_TRUE(http_only.ok());
  EXPECT_FALSE(http_only->https_proxy);

  EXPECT_EQ(no_proxy(" localhost, .Example.COM ,,10.0.0.0/8\tfd00::/8 ").no_proxy,
            (std::vector<std::string>{"localhost", ".example.com", "10.0.0.0/8", "fd00::/8"}));
}

TEST(ProxySettings, MalformedProxyIsAnError) {
  auto settings = proxy_settings_from(environment({{"HTTPS_PROXY", "http://proxy:http"}}));
  ASSERT_FALSE(settings.ok());
  EXPECT_EQ(settings.error().message, "HTTPS_PROXY: proxy URL 'http://proxy:http': the port must be a number from 1 to 65535");
}

TEST(NoProxy, HostSuffixes) {
  for (const char* entry : {"example.com", ".example.com", "*.example.com", "EXAMPLE.com.", "example.com:443"}) {
    auto settings = no_proxy(entry);
    EXPECT_TRUE(bypasses_proxy(settings, "example.com")) << entry;
    EXPECT_TRUE(bypasses_proxy(settings, "sub.example.com")) << entry;
    EXPECT_TRUE(bypasses_proxy(settings, "a.b.Example.Com")) << entry;
    EXPECT_TRUE(bypasses_proxy(settings, "example.com.")) << entry;
    EXPECT_FALSE(bypasses_proxy(settings, "notexample.com")) << entry;
    EXPECT_FALSE(bypasses_proxy(settings, "example.com.evil.net")) << entry;
    EXPECT_FALSE(bypasses_proxy(settings, "management.azure.com")) << entry;
  }
  EXPECT_FALSE(bypasses_proxy(no_proxy("sub.example.com"), "example.com"));
  EXPECT_FALSE(bypasses_proxy(no_proxy(""), "example.com"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("."), "example.com"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("example.com"), ""));
}

TEST(NoProxy, StarMeansEverything) {
  auto settings = no_proxy("foo.net,*");
  EXPECT_TRUE(bypasses_proxy(settings, "management.azure.com"));
  EXPECT_TRUE(bypasses_proxy(settings, "10.1.2.3"));
  EXPECT_TRUE(bypasses_proxy(settings, "[::1]"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("*.net"), "example.com"));
}

TEST(NoProxy, Ipv4LiteralsAndNetworks) {
  auto settings = no_proxy("10.0.0.0/8,192.168.1.7,172.16.0.0/12:80");
  EXPECT_TRUE(bypasses_proxy(settings, "10.0.0.1"));
  EXPECT_TRUE(bypasses_proxy(settings, "10.255.255.255"));
  EXPECT_FALSE(bypasses_proxy(settings, "11.0.0.1"));
  EXPECT_TRUE(bypasses_proxy(settings, "192.168.1.7"));
  EXPECT_FALSE(bypasses_proxy(settings, "192.168.1.8"));
  EXPECT_TRUE(bypasses_proxy(settings, "172.31.255.1"));
  EXPECT_FALSE(bypasses_proxy(settings, "172.32.0.1"));
  // Names are not resolved: a network never matches a name.
  EXPECT_FALSE(bypasses_proxy(settings, "ten.example.com"));
  EXPECT_TRUE(bypasses_proxy(no_proxy("0.0.0.0/0"), "8.8.8.8"));
  EXPECT_TRUE(bypasses_proxy(no_proxy("10.1.2.3/32"), "10.1.2.3"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("10.1.2.3/32"), "10.1.2.4"));
  EXPECT_TRUE(bypasses_proxy(no_proxy("10.1.2.0/23"), "10.1.3.9"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("10.1.2.0/23"), "10.1.4.9"));
}

TEST(NoProxy, Ipv6LiteralsAndNetworks) {
  auto settings = no_proxy("fd00::/8,[2001:db8::1]:443,::1");
  EXPECT_TRUE(bypasses_proxy(settings, "fd12:3456::1"));
  EXPECT_TRUE(bypasses_proxy(settings, "[fd12:3456::1]"));
  EXPECT_FALSE(bypasses_proxy(settings, "fe80::1"));
  EXPECT_TRUE(bypasses_proxy(settings, "2001:db8::1"));
  EXPECT_TRUE(bypasses_proxy(settings, "2001:0DB8:0:0:0:0:0:1"));  // the same address written out
  EXPECT_FALSE(bypasses_proxy(settings, "2001:db8::2"));
  EXPECT_TRUE(bypasses_proxy(settings, "[::1]"));
  EXPECT_TRUE(bypasses_proxy(no_proxy("[fd00::]/8"), "fdff::1"));
  EXPECT_TRUE(bypasses_proxy(no_proxy("2001:db8::/33"), "2001:db8:7fff::1"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("2001:db8::/33"), "2001:db8:8000::1"));
  // Families do not mix.
  EXPECT_FALSE(bypasses_proxy(no_proxy("::/0"), "10.0.0.1"));
  EXPECT_FALSE(bypasses_proxy(no_proxy("0.0.0.0/0"), "::1"));
}

TEST(NoProxy, UnreadableEntriesMatchNothing) {
  auto settings = no_proxy("10.0.0.0/33,10.0.0.0/x,10.0.0.0/,fd00::/129,300.0.0.0/8,[fd00::1");
  EXPECT_FALSE(bypasses_proxy(settings, "10.0.0.1"));
  EXPECT_FALSE(bypasses_proxy(settings, "fd00::1"));
  EXPECT_FALSE(bypasses_proxy(settings, "example.com"));
}

}  // namespace
}  // namespace rpd::azure
