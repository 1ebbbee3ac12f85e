// Every token source against the real azure-emulator binary: the token it gets is one Resource Manager
// accepts, the managed identity endpoint's retries follow IMDS's schedule (on a ManualClock: no real waits),
// and each refusal reads as what went wrong without a secret in it.

#include "daemon/azure/token_sources.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "daemon/azure/credential_factory.hpp"
#include "tests/azure/manual_clock.hpp"
#include "tests/azure/run_to_end.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using emulator::EmulatorProcess;
using emulator::HttpsTestClient;
using std::chrono::milliseconds;

const std::string tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const std::string vm_path =
    "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/"
    "virtualMachines/sql01?api-version=2025-04-01";
const std::string fixtures = std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures";

// small.yaml with the Arc flavour of the managed identity endpoint and App Service's endpoint switched on.
std::string arc_and_app_service_fixture() {
  std::ifstream in(fixtures + "/small.yaml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("small.yaml changed: no " + from);
    text.replace(at, from.size(), to);
  };
  replace("\nsettings:\n", "\nsettings:\n  managed_identity_flavour: arc\n  app_service_identity_header: app-service-test-header\n");
  replace("certificate_file: client-certificate.pem", "certificate_file: " + fixtures + "/client-certificate.pem");
  const fs::path path = fs::temp_directory_path() / ("rpd-arc-fixture-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

class TokenSourcesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    imds_ = new EmulatorProcess(AZURE_EMULATOR_BINARY, fixtures + "/small.yaml");
    arc_fixture_ = arc_and_app_service_fixture();
    arc_ = new EmulatorProcess(AZURE_EMULATOR_BINARY, arc_fixture_);
  }
  static void TearDownTestSuite() {
    delete imds_;
    delete arc_;
    fs::remove(arc_fixture_);
    imds_ = arc_ = nullptr;
  }
  void SetUp() override {
    HttpClientOptions options;
    options.use_system_store = false;
    options.extra_ca_pem = imds_->ca_pem() + arc_->ca_pem();
    http_ = *HttpClient::create(io_.get_executor(), options);
  }
  void TearDown() override {
    for (EmulatorProcess* process : {imds_, arc_}) {
      HttpsTestClient admin(process->ca_pem(), process->https_port());
      admin.request("DELETE", "/_emulator/faults", "");
    }
  }

  static void fault(EmulatorProcess* process, const json::object& rule) {
    HttpsTestClient admin(process->ca_pem(), process->https_port());
    ASSERT_EQ(admin.request("POST", "/_emulator/faults", json::serialize(rule)).status, 200);
  }

  SourceContext context() { return SourceContext{http_, &clock_}; }

  Result<AccessToken> fetch(TokenSource& source) { return run_to_end(io_, source.fetch()); }

  // What Resource Manager says to GET sql01 with this token.
  int resource_manager_status(EmulatorProcess* process, const std::string& token) {
    HttpRequest request{"GET", process->base_url() + vm_path, {{"Authorization", "Bearer " + token}}, ""};
    const auto answer = run_to_end(io_, http_->send(std::move(request)));
    return answer.ok() ? answer->status : -1;
  }

  EntraApplication application(EmulatorProcess* process, const std::string& client_id) const {
    return {entra_token_url(process->base_url(), tenant), client_id, process->base_url() + "/.default"};
  }

  std::string write_file(const std::string& name, const std::string& content) {
    const fs::path path = fs::path(imds_->state_dir()) / name;
    std::ofstream(path) << content;
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path.string();
  }

  static EmulatorProcess* imds_;
  static EmulatorProcess* arc_;
  static std::string arc_fixture_;
  asio::io_context io_;
  ManualClock clock_{std::chrono::system_clock::now()};
  std::shared_ptr<HttpClient> http_;
};

EmulatorProcess* TokenSourcesTest::imds_ = nullptr;
EmulatorProcess* TokenSourcesTest::arc_ = nullptr;
std::string TokenSourcesTest::arc_fixture_;

TEST_F(TokenSourcesTest, ImdsGivesATokenResourceManagerAccepts) {
  auto source = make_imds_source(context(), imds_->imds_url(), imds_->base_url(), {});
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_GT(token->expires_on, clock_.now());
  EXPECT_EQ(resource_manager_status(imds_, token->value), 200);
  EXPECT_EQ(source->describe(), "managed identity (IMDS at " + imds_->imds_url() + ")");
}

