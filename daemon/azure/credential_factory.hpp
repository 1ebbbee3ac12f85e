#pragma once
// From the settings' credential (and, as the Azure SDKs do, the environment) to the TokenSource that fits.
//
//   managed_identity    IDENTITY_ENDPOINT + IDENTITY_HEADER: App Service; IDENTITY_ENDPOINT + IMDS_ENDPOINT:
//                       Azure Arc; otherwise IMDS at endpoints.managed_identity. client_id names a
//                       user-assigned identity (Arc has none: an error).
//   client_secret       tenant_id, client_id, client_secret_file
//   client_certificate  tenant_id, client_id, certificate_file
//   workload_identity   AZURE_FEDERATED_TOKEN_FILE; client_id and tenant_id from the settings, else
//                       AZURE_CLIENT_ID and AZURE_TENANT_ID; AZURE_AUTHORITY_HOST overrides the authority
//   azure_cli           `az account get-access-token` (tenant_id passed as --tenant when set)

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "core/settings.hpp"
#include "daemon/azure/token_sources.hpp"

namespace rpd::azure {

using Environment = std::map<std::string, std::string, std::less<>>;

// The variables above, from the process's environment (only those that are set and not empty).
Environment credential_environment();

struct CredentialPlaces {
  std::string arc_key_directory = "/var/opt/azcmagent/tokens";
  std::string azure_cli = "az";  // looked up in PATH
};

Result<std::unique_ptr<TokenSource>> make_token_source(const AzureSettings& azure, const Environment& environment,
                                                       SourceContext context, CredentialPlaces places = {});

}  // namespace rpd::azure
