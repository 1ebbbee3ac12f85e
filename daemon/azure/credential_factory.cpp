#include "daemon/azure/credential_factory.hpp"

#include <cstdlib>

namespace rpd::azure {
namespace {

constexpr const char* credential_variables[] = {"IDENTITY_ENDPOINT",          "IDENTITY_HEADER", "IMDS_ENDPOINT",
                                                "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID",
                                                "AZURE_AUTHORITY_HOST"};

const std::string* find(const Environment& environment, std::string_view name) {
  const auto it = environment.find(name);
  return it == environment.end() ? nullptr : &it->second;
}

// "https://management.azure.com/.default" -> "https://management.azure.com": what the managed identity
// endpoints call the resource.
std::string resource_of(const CloudEndpoints& endpoints) {
  std::string scope = endpoints.token_scope;
  constexpr std::string_view suffix = "/.default";
  if (scope.ends_with(suffix)) scope.resize(scope.size() - suffix.size());
  return scope;
}

Result<std::unique_ptr<TokenSource>> managed_identity(const AzureSettings& azure, const Environment& environment,
                                                      SourceContext context, const CredentialPlaces& places) {
  ManagedIdentityId id;
  if (azure.credential.client_id) id = {ManagedIdentityId::Kind::client_id, *azure.credential.client_id};
  const std::string resource = resource_of(azure.endpoints);
  const std::string* identity_endpoint = find(environment, "IDENTITY_ENDPOINT");
  const std::string* identity_header = find(environment, "IDENTITY_HEADER");
  if (identity_endpoint && identity_header) {
    return make_app_service_source(std::move(context), *identity_endpoint, *identity_header, resource, std::move(id));
  }
  if (identity_endpoint && find(environment, "IMDS_ENDPOINT")) {
    if (id.kind != ManagedIdentityId::Kind::system_assigned) {
      return make_error("credential: Azure Arc has only the machine's system-assigned identity; remove client_id");
    }
    return make_arc_source(std::move(context), *identity_endpoint, resource, places.arc_key_directory);
  }
  return make_imds_source(std::move(context), azure.endpoints.managed_identity, resource, std::move(id));
}

// The setting, else the environment variable, else an error naming both.
Result<std::string> setting_or_variable(const std::optional<std::string>& setting, const Environment& environment,
                                        std::string_view variable, std::string_view key) {
  if (setting) return *setting;
  if (const std::string* value = find(environment, variable)) return *value;
  return make_error("credential: workload_identity needs credential." + std::string(key) + " or " +
                    std::string(variable) + " in the environment");
}

}  // namespace

Environment credential_environment() {
  Environment environment;
  for (const char* name : credential_variables) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') environment.emplace(name, value);
  }
  return environment;
}

Result<std::unique_ptr<TokenSource>> make_token_source(const AzureSettings& azure, const Environment& environment,
                                                       SourceContext context, CredentialPlaces places) {
  const CredentialSettings& credential = azure.credential;
  const auto application = [&](const std::string& authority, const std::string& tenant,
                               const std::string& client_id) {
    return EntraApplication{entra_token_url(authority, tenant), client_id, azure.endpoints.token_scope};
  };
  // The configuration loader has checked that each type has the keys it needs; these errors guard a
  // Settings built some other way.
  const auto missing = [](std::string_view type, std::string_view keys) {
    return make_error("credential: " + std::string(type) + " needs " + std::string(keys));
  };
  switch (credential.type) {
    case CredentialType::managed_identity:
      return managed_identity(azure, environment, std::move(context), places);
    case CredentialType::client_secret:
      if (!credential.tenant_id || !credential.client_id || !credential.client_secret_file) {
        return missing("client_secret", "tenant_id, client_id and client_secret_file");
      }
      return make_client_secret_source(std::move(context),
                                       application(azure.endpoints.authority, *credential.tenant_id, *credential.client_id),
                                       *credential.client_secret_file);
    case CredentialType::client_certificate:
      if (!credential.tenant_id || !credential.client_id || !credential.certificate_file) {
        return missing("client_certificate", "tenant_id, client_id and certificate_file");
      }
      return make_client_certificate_source(
          std::move(context), application(azure.endpoints.authority, *credential.tenant_id, *credential.client_id),
          *credential.certificate_file);
    case CredentialType::workload_identity: {
      const std::string* token_file = find(environment, "AZURE_FEDERATED_TOKEN_FILE");
      if (!token_file) return make_error("credential: workload_identity needs AZURE_FEDERATED_TOKEN_FILE in the environment");
      auto client_id = setting_or_variable(credential.client_id, environment, "AZURE_CLIENT_ID", "client_id");
      if (!client_id) return client_id.error();
      auto tenant_id = setting_or_variable(credential.tenant_id, environment, "AZURE_TENANT_ID", "tenant_id");
      if (!tenant_id) return tenant_id.error();
      const std::string* authority_host = find(environment, "AZURE_AUTHORITY_HOST");
      return make_workload_identity_source(
          std::move(context), application(authority_host ? *authority_host : azure.endpoints.authority, *tenant_id, *client_id),
          *token_file);
    }
    case CredentialType::azure_cli:
      return make_azure_cli_source(std::move(context), places.azure_cli, azure.endpoints.token_scope,
                                   credential.tenant_id);
  }
  return make_error("credential: unknown type");
}

}  // namespace rpd::azure
