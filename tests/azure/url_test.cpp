#include "daemon/azure/url.hpp"

#include <gtest/gtest.h>

namespace rpd::azure {
namespace {

TEST(HttpUrl, SplitsAnAbsoluteUrl) {
  const auto url = parse_http_url("HTTPS://Management.Azure.com/subscriptions/x?api-version=2025-04-01&p=a%2Fb");
  ASSERT_TRUE(url.ok()) << url.error().message;
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "management.azure.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/subscriptions/x?api-version=2025-04-01&p=a%2Fb");
  EXPECT_EQ(url->host_header(), "management.azure.com");
  EXPECT_EQ(url->origin(), "https://management.azure.com:443");
  EXPECT_FALSE(url->host_is_ip_literal());
}

TEST(HttpUrl, PortsAndIpLiterals) {
  const auto v4 = parse_http_url("https://127.0.0.1:8443");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port, 8443);
  EXPECT_EQ(v4->target, "/");
  EXPECT_EQ(v4->host_header(), "127.0.0.1:8443");
  EXPECT_TRUE(v4->host_is_ip_literal());
  const auto v6 = parse_http_url("http://[::1]:8080/metadata");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:8080");
  EXPECT_TRUE(v6->host_is_ip_literal());
  EXPECT_EQ(parse_http_url("http://169.254.169.254/x")->port, 80);
}

TEST(HttpUrl, LongOperationUrlsAreAccepted) {
  const std::string query(6000, 'a');
  const auto url = parse_http_url("https://management.azure.com/operations/1?p=" + query);
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->target.size(), std::string("/operations/1?p=").size() + query.size());
}

TEST(HttpUrl, RefusesWhatCannotBeSent) {
  EXPECT_EQ(parse_http_url("/relative/path").error().message, "not an absolute URL");
  EXPECT_EQ(parse_http_url("ftp://host/x").error().message, "unsupported scheme 'ftp' (use https)");
  EXPECT_EQ(parse_http_url("https://user:secret@host/x").error().message, "a URL must not carry user information");
  EXPECT_EQ(parse_http_url("https://host/x#frag").error().message, "a URL must not carry a fragment");
  EXPECT_EQ(parse_http_url("https:///x").error().message, "the URL has no host");
}

}  // namespace
}  // namespace rpd::azure
