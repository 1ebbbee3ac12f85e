// ArmClient against the emulator binary: what every request carries, the retries and their waits (on a
// ManualClock), a 429 that pauses the subscription, a 401 that fetches a new token, errors as values, and a
// token never sent to another origin.

#include "daemon/azure/arm_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <ctime>

#include "core/arm_id.hpp"
#include "tests/azure/emulator_arm_test.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

const std::string subscription = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string vm = "/subscriptions/" + subscription + "/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/sql01";

class ArmClientTest : public EmulatorArmTest {};

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

TEST_F(ArmClientTest, EachRetryableStatusIsRetriedAndNoOtherIs) {
  for (const int status : {408, 429, 500, 502, 503, 504}) {
    fault({{"path_contains", "virtualMachines/sql01"}, {"status", status}, {"count", 1}, {"retry_after_seconds", 1}});
    auto client = make_client();
    const auto answer = send(*client, {"GET", vm, ""});
    EXPECT_TRUE(answer.ok()) << status << ": " << answer.error().describe();
    EXPECT_EQ(client->stats().retries, 1) << status;
  }
  for (const int status : {400, 403, 409, 412, 501}) {
    fault({{"path_contains", "virtualMachines/sql01"}, {"status", status}, {"code", "Refused"}, {"count", 1}});
    auto client = make_client();
    const auto answer = send(*client, {"GET", vm, ""});
    ASSERT_FALSE(answer.ok()) << status;
    EXPECT_EQ(answer.error().http_status, status);
    EXPECT_EQ(answer.error().code, "Refused");
    EXPECT_EQ(client->stats().retries, 0) << status;
  }
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

TEST_F(ArmClientTest, AWaitBeyondTheRequestBudgetIsNotMadeButStillPausesTheSubscription) {
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 429}, {"code", "OperationNotAllowed"}, {"count", 1},
         {"retry_after_seconds", 1200}});  // a Compute throttle asking for 20 minutes
  auto client = make_client();
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().http_status, 429);
  EXPECT_TRUE(clock_.waits.empty()) << "the error at once, not after 20 minutes";
  EXPECT_EQ(client->throttle().paused_until(subscription), clock_.steady_now() + std::chrono::minutes(20));
  EXPECT_EQ(requests().size(), 1u);
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

TEST_F(ArmClientTest, AResetATruncatedBodyAndAStallAreRetried) {
  for (const char* delivery : {"reset", "truncated_body", "stall"}) {
    fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", delivery}, {"count", 1}});
  }
  HttpClientOptions http = http_options();
  http.read_timeout = milliseconds(300);  // the stall ends at the read timeout
  auto client = make_client({}, {}, http);
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(json::parse(answer->body).at("name").as_string(), "sql01");
  EXPECT_EQ(client->stats().retries, 3);
  EXPECT_EQ(clock_.waits.size(), 3u);
}

TEST_F(ArmClientTest, AStallWithoutRetriesLeftIsATransportFailure) {
  HttpClientOptions http = http_options();
  http.read_timeout = milliseconds(200);
  ArmClientOptions arm;
  arm.retry.max_retries = 0;
  auto client = make_client({}, arm, http);
  fault({{"path_contains", "virtualMachines/sql01"}, {"delivery", "stall"}, {"count", 1}});
  const auto stalled = send(*client, {"GET", vm, ""});
  ASSERT_FALSE(stalled.ok());
  EXPECT_EQ(stalled.error().code, "TransportFailure");
  EXPECT_EQ(stalled.error().http_status, 0);
  EXPECT_TRUE(is_guid(stalled.error().client_request_id));
}

