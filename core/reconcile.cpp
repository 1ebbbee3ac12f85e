#include "core/reconcile.hpp"

#include <algorithm>

#include "core/retention.hpp"
#include "core/schedule.hpp"

namespace rpd {
namespace {

TimeZone zone_for(const Policy& policy) {
  auto zone = find_time_zone(policy.schedule.timezone);
  return zone ? *zone : utc_zone();  // the configuration checked the name already
}

std::map<std::string, std::string> managed_tags(const Policy& policy) {
  return {{managed_by_tag, managed_by_value}, {policy_tag, policy.name}};
}

// The policy's own points of a collection that retention may judge: made (or failed), not in flight.
struct OwnPoint {
  const ObservedPoint* point;
  Instant slot;
};

std::vector<OwnPoint> own_points(const Policy& policy, const ObservedCollection& collection) {
  std::vector<OwnPoint> own;
  for (const ObservedPoint& point : collection.points) {
    if (const auto slot = slot_of_restore_point(policy.name, point.name)) own.push_back({&point, *slot});
  }
  std::sort(own.begin(), own.end(), [](const OwnPoint& a, const OwnPoint& b) { return a.slot < b.slot; });
  return own;
}

bool copy_complete(const ObservedPoint& copy) {
  return copy.condition == PointCondition::succeeded && copy.replication_percent == 100;
}

bool copy_in_flight(const ObservedPoint& copy) {
  return copy.condition == PointCondition::creating ||
         (copy.condition == PointCondition::succeeded && copy.replication_percent.value_or(0) < 100);
}

// What one copy region needs: the copies there, and which local point goes next.
struct CopyState {
  const CopyRule* rule = nullptr;
  const ObservedCollection* collection = nullptr;  // nullptr: not made yet
  bool in_flight = false;                          // a copy is being made or replicating
  std::set<std::string> replicating_sources;
  std::optional<OwnPoint> next_in_line;
  std::string why_next;
};

// The next point to copy: after the newest point already copied, the `every`-th good one; with none copied
// yet, the newest good one (a rule added to an old policy does not copy the past).
CopyState copy_state(const CopyRule& rule, const ObservedCollection* collection, const std::vector<OwnPoint>& local) {
  CopyState state;
  state.rule = &rule;
  state.collection = collection;
  std::set<std::string> copied;
  if (collection != nullptr) {
    for (const ObservedPoint& copy : collection->points) {
      if (copy.condition == PointCondition::failed || copy.source_name.empty()) continue;
      copied.insert(copy.source_name);
      if (copy_in_flight(copy)) {
        state.in_flight = true;
        state.replicating_sources.insert(copy.source_name);
      }
    }
  }
  std::vector<OwnPoint> good;
  for (const OwnPoint& point : local) {
    if (point.point->condition == PointCondition::succeeded) good.push_back(point);
  }
  if (good.empty()) return state;
  const auto last_copied = std::find_if(good.rbegin(), good.rend(),
                                        [&](const OwnPoint& p) { return copied.contains(p.point->name); });
  if (last_copied == good.rend()) {
    state.next_in_line = good.back();
    state.why_next = "the first copy to " + rule.region;
    return state;
  }
  const auto after = static_cast<std::size_t>(good.rend() - last_copied);  // index just past the last copied
  const auto wanted = after + static_cast<std::size_t>(std::max(rule.every, 1)) - 1;
  if (wanted < good.size()) {
    state.next_in_line = good[wanted];
    state.why_next = describe_every(rule.every);
  }
  return state;
}

std::string deletion_reason(const ObservedPoint& point) {
  return point.condition == PointCondition::failed ? "failed, and no rule keeps it" : "no longer kept by any rule";
}

// Retention over one place (the VM's points, or its copies in one region); the circuit breaker per place.
void prune(const Policy& policy, const RetentionRules& rules, TimeZone zone, const std::vector<OwnPoint>& own,
           const std::set<std::string>& pinned, const std::string& collection_id, const std::string& region,
           const VmObservation& observed, Reconciliation& out) {
  std::vector<OwnPoint> judged;
  std::vector<RetentionPoint> input;
  for (const OwnPoint& point : own) {
    const PointCondition condition = point.point->condition;
    if (condition == PointCondition::creating || condition == PointCondition::deleting) continue;
    const bool good = condition == PointCondition::succeeded && (region.empty() || copy_complete(*point.point));
    const bool replicating = !region.empty() && copy_in_flight(*point.point);
    judged.push_back(point);
    input.push_back({point.slot, good, pinned.contains(point.point->name) || replicating});
  }
  const std::vector<RetentionDecision> decisions = apply_retention(input, rules, zone);
  std::vector<Action> deletions;
  for (std::size_t i = 0; i < judged.size(); ++i) {
    const ObservedPoint& point = *judged[i].point;
    if (decisions[i].keep) continue;
    Action action;
    action.kind = region.empty() ? ActionKind::delete_point : ActionKind::delete_copy;
    action.collection_id = collection_id;
    action.point_name = point.name;
    if (observed.deletes_running.contains(action.point_id())) continue;
    action.slot = judged[i].slot;
    action.region = region;
    action.reason = deletion_reason(point);
    deletions.push_back(std::move(action));
  }
  const int limit = policy.safety.max_deletes_per_run;
  if (static_cast<int>(deletions.size()) > limit) {
    const std::string what = region.empty() ? "points" : "copies in " + region;
    out.notes.push_back("would delete " + std::to_string(deletions.size()) + " " + what +
                        ", more than safety.max_deletes_per_run (" + std::to_string(limit) + "): nothing deleted");
    return;
  }
  for (Action& action : deletions) out.actions.push_back(std::move(action));
}

void wake_at(Reconciliation& out, std::optional<Instant> at) {
  if (at && (!out.next_wake || *at < *out.next_wake)) out.next_wake = at;
}

// The next time the Instant Access window opens or closes.
std::optional<Instant> next_window_change(const InstantAccessPolicy& instant_access, Instant now) {
  if (!instant_access.enabled || !instant_access.window) return std::nullopt;
  const auto& window = *instant_access.window;
  if (const auto opened = window.start.slot_at(now); opened && now < *opened + window.duration) {
    return *opened + window.duration;
  }
  return window.start.next(now);
}

}  // namespace

const char* to_string(ActionKind kind) {
  switch (kind) {
    case ActionKind::ensure_collection: return "ensure-collection";
    case ActionKind::ensure_copy_collection: return "ensure-copy-collection";
    case ActionKind::set_instant_access: return "set-instant-access";
    case ActionKind::create_point: return "create";
    case ActionKind::copy_point: return "copy";
    case ActionKind::delete_point: return "delete";
    case ActionKind::delete_copy: return "delete-copy";
  }
  return "?";
}

std::string collection_id_for(const Policy& policy, const TargetVm& vm) {
  return vm.resource_group_id + "/providers/Microsoft.Compute/restorePointCollections/" +
         collection_name_for(policy, vm.name);
}

std::string copy_collection_id_for(const Policy& policy, const TargetVm& vm, const CopyRule& rule) {
  const std::string group = rule.resource_group ? rule.resource_group->text : vm.resource_group_id;
  return group + "/providers/Microsoft.Compute/restorePointCollections/" + collection_name_for(policy, vm.name) + "-" +
         rule.region;
}

Reconciliation plan_actions(const Policy& policy, const VmObservation& observed, Instant now,
                            const PlannerOptions& options) {
  Reconciliation out;
  const TargetVm& vm = observed.vm;
  if (!observed.present) {
    out.notes.push_back("VM " + vm.id + " was not found: its restore points are left alone");
    return out;
  }

  const Schedule& schedule = policy.schedule.schedule;
  const Seconds offset = jitter_offset(vm.id, policy.schedule.jitter);
  const bool instant_access = instant_access_at(policy.instant_access, now);
  if (const auto next_slot = schedule.next(now - offset)) wake_at(out, *next_slot + offset);
  wake_at(out, next_window_change(policy.instant_access, now));

  // The collection first: nothing can go into it before it exists.
  const std::string collection_id = collection_id_for(policy, vm);
  if (!observed.collection) {
    if (!observed.collection_job_running) {
      Action action;
      action.kind = ActionKind::ensure_collection;
      action.collection_id = collection_id;
      action.location = vm.location;
      action.source_id = vm.id;
      action.instant_access = policy.instant_access.enabled ? std::optional<bool>(instant_access) : std::nullopt;
      action.tags = managed_tags(policy);
      action.reason = "the VM has no collection of this policy yet";
      out.actions.push_back(std::move(action));
    }
    return out;
  }
  const ObservedCollection& local = *observed.collection;

  // Instant Access is a setting of the collection for the points created after it: set it before the create.
  const bool instant_access_now = local.instant_access.value_or(false);
  const bool instant_access_changes = instant_access_now != instant_access;
  if (instant_access_changes && !observed.collection_job_running) {
    Action action;
    action.kind = ActionKind::set_instant_access;
    action.collection_id = collection_id;
    action.instant_access = instant_access;
    action.reason = instant_access ? (policy.instant_access.window ? "the Instant Access window is open" : "Instant Access is enabled")
                                   : (policy.instant_access.enabled ? "the Instant Access window has closed"
                                                                    : "Instant Access is not enabled");
    out.actions.push_back(std::move(action));
  }

  // The slot that is due, unless its point exists already (the name is the slot: never a second create).
  const auto due = due_slot(schedule, observed.last_handled_slot, now - offset, policy.schedule.catch_up, options.grace);
  if (due) {
    const std::string name = restore_point_name(policy.name, *due);
    const bool made = std::any_of(local.points.begin(), local.points.end(),
                                  [&](const ObservedPoint& p) { return p.name == name; });
    if (made) {
      out.slot_already_made = *due;
    } else if (!observed.create_running && !instant_access_changes && !observed.collection_job_running) {
      Action action;
      action.kind = ActionKind::create_point;
      action.collection_id = collection_id;
      action.point_name = name;
      action.slot = *due;
      action.reason = "slot " + format_utc(*due) + (now - offset - *due > options.grace ? ", caught up after downtime" : "");
      out.actions.push_back(std::move(action));
    }
  }

  // Copies: per region one at a time, in order; the points they need are pinned against retention.
  const std::vector<OwnPoint> own = own_points(policy, local);
  std::set<std::string> pinned;
  for (const CopyRule& rule : policy.copies) {
    const auto found = observed.copies.find(rule.region);
    const ObservedCollection* copies = found == observed.copies.end() ? nullptr : &found->second;
    const CopyState state = copy_state(rule, copies, own);
    pinned.insert(state.replicating_sources.begin(), state.replicating_sources.end());
    if (state.next_in_line) pinned.insert(state.next_in_line->point->name);

    const bool running = observed.copy_regions_running.contains(rule.region);
    const std::string copy_collection_id = copy_collection_id_for(policy, vm, rule);
    if (copies == nullptr) {
      if (!running && state.next_in_line) {
        Action action;
        action.kind = ActionKind::ensure_copy_collection;
        action.collection_id = copy_collection_id;
        action.location = rule.region;
        action.source_id = collection_id;
        action.region = rule.region;
        action.tags = managed_tags(policy);
        action.reason = "the first copy to " + rule.region + " needs a collection there";
        out.actions.push_back(std::move(action));
      }
      continue;
    }
    if (!running && !state.in_flight && state.next_in_line) {
      Action action;
      action.kind = ActionKind::copy_point;
      action.collection_id = copy_collection_id;
      action.point_name = state.next_in_line->point->name;
      action.slot = state.next_in_line->slot;
      action.source_id = collection_id + "/restorePoints/" + state.next_in_line->point->name;
      action.region = rule.region;
      action.reason = state.why_next;
      out.actions.push_back(std::move(action));
    }
    prune(policy, rule.retention, zone_for(policy), own_points(policy, *copies), {}, copy_collection_id, rule.region,
          observed, out);
  }

  prune(policy, policy.retention, zone_for(policy), own, pinned, collection_id, "", observed, out);
  return out;
}

}  // namespace rpd
