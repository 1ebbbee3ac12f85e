#pragma once
// `restorepointd plan`: what the policies will do over the next days, simulated offline from the core alone.
//
// The simulation starts from no restore points (the state database is not read yet) and assumes that every
// create succeeds at once and every copy completes before the VM's next point. Per planned VM it walks the
// schedule's fire times, creates the slot's point, copies every Nth point to each copy region, and applies
// retention after each create (to the VM's points) and each copy (to that region's copies), exactly as the
// daemon's retention does; deletions carry the rules that kept the point until then. It reports the peak number
// of points per VM against Azure's limit, and the ARM writes per day per subscription.
//
// Pure: no I/O, no clock; `from` is a parameter. Cost: O(creates x points per VM x log).

#include <map>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/settings.hpp"
#include "core/time.hpp"

namespace rpd {

// A VM the plan simulates. Resource-group targets cannot be listed offline: each stands for its VMs as one
// representative VM named "<group>/*" (with its tag filter: "prod/*[tier=1]"), which fires without jitter.
struct PlannedVm {
  std::string policy;
  std::string vm_id;         // the VM's ARM id; for a representative, the resource group's id
  std::string vm_name;       // "sql01", or "prod/*[restore-points=tier1]" for a representative
  std::string subscription;  // lower case: ids compare case-insensitively
  bool representative = false;
};

// The policy's VMs in the order of its targets: named VMs first, then one representative per resource group.
std::vector<PlannedVm> planned_vms(const Policy& policy);

// In the order events at the same instant happen: a window closes before a new one opens, Instant Access is
// set before the create it applies to, and retention runs after the create and its copies.
enum class PlanEventKind {
  instant_access_off,
  instant_access_on,
  create,
  copy,
  delete_point,
  delete_copy,
  circuit_breaker,
};

// "create", "copy", "delete", "delete-copy", "instant-access-on", "instant-access-off", "circuit-breaker".
const char* to_string(PlanEventKind kind);

struct PlanEvent {
  Instant at;  // when it happens: a create at its slot plus the VM's jitter, the rest with it
  PlanEventKind kind = PlanEventKind::create;
  std::string policy;
  std::string vm_name;
  std::string point_name;  // the slot's name; empty for Instant Access and circuit breaker events
  std::string region;      // the copy region for copy, delete_copy and a copy circuit breaker; else empty
  std::string reason;      // why: "no longer kept (was: keep_hourly,keep_within)", "every 6th point", ...

  friend bool operator==(const PlanEvent&, const PlanEvent&) = default;
};

struct VmPeak {
  std::string policy;  // "a+b" for a VM named by several policies: their points together
  std::string vm_name;
  int peak_points = 0;                     // the most points the VM has at once (right after a create)
  Instant peak_at;                         // the first time it has that many
  std::map<std::string, int> peak_copies;  // per copy region, the most copies at once
  int limit = 0;                           // Azure's points per VM (quotas.points_per_vm)
  bool over_limit = false;                 // the points, or the copies in some region, exceed the limit
};

struct Plan {
  Instant from;
  Instant until;
  std::vector<PlanEvent> events;  // by time, then policy, VM and kind; otherwise in the order they happen
  std::vector<VmPeak> peaks;      // per planned VM in policy order, then the VMs named by several policies
  // subscription (lower case) -> UTC day "2026-11-25" -> ARM writes (PUT, PATCH and DELETE requests).
  std::map<std::string, std::map<std::string, int>> arm_writes_per_day;
  std::vector<std::string> notes;  // the assumptions behind the plan and what it could not know
};

// Simulates the policies from `from` to `from + days` days. Creates happen at fire times in (from, until];
// Instant Access that is on at `from` is set at `from`.
Plan make_plan(const std::vector<Policy>& policies, const Quotas& quotas, Instant from, int days);

}  // namespace rpd
