#include "config/settings_reader.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "config/keys.hpp"
#include "core/arm_id.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;

class SettingsReader {
 public:
  SettingsReader(const std::string& settings_dir, const LoadOptions& options, Diagnostics& diagnostics)
      : settings_dir_(settings_dir), options_(options), diagnostics_(diagnostics) {}

  std::optional<SettingsDocument> read(const YAML::Node& document) {
    SettingsDocument out;
    // An empty file is all defaults.
    if (!document.IsDefined() || document.IsNull()) return out;
    MappingReader top(document, "", "", settings_key_paths(), diagnostics_);
    if (!top.is_mapping()) return std::nullopt;
    if (auto f = top.get("azure")) read_azure(*f, out.settings.azure);
    if (auto f = top.get("state")) read_state(*f, out.settings.state);
    if (auto f = top.get("policies")) {
      if (auto path = read_string(*f, diagnostics_)) {
        out.settings.policies = path->starts_with("/") ? *path : settings_dir_ + "/" + *path;
        out.policies_mark = f->mark();
      }
    }
    if (auto f = top.get("limits")) read_limits(*f, out.settings.limits);
    if (auto f = top.get("metrics")) {
      MappingReader metrics(f->value, "metrics", "metrics", settings_key_paths(), diagnostics_);
      if (auto listen = metrics.get("listen")) out.settings.metrics.listen = read_listen_address(*listen);
    }
    if (auto f = top.get("log")) {
      MappingReader log(f->value, "log", "log", settings_key_paths(), diagnostics_);
      if (auto level = log.get("level")) {
        static const std::vector<std::string_view> levels = {"trace", "debug", "info", "warn", "error"};
        if (auto choice = read_choice(*level, levels, diagnostics_)) out.settings.log.level = levels[*choice];
      }
    }
    return out;
  }

 private:
  void read_azure(const Field& field, AzureSettings& azure) {
    MappingReader reader(field.value, "azure", "azure", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    if (auto f = reader.get("cloud")) {
      if (auto choice = read_choice(*f, {"AzureCloud", "AzureUSGovernment", "AzureChinaCloud", "custom"}, diagnostics_)) {
        azure.cloud = static_cast<Cloud>(*choice);
      }
    }
    azure.endpoints = endpoints_of(azure.cloud);
    auto endpoints = reader.get("endpoints");
    if (azure.cloud == Cloud::custom) {
      if (!endpoints) {
        diagnostics_.error(reader.get("cloud")->mark(), "azure.endpoints",
                           "required with cloud: custom (resource_manager and authority)");
      } else {
        read_endpoints(*endpoints, azure.endpoints);
      }
    } else if (endpoints) {
      diagnostics_.error(endpoints->key.Mark(), "azure.endpoints",
                         "only goes with cloud: custom; named clouds have their endpoints built in");
    }
    if (auto f = reader.get("credential")) read_credential(*f, azure.credential);
    if (auto f = reader.get("ca_file")) {
      if (auto path = read_string(*f, diagnostics_)) {
        if (check_file(*f, *path, false)) azure.ca_file = *path;
      }
    }
    if (auto f = reader.get("api_version")) {
      if (auto version = read_string(*f, diagnostics_)) {
        if (!is_api_version(*version) || *version < "2021-03-01") {
          diagnostics_.error(f->mark(), f->path,
                             "'" + *version + "' is not an api-version from 2021-03-01 on (YYYY-MM-DD, such as 2025-04-01)");
        } else {
          azure.api_version = *version;
        }
      }
    }
    if (auto f = reader.get("quotas")) read_quotas(*f, azure.quotas);
  }

  static bool is_api_version(const std::string& text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    }
    return true;
  }