TEST_F(TokenSourcesTest, ImdsNamesAUserAssignedIdentity) {
  auto source = make_imds_source(context(), imds_->imds_url(), imds_->base_url(),
                                 {ManagedIdentityId::Kind::client_id, "55555555-5555-4555-8555-555555555555"});
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(imds_, token->value), 200);
}

TEST_F(TokenSourcesTest, ImdsRetriesWhileItRestartsOnItsOwnSchedule) {
  fault(imds_, {{"path_contains", "/metadata/identity"}, {"status", 410}, {"count", 3}});
  auto source = make_imds_source(context(), imds_->imds_url(), imds_->base_url(), {});
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(clock_.waits, (std::vector<milliseconds>{milliseconds(0), milliseconds(2000), milliseconds(6000)}));
}

TEST_F(TokenSourcesTest, ImdsGivesUpAfterItsLastRetry) {
  fault(imds_, {{"path_contains", "/metadata/identity"}, {"status", 503}});
  auto source = make_imds_source(context(), imds_->imds_url(), imds_->base_url(), {});
  const auto token = fetch(*source);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message, "managed identity (IMDS at " + imds_->imds_url() + "): HTTP 503 (after 6 retries)");
  EXPECT_EQ(clock_.waits.size(), 6u);
}

TEST_F(TokenSourcesTest, AnUnknownIdentityIsNotRetried) {
  auto source = make_imds_source(context(), imds_->imds_url(), imds_->base_url(),
                                 {ManagedIdentityId::Kind::client_id, "99999999-9999-4999-8999-999999999999"});
  const auto token = fetch(*source);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message, "managed identity 99999999-9999-4999-8999-999999999999 (IMDS at " +
                                       imds_->imds_url() + "): HTTP 400 invalid_request: Identity not found");
  EXPECT_TRUE(clock_.waits.empty());
}

TEST_F(TokenSourcesTest, AppServiceSendsItsIdentityHeader) {
  auto source = make_app_service_source(context(), arc_->imds_url() + "/msi/token", "app-service-test-header",
                                        arc_->base_url(), {});
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(arc_, token->value), 200);

  auto wrong = make_app_service_source(context(), arc_->imds_url() + "/msi/token", "not-the-header", arc_->base_url(), {});
  const auto refused = fetch(*wrong);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message.find("not-the-header"), std::string::npos) << "the header is a secret";
}

TEST_F(TokenSourcesTest, ArcAnswersItsChallengeWithTheKeyFile) {
  auto source = make_arc_source(context(), arc_->imds_url() + "/metadata/identity/oauth2/token", arc_->base_url(),
                                arc_->state_dir() + "/tokens");
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(arc_, token->value), 200);
}

TEST_F(TokenSourcesTest, ArcRefusesAKeyFileOutsideTheAgentsDirectory) {
  auto source = make_arc_source(context(), arc_->imds_url() + "/metadata/identity/oauth2/token", arc_->base_url(),
                                "/var/opt/azcmagent/tokens");
  const auto token = fetch(*source);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().message, "managed identity (Azure Arc at " + arc_->imds_url() +
                                       "/metadata/identity/oauth2/token): Azure Arc's challenge names a file outside "
                                       "/var/opt/azcmagent/tokens/ or not a .key file");
}

TEST_F(TokenSourcesTest, AClientSecretIsReadFromItsFileAtEveryFetch) {
  const std::string file = write_file("client-secret", "test-secret-not-for-production\n");
  auto source = make_client_secret_source(context(), application(imds_, "11111111-1111-4111-8111-111111111111"), file);
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(imds_, token->value), 200);

  write_file("client-secret", "a-rotated-secret-that-is-wrong");
  const auto refused = fetch(*source);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 401 invalid_client"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("a-rotated-secret"), std::string::npos) << "never the secret";
}

TEST_F(TokenSourcesTest, AMissingSecretFileIsNamed) {
  auto source = make_client_secret_source(context(), application(imds_, "11111111-1111-4111-8111-111111111111"),
                                          "/nonexistent/client-secret");
  EXPECT_EQ(fetch(*source).error().message,
            "service principal 11111111-1111-4111-8111-111111111111 with a client secret (" +
                entra_token_url(imds_->base_url(), tenant) +
                "): cannot read the client secret file /nonexistent/client-secret: No such file or directory");
}

