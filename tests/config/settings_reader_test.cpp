// Every rule of the daemon settings file, with its message asserted word for word.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/config/config_test_support.hpp"

namespace rpd {
namespace {

using test::settings_problems;
using test::TempFolder;
using Lines = std::vector<std::string>;

const std::string guid = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";

TEST(SettingsReader, EmptyFileMeansDefaults) {
  EXPECT_EQ(settings_problems(""), Lines{});
  EXPECT_EQ(settings_problems("# only a comment\n"), Lines{});
}

TEST(SettingsReader, UnknownKeysAndTypes) {
  EXPECT_EQ(settings_problems("azure: {clod: AzureCloud}\n"),
            (Lines{"s.yaml:1:9: azure.clod: unknown key; did you mean cloud?"}));
  EXPECT_EQ(settings_problems("limits: {max_in_flight: many}\n"),
            (Lines{"s.yaml:1:25: limits.max_in_flight: expected an integer, got 'many'"}));
  EXPECT_EQ(settings_problems("limits: {max_in_flight: 0}\n"),
            (Lines{"s.yaml:1:25: limits.max_in_flight: must be between 1 and 10000, got 0"}));
  EXPECT_EQ(settings_problems("limits: {writes_per_second: 500}\n"),
            (Lines{"s.yaml:1:29: limits.writes_per_second: must be between 0.1 and 100, got 500"}));
  EXPECT_EQ(settings_problems("limits: {writes_per_second: 2.5}\n"), Lines{});
  EXPECT_EQ(settings_problems("log: {level: loud}\n"),
            (Lines{"s.yaml:1:14: log.level: must be one of trace, debug, info, warn, error; got 'loud'"}));
  EXPECT_EQ(settings_problems("- a\n"), (Lines{"s.yaml:1:1: expected a mapping, got a list"}));
}

TEST(SettingsReader, OneDocumentOnly) {
  EXPECT_EQ(settings_problems("log: {level: info}\n---\nlog: {level: info}\n"),
            (Lines{"s.yaml:3:1: holds 2 YAML documents; the settings file holds one (policies go in the policies "
                   "folder)"}));
}

TEST(SettingsReader, Clouds) {
  EXPECT_EQ(settings_problems("azure: {cloud: Mars}\n"),
            (Lines{"s.yaml:1:16: azure.cloud: must be one of AzureCloud, AzureUSGovernment, AzureChinaCloud, custom; "
                   "got 'Mars'"}));
  EXPECT_EQ(settings_problems("azure: {cloud: custom}\n"),
            (Lines{"s.yaml:1:16: azure.endpoints: required with cloud: custom (resource_manager and authority)"}));
  EXPECT_EQ(settings_problems("azure:\n  endpoints: {resource_manager: https://127.0.0.1:8443}\n"),
            (Lines{"s.yaml:2:3: azure.endpoints: only goes with cloud: custom; named clouds have their endpoints "
                   "built in"}));
  EXPECT_EQ(settings_problems("azure:\n  cloud: custom\n  endpoints: {resource_manager: https://127.0.0.1:8443}\n"),
            (Lines{"s.yaml:3:14: azure.endpoints.authority: required"}));
  EXPECT_EQ(settings_problems("azure:\n  cloud: custom\n  endpoints: {resource_manager: http://127.0.0.1:8443, "
                              "authority: https://127.0.0.1:8443}\n"),
            (Lines{"s.yaml:3:33: azure.endpoints.resource_manager: 'http://127.0.0.1:8443' is not a URL starting with "
                   "https://"}));
  EXPECT_EQ(settings_problems("azure:\n  cloud: custom\n  endpoints:\n    resource_manager: https://127.0.0.1:8443\n"
                              "    authority: https://127.0.0.1:8443/\n    managed_identity: http://127.0.0.1:8080\n"),
            Lines{});
}

TEST(SettingsReader, CredentialsNeedWhatTheirTypeNeeds) {
  EXPECT_EQ(settings_problems("azure: {credential: {type: password}}\n"),
            (Lines{"s.yaml:1:28: azure.credential.type: must be one of managed_identity, client_secret, "
                   "client_certificate, workload_identity, azure_cli; got 'password'"}));
  EXPECT_EQ(settings_problems("azure:\n  credential:\n    type: client_secret\n"),
            (Lines{"s.yaml:3:5: azure.credential.client_id: required", "s.yaml:3:5: azure.credential.tenant_id: required",
                   "s.yaml:3:5: azure.credential.client_secret_file: required"}));
  EXPECT_EQ(settings_problems("azure:\n  credential:\n    type: azure_cli\n    client_id: " + guid + "\n"),
            (Lines{"s.yaml:4:5: azure.credential.client_id: does not go with type azure_cli"}));
  EXPECT_EQ(settings_problems("azure:\n  credential:\n    type: managed_identity\n    tenant_id: " + guid + "\n"),
            (Lines{"s.yaml:4:5: azure.credential.tenant_id: does not go with type managed_identity"}));
  EXPECT_EQ(settings_problems("azure:\n  credential:\n    client_secret_file: /etc/secret\n"),
            (Lines{"s.yaml:3:5: azure.credential.client_secret_file: does not go with type managed_identity"}));
  EXPECT_EQ(settings_problems("azure:\n  credential:\n    client_id: not-a-guid\n"),
            (Lines{"s.yaml:3:16: azure.credential.client_id: 'not-a-guid' is not a GUID such as "
                   "00000000-0000-0000-0000-000000000000"}));
}

TEST(SettingsReader, SecretFilesMustExistAndShouldBePrivate) {
  TempFolder folder;
  const std::string secret = folder.write("client-secret", "s3cr3t-value\n");
  const std::string head = "azure:\n  credential:\n    type: client_secret\n    client_id: " + guid +
                           "\n    tenant_id: " + guid + "\n    client_secret_file: ";
  ::chmod(secret.c_str(), 0600);
  EXPECT_EQ(settings_problems(head + secret + "\n"), Lines{});
  ::chmod(secret.c_str(), 0644);
  const auto problems = settings_problems(head + secret + "\n");
  EXPECT_EQ(problems, (Lines{"s.yaml:6:25: warning: azure.credential.client_secret_file: " + secret +
                             " is readable by other users; restrict it with chmod o-r (or use LoadCredential=)"}));
  EXPECT_EQ(problems.front().find("s3cr3t"), std::string::npos);  // the content is never printed
  EXPECT_EQ(settings_problems(head + folder.path() + "/missing\n"),
            (Lines{"s.yaml:6:25: azure.credential.client_secret_file: cannot use " + folder.path() +
                   "/missing: No such file or directory"}));
  EXPECT_EQ(settings_problems(head + folder.path() + "\n"),
            (Lines{"s.yaml:6:25: azure.credential.client_secret_file: " + folder.path() + " is not a regular file"}));
}

TEST(SettingsReader, CredentialsDirectoryIsExpanded) {
  TempFolder folder;
  const std::string secret = folder.write("client-secret", "x");
  ::chmod(secret.c_str(), 0600);
  const std::string yaml = "azure:\n  credential:\n    type: client_secret\n    client_id: " + guid +
                           "\n    tenant_id: " + guid + "\n    client_secret_file: ${CREDENTIALS_DIRECTORY}/client-secret\n";
  auto options = test::fixed_options();
  EXPECT_EQ(settings_problems(yaml, options),
            (Lines{"s.yaml:6:25: azure.credential.client_secret_file: uses ${CREDENTIALS_DIRECTORY}, which is not set "
                   "(systemd sets it for units with LoadCredential=)"}));
  options.credentials_directory = folder.path();
  EXPECT_EQ(settings_problems(yaml, options), Lines{});
}

TEST(SettingsReader, ApiVersions) {
  EXPECT_EQ(settings_problems("azure: {api_version: \"2025-11-01\"}\n"), Lines{});
  EXPECT_EQ(settings_problems("azure: {api_version: \"2020-12-01\"}\n"),
            (Lines{"s.yaml:1:22: azure.api_version: '2020-12-01' is not an api-version from 2021-03-01 on "
                   "(YYYY-MM-DD, such as 2025-04-01)"}));
  EXPECT_EQ(settings_problems("azure: {api_version: latest}\n").size(), 1u);
}

TEST(SettingsReader, QuotasStateMetrics) {
  EXPECT_EQ(settings_problems("azure: {quotas: {creates_per_vm_per_hour: 0}}\n"),
            (Lines{"s.yaml:1:43: azure.quotas.creates_per_vm_per_hour: must be between 1 and 100, got 0"}));
  EXPECT_EQ(settings_problems("azure: {quotas: {min_spacing: {application: 8d}}}\n"),
            (Lines{"s.yaml:1:45: azure.quotas.min_spacing.application: must be between 0s and 1w, got 8d"}));
  EXPECT_EQ(settings_problems("state: {database: state.db}\n"),
            (Lines{"s.yaml:1:19: state.database: 'state.db' is not an absolute path"}));
  EXPECT_EQ(settings_problems("state: {keep_job_log: 30m}\n"),
            (Lines{"s.yaml:1:23: state.keep_job_log: must be between 1h and 520w, got 30m"}));
  EXPECT_EQ(settings_problems("metrics: {listen: \"127.0.0.1:9465\"}\n"), Lines{});
  EXPECT_EQ(settings_problems("metrics: {listen: \"[::1]:9465\"}\n"), Lines{});
  EXPECT_EQ(settings_problems("metrics: {listen: \"localhost:70000\"}\n"),
            (Lines{"s.yaml:1:19: metrics.listen: 'localhost:70000' is not host:port or [ipv6]:port with a port from 1 "
                   "to 65535"}));
  EXPECT_EQ(settings_problems("metrics: {listen: \"::1:9465\"}\n").size(), 1u);
}

}  // namespace
}  // namespace rpd
