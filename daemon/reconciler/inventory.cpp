#include "daemon/reconciler/inventory.hpp"

#include <algorithm>
#include <set>

#include "core/arm_id.hpp"

namespace rpd::reconciler {
namespace {

namespace asio = boost::asio;

bool tags_match(const azure::Tags& tags, const std::map<std::string, std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(), [&](const auto& tag) {
    const auto found = tags.find(tag.first);
    return found != tags.end() && found->second == tag.second;
  });
}

// A VM that two targets name is kept once (ids compared without case, as ARM does; by a set: 10,000 VMs).
void add_once(Inventory& inventory, std::set<std::string>& seen, TargetVm vm) {
  if (seen.insert(to_lower(vm.id)).second) inventory.vms.push_back(std::move(vm));
}

}  // namespace

TargetVm target_of(const azure::VirtualMachine& vm) {
  const auto id = parse_vm_id(vm.id);
  return TargetVm{vm.id, vm.name, to_lower(vm.location), id ? id->resource_group_id() : std::string()};
}

asio::awaitable<Inventory> take_inventory(azure::ComputeClient& compute, Policy policy) {
  Inventory inventory;
  std::set<std::string> seen;
  for (const ArmId& id : policy.targets.vms) {
    Result<azure::VirtualMachine, azure::ArmError> vm = co_await compute.get_vm(id.text);
    if (vm) {
      add_once(inventory, seen, target_of(*vm));
    } else if (vm.error().http_status == 404) {
      inventory.missing.push_back(id.text);
    } else {
      inventory.errors.push_back("VM " + id.text + ": " + vm.error().describe());
    }
  }
  for (const ResourceGroupTarget& target : policy.targets.resource_groups) {
    Result<std::vector<azure::VirtualMachine>, azure::ArmError> vms = co_await compute.list_vms(target.group.text);
    if (!vms) {
      inventory.errors.push_back("resource group " + target.group.text + ": " + vms.error().describe());
      continue;
    }
    for (const azure::VirtualMachine& vm : *vms) {
      if (tags_match(vm.tags, target.tags)) add_once(inventory, seen, target_of(vm));
    }
  }
  co_return inventory;
}

}  // namespace rpd::reconciler