std::string http_date(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm parts{};
  gmtime_r(&t, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
  return text;
}

TEST_F(ArmClientTest, RetryAfterInEachFormIsHonoured) {
  const auto in_20_s = http_date(clock_.now() + std::chrono::seconds(20));
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"count", 1}, {"headers", {{"Retry-After", in_20_s}}}});
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"count", 1}, {"headers", {{"retry-after-ms", "1500"}}}});
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"count", 1}, {"headers", {{"x-ms-retry-after-ms", "2500"}}}});
  fault({{"path_contains", "virtualMachines/sql01"}, {"status", 503}, {"count", 1}, {"retry_after_seconds", 4}});
  ArmClientOptions arm;
  arm.retry.max_retries = 4;
  auto client = make_client({}, arm);
  const auto answer = send(*client, {"GET", vm, ""});
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  ASSERT_EQ(clock_.waits.size(), 4u);
  EXPECT_GT(clock_.waits[0], milliseconds(19'000));  // the date has whole seconds; now has a fraction
  EXPECT_LE(clock_.waits[0], milliseconds(20'000));
  EXPECT_EQ(clock_.waits[1], milliseconds(1'500));
  EXPECT_EQ(clock_.waits[2], milliseconds(2'500));
  EXPECT_EQ(clock_.waits[3], milliseconds(4'000));
}

TEST_F(ArmClientTest, ATokenThatExpiredDuringTheRunIsReplaced) {
  admin("POST", "/_emulator/clock", R"({"advance_seconds":7200})");  // token_ is now two hours old
  const std::string later = fresh_token();
  auto client = make_client({token_, later});
  const auto answer = send(*client, {"GET", vm, ""});
  token_ = later;  // for the tests that follow
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(client->stats().reauthenticated, 1);
  EXPECT_EQ(requests().size(), 2u);
}

asio::awaitable<void> get_into(ArmClient& client, std::string url, std::optional<Result<ArmResponse, ArmError>>* out) {
  ArmRequest request{"GET", std::move(url), ""};
  *out = co_await client.send(std::move(request));
}

TEST_F(ArmClientTest, A429StormOnOneSubscriptionDoesNotSlowAnother) {
  const std::string other_vm =
      "/subscriptions/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/resourceGroups/batch/providers/Microsoft.Compute/virtualMachines/batch01";
  fault({{"path_contains", "/subscriptions/" + subscription + "/"}, {"status", 429}, {"code", "TooManyRequests"},
         {"retry_after_seconds", 30}});
  clock_.hold_waits = true;
  auto client = make_client();
  constexpr int each = 10;
  std::vector<std::optional<Result<ArmResponse, ArmError>>> throttled(each), other(each);
  for (int i = 0; i < each; ++i) {
    asio::co_spawn(io_, get_into(*client, vm, &throttled[static_cast<std::size_t>(i)]), asio::detached);
    asio::co_spawn(io_, get_into(*client, other_vm, &other[static_cast<std::size_t>(i)]), asio::detached);
  }
  const auto all_done = [](const auto& results) {
    return std::all_of(results.begin(), results.end(), [](const auto& r) { return r.has_value(); });
  };
  // Run until the other subscription's requests are answered and the throttled ones all wait for the pause.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!(all_done(other) && clock_.held_waits() == each) && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_for(milliseconds(100));
  }
  ASSERT_TRUE(all_done(other));
  for (const auto& r : other) EXPECT_TRUE(r->ok()) << r->error().describe();
  EXPECT_FALSE(client->throttle().paused_until("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d").has_value());
  ASSERT_EQ(clock_.held_waits(), static_cast<std::size_t>(each));
  for (const auto& r : throttled) EXPECT_FALSE(r.has_value()) << "nothing of the throttled subscription goes before 30 s";
  EXPECT_EQ(client->throttle().paused_until(subscription), clock_.steady_now() + std::chrono::seconds(30));
  long throttled_sent = 0;
  for (const auto& entry : requests()) {
    if (std::string(entry.at("path").as_string()).find(subscription) != std::string::npos) ++throttled_sent;
  }
  EXPECT_EQ(throttled_sent, each) << "one try each, then all wait for the pause";

  // The pause ends: the throttled requests go again, now answered.
  admin("DELETE", "/_emulator/faults", "");
  clock_.advance(std::chrono::seconds(30));
  while (!all_done(throttled) && std::chrono::steady_clock::now() < deadline) io_.run_one_for(milliseconds(100));
  ASSERT_TRUE(all_done(throttled));
  for (const auto& r : throttled) EXPECT_TRUE(r->ok()) << r->error().describe();
}

TEST_F(ArmClientTest, SubscriptionOfReadsThePath) {
  EXPECT_EQ(subscription_of(vm), subscription);
  EXPECT_EQ(subscription_of("https://h/SUBSCRIPTIONS/ABC/x?y=/subscriptions/z"), "abc");
  EXPECT_EQ(subscription_of("/providers/Microsoft.Compute/operations"), "");
}

}  // namespace
}  // namespace rpd::azure
