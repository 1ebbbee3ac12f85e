#pragma once
// The inventory: which VMs a policy targets right now. Named VMs are read one by one; resource groups are
// listed and filtered by the policy's tags (every tag must match exactly). A VM Azure answers 404 for is
// reported missing (the reconciler then leaves its points alone); any other failure is an error of this
// inventory only, and the VMs it could not read keep whatever state the daemon knew, never "missing".

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/reconcile.hpp"
#include "daemon/azure/compute_client.hpp"

namespace rpd::reconciler {

struct Inventory {
  std::vector<TargetVm> vms;               // each VM once, in the order of the policy's targets
  std::vector<std::string> missing;        // ids of named VMs that Azure says do not exist
  std::vector<std::string> errors;         // "resource group <id>: <error>": not known this time
};

boost::asio::awaitable<Inventory> take_inventory(azure::ComputeClient& compute, Policy policy);

// The TargetVm of a VM as Azure describes it (location in lower case, its resource group's id).
TargetVm target_of(const azure::VirtualMachine& vm);

}  // namespace rpd::reconciler
