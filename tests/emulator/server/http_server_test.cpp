// The emulator's servers with a handler of the test's own: requests and answers over HTTPS and HTTP, keep-alive,
// certificate verification, every kind of injected fault, and the request limits. The servers run on their
// io_context on a thread of their own; the test talks to them with the synchronous test client.

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/emulator/server/http_server.hpp"
#include "tests/emulator/server/test_client.hpp"
#include "tests/emulator/server/tls_identity.hpp"

namespace rpd::emulator {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Answers by path, so that each test picks the behaviour it needs; it keeps no state, as it runs on the
// servers' thread while the test reads on its own.
class TestHandler final : public Handler {
 public:
  Response handle(const Request& request) override {
    const std::string path = request.target.substr(0, request.target.find('?'));
    Response response;
    response.headers = {{"Content-Type", "text/plain"}};
    if (path == "/reset") {
      response.delivery = Delivery::reset;
    } else if (path == "/stall") {
      response.delivery = Delivery::stall;
    } else if (path == "/truncated") {
      response.body = std::string(1000, 'x');
      response.delivery = Delivery::truncated_body;
    } else if (path == "/slow") {
      response.body = "late";
      response.delivery = Delivery::slow;
      response.delay = 200ms;
    } else if (path == "/close") {
      response.headers.emplace_back("Connection", "close");
      response.body = "bye";
    } else if (path == "/no-content") {
      response.status = 204;
    } else if (path == "/throw") {
      throw std::runtime_error("the logic broke");
    } else {
      // Everything the server passed on, so that tests can check the conversion.
      std::string echo = request.method + " " + request.target + (request.https ? " https" : " http") + "\n";
      for (const auto& [name, value] : request.headers) echo += name + ": " + value + "\n";
      response.body = echo + "\n" + request.body;
      response.headers.emplace_back("X-Body-Size", std::to_string(request.body.size()));
    }
    return response;
  }
};

TlsIdentity make_identity() {
  auto identity = generate_tls_identity();
  if (!identity) throw std::runtime_error(identity.error().message);
  return *identity;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tls = make_server_tls_context(identity_);
    ASSERT_TRUE(tls) << tls.error().message;
    const tcp::endpoint loopback{asio::ip::make_address("127.0.0.1"), 0};
    auto https = HttpsListener::start(io_, loopback, *tls, handler_);
    ASSERT_TRUE(https) << https.error().message;
    https_.emplace(*https);
    auto http = HttpListener::start(io_, loopback, handler_);
    ASSERT_TRUE(http) << http.error().message;
    http_.emplace(*http);
    server_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    io_.stop();
    if (server_thread_.joinable()) server_thread_.join();
  }

  HttpsTestClient https_client(TestClientOptions options = {}) {
    return HttpsTestClient(identity_.ca_certificate_pem, https_->local_endpoint().port(), std::move(options));
  }
  HttpsTestClient http_client() { return HttpsTestClient::plain_http(http_->local_endpoint().port()); }

  TlsIdentity identity_ = make_identity();
  TestHandler handler_;
  asio::io_context io_;
  std::optional<HttpsListener> https_;
  std::optional<HttpListener> http_;
  std::thread server_thread_;
};

