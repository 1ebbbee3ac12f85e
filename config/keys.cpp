#include "config/keys.hpp"

namespace rpd {

const std::vector<std::string_view>& settings_key_paths() {
  static const std::vector<std::string_view> paths = {
      "azure",
      "azure.cloud",
      "azure.endpoints",
      "azure.endpoints.resource_manager",
      "azure.endpoints.authority",
      "azure.endpoints.managed_identity",
      "azure.credential",
      "azure.credential.type",
      "azure.credential.client_id",
      "azure.credential.tenant_id",
      "azure.credential.client_secret_file",
      "azure.credential.certificate_file",
      "azure.ca_file",
      "azure.api_version",
      "azure.quotas",
      "azure.quotas.creates_per_vm_per_hour",
      "azure.quotas.points_per_vm",
      "azure.quotas.min_spacing",
      "azure.quotas.min_spacing.crash",
      "azure.quotas.min_spacing.filesystem",
      "azure.quotas.min_spacing.application",
      "azure.quotas.instant_access_in_flight",
      "state",
      "state.database",
      "state.keep_job_log",
      "policies",
      "limits",
      "limits.max_in_flight",
      "limits.writes_per_second",
      "metrics",
      "metrics.listen",
      "log",
      "log.level",
  };
  return paths;
}

const std::vector<std::string_view>& policy_key_paths() {
  static const std::vector<std::string_view> paths = {
      "name",
      "targets",
      "targets.vms",
      "targets.resource_groups",
      "targets.resource_groups[].id",
      "targets.resource_groups[].tags",
      "schedule",
      "schedule.cron",
      "schedule.every",
      "schedule.anchor",
      "schedule.timezone",
      "schedule.jitter",
      "schedule.catch_up",
      "restore_point",
      "restore_point.consistency",
      "restore_point.exclude_disks",
      "collection",
      "collection.name",
      "instant_access",
      "instant_access.enabled",
      "instant_access.duration",
      "instant_access.window",
      "instant_access.window.cron",
      "instant_access.window.duration",
      "retention",
      "retention.keep_last",
      "retention.keep_hourly",
      "retention.keep_daily",
      "retention.keep_weekly",
      "retention.keep_monthly",
      "retention.keep_yearly",
      "retention.keep_within",
      "retention.min_keep",
      "copies",
      "copies[].region",
      "copies[].resource_group",
      "copies[].every",
      "copies[].retention",
      "copies[].retention.keep_last",
      "copies[].retention.keep_hourly",
      "copies[].retention.keep_daily",
      "copies[].retention.keep_weekly",
      "copies[].retention.keep_monthly",
      "copies[].retention.keep_yearly",
      "copies[].retention.keep_within",
      "copies[].retention.min_keep",
      "safety",
      "safety.max_deletes_per_run",
  };
  return paths;
}

std::vector<std::string_view> child_keys(const std::vector<std::string_view>& paths, std::string_view parent) {
  std::vector<std::string_view> children;
  const std::size_t prefix = parent.empty() ? 0 : parent.size() + 1;
  for (std::string_view path : paths) {
    if (!parent.empty() && !(path.size() > prefix && path.starts_with(parent) && path[parent.size()] == '.')) continue;
    const std::string_view rest = path.substr(prefix);
    if (rest.find('.') == std::string_view::npos) children.push_back(rest);
  }
  return children;
}

}  // namespace rpd
