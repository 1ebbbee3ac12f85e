#include "config/cross_checks.hpp"

#include <algorithm>
#include <map>

#include "core/limits.hpp"

namespace rpd {
namespace {

constexpr std::size_t max_collection_name = 80;

std::string where(const PolicyDocument& document) { return document.policy.origin; }

Diagnostic error_at(const PolicyDocument& document, const YAML::Mark& mark, const std::string& message) {
  Diagnostics diagnostics(document.file);
  diagnostics.set_line_offset(document.line_offset);
  diagnostics.error(mark, "", message);
  return diagnostics.take().front();
}

struct VmUse {
  const PolicyDocument* document;
  std::size_t vm_index;
};

void check_names(const std::vector<PolicyDocument>& documents, std::vector<Diagnostic>& out) {
  std::map<std::string, const PolicyDocument*> by_name;
  for (const PolicyDocument& document : documents) {
    auto [it, inserted] = by_name.emplace(document.policy.name, &document);
    if (!inserted) {
      out.push_back(error_at(document, document.name_mark,
                             "name: policy '" + document.policy.name + "' is already defined at " + where(*it->second)));
    }
  }
}

void check_collections(const std::vector<PolicyDocument>& documents, std::vector<Diagnostic>& out) {
  std::map<std::string, const PolicyDocument*> owners;
  for (const PolicyDocument& document : documents) {
    const Policy& policy = document.policy;
    for (std::size_t i = 0; i < policy.targets.vms.size(); ++i) {
      const ArmId& vm = policy.targets.vms[i];
      const std::string path = "targets.vms[" + std::to_string(i) + "]";
      const std::string collection = collection_name_for(policy, vm.name);
      if (collection.size() > max_collection_name) {
        out.push_back(error_at(document, document.vm_marks[i],
                               path + ": the collection name '" + collection + "' is longer than " +
                                   std::to_string(max_collection_name) + " characters; shorten collection.name"));
      }
      const std::string key = to_lower(vm.resource_group_id() + "/" + collection);
      auto [it, inserted] = owners.emplace(key, &document);
      if (!inserted && it->second != &document) {
        out.push_back(error_at(document, document.vm_marks[i],
                               path + ": collection " + collection + " is already used by policy '" +
                                   it->second->policy.name + "' (" + where(*it->second) +
                                   "); put {policy} in collection.name"));
      }
    }
    // Resource groups: the VMs are not known yet, so the same template in the same group is a conflict
    // for every VM that both policies select.
    for (const ResourceGroupTarget& group : policy.targets.resource_groups) {
      const std::string key = to_lower(group.group.resource_group_id() + "/" + collection_name_for(policy, "{vm}"));
      auto [it, inserted] = owners.emplace(key, &document);
      if (!inserted && it->second != &document) {
        out.push_back(error_at(document, document.name_mark,
                               "targets.resource_groups: policy '" + it->second->policy.name + "' (" +
                                   where(*it->second) + ") names collections the same way in " +
                                   group.group.resource_group + "; put {policy} in collection.name"));
      }
    }
  }
}

// A VM named by several policies: their creates and their points add up on the one VM.
void check_shared_vms(const std::vector<PolicyDocument>& documents, const Settings& settings,
                      const LoadOptions& options, std::vector<Diagnostic>& out) {
  std::map<std::string, std::vector<VmUse>> uses;
  for (const PolicyDocument& document : documents) {
    for (std::size_t i = 0; i < document.policy.targets.vms.size(); ++i) {
      uses[to_lower(document.policy.targets.vms[i].text)].push_back({&document, i});
    }
  }
  const Quotas& quotas = settings.azure.quotas;
  for (const auto& [vm, vm_uses] : uses) {
    if (vm_uses.size() < 2) continue;
    std::vector<Instant> fires;
    long long peak_bound = 0;
    std::string names;
    for (const VmUse& use : vm_uses) {
      const Policy& policy = use.document->policy;
      const Seconds offset = jitter_offset(policy.targets.vms[use.vm_index].text, policy.schedule.jitter);
      for (Instant fire : use.document->fire_sample) fires.push_back(fire + offset);
      peak_bound += peak_points_bound(policy.retention, policy.schedule.shortest_gap);
      names += (names.empty() ? "'" : ", '") + policy.name + "'";
    }
    // Simulating is slow; it is only needed when the quick bound does not already rule out an excess.
    int peak = 0;
    if (peak_bound > quotas.points_per_vm) {
      for (const VmUse& use : vm_uses) {
        const Policy& policy = use.document->policy;
        auto zone = find_time_zone(policy.schedule.timezone);
        // Each simulation may stop once the points still allowed are exceeded: the sum is then too many.
        peak += peak_points(policy.schedule.schedule, policy.retention, zone ? *zone : utc_zone(), options.now,
                            20000, quotas.points_per_vm - peak);
        if (peak > quotas.points_per_vm) break;
      }
    }
    std::sort(fires.begin(), fires.end());
    const VmUse& last = vm_uses.back();
    const std::string path = "targets.vms[" + std::to_string(last.vm_index) + "]";
    const std::string vm_name = last.document->policy.targets.vms[last.vm_index].name;
    const DensestHour densest = densest_hour(fires);
    if (densest.creates > quotas.creates_per_vm_per_hour) {
      out.push_back(error_at(*last.document, last.document->vm_marks[last.vm_index],
                             path + ": VM " + vm_name + " is targeted by policies " + names +
                                 ", which together fire " + std::to_string(densest.creates) +
                                 " times within one hour (from " + format_utc(densest.starting_at) +
                                 "); Azure allows at most " + std::to_string(quotas.creates_per_vm_per_hour) +
                                 " creates per VM per hour"));
    }
    if (peak > quotas.points_per_vm) {
      out.push_back(error_at(*last.document, last.document->vm_marks[last.vm_index],
                             path + ": VM " + vm_name + " is targeted by policies " + names +
                                 ", which together keep more than " + std::to_string(quotas.points_per_vm) +
                                 " points at their peak (a new point counts before retention prunes an old one); "
                                 "Azure allows " + std::to_string(quotas.points_per_vm) +
                                 " per VM"));
    }
  }
}

}  // namespace

std::vector<Diagnostic> check_across_policies(const std::vector<PolicyDocument>& documents, const Settings& settings,
                                              const LoadOptions& options) {
  std::vector<Diagnostic> out;
  check_names(documents, out);
  check_collections(documents, out);
  check_shared_vms(documents, settings, options, out);
  return out;
}

}  // namespace rpd
