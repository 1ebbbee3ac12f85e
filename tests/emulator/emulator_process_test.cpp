// The real azure-emulator binary over real HTTPS and HTTP, from the client's side: start-up on ephemeral
// ports, the CA it writes, each credential's token endpoint, a restore point's whole life, fault delivery,
// the admin endpoints, and a clean stop on SIGTERM.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace rpd::emulator {
namespace {

namespace json = boost::json;

const std::string tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const std::string prod = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod";
const std::string v = "?api-version=2025-04-01";

class EmulatorProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    process_ = new EmulatorProcess(AZURE_EMULATOR_BINARY, std::string(RESTOREPOINTD_SOURCE_DIR) +
                                                               "/tests/emulator/fixtures/small.yaml");
  }
  static void TearDownTestSuite() {
    delete process_;
    process_ = nullptr;
  }

  HttpsTestClient https() { return HttpsTestClient(process_->ca_pem(), process_->https_port()); }

  std::string secret_token() {
    auto client = https();
    const TestResponse response = client.request(
        "POST", "/" + tenant + "/oauth2/v2.0/token",
        "grant_type=client_credentials&client_id=11111111-1111-4111-8111-111111111111&client_secret=test-secret-not-"
        "for-production&scope=" + process_->base_url() + "/.default",
        {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(response.status, 200) << response.body;
    return std::string(json::parse(response.body).at("access_token").as_string());
  }

  static EmulatorProcess* process_;
};

EmulatorProcess* EmulatorProcessTest::process_ = nullptr;

TEST_F(EmulatorProcessTest, PrintsItsAddressesAndWritesItsCa) {
  EXPECT_TRUE(process_->base_url().starts_with("https://127.0.0.1:"));
  EXPECT_TRUE(process_->imds_url().starts_with("http://127.0.0.1:"));
  EXPECT_NE(process_->ca_pem().find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(EmulatorProcessTest, AClientSecretTokenOpensResourceManager) {
  const std::string token = secret_token();
  auto client = https();
  const TestResponse vm = client.request("GET", prod + "/providers/Microsoft.Compute/virtualMachines/sql01" + v, "",
                                         {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(vm.status, 200) << vm.body;
  EXPECT_NE(vm.header("x-ms-request-id"), "");
  const TestResponse anonymous = client.request("GET", prod + "/providers/Microsoft.Compute/virtualMachines/sql01" + v);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(client.connections_opened(), 1);  // keep-alive
}

TEST_F(EmulatorProcessTest, TheManagedIdentityEndpointSpeaksPlainHttp) {
  auto imds = HttpsTestClient::plain_http(process_->imds_port());
  const std::string target = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + process_->base_url();
  EXPECT_EQ(imds.request("GET", target).status, 400);  // no Metadata header
  const TestResponse token = imds.request("GET", target, "", {{"Metadata", "true"}});
  EXPECT_EQ(token.status, 200) << token.body;
  EXPECT_TRUE(json::parse(token.body).at("expires_in").is_string());
}

TEST_F(EmulatorProcessTest, ARestorePointsLifeOverHttps) {
  const TestHeaders auth = {{"Authorization", "Bearer " + secret_token()}, {"Content-Type", "application/json"}};
  auto client = https();
  const std::string collection = prod + "/providers/Microsoft.Compute/restorePointCollections/rpc-web02-https";
  ASSERT_EQ(client.request("PUT", collection + v,
                           R"({"location":"westeurope","properties":{"source":{"id":")" + prod +
                               "/providers/Microsoft.Compute/virtualMachines/web02\"}}}",
                           auth)
                .status,
            201);
  const TestResponse created = client.request("PUT", collection + "/restorePoints/rp1" + v, "{}", auth);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string operation = created.header("Azure-AsyncOperation");
  ASSERT_TRUE(operation.starts_with(process_->base_url()));
  const std::string operation_target = operation.substr(process_->base_url().size());
  EXPECT_EQ(json::parse(client.request("GET", operation_target, "", auth).body).at("status"), "InProgress");
  // Move the emulated clock past the 40 s a create takes instead of waiting for it.
  ASSERT_EQ(client.request("POST", "/_emulator/clock", R"({"advance_seconds": 45})").status, 200);
  EXPECT_EQ(json::parse(client.request("GET", operation_target, "", auth).body).at("status"), "Succeeded");
  const TestResponse deleted = client.request("DELETE", collection + "/restorePoints/rp1" + v, "", auth);
  EXPECT_EQ(deleted.status, 202);
  EXPECT_NE(deleted.header("Location"), "");
}

TEST_F(EmulatorProcessTest, InjectedResetsAndStallsReachTheClient) {
  const TestHeaders auth = {{"Authorization", "Bearer " + secret_token()}};
  auto client = https();
  const std::string vm = prod + "/providers/Microsoft.Compute/virtualMachines/web01" + v;
  ASSERT_EQ(client.request("POST", "/_emulator/faults", R"({"path_contains":"/web01","delivery":"reset","count":1})")
                .status,
            200);
  EXPECT_FALSE(client.try_request("GET", vm, "", auth).has_value());
  EXPECT_EQ(client.request("GET", vm, "", auth).status, 200);  // count 1: only once

  ASSERT_EQ(client.request("POST", "/_emulator/faults", R"({"path_contains":"/web01","delivery":"stall","count":1})")
                .status,
            200);
  client.set_timeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(client.try_request("GET", vm, "", auth).has_value());
  client.set_timeout(std::chrono::seconds(10));
  EXPECT_EQ(client.request("GET", vm, "", auth).status, 200);
}

TEST_F(EmulatorProcessTest, TheRequestLogCountsCalls) {
  auto client = https();
  client.request("DELETE", "/_emulator/requests");
  const TestHeaders auth = {{"Authorization", "Bearer " + secret_token()}};
  client.request("GET", prod + "/providers/Microsoft.Compute/virtualMachines" + v, "", auth);
  const auto log = json::parse(client.request("GET", "/_emulator/requests").body);
  // The token request and the list.
  EXPECT_EQ(log.at("requests").as_array().size(), 2u);
}

TEST(EmulatorProcess, StopsCleanlyOnSigterm) {
  EmulatorProcess process(AZURE_EMULATOR_BINARY,
                          std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml");
  EXPECT_EQ(process.stop(), 0);
}

}  // namespace
}  // namespace rpd::emulator
