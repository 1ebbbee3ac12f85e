#pragma once
// Performing one of the planner's actions against Azure, with the intent written to the state database
// before the request and the outcome after (DESIGN.md section 2), so that a crash at any moment is resumed,
// not repeated and not lost:
//
//   action                  intent                            request(s)                        outcome
//   ensure-collection       job                               PUT collection                    collection row
//   set-instant-access      job                               PATCH collection                  its instant_access
//   create                  job + point 'creating' + slot     PUT point, follow the operation   point 'succeeded'
//   copy                    job, then point 'creating'        PUT copy, follow the operation    copy 'succeeded'
//   delete, delete-copy     job, point 'deleting'             DELETE, follow the operation      point row gone
//
// Azure's answer is the job's outcome in the job log: a refused request fails the job (a create that Azure
// never accepted gives its slot back, so it is planned again after the backoff); a long-running operation
// that cannot be followed to its end leaves its point as it was for the next observation to settle.

#include <boost/asio/awaitable.hpp>

#include "core/policy.hpp"
#include "core/reconcile.hpp"
#include "daemon/azure/clock.hpp"
#include "daemon/azure/compute_client.hpp"
#include "daemon/store/state_store.hpp"

namespace rpd::reconciler {

struct ActionResult {
  store::JobId job = 0;
  store::JobOutcome outcome;
};

// The clock stamps the intent and the outcome. The client, the store and the clock must outlive the
// coroutine. Fails only when the state database cannot be written: then nothing is sent (the intent is
// missing), or the outcome is lost and the next observation finds it in Azure.
boost::asio::awaitable<Result<ActionResult>> perform(azure::ComputeClient& compute, store::StateStore& state,
                                                     azure::Clock& clock, Policy policy, TargetVm vm, Action action,
                                                     int attempt);

// The ids of the VM's data disks that the policy's exclude_disks select (by name, LUN or id); an OS disk
// is never excluded (Azure refuses it), and a selector that matches nothing is ignored.
std::vector<std::string> excluded_disk_ids(const RestorePointSpec& spec, const azure::VirtualMachine& vm);

// The outcome of a failed request, for the job log.
store::JobOutcome failure_outcome(const azure::ArmError& error);

}  // namespace rpd::reconciler
