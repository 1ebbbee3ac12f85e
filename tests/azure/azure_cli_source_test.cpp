// The Azure CLI token source against fake `az` programs (shell scripts in a temporary folder): the arguments
// it passes, the token it reads, and how a failing, missing or hanging az reads in the error.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <optional>

#include "daemon/azure/token_sources.hpp"
#include "tests/azure/manual_clock.hpp"
#include "tests/azure/run_to_end.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

class AzureCliSourceTest : public ::testing::Test {
 protected:
  AzureCliSourceTest() : dir_(fs::temp_directory_path() / ("rpd-az-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~AzureCliSourceTest() override { fs::remove_all(dir_); }

  std::string fake_az(const std::string& name, const std::string& body) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  Result<AccessToken> fetch(const std::string& program, std::optional<std::string> tenant = std::nullopt,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto source = make_azure_cli_source({nullptr, &clock_}, program, "https://management.azure.com/.default",
                                        std::move(tenant), timeout);
    return run_to_end(io_, source->fetch());
  }

  fs::path dir_;
  asio::io_context io_;
  ManualClock clock_{std::chrono::system_clock::now()};
};

TEST_F(AzureCliSourceTest, ReadsTheTokenAndPassesScopeAndTenant) {
  const std::string az = fake_az("az", "echo \"$@\" > " + (dir_ / "arguments").string() +
                                           "\necho 'WARNING: a note on stderr' >&2\n"
                                           "echo '{\"accessToken\":\"eyJ0.cli\",\"expires_on\":1795606200}'");
  const auto token = fetch(az, "72f988bf-86f1-41af-91ab-2d7cd011db47");
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->value, "eyJ0.cli");
  EXPECT_EQ(token->expires_on, std::chrono::system_clock::time_point(std::chrono::seconds(1795606200)));
  std::ifstream arguments(dir_ / "arguments");
  std::string line;
  std::getline(arguments, line);
  EXPECT_EQ(line, "account get-access-token --output json --scope https://management.azure.com/.default "
                  "--tenant 72f988bf-86f1-41af-91ab-2d7cd011db47");
}

TEST_F(AzureCliSourceTest, AFailureQuotesTheFirstLineAzWrote) {
  const std::string az = fake_az("az", "echo \"ERROR: Please run 'az login' to setup account.\" >&2\n"
                                       "echo 'second line' >&2\nexit 1");
  EXPECT_EQ(fetch(az).error().message,
            "Azure CLI (" + az + "): az exited with 1: ERROR: Please run 'az login' to setup account.");
}

TEST_F(AzureCliSourceTest, OutputThatIsNotATokenIsNamed) {
  const std::string az = fake_az("az", "echo '{\"accessToken\":\"SECRET\",\"expiresOn\":\"2026-11-25 11:30:00\"}'");
  EXPECT_EQ(fetch(az).error().message,
            "Azure CLI (" + az + "): az account get-access-token output: field \"expires_on\" is missing "
            "(Azure CLI 2.54 or later is needed)");
}

TEST_F(AzureCliSourceTest, AMissingProgramIsNamed) {
  EXPECT_EQ(fetch("/nonexistent/az").error().message,
            "Azure CLI (/nonexistent/az): cannot run /nonexistent/az: No such file or directory");
}

TEST_F(AzureCliSourceTest, AHangingAzIsKilledAtTheTimeout) {
  const std::string az = fake_az("az", "exec sleep 60");
  EXPECT_EQ(fetch(az, std::nullopt, std::chrono::milliseconds(200)).error().message,
            "Azure CLI (" + az + "): no answer within 200 ms");
}

}  // namespace
}  // namespace rpd::azure
