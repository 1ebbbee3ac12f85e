// From the settings to the Azure client: the options the settings give, and a connection built from
// settings for a custom cloud (the emulator), with azure.ca_file and a client secret, that gets an answer.

#include "daemon/azure/azure_connection.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/azure/emulator_arm_test.hpp"

namespace rpd::azure {
namespace {

const std::string vm =
    "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/web01";

class AzureConnectionTest : public EmulatorArmTest {
 protected:
  std::string write_file(const std::string& name, const std::string& content) {
    const std::string path = process_->state_dir() + "/" + name;
    std::ofstream(path) << content;
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return path;
  }

  Settings emulator_settings() {
    Settings settings;
    settings.azure.cloud = Cloud::custom;
    settings.azure.endpoints.resource_manager = process_->base_url();
    settings.azure.endpoints.authority = process_->base_url();
    settings.azure.endpoints.token_scope = process_->base_url() + "/.default";
    settings.azure.credential.type = CredentialType::client_secret;
    settings.azure.credential.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    settings.azure.credential.client_id = "11111111-1111-4111-8111-111111111111";
    settings.azure.credential.client_secret_file = write_file("client-secret", "test-secret-not-for-production\n");
    settings.azure.ca_file = write_file("emulator-ca.pem", process_->ca_pem());
    return settings;
  }

  static ConnectionEnvironment no_environment() {
    ConnectionEnvironment environment;
    environment.getenv = [](const char*) -> std::optional<std::string> { return std::nullopt; };
    return environment;
  }
};

TEST_F(AzureConnectionTest, TheSettingsGiveTheResourceManagerOptions) {
  Settings settings;
  settings.azure.endpoints = endpoints_of(Cloud::azure_us_government);
  settings.azure.api_version = "2025-11-01";
  settings.limits.writes_per_second = 2.5;
  const ArmClientOptions options = arm_client_options(settings, "1.2.3");
  EXPECT_EQ(options.resource_manager, "https://management.usgovcloudapi.net");
  EXPECT_EQ(options.api_version, "2025-11-01");
  EXPECT_EQ(options.user_agent, "restorepointd/1.2.3");
  EXPECT_EQ(options.throttle.writes_per_second, 2.5);
}

TEST_F(AzureConnectionTest, AConnectionFromTheSettingsGetsAnAnswer) {
  auto connection = connect_to_azure(io_.get_executor(), emulator_settings(), clock_, "0.1.0", no_environment());
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  EXPECT_EQ(connection->credential->describe(),
            "service principal 11111111-1111-4111-8111-111111111111 with a client secret (" + process_->base_url() +
                "/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token)");
  const auto answer = run_to_end(io_, connection->arm->send(ArmRequest{"GET", vm, ""}));
  ASSERT_TRUE(answer.ok()) << answer.error().describe();
  EXPECT_EQ(requests().back().at("user_agent").as_string(), "restorepointd/0.1.0");
}

TEST_F(AzureConnectionTest, WhatCannotBeUsedIsNamed) {
  Settings settings = emulator_settings();
  settings.azure.ca_file = write_file("not-a-ca.pem", "hello\n");
  auto bad_ca = connect_to_azure(io_.get_executor(), settings, clock_, "0.1.0", no_environment());
  ASSERT_FALSE(bad_ca.ok());
  EXPECT_TRUE(bad_ca.error().message.starts_with("azure.ca_file: ")) << bad_ca.error().message;

  ConnectionEnvironment environment = no_environment();
  environment.getenv = [](const char* name) -> std::optional<std::string> {
    if (std::string_view(name) == "HTTPS_PROXY") return "proxy.example.test:notaport";
    return std::nullopt;
  };
  auto bad_proxy = connect_to_azure(io_.get_executor(), emulator_settings(), clock_, "0.1.0", environment);
  ASSERT_FALSE(bad_proxy.ok());
  EXPECT_EQ(bad_proxy.error().message,
            "HTTPS_PROXY: proxy URL 'proxy.example.test:notaport': the port must be a number from 1 to 65535");
}

}  // namespace
}  // namespace rpd::azure
