// The HTTP client against the real azure-emulator binary over real TLS: verification and host names,
// keep-alive and the pool's bound, every fault the emulator delivers, the limits and the deadlines.

#include "daemon/azure/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <optional>

#include "tests/azure/connect_proxy.hpp"
#include "tests/azure/run_to_end.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using emulator::EmulatorProcess;
using emulator::HttpsTestClient;
using std::chrono::milliseconds;

const std::string vm_path =
    "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/"
    "virtualMachines/sql01";
const std::string api = "?api-version=2025-04-01";

using SendResult = Result<HttpResponse, TransportError>;

// Stores the answer where the test can read it: co_spawn's completion cannot carry a Result (no default value).
asio::awaitable<void> send_into(std::shared_ptr<HttpClient> client, HttpRequest request,
                                std::optional<SendResult>* out) {
  *out = co_await client->send(std::move(request));
}

class HttpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    process_ = new EmulatorProcess(AZURE_EMULATOR_BINARY,
                                   std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml");
    HttpsTestClient admin(process_->ca_pem(), process_->https_port());
    const auto answer = admin.request("POST", "/_emulator/token",
                                      R"({"client_id":"11111111-1111-4111-8111-111111111111"})");
    token_ = std::string(json::parse(answer.body).at("access_token").as_string());
  }
  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }
  void TearDown() override { admin("DELETE", "/_emulator/faults", ""); }

  static void admin(const std::string& method, const std::string& path, const std::string& body) {
    HttpsTestClient client(process_->ca_pem(), process_->https_port());
    ASSERT_EQ(client.request(method, path, body).status, 200) << path;
  }
  static void fault(const json::object& rule) { admin("POST", "/_emulator/faults", json::serialize(rule)); }

  HttpClientOptions trusting_the_emulator() const {
    HttpClientOptions options;
    options.use_system_store = false;
    options.extra_ca_pem = process_->ca_pem();
    return options;
  }

  std::shared_ptr<HttpClient> make_client(HttpClientOptions options) {
    auto client = HttpClient::create(io_.get_executor(), std::move(options));
    EXPECT_TRUE(client.ok()) << client.error().message;
    return *client;
  }

  HttpRequest get_vm(const std::string& origin) const {
    return {"GET", origin + vm_path + api, {{"Authorization", "Bearer " + token_}}, ""};
  }
  std::string origin() const { return process_->base_url(); }

  // Runs every request to its end; the client's own timeouts bound how long that takes.
  std::vector<SendResult> run(const std::shared_ptr<HttpClient>& client, std::vector<HttpRequest> requests) {
    std::vector<std::optional<SendResult>> answers(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
      asio::co_spawn(io_, send_into(client, std::move(requests[i]), &answers[i]), asio::detached);
    }
    io_.restart();
    io_.run();
    std::vector<SendResult> out;
    for (auto& answer : answers) {
      if (!answer) throw std::logic_error("a request did not finish");
      out.push_back(*std::move(answer));
    }
    return out;
  }
  SendResult run_one(const std::shared_ptr<HttpClient>& client, HttpRequest request) {
    return run_to_end(io_, client->send(std::move(request)));
  }

  static EmulatorProcess* process_;
  static std::string token_;
  asio::io_context io_;
};

EmulatorProcess* HttpClientTest::process_ = nullptr;
std::string HttpClientTest::token_;

TEST_F(HttpClientTest, GetsAResourceOverVerifiedTls) {
  auto client = make_client(trusting_the_emulator());
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(json::parse(answer->body).at("name").as_string(), "sql01");
  ASSERT_TRUE(find_header(answer->headers, "x-ms-request-id").has_value());
}

TEST_F(HttpClientTest, KeepsTheConnectionAlive) {
  auto client = make_client(trusting_the_emulator());
  for (int i = 0; i < 5; ++i) {
    const SendResult answer = run_one(client, get_vm(origin()));
    ASSERT_TRUE(answer.ok()) << answer.error().message;
  }
  EXPECT_EQ(client->stats().connections_opened, 1);
  EXPECT_EQ(client->stats().reused, 4);
  EXPECT_EQ(client->stats().open, 1);
  client->close_idle();
  EXPECT_EQ(client->stats().open, 0);
}

TEST_F(HttpClientTest, AHostNameOnTheCertificateIsAccepted) {
  HttpClientOptions options = trusting_the_emulator();
  options.host_addresses["localhost"] = "127.0.0.1";  // the certificate names DNS:localhost
  auto client = make_client(options);
  const SendResult answer =
      run_one(client, get_vm("https://localhost:" + std::to_string(process_->https_port())));
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
}

