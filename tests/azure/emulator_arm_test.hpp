#pragma once
// A test fixture for the Resource Manager client against the emulator binary (one emulator per test suite):
// a token for the fixture's first service principal, ArmClients on a ManualClock whose waits also move the
// emulator's clock (so that operations there progress with the client's time), and the admin endpoints for
// faults and the request log.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "daemon/azure/arm_client.hpp"
#include "daemon/azure/compute_client.hpp"
#include "tests/azure/manual_clock.hpp"
#include "tests/azure/test_token_sources.hpp"
#include "tests/azure/run_to_end.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace rpd::azure {

class EmulatorArmTest : public ::testing::Test {
 protected:
  static constexpr const char* default_fixture = "/tests/emulator/fixtures/small.yaml";

  // `fixture`: a path, or "" for the small fixture.
  static void start_emulator(const std::string& fixture = "") {
    process_ = new emulator::EmulatorProcess(
        AZURE_EMULATOR_BINARY, fixture.empty() ? std::string(RESTOREPOINTD_SOURCE_DIR) + default_fixture : fixture);
    token_ = fresh_token();
  }
  static void SetUpTestSuite() { start_emulator(); }
  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }
  void SetUp() override { admin("DELETE", "/_emulator/requests", ""); }
  void TearDown() override { admin("DELETE", "/_emulator/faults", ""); }

  static emulator::TestResponse admin(const std::string& method, const std::string& path, const std::string& body) {
    emulator::HttpsTestClient client(process_->ca_pem(), process_->https_port());
    return client.request(method, path, body);
  }
  static void fault(const boost::json::object& rule) { admin("POST", "/_emulator/faults", boost::json::serialize(rule)); }
  static boost::json::array requests() {
    return boost::json::parse(admin("GET", "/_emulator/requests", "").body).at("requests").as_array();
  }
  // The emulator's state: every collection with its points.
  static boost::json::object state() { return boost::json::parse(admin("GET", "/_emulator/state", "").body).as_object(); }

  // The client's waits move the emulator's clock too.
  void follow_client_time() {
    clock_.on_wait = [](std::chrono::milliseconds waited) {
      if (waited.count() <= 0) return;
      admin("POST", "/_emulator/clock", R"({"advance_seconds":)" + std::to_string(static_cast<double>(waited.count()) / 1000) + "}");
    };
  }

  static HttpClientOptions http_options() {
    HttpClientOptions options;
    options.use_system_store = false;
    options.extra_ca_pem = process_->ca_pem();
    return options;
  }
  // A token the emulator issues now (for its current time).
  static std::string fresh_token() {
    const auto answer = admin("POST", "/_emulator/token", R"({"client_id":"11111111-1111-4111-8111-111111111111"})");
    return std::string(boost::json::parse(answer.body).at("access_token").as_string());
  }

  std::unique_ptr<ArmClient> make_client(std::deque<std::string> tokens = {}, ArmClientOptions arm = {},
                                         HttpClientOptions options = http_options()) {
    if (tokens.empty()) tokens.push_back(token_);
    return make_client_with(std::make_unique<ScriptedTokens>(std::move(tokens)), std::move(arm), std::move(options));
  }
  // A client whose tokens the emulator mints as they are needed.
  std::unique_ptr<ArmClient> make_client_minting(ArmClientOptions arm = {}) {
    return make_client_with(std::make_unique<EmulatorTokens>(&fresh_token, clock_), std::move(arm), http_options());
  }
  std::unique_ptr<ArmClient> make_client_with(std::unique_ptr<TokenSource> tokens, ArmClientOptions arm,
                                              HttpClientOptions options) {
    auto http = *HttpClient::create(io_.get_executor(), options);
    credential_ = std::make_shared<Credential>(io_.get_executor(), std::move(tokens), clock_);
    arm.resource_manager = process_->base_url();
    if (arm.user_agent == "restorepointd") arm.user_agent = "restorepointd/test";
    return std::make_unique<ArmClient>(http, credential_, clock_, arm);
  }

  Result<ArmResponse, ArmError> send(ArmClient& client, ArmRequest request) {
    return run_to_end(io_, client.send(std::move(request)));
  }

  static inline emulator::EmulatorProcess* process_ = nullptr;
  static inline std::string token_;
  boost::asio::io_context io_;
  ManualClock clock_{std::chrono::system_clock::now()};
  std::shared_ptr<Credential> credential_;
};

// For the typed operations: a ComputeClient whose waits move the emulator's clock, each test an hour after
// the last (Azure allows 3 creates per VM per hour, and the tests share the fixture's VMs).
class EmulatorComputeTest : public EmulatorArmTest {
 protected:
  void SetUp() override {
    EmulatorArmTest::SetUp();
    admin("POST", "/_emulator/clock", R"({"advance_seconds":3600})");
    follow_client_time();
    arm_ = make_client_minting();
    compute_ = std::make_unique<ComputeClient>(*arm_);
  }

  template <class T, class E>
  Result<T, E> run(boost::asio::awaitable<Result<T, E>> work) {
    return run_to_end(io_, std::move(work));
  }

  std::unique_ptr<ArmClient> arm_;
  std::unique_ptr<ComputeClient> compute_;
};

}  // namespace rpd::azure
