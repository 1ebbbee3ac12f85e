#pragma once
// The Azure client as the daemon uses it, built from the settings in one place: the HTTPS client (the
// system CAs plus azure.ca_file, HTTPS_PROXY and NO_PROXY from the environment), the credential the
// settings and the environment choose, and the Resource Manager client of the configured cloud with the
// configured api-version, write rate and "restorepointd/<version>" as its User-Agent.

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string_view>

#include "core/result.hpp"
#include "core/settings.hpp"
#include "daemon/azure/arm_client.hpp"
#include "daemon/azure/credential_factory.hpp"
#include "daemon/azure/proxy_rules.hpp"

namespace rpd::azure {

struct AzureConnection {
  std::shared_ptr<HttpClient> http;
  std::shared_ptr<Credential> credential;
  std::unique_ptr<ArmClient> arm;
};

// What the process's environment says, read once by the caller (tests give their own).
struct ConnectionEnvironment {
  Environment credential;  // credential_environment()
  GetEnv getenv;           // HTTPS_PROXY, https_proxy, NO_PROXY, no_proxy
  CredentialPlaces places;
};

ConnectionEnvironment process_environment();

// The Resource Manager options the settings give (no I/O).
ArmClientOptions arm_client_options(const Settings& settings, std::string_view version);

// Fails with a message naming the setting or variable when azure.ca_file cannot be read or is not PEM, a
// proxy variable is malformed, or the credential settings do not fit the environment. `clock` must
// outlive the connection.
Result<AzureConnection> connect_to_azure(boost::asio::any_io_executor executor, const Settings& settings, Clock& clock,
                                         std::string_view version, const ConnectionEnvironment& environment);

}  // namespace rpd::azure