TEST_F(HttpClientTest, ACertificateForAnotherHostIsRefused) {
  HttpClientOptions options = trusting_the_emulator();
  options.host_addresses["management.example.test"] = "127.0.0.1";
  auto client = make_client(options);
  const SendResult answer =
      run_one(client, get_vm("https://management.example.test:" + std::to_string(process_->https_port())));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::tls_failed);
  EXPECT_NE(answer.error().message.find("certificate of management.example.test not accepted"), std::string::npos)
      << answer.error().message;
  EXPECT_EQ(answer.error().message.find("api-version"), std::string::npos) << "the query is never in messages";
}

TEST_F(HttpClientTest, ACertificateFromAnUntrustedCaIsRefused) {
  HttpClientOptions options;  // the system store only: the emulator's CA is not in it
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::tls_failed);
  EXPECT_NE(answer.error().message.find("not accepted"), std::string::npos) << answer.error().message;
}

TEST_F(HttpClientTest, AnExtraCaThatIsNotPemIsAnError) {
  HttpClientOptions options;
  options.extra_ca_pem = "not a certificate";
  auto client = HttpClient::create(io_.get_executor(), options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("the extra CA is not a PEM certificate"), std::string::npos);
}

TEST_F(HttpClientTest, AResetBeforeTheAnswerOnAFreshConnectionIsReported) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "reset"}, {"count", 1}});
  auto client = make_client(trusting_the_emulator());
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::reset_before_response);
  EXPECT_EQ(client->stats().retried_on_fresh, 0);
}

TEST_F(HttpClientTest, AReusedConnectionThatFailsBeforeAnyByteIsRetriedOnceOnAFreshOne) {
  auto client = make_client(trusting_the_emulator());
  ASSERT_TRUE(run_one(client, get_vm(origin())).ok());
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "reset"}, {"count", 1}});
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(client->stats().retried_on_fresh, 1);
  EXPECT_EQ(client->stats().connections_opened, 2);

  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "reset"}, {"count", 2}});  // only once
  const SendResult twice = run_one(client, get_vm(origin()));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().failure, TransportFailure::reset_before_response);
  EXPECT_EQ(client->stats().retried_on_fresh, 2);
}

TEST_F(HttpClientTest, AStalledAnswerTimesOut) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "stall"}, {"count", 1}});
  HttpClientOptions options = trusting_the_emulator();
  options.read_timeout = milliseconds(300);
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::timeout);
  EXPECT_NE(answer.error().message.find("read timed out after 300 ms"), std::string::npos) << answer.error().message;
}

TEST_F(HttpClientTest, TheRequestDeadlineBoundsAllSteps) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "stall"}, {"count", 1}});
  HttpClientOptions options = trusting_the_emulator();
  options.request_deadline = milliseconds(400);
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::timeout);
  EXPECT_NE(answer.error().message.find("the request deadline of 400 ms passed during read"), std::string::npos)
      << answer.error().message;
}

TEST_F(HttpClientTest, ATruncatedBodyIsReported) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "truncated_body"}, {"count", 1}});
  auto client = make_client(trusting_the_emulator());
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::truncated_response);
  EXPECT_EQ(client->stats().open, 0);
}

TEST_F(HttpClientTest, ABodyBeyondTheLimitIsRefused) {
  HttpClientOptions options = trusting_the_emulator();
  options.max_body_bytes = 100;
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::too_large);
  EXPECT_NE(answer.error().message.find("response body larger than 100 bytes"), std::string::npos);
}

TEST_F(HttpClientTest, HeadersBeyondTheLimitAreRefused) {
  HttpClientOptions options = trusting_the_emulator();
  options.max_header_bytes = 64;
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::too_large);
}

TEST_F(HttpClientTest, ThePoolBoundsConnectionsPerHostAndQueuesTheRest) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"delivery", "slow"}, {"delay_ms", 50},
         {"count", 6}});
  HttpClientOptions options = trusting_the_emulator();
  options.max_connections_per_host = 2;
  auto client = make_client(options);
  const auto answers = run(client, std::vector<HttpRequest>(6, get_vm(origin())));
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(answer->status, 503);
  }
  EXPECT_EQ(client->stats().connections_opened, 2);
  EXPECT_EQ(client->stats().requests, 6);
}

