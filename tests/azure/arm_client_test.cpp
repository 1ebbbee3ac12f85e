// ArmClient against the emulator binary: what every request carries, the retries and their waits (on a
// ManualClock), a 429 that pauses the subscription, a 401 that fetches a new token, errors as values, and a
// token never sent to another origin.

#include "daemon/azure/arm_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <deque>
#include <optional>

#include "core/arm_id.hpp"
#include "tests/azure/manual_clock.hpp"
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

const std::string subscription = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string vm = "/subscriptions/" + subscription + "/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/sql01";

// Gives the scripted tokens in order, then the last one again.
class ScriptedTokens final : public TokenSource {
 public:
  explicit ScriptedTokens(std::deque<std::string> tokens) : tokens_(std::move(tokens)) {}
  asio::awaitable<Result<AccessToken>> fetch() override {
    const std::string value = tokens_.size() > 1 ? tokens_.front() : tokens_.back();
    if (tokens_.size() > 1) tokens_.pop_front();
    co_return AccessToken{value, std::chrono::system_clock::now() + std::chrono::hours(1), std::nullopt};
  }
  std::string describe() const override { return "scripted tokens"; }

 private:
  std::deque<std::string> tokens_;
};

class ArmClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    process_ = new EmulatorProcess(AZURE_EMULATOR_BINARY,
                                   std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml");
    const auto answer = admin("POST", "/_emulator/token", R"({"client_id":"11111111-1111-4111-8111-111111111111"})");
    token_ = std::string(json::parse(answer.body).at("access_token").as_string());
  }
  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }
  void SetUp() override { admin("DELETE", "/_emulator/requests", ""); }
  void TearDown() override { admin("DELETE", "/_emulator/faults", ""); }

  static emulator::TestResponse admin(const std::string& method, const std::string& path, const std::string& body) {
    HttpsTestClient client(process_->ca_pem(), process_->https_port());
    return client.request(method, path, body);
  }
  static void fault(const json::object& rule) { admin("POST", "/_emulator/faults", json::serialize(rule)); }
  static json::array requests() { return json::parse(admin("GET", "/_emulator/requests", "").body).at("requests").as_array(); }

  std::unique_ptr<ArmClient> make_client(std::deque<std::string> tokens = {}) {
    if (tokens.empty()) tokens.push_back(token_);
    HttpClientOptions options;
    options.use_system_store = false;
    options.extra_ca_pem = process_->ca_pem();
    auto http = *HttpClient::create(io_.get_executor(), options);
    credential_ = std::make_shared<Credential>(io_.get_executor(), std::make_unique<ScriptedTokens>(std::move(tokens)), clock_);
    ArmClientOptions arm;
    arm.resource_manager = process_->base_url();
    arm.user_agent = "restorepointd/test";
    return std::make_unique<ArmClient>(http, credential_, clock_, arm);
  }

  Result<ArmResponse, ArmError> send(ArmClient& client, ArmRequest request) {
    return run_to_end(io_, client.send(std::move(request)));
  }

  static EmulatorProcess* process_;
  static std::string token_;
  asio::io_context io_;
  ManualClock clock_{std::chrono::system_clock::now()};
  std::shared_ptr<Credential> credential_;
};

EmulatorProcess* ArmClientTest::process_ = nullptr;
std::string ArmClientTest::token_;

TEST_F(ArmClientTest, EveryRequestCarriesApiVersionRequestIdAndUserAgent) {
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(json::parse(answer->body).at("name").as_string(), "sql01");
  const auto log = requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].at("api_version").as_string(), "2025-04-01");
  EXPECT_EQ(log[0].at("user_agent").as_string(), "restorepointd/test");
  EXPECT_EQ(log[0].at("client_request_id").as_string(), answer->client_request_id);
  EXPECT_TRUE(is_guid(answer->client_request_id)) << answer->client_request_id;
}

TEST_F(ArmClientTest, RetriesA503WithBackoffAndTheSameRequestId) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"code", "ServiceUnavailable"}, {"count", 2}});
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  ASSERT_EQ(clock_.waits.size(), 2u);
  EXPECT_GE(clock_.waits[0], milliseconds(640));  // 0.8 s +-20 %
  EXPECT_LE(clock_.waits[0], milliseconds(960));
  EXPECT_GE(clock_.waits[1], milliseconds(1280));  // 1.6 s +-20 %
  EXPECT_LE(clock_.waits[1], milliseconds(1920));
  const auto log = requests();
  ASSERT_EQ(log.size(), 3u);
  for (const auto& entry : log) EXPECT_EQ(entry.at("client_request_id").as_string(), answer->client_request_id);
  EXPECT_EQ(client->stats().retries, 2);
}

TEST_F(ArmClientTest, A429PausesTheSubscriptionForItsRetryAfter) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 429}, {"code", "TooManyRequests"}, {"count", 1},
         {"retry_after_seconds", 20}});
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  // The one wait is the subscription's pause (the throttle's wait), not a wait of this request's own.
  EXPECT_EQ(clock_.waits, (std::vector<milliseconds>{milliseconds(20'000)}));
  EXPECT_EQ(client->stats().throttled, 1);
  EXPECT_EQ(requests().size(), 2u);
}

TEST_F(ArmClientTest, ARefusedTokenIsReplacedOnce) {
  auto client = make_client({"not-a-valid-token", token_});
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(client->stats().reauthenticated, 1);

  auto refused = make_client({"not-a-valid-token"});
  const auto error = send(*refused, {"GET", vm, ""});
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().http_status, 401);
  EXPECT_EQ(refused->stats().requests, 2) << "one new token, one more try, no more";
}

TEST_F(ArmClientTest, A404IsTheAnswerNotRetried) {
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm + "-missing", ""});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().http_status, 404);
  EXPECT_EQ(answer.error().code, "ResourceNotFound");
  EXPECT_FALSE(answer.error().request_id.empty());
  EXPECT_TRUE(is_guid(answer.error().client_request_id));
  EXPECT_EQ(requests().size(), 1u);
  EXPECT_TRUE(clock_.waits.empty());
}

TEST_F(ArmClientTest, TheRetryBudgetEnds) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 500}, {"code", "InternalServerError"}});
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().http_status, 500);
  EXPECT_EQ(answer.error().code, "InternalServerError");
  EXPECT_EQ(requests().size(), 4u) << "the first try and 3 retries";
}

TEST_F(ArmClientTest, ATokenIsNeverSentToAnotherOrigin) {
  auto client = make_client();
  const auto answer = send(*client, {"GET", "https://evil.example.test/subscriptions/" + subscription + "?api-version=1", ""});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, "InvalidRequestUrl");
  EXPECT_EQ(answer.error().message, "refusing to send a token to https://evil.example.test:443: not the Resource Manager at " +
                                        process_->base_url());
  const auto plain = send(*client, {"GET", "http://127.0.0.1:" + std::to_string(process_->https_port()) + vm, ""});
  EXPECT_EQ(plain.error().code, "InvalidRequestUrl");
  EXPECT_EQ(credential_->stats().fetches, 0) << "refused before a token was even fetched";
}

TEST_F(ArmClientTest, SubscriptionOfReadsThePath) {
  EXPECT_EQ(subscription_of(vm), subscription);
  EXPECT_EQ(subscription_of("https://h/SUBSCRIPTIONS/ABC/x?y=/subscriptions/z"), "abc");
  EXPECT_EQ(subscription_of("/providers/Microsoft.Compute/operations"), "");
}

}  // namespace
}  // namespace rpd::azure
