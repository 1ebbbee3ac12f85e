#pragma once
// The daemon settings model (restorepointd.yaml), validated. config/ builds it.

#include <optional>
#include <string>

#include "core/time.hpp"

namespace rpd {

enum class Cloud { azure_public, azure_us_government, azure_china, custom };
enum class CredentialType { managed_identity, client_secret, client_certificate, workload_identity, azure_cli };

struct CloudEndpoints {
  std::string resource_manager;  // https://management.azure.com
  std::string authority;         // https://login.microsoftonline.com
  std::string managed_identity;  // http://169.254.169.254
  std::string token_scope;       // https://management.azure.com/.default
};

struct CredentialSettings {
  CredentialType type = CredentialType::managed_identity;
  std::optional<std::string> client_id;
  std::optional<std::string> tenant_id;
  std::optional<std::string> client_secret_file;  // ${CREDENTIALS_DIRECTORY} already expanded
  std::optional<std::string> certificate_file;
};

struct Quotas {
  int creates_per_vm_per_hour = 3;
  int points_per_vm = 500;
  Seconds min_spacing_crash{std::chrono::hours{1}};
  Seconds min_spacing_filesystem{std::chrono::hours{1}};
  Seconds min_spacing_application{std::chrono::hours{3}};
  int instant_access_in_flight = 50;
};

struct AzureSettings {
  Cloud cloud = Cloud::azure_public;
  CloudEndpoints endpoints;
  CredentialSettings credential;
  std::optional<std::string> ca_file;
  std::string api_version = "2025-04-01";
  Quotas quotas;
};

struct StateSettings {
  std::string database = "/var/lib/restorepointd/state.db";
  Seconds keep_job_log{std::chrono::hours{24 * 90}};
};

struct Limits {
  int max_in_flight = 64;
  double writes_per_second = 8;
};

struct MetricsSettings {
  std::optional<std::string> listen;  // host:port; unset: no metrics endpoint
};

struct LogSettings {
  std::string level = "info";  // trace | debug | info | warn | error
};

struct Settings {
  AzureSettings azure;
  StateSettings state;
  std::string policies = "/etc/restorepointd/policies.d";
  Limits limits;
  MetricsSettings metrics;
  LogSettings log;
};

// The endpoints of a named cloud (AZURE.md section 4); custom has none.
CloudEndpoints endpoints_of(Cloud cloud);

}  // namespace rpd