TEST(TlsIdentity, CaSignsAServerCertificateForLoopback) {
  const TlsIdentity identity = make_identity();
  const auto read_certificate = [](const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return std::unique_ptr<X509, decltype(&X509_free)>(certificate, &X509_free);
  };
  const auto ca = read_certificate(identity.ca_certificate_pem);
  const auto server = read_certificate(identity.server_certificate_chain_pem);  // the first of the chain
  ASSERT_TRUE(ca && server);

  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_EQ(X509_check_issued(ca.get(), server.get()), X509_V_OK);
  EXPECT_EQ(X509_verify(server.get(), X509_get0_pubkey(ca.get())), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(server.get(), "example.com", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_purpose(server.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  // Valid now, and for about 30 days from an hour ago.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(server.get())), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(server.get())), 0);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, X509_get0_notBefore(server.get()), X509_get0_notAfter(server.get())), 1);
  EXPECT_EQ(days, 30);
  EXPECT_NE(identity.server_private_key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
}

TEST(TlsIdentity, WritesTheCaToCaPem) {
  const TlsIdentity identity = make_identity();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "emulator-ca-test";
  std::filesystem::create_directories(dir);
  const auto path = write_ca_pem(identity, dir);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, dir / "ca.pem");
  std::ifstream in(*path);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), identity.ca_certificate_pem);
  EXPECT_FALSE(std::filesystem::exists(dir / "ca.pem.tmp"));
}

TEST(TlsIdentity, WritingToAMissingDirectoryIsAnError) {
  const auto path = write_ca_pem(make_identity(), "/nonexistent/emulator");
  ASSERT_FALSE(path);
  EXPECT_NE(path.error().message.find("/nonexistent/emulator/ca.pem.tmp"), std::string::npos);
}

TEST_F(ServerTest, AnswersARequestOverHttps) {
  auto client = https_client();
  const auto response =
      client.request("PUT", "/subscriptions/s1?api-version=2025-04-01", R"({"a":1})", {{"X-Test", "yes"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/plain");
  EXPECT_EQ(response.header("Content-Length"), std::to_string(response.body.size()));
  EXPECT_EQ(response.header("X-Body-Size"), "7");
  EXPECT_EQ(response.body.substr(0, response.body.find('\n')), "PUT /subscriptions/s1?api-version=2025-04-01 https");
  EXPECT_NE(response.body.find("X-Test: yes\n"), std::string::npos);
  EXPECT_TRUE(response.body.ends_with("\n\n{\"a\":1}"));
}

TEST_F(ServerTest, KeepsTheConnectionAliveBetweenRequests) {
  auto client = https_client();
  EXPECT_EQ(client.request("GET", "/one").status, 200);
  EXPECT_EQ(client.request("GET", "/two").status, 200);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(ServerTest, ClosesWhenTheLogicAsksForIt) {
  auto client = https_client();
  const auto response = client.request("GET", "/close");
  EXPECT_EQ(response.header("Connection"), "close");
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.request("GET", "/again").status, 200);
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST_F(ServerTest, VerifiesAsLocalhostWithSni) {
  auto client = https_client({.host = "localhost"});
  const auto response = client.request("GET", "/");
  EXPECT_NE(response.body.find("Host: localhost:"), std::string::npos);
}

TEST_F(ServerTest, ClientWithAnotherCaRejectsTheServer) {
  HttpsTestClient client(make_identity().ca_certificate_pem, https_->local_endpoint().port());
  const auto response = client.try_request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().category(), asio::error::get_ssl_category());
  EXPECT_NE(response.error().message().find("certificate verify failed"), std::string::npos)
      << response.error().message();
}

TEST_F(ServerTest, ClientExpectingAnotherHostNameRejectsTheServer) {
  auto client = https_client({.host = "management.azure.com"});
  const auto response = client.try_request("GET", "/");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message().find("certificate verify failed"), std::string::npos)
      << response.error().message();
}

TEST_F(ServerTest, ResetDropsTheConnectionWithoutAnAnswer) {
  auto client = https_client();
  const auto response = client.try_request("GET", "/reset");
  ASSERT_FALSE(response);
  // linger 0 makes it a TCP RST; a FIN without close_notify (stream_truncated) would also be a fair reset.
  const auto error = response.error();
  EXPECT_TRUE(error == asio::error::connection_reset || error == asio::ssl::error::stream_truncated ||
              error == asio::error::eof || error == boost::beast::http::error::end_of_stream)
      << error.message();
  EXPECT_FALSE(client.connected());
}

TEST_F(ServerTest, TruncatedBodyEndsThePartWayThrough) {
  auto client = https_client();
  const auto response = client.try_request("GET", "/truncated");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::beast::http::error::partial_message) << response.error().message();
}

TEST_F(ServerTest, StallNeverAnswers) {
  auto client = https_client();
  client.set_timeout(300ms);
  const auto response = client.try_request("GET", "/stall");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), boost::beast::error::timeout) << response.error().message();
}

TEST_F(ServerTest, SlowAnswersAfterTheDelay) {
  auto client = https_client();
  const auto started = std::chrono::steady_clock::now();
  const auto response = client.request("GET", "/slow");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(response.body, "late");
  EXPECT_GE(elapsed, 200ms);
}