TEST_F(TokenSourcesTest, EntraIsRetriedWhenItIsUnavailable) {
  fault(imds_, {{"path_contains", "/oauth2/v2.0/token"}, {"status", 503}, {"count", 2}, {"retry_after_seconds", 7}});
  const std::string file = write_file("client-secret", "test-secret-not-for-production");
  auto source = make_client_secret_source(context(), application(imds_, "11111111-1111-4111-8111-111111111111"), file);
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(clock_.waits, (std::vector<milliseconds>{milliseconds(7000), milliseconds(7000)}));
}

TEST_F(TokenSourcesTest, ACertificateSignsTheAssertion) {
  std::ifstream key(fixtures + "/client-certificate-key.pem"), certificate(fixtures + "/client-certificate.pem");
  std::stringstream pem;
  pem << key.rdbuf() << certificate.rdbuf();
  const std::string file = write_file("client.pem", pem.str());
  auto source = make_client_certificate_source(context(), application(imds_, "22222222-2222-4222-8222-222222222222"), file);
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(imds_, token->value), 200);
}

TEST_F(TokenSourcesTest, AWorkloadIdentitySendsTheFederatedToken) {
  const std::string file = write_file("federated-token", "eyJhbGciOiJSUzI1NiJ9.workload-identity-test-token.signature");
  auto source = make_workload_identity_source(context(), application(imds_, "33333333-3333-4333-8333-333333333333"), file);
  const auto token = fetch(*source);
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(resource_manager_status(imds_, token->value), 200);
}

TEST_F(TokenSourcesTest, TheSettingsAndTheEnvironmentChooseTheSource) {
  AzureSettings azure;
  azure.endpoints = {"https://management.azure.com", "https://login.microsoftonline.com", "http://169.254.169.254",
                     "https://management.azure.com/.default"};
  const auto describe = [&](const Environment& environment) {
    auto source = make_token_source(azure, environment, context());
    return source ? (*source)->describe() : "error: " + source.error().message;
  };
  EXPECT_EQ(describe({}), "managed identity (IMDS at http://169.254.169.254)");
  EXPECT_EQ(describe({{"IDENTITY_ENDPOINT", "http://127.0.0.1:8081/msi/token"}, {"IDENTITY_HEADER", "h"}}),
            "managed identity (App Service at http://127.0.0.1:8081/msi/token)");
  EXPECT_EQ(describe({{"IDENTITY_ENDPOINT", "http://localhost:40342/metadata/identity/oauth2/token"},
                      {"IMDS_ENDPOINT", "http://localhost:40342"}}),
            "managed identity (Azure Arc at http://localhost:40342/metadata/identity/oauth2/token)");
  azure.credential.client_id = "55555555-5555-4555-8555-555555555555";
  EXPECT_EQ(describe({}), "managed identity 55555555-5555-4555-8555-555555555555 (IMDS at http://169.254.169.254)");
  EXPECT_EQ(describe({{"IDENTITY_ENDPOINT", "http://localhost:40342/x"}, {"IMDS_ENDPOINT", "http://localhost:40342"}}),
            "error: credential: Azure Arc has only the machine's system-assigned identity; remove client_id");

  azure.credential.type = CredentialType::workload_identity;
  azure.credential.client_id.reset();
  EXPECT_EQ(describe({}), "error: credential: workload_identity needs AZURE_FEDERATED_TOKEN_FILE in the environment");
  EXPECT_EQ(describe({{"AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"}, {"AZURE_CLIENT_ID", "c"},
                      {"AZURE_TENANT_ID", "t"}, {"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us"}}),
            "workload identity c (https://login.microsoftonline.us/t/oauth2/v2.0/token)");
  EXPECT_EQ(describe({{"AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"}, {"AZURE_CLIENT_ID", "c"}}),
            "error: credential: workload_identity needs credential.tenant_id or AZURE_TENANT_ID in the environment");

  azure.credential.type = CredentialType::client_secret;
  azure.credential.tenant_id = "t";
  azure.credential.client_id = "c";
  azure.credential.client_secret_file = "/etc/restorepointd/client-secret";
  EXPECT_EQ(describe({}), "service principal c with a client secret (https://login.microsoftonline.com/t/oauth2/v2.0/token)");

  azure.credential.type = CredentialType::azure_cli;
  EXPECT_EQ(describe({}), "Azure CLI (az)");
}

}  // namespace
}  // namespace rpd::azure
