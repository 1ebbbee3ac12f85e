#pragma once
// What Azure says of one VM's restore points under one policy: its collection with the points in it, and
// per copy region the collection there with the copies and how far each has replicated. This is how the
// daemon notices points deleted behind its back, and how it rebuilds a lost database: from the
// collections' names and tags and the points' names, which all follow from the policy.

#include <boost/asio/awaitable.hpp>
#include <set>
#include <string>

#include "core/policy.hpp"
#include "core/reconcile.hpp"
#include "daemon/azure/compute_client.hpp"

namespace rpd::reconciler {

// The observation's collections and points; the job flags (create_running, ...) are left for the caller,
// who knows its jobs. `complete_copies`: ids of copies already known to have replicated to 100 %, whose
// instance view need not be read again (replication never goes back).
// Fails when a collection could not be read (other than 404: not made yet), so that a half-read VM is
// never mistaken for one whose points are gone.
boost::asio::awaitable<Result<VmObservation, azure::ArmError>> observe_vm(azure::ComputeClient& compute, Policy policy,
                                                                          TargetVm vm, std::set<std::string> complete_copies);

// A restore point of Azure's as the planner sees it; a copy's replication is the lowest over its disks.
ObservedPoint observed_point(const azure::RestorePoint& point);

}  // namespace rpd::reconciler