TEST_F(ServerTest, TheConnectionServesOnAfterASlowAnswer) {
  auto client = https_client();
  EXPECT_EQ(client.request("GET", "/slow").status, 200);
  EXPECT_EQ(client.request("GET", "/next").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(ServerTest, RefusesABodyOverFourMebibytesWith413) {
  auto client = https_client();
  const auto response = client.try_request("PUT", "/big", std::string(4 * 1024 * 1024 + 1, 'b'));
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 413);
  EXPECT_NE(response->body.find("RequestEntityTooLarge"), std::string::npos);
  EXPECT_FALSE(client.connected());
}

TEST_F(ServerTest, AcceptsABodyOfExactlyFourMebibytes) {
  auto client = https_client();
  const auto response = client.request("PUT", "/big", std::string(4 * 1024 * 1024, 'b'));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Body-Size"), std::to_string(4 * 1024 * 1024));
}

TEST_F(ServerTest, RefusesHeadersOverSixteenKibibytesWith431) {
  auto client = https_client();
  const auto response = client.try_request("GET", "/", "", {{"X-Padding", std::string(17 * 1024, 'p')}});
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 431);
}

TEST_F(ServerTest, AcceptsATargetOfEightKibibytes) {
  // Azure's operation URLs carry long signed query strings (AZURE.md section 2).
  auto client = https_client();
  const std::string target = "/operations/1?p=" + std::string(8 * 1024, 'q');
  const auto response = client.request("GET", target);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.substr(0, response.body.find('\n')), "GET " + target + " https");
}

TEST_F(ServerTest, RefusesGarbageWith400) {
  auto client = https_client();
  const auto response = client.try_raw_request("NOT HTTP AT ALL\r\n\r\n");
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 400);
  EXPECT_FALSE(client.connected());
}

TEST_F(ServerTest, AnswersExpectContinueBeforeTheBody) {
  auto client = https_client();
  const auto response = client.request("POST", "/upload", "payload", {{"Expect", "100-continue"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Body-Size"), "7");
}

TEST_F(ServerTest, HeadGetsTheLengthButNoBody) {
  auto client = https_client();
  const auto response = client.request("HEAD", "/thing");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.body.empty());
  EXPECT_NE(response.header("Content-Length"), "0");
  EXPECT_EQ(client.request("GET", "/after-head").status, 200);  // and the connection is still in step
}

TEST_F(ServerTest, NoContentHasNoLength) {
  auto client = https_client();
  const auto response = client.request("DELETE", "/no-content");
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.header("Content-Length"), "");
  EXPECT_EQ(client.request("GET", "/after").status, 200);
}

TEST_F(ServerTest, AFailingHandlerAnswers500AndTheServerGoesOn) {
  auto client = https_client();
  const auto response = client.request("GET", "/throw");
  EXPECT_EQ(response.status, 500);
  EXPECT_NE(response.body.find("the logic broke"), std::string::npos);
  EXPECT_EQ(client.request("GET", "/fine").status, 200);
}

TEST_F(ServerTest, ServesPlainHttpOnTheImdsListener) {
  auto client = http_client();
  const auto response =
      client.request("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01", "", {{"Metadata", "true"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.substr(0, response.body.find('\n')),
            "GET /metadata/identity/oauth2/token?api-version=2018-02-01 http");
  EXPECT_EQ(client.request("GET", "/again").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(ServerTest, ThePlainListenerInjectsFaultsToo) {
  auto client = http_client();
  const auto truncated = client.try_request("GET", "/truncated");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error(), boost::beast::http::error::partial_message) << truncated.error().message();
  const auto reset = client.try_request("GET", "/reset");
  ASSERT_FALSE(reset);
  EXPECT_EQ(reset.error(), asio::error::connection_reset) << reset.error().message();
}

TEST_F(ServerTest, ListeningOnAPortInUseIsAnError) {
  asio::io_context other_io;
  TestHandler other_handler;
  const auto taken = HttpListener::start(other_io, https_->local_endpoint(), other_handler);
  ASSERT_FALSE(taken);
  EXPECT_NE(taken.error().message.find("cannot listen on 127.0.0.1:"), std::string::npos) << taken.error().message;
}

TEST(TestClient, RefusesToConnectAnywhereButLoopback) {
  EXPECT_THROW(HttpsTestClient::plain_http(80, {.address = "192.0.2.1"}), std::invalid_argument);
}

}  // namespace
}  // namespace rpd::emulator
