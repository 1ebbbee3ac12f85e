#pragma once
// The reconciler's planner: from one policy, what is known of one of its VMs, and now, the actions that
// bring Azure closer to what the policy wants (DESIGN.md sections 1 and 2). The daemon calls it on every
// tick and after every result; it is pure and cheap, so calling it often is the design, not a cost.
//
// One step at a time, in this order: the VM's collection must exist before anything goes into it; Instant
// Access is set before the create it applies to; the slot that is due is created (its name is the slot,
// so a create is never made twice); every copy region gets the next point in line, one copy at a time;
// retention deletes what no rule keeps any longer. Whatever the policy says, the planner never deletes a
// point the policy did not create (its name says so), the newest good point, a point being created, or a
// source point whose copy is replicating or next in line; a VM that is gone is reported, its points are
// left alone; and a run that would delete more than safety.max_deletes_per_run deletes nothing.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/time.hpp"

namespace rpd {

// Tags on the collections the daemon makes: they tell its collections from others, and rebuild a lost
// database.
inline constexpr const char* managed_by_tag = "managed-by";
inline constexpr const char* managed_by_value = "restorepointd";
inline constexpr const char* policy_tag = "restorepointd-policy";

enum class PointCondition { creating, succeeded, failed, deleting };

struct ObservedPoint {
  std::string name;
  PointCondition condition = PointCondition::succeeded;
  // Copies: the lowest completion over the disks (nullopt: not reported yet), and the source point's name.
  std::optional<int> replication_percent;
  std::string source_name;
  std::optional<Instant> created_at;  // Azure's timeCreated (a copy shows its source's)
};

struct ObservedCollection {
  std::string id;
  std::optional<bool> instant_access;  // nullopt: not reported (an api-version before 2025-04-01)
  std::vector<ObservedPoint> points;
};

// The VM as the inventory found it.
struct TargetVm {
  std::string id;
  std::string name;
  std::string location;           // lower case
  std::string resource_group_id;  // "/subscriptions/<sub>/resourceGroups/<group>"
};

struct VmObservation {
  TargetVm vm;
  bool present = true;  // false: the inventory no longer finds it
  std::optional<ObservedCollection> collection;       // the VM's own; nullopt: not made yet
  std::map<std::string, ObservedCollection> copies;   // by region (lower case); absent: not made yet
  std::optional<Instant> last_handled_slot;           // the newest slot created or deliberately skipped
  // Jobs already running, so that nothing is asked twice.
  bool create_running = false;
  bool collection_job_running = false;   // an ensure-collection or Instant Access change
  std::set<std::string> copy_regions_running;  // a copy (or its collection) under way to these regions
  std::set<std::string> deletes_running;       // point ids, as Action::point_id() gives them
};

enum class ActionKind {
  ensure_collection,       // PUT the VM's collection (tags, Instant Access)
  ensure_copy_collection,  // PUT a collection in a copy region, its source the VM's collection
  set_instant_access,      // PATCH the VM's collection
  create_point,
  copy_point,
  delete_point,
  delete_copy,
};

const char* to_string(ActionKind kind);  // "ensure-collection", "create", "copy", "delete", ...

struct Action {
  ActionKind kind = ActionKind::create_point;
  std::string collection_id;  // the collection acted on, or the one the point is in
  std::string location;       // with ensure_*: the collection's region
  std::string source_id;      // with ensure_collection: the VM; ensure_copy_collection: the VM's collection;
                              // copy_point: the source point's id
  std::string point_name;     // create, copy and delete
  std::optional<Instant> slot;           // create and copy: the slot the point is for
  std::optional<bool> instant_access;    // ensure_collection and set_instant_access
  std::map<std::string, std::string> tags;  // ensure_*
  std::string region;         // copy_point, ensure_copy_collection and delete_copy: the copy region
  std::string reason;         // for the log: "slot 2026-11-25T10:00:00Z", "no longer kept (was: keep_daily)"

  std::string point_id() const { return collection_id + "/restorePoints/" + point_name; }
};

struct PlannerOptions {
  // How late a slot may be created and still count as on time (a late slot follows catch_up).
  Seconds grace{std::chrono::minutes(15)};
};

struct Reconciliation {
  std::vector<Action> actions;
  std::vector<std::string> notes;            // a VM that is gone, a tripped circuit breaker, ...
  std::optional<Instant> slot_already_made;  // the due slot's point exists already: record it as handled
  std::optional<Instant> next_wake;          // when this VM needs the planner again, for want of events
};

// The id of the VM's collection and of its collection in a copy region.
std::string collection_id_for(const Policy& policy, const TargetVm& vm);
std::string copy_collection_id_for(const Policy& policy, const TargetVm& vm, const CopyRule& rule);

Reconciliation plan_actions(const Policy& policy, const VmObservation& observed, Instant now,
                            const PlannerOptions& options = {});

}  // namespace rpd