  void read_endpoints(const Field& field, CloudEndpoints& endpoints) {
    MappingReader reader(field.value, "azure.endpoints", "azure.endpoints", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    if (auto f = reader.require("resource_manager")) {
      if (auto url = read_url(*f, {"https://"})) {
        endpoints.resource_manager = *url;
        endpoints.token_scope = *url + "/.default";
      }
    }
    if (auto f = reader.require("authority")) endpoints.authority = read_url(*f, {"https://"}).value_or("");
    endpoints.managed_identity = "http://169.254.169.254";
    if (auto f = reader.get("managed_identity")) {
      endpoints.managed_identity = read_url(*f, {"http://", "https://"}).value_or("");
    }
  }

  std::optional<std::string> read_url(const Field& field, std::initializer_list<std::string_view> schemes) {
    auto text = read_string(field, diagnostics_);
    if (!text) return std::nullopt;
    for (std::string_view scheme : schemes) {
      if (text->starts_with(scheme) && text->size() > scheme.size() && text->find(' ') == std::string::npos) {
        std::string url = *text;
        while (url.ends_with('/')) url.pop_back();
        return url;
      }
    }
    std::string allowed;
    for (std::string_view scheme : schemes) allowed += (allowed.empty() ? "" : " or ") + std::string(scheme);
    diagnostics_.error(field.mark(), field.path, "'" + *text + "' is not a URL starting with " + allowed);
    return std::nullopt;
  }

  void read_credential(const Field& field, CredentialSettings& credential) {
    MappingReader reader(field.value, "azure.credential", "azure.credential", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    static const std::vector<std::string_view> types = {"managed_identity", "client_secret", "client_certificate",
                                                        "workload_identity", "azure_cli"};
    if (auto f = reader.get("type")) {
      if (auto choice = read_choice(*f, types, diagnostics_)) {
        credential.type = static_cast<CredentialType>(*choice);
      } else {
        return;  // the other keys' rules depend on the type
      }
    }
    const CredentialType type = credential.type;
    const std::string type_name(types[static_cast<std::size_t>(type)]);
    const bool service_principal = type == CredentialType::client_secret || type == CredentialType::client_certificate;

    // Each key: whether this type needs it, and whether it may have it at all.
    auto guid = [&](std::string_view key, bool required, bool allowed) -> std::optional<std::string> {
      auto f = required ? reader.require(key) : reader.get(key);
      if (!f) return std::nullopt;
      if (!allowed) {
        diagnostics_.error(f->key.Mark(), f->path, "does not go with type " + type_name);
        return std::nullopt;
      }
      auto text = read_string(*f, diagnostics_);
      if (text && !is_guid(*text)) {
        diagnostics_.error(f->mark(), f->path,
                           "'" + *text + "' is not a GUID such as 00000000-0000-0000-0000-000000000000");
        return std::nullopt;
      }
      return text;
    };
    credential.client_id = guid("client_id", service_principal, type != CredentialType::azure_cli);
    credential.tenant_id =
        guid("tenant_id", service_principal, service_principal || type == CredentialType::workload_identity);

    auto secret_file = [&](std::string_view key, CredentialType owner) -> std::optional<std::string> {
      auto f = type == owner ? reader.require(key) : reader.get(key);
      if (!f) return std::nullopt;
      if (type != owner) {
        diagnostics_.error(f->key.Mark(), f->path, "does not go with type " + type_name);
        return std::nullopt;
      }
      auto path = read_string(*f, diagnostics_);
      if (!path) return std::nullopt;
      auto expanded = expand_credentials_directory(*f, *path);
      if (!expanded || !check_file(*f, *expanded, true)) return std::nullopt;
      return expanded;
    };
    credential.client_secret_file = secret_file("client_secret_file", CredentialType::client_secret);
    credential.certificate_file = secret_file("certificate_file", CredentialType::client_certificate);
  }

  std::optional<std::string> expand_credentials_directory(const Field& field, const std::string& path) {
    static constexpr std::string_view variable = "${CREDENTIALS_DIRECTORY}";
    const auto at = path.find(variable);
    if (at == std::string::npos) return path;
    if (!options_.credentials_directory) {
      diagnostics_.error(field.mark(), field.path,
                         "uses ${CREDENTIALS_DIRECTORY}, which is not set (systemd sets it for units with "
                         "LoadCredential=)");
      return std::nullopt;
    }
    std::string expanded = path;
    expanded.replace(at, variable.size(), *options_.credentials_directory);
    return expanded;
  }

  // The file must exist; a secret must not be readable by others (a warning: the daemon still works).
  bool check_file(const Field& field, const std::string& path, bool secret) {
    struct stat status {};
    if (::stat(path.c_str(), &status) != 0) {
      diagnostics_.error(field.mark(), field.path, "cannot use " + path + ": " + std::strerror(errno));
      return false;
    }
    if (!S_ISREG(status.st_mode)) {
      diagnostics_.error(field.mark(), field.path, path + " is not a regular file");
      return false;
    }
    if (secret && (status.st_mode & S_IROTH) != 0) {
      diagnostics_.warning(field.mark(), field.path,
                           path + " is readable by other users; restrict it with chmod o-r (or use LoadCredential=)");
    }
    return true;
  }

  void read_quotas(const Field& field, Quotas& quotas) {
    MappingReader reader(field.value, "azure.quotas", "azure.quotas", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    auto integer = [&](std::string_view key, long long max, int& target) {
      if (auto f = reader.get(key)) {
        if (auto n = read_integer(*f, 1, max, diagnostics_)) target = static_cast<int>(*n);
      }
    };
    integer("creates_per_vm_per_hour", 100, quotas.creates_per_vm_per_hour);
    integer("points_per_vm", 100000, quotas.points_per_vm);
    integer("instant_access_in_flight", 10000, quotas.instant_access_in_flight);
    if (auto f = reader.get("min_spacing")) {
      MappingReader spacing(f->value, "azure.quotas.min_spacing", "azure.quotas.min_spacing", settings_key_paths(),
                            diagnostics_);
      const std::pair<const char*, Seconds Quotas::*> keys[] = {{"crash", &Quotas::min_spacing_crash},
                                                                {"filesystem", &Quotas::min_spacing_filesystem},
                                                                {"application", &Quotas::min_spacing_application}};
      for (const auto& [key, member] : keys) {
        if (auto g = spacing.get(key)) {
          if (auto d = read_duration(*g, 0s, 7 * 24h, diagnostics_)) quotas.*member = *d;
        }
      }
    }
  }

  void read_state(const Field& field, StateSettings& state) {
    MappingReader reader(field.value, "state", "state", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    if (auto f = reader.get("database")) {
      if (auto path = read_string(*f, diagnostics_)) {
        if (path->starts_with("/")) {
          state.database = *path;
        } else {
          diagnostics_.error(f->mark(), f->path, "'" + *path + "' is not an absolute path");
        }
      }
    }
    if (auto f = reader.get("keep_job_log")) {
      state.keep_job_log = read_duration(*f, 1h, 520 * 7 * 24h, diagnostics_).value_or(state.keep_job_log);
    }
  }

  void read_limits(const Field& field, Limits& limits) {
    MappingReader reader(field.value, "limits", "limits", settings_key_paths(), diagnostics_);
    if (!reader.is_mapping()) return;
    if (auto f = reader.get("max_in_flight")) {
      limits.max_in_flight = static_cast<int>(read_integer(*f, 1, 10000, diagnostics_).value_or(limits.max_in_flight));
    }
    if (auto f = reader.get("writes_per_second")) {
      limits.writes_per_second = read_number(*f, 0.1, 100, diagnostics_).value_or(limits.writes_per_second);
    }
  }

  std::optional<std::string> read_listen_address(const Field& field) {
    auto text = read_string(field, diagnostics_);
    if (!text) return std::nullopt;
    const auto colon = text->rfind(':');
    bool valid = colon != std::string::npos && colon > 0 && colon + 1 < text->size();
    if (valid) {
      const std::string host = text->substr(0, colon);
      const std::string port = text->substr(colon + 1);
      valid = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(c) != 0; }) &&
              std::stoi(port) >= 1 && std::stoi(port) <= 65535;
      if (host.front() == '[') valid = valid && host.back() == ']' && host.size() > 2;
      else valid = valid && host.find(':') == std::string::npos;
    }
    if (!valid) {
      diagnostics_.error(field.mark(), field.path,
                         "'" + *text + "' is not host:port or [ipv6]:port with a port from 1 to 65535");
      return std::nullopt;
    }
    return text;
  }

  const std::string& settings_dir_;
  const LoadOptions& options_;
  Diagnostics& diagnostics_;
};

}  // namespace

std::optional<SettingsDocument> read_settings(const YAML::Node& document, const std::string& settings_dir,
                                              const LoadOptions& options, Diagnostics& diagnostics) {
  return SettingsReader(settings_dir, options, diagnostics).read(document);
}

}  // namespace rpd