TEST_F(HttpClientTest, PlainHttpReachesTheManagedIdentityEndpoint) {
  auto client = make_client(trusting_the_emulator());
  const SendResult answer =
      run_one(client, {"GET",
                       process_->imds_url() +
                           "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + origin() + "/",
                       {{"Metadata", "true"}},
                       ""});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(json::parse(answer->body).as_object().contains("access_token"));
}

TEST_F(HttpClientTest, NothingListeningIsAConnectFailure) {
  auto client = make_client(trusting_the_emulator());
  const SendResult answer = run_one(client, get_vm("https://127.0.0.1:1"));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::connect_failed);
  EXPECT_NE(answer.error().message.find("connect to 127.0.0.1:1"), std::string::npos) << answer.error().message;
}

TEST_F(HttpClientTest, AnUnsupportedUrlIsRefusedBeforeAnyConnection) {
  auto client = make_client(trusting_the_emulator());
  const SendResult answer = run_one(client, {"GET", "ftp://127.0.0.1/x", {}, ""});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::invalid_url);
  EXPECT_EQ(answer.error().message, "GET: unsupported scheme 'ftp' (use https)");
  EXPECT_EQ(client->stats().connections_opened, 0);
}

// The proxy settings the environment would give: https_proxy and no_proxy as named here.
ProxySettings proxy_from(std::string https_proxy, std::string no_proxy = "") {
  auto settings = proxy_settings_from([&](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "https_proxy") return https_proxy;
    if (std::string_view(name) == "no_proxy" && !no_proxy.empty()) return no_proxy;
    return std::nullopt;
  });
  if (!settings) throw std::logic_error(settings.error().message);
  return *settings;
}

TEST_F(HttpClientTest, TunnelsThroughAProxyWithItsCredentials) {
  testing::ConnectProxy proxy({.required_user = "backup", .required_password = "pr0xy-pass"});
  HttpClientOptions options = trusting_the_emulator();
  options.proxy = proxy_from("http://backup:pr0xy-pass@127.0.0.1:" + std::to_string(proxy.port()));
  auto client = make_client(options);
  for (int i = 0; i < 2; ++i) {
    const SendResult answer = run_one(client, get_vm(origin()));
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(answer->status, 200);
  }
  const auto records = proxy.records();
  ASSERT_EQ(records.size(), 1u) << "the tunnel is kept alive like any connection";
  EXPECT_EQ(records[0].target, "127.0.0.1:" + std::to_string(process_->https_port()));
  EXPECT_TRUE(records[0].authorized);
  EXPECT_EQ(records[0].status, 200);
}

TEST_F(HttpClientTest, AProxyThatRefusesTheCredentialsIsNotRetried) {
  testing::ConnectProxy proxy({.required_user = "backup", .required_password = "pr0xy-pass"});
  HttpClientOptions options = trusting_the_emulator();
  options.proxy = proxy_from("http://backup:wrong-pass@127.0.0.1:" + std::to_string(proxy.port()));
  auto client = make_client(options);
  const SendResult answer = run_one(client, get_vm(origin()));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().failure, TransportFailure::proxy_refused);
  EXPECT_FALSE(is_retryable(answer.error().failure));
  EXPECT_NE(answer.error().message.find("answered CONNECT 127.0.0.1:" + std::to_string(process_->https_port()) +
                                        " with 407"),
            std::string::npos)
      << answer.error().message;
  EXPECT_EQ(answer.error().message.find("wrong-pass"), std::string::npos) << "never the proxy's password";
}

TEST_F(HttpClientTest, NoProxyAndPlainHttpGoDirect) {
  testing::ConnectProxy proxy;
  HttpClientOptions options = trusting_the_emulator();
  options.proxy = proxy_from(proxy.url(), "localhost,127.0.0.0/8");
  auto client = make_client(options);
  const SendResult direct = run_one(client, get_vm(origin()));
  ASSERT_TRUE(direct.ok()) << direct.error().message;

  options.proxy = proxy_from(proxy.url());  // no exceptions: still, the managed identity endpoint is never proxied
  client = make_client(options);
  const SendResult identity = run_one(
      client, {"GET", process_->imds_url() + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
               {{"Metadata", "true"}}, ""});
  ASSERT_TRUE(identity.ok()) << identity.error().message;
  EXPECT_TRUE(proxy.records().empty());
  EXPECT_EQ(proxy.connect_attempts(), 0);
}

}  // namespace
}  // namespace rpd::azure
