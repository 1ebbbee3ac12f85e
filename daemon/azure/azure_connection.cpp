#include "daemon/azure/azure_connection.hpp"

#include <cstdlib>

#include "daemon/azure/token_sources.hpp"

namespace rpd::azure {

ConnectionEnvironment process_environment() {
  ConnectionEnvironment environment;
  environment.credential = credential_environment();
  environment.getenv = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  return environment;
}

ArmClientOptions arm_client_options(const Settings& settings, std::string_view version) {
  ArmClientOptions options;
  options.resource_manager = settings.azure.endpoints.resource_manager;
  options.api_version = settings.azure.api_version;
  options.user_agent = "restorepointd/" + std::string(version);
  options.throttle.writes_per_second = settings.limits.writes_per_second;
  return options;
}

Result<AzureConnection> connect_to_azure(boost::asio::any_io_executor executor, const Settings& settings, Clock& clock,
                                         std::string_view version, const ConnectionEnvironment& environment) {
  HttpClientOptions http_options;
  if (settings.azure.ca_file) {
    // Not a secret, but read the same bounded way; a CA bundle of a few certificates is far below 1 MB.
    auto pem = read_secret_file(*settings.azure.ca_file, "azure.ca_file", 1024 * 1024);
    if (!pem) return pem.error();
    http_options.extra_ca_pem = std::move(pem).value();
  }
  auto proxy = proxy_settings_from(environment.getenv);
  if (!proxy) return proxy.error();
  http_options.proxy = std::move(proxy).value();
  auto http = HttpClient::create(executor, std::move(http_options));
  if (!http) return make_error((settings.azure.ca_file ? "azure.ca_file: " : "TLS: ") + http.error().message);

  auto source = make_token_source(settings.azure, environment.credential, SourceContext{*http, &clock}, environment.places);
  if (!source) return source.error();
  auto credential = std::make_shared<Credential>(executor, std::move(source).value(), clock);
  auto arm = std::make_unique<ArmClient>(*http, credential, clock, arm_client_options(settings, version));
  return AzureConnection{std::move(http).value(), std::move(credential), std::move(arm)};
}

}  // namespace rpd::azure
