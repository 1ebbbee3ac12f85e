#include "daemon/commands/validate_command.hpp"

#include <ostream>

namespace rpd {
namespace {

std::string count_of(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string plural(std::size_t n, const char* word) { return count_of(n, word, (std::string(word) + "s").c_str()); }

}  // namespace

std::string describe_targets(const Targets& targets) {
  std::string out;
  if (!targets.vms.empty()) {
    out = plural(targets.vms.size(), "VM") + " (";
    constexpr std::size_t shown = 3;
    for (std::size_t i = 0; i < targets.vms.size() && i < shown; ++i) out += (i ? ", " : "") + targets.vms[i].name;
    if (targets.vms.size() > shown) out += ", and " + std::to_string(targets.vms.size() - shown) + " more";
    out += ")";
  }
  for (const ResourceGroupTarget& group : targets.resource_groups) {
    if (!out.empty()) out += ", ";
    out += "resource group " + group.group.resource_group;
    if (group.tags.empty()) {
      out += " (all VMs)";
      continue;
    }
    std::string tags;
    for (const auto& [name, value] : group.tags) tags += (tags.empty() ? "" : ", ") + name + "=" + value;
    out += " (" + tags + ")";
  }
  return out;
}

int run_validate(const ValidateOptions& options, const LoadOptions& load_options, std::ostream& out,
                 std::ostream& err) {
  const LoadResult result = load_configuration(options.config_path, load_options);
  for (const Diagnostic& diagnostic : result.diagnostics) err << diagnostic.format() << "\n";

  const std::size_t errors = result.error_count();
  const std::size_t warnings = result.warning_count();
  if (!result.ok()) {
    err << options.config_path << ": " << plural(errors, "error") << ", " << plural(warnings, "warning") << "\n";
    return 1;
  }
  for (const Policy& policy : result.configuration->policies) {
    const auto next = policy.schedule.schedule.next(load_options.now);
    out << policy.name << ": " << describe_targets(policy.targets) << "; " << policy.schedule.schedule.describe()
        << "; next slot " << (next ? format_utc(*next) : "never") << "\n";
  }
  out << options.config_path << ": valid, " << count_of(result.configuration->policies.size(), "policy", "policies")
      << ", " << plural(warnings, "warning") << "\n";
  if (options.strict && warnings > 0) {
    err << options.config_path << ": --strict: " << plural(warnings, "warning") << " count as errors\n";
    return 1;
  }
  return 0;
}

}  // namespace rpd
