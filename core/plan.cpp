#include "core/plan.hpp"

#include <date/date.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <tuple>
#include <utility>

#include "core/duration.hpp"

namespace rpd {

const char* to_string(PlanEventKind kind) {
  switch (kind) {
    case PlanEventKind::instant_access_off:
      return "instant-access-off";
    case PlanEventKind::instant_access_on:
      return "instant-access-on";
    case PlanEventKind::create:
      return "create";
    case PlanEventKind::copy:
      return "copy";
    case PlanEventKind::delete_point:
      return "delete";
    case PlanEventKind::delete_copy:
      return "delete-copy";
    case PlanEventKind::circuit_breaker:
      return "circuit-breaker";
  }
  return "?";
}

namespace {

using namespace std::chrono_literals;

// "prod/*", or "prod/*[env=prod,tier=1]" when the group target filters by tags.
std::string representative_name(const ResourceGroupTarget& target) {
  std::string name = target.group.resource_group + "/*";
  if (target.tags.empty()) return name;
  name += '[';
  bool first = true;
  for (const auto& [key, value] : target.tags) {
    if (!first) name += ',';
    name += key + "=" + value;
    first = false;
  }
  return name + "]";
}

// "1st", "2nd", "3rd", "4th", "11th", "22nd".
std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

// A point the simulation holds: the slot it is for, and why the last retention pass kept it (for the reason
// of its deletion later).
struct HeldPoint {
  std::string name;
  Instant slot;
  KeepReasons kept_for;
};

// How the number of points in one place (a VM's collection, or its copies in one region) changes: +1 or -1.
using CountChanges = std::vector<std::pair<Instant, int>>;

struct Peak {
  int count = 0;
  Instant at;
};

Peak peak_of(CountChanges changes, Instant from) {
  // At one instant the creates come before the deletions they cause: for a moment the VM holds both.
  std::stable_sort(changes.begin(), changes.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second > b.second;
  });
  Peak peak{0, from};
  int count = 0;
  for (const auto& [at, change] : changes) {
    count += change;
    if (count > peak.count) peak = {count, at};
  }
  return peak;
}

// What one planned VM did over the plan: the input of its peak, and of the peak of several policies together.
struct VmRecord {
  PlannedVm vm;
  CountChanges points;
  std::map<std::string, CountChanges> copies;  // by region
};

class Simulation {
 public:
  Simulation(const Quotas& quotas, Instant from, Instant until) : quotas_(quotas) {
    plan_.from = from;
    plan_.until = until;
  }

  void note(std::string text) { plan_.notes.push_back(std::move(text)); }

  void run(const Policy& policy) {
    auto zone = find_time_zone(policy.schedule.timezone);
    if (!zone) {
      plan_.notes.push_back(policy.name + ": " + zone.error().message + "; retention buckets use UTC instead");
    }
    bool dense_schedule_noted = false;
    for (const PlannedVm& vm : planned_vms(policy)) {
      if (vm.representative) plan_.notes.push_back(representative_note(policy, vm));
      simulate_vm(policy, zone ? *zone : utc_zone(), vm, dense_schedule_noted);
    }
  }

  Plan finish() && {
    std::stable_sort(plan_.events.begin(), plan_.events.end(), [](const PlanEvent& a, const PlanEvent& b) {
      return std::tie(a.at, a.policy, a.vm_name, a.kind) < std::tie(b.at, b.policy, b.vm_name, b.kind);
    });
    for (const VmRecord& record : records_) {
      const VmRecord* const one[] = {&record};
      add_peak(record.vm.policy, record.vm.vm_name, one);
    }
    add_peaks_of_shared_vms();
    return std::move(plan_);
  }

 private:
  void simulate_vm(const Policy& policy, TimeZone zone, const PlannedVm& vm, bool& dense_schedule_noted) {
    VmRecord record{vm, {}, {}};
    simulate_instant_access(policy, vm);

    // The VM's own collection, and one collection per copy rule in the rule's region.
    std::vector<HeldPoint> points;
    bool collection_exists = false;
    struct CopyTarget {
      const CopyRule& rule;
      std::string subscription;
      std::vector<HeldPoint> copies;
      bool collection_exists = false;
    };
    std::vector<CopyTarget> targets;
    for (const CopyRule& rule : policy.copies) {
      const std::string subscription =
          rule.resource_group ? to_lower(rule.resource_group->subscription) : vm.subscription;
      targets.push_back({rule, subscription, {}, false});
    }

    // Representatives stand for VMs spread over the jitter: they are shown at the slots themselves.
    const Seconds offset = vm.representative ? 0s : jitter_offset(vm.vm_id, policy.schedule.jitter);
    const Schedule& schedule = policy.schedule.schedule;
    std::vector<Instant> create_times;

    // A slot's point is created at slot + offset: the slots whose creates fall in (from, until].
    for (auto slot = schedule.next(plan_.from - offset); slot && *slot + offset <= plan_.until;
         slot = schedule.next(*slot)) {
      const Instant at = *slot + offset;
      const std::string name = restore_point_name(policy.name, *slot);
      if (!collection_exists) count_write(vm.subscription, at);  // the collection's PUT
      collection_exists = true;
      const bool instant = instant_access_at(policy.instant_access, at);
      add_event(at, PlanEventKind::create, policy, vm, name, "",
                instant ? "instant access " + format_duration(policy.instant_access.duration) : "");
      count_write(vm.subscription, at);
      points.push_back({name, *slot, {}});
      record.points.emplace_back(at, +1);
      create_times.push_back(at);
      if (!dense_schedule_noted) dense_schedule_noted = note_dense_schedule(policy, vm, create_times);

      // Points 1, 1 + every, 1 + 2 every, ... are copied; only a region that got a copy is pruned.
      const auto position = create_times.size() - 1;
      std::vector<CopyTarget*> copied;
      for (CopyTarget& target : targets) {
        const int every = std::max(target.rule.every, 1);
        if (position % static_cast<std::size_t>(every) != 0) continue;
        if (!target.collection_exists) count_write(target.subscription, at);  // the target collection's PUT
        target.collection_exists = true;
        add_event(at, PlanEventKind::copy, policy, vm, name, target.rule.region,
                  describe_every(every));
        count_write(target.subscription, at);
        target.copies.push_back({name, *slot, {}});
        record.copies[target.rule.region].emplace_back(at, +1);
        copied.push_back(&target);
      }

      prune(points, policy.retention, zone, policy, vm, at, "", vm.subscription, record.points);
      for (CopyTarget* target : copied) {
        prune(target->copies, target->rule.retention, zone, policy, vm, at, target->rule.region, target->subscription,
              record.copies[target->rule.region]);
      }
    }
    records_.push_back(std::move(record));
  }

  // Instant Access is a setting of the collection: on from the start, or on and off with its window.
  void simulate_instant_access(const Policy& policy, const PlannedVm& vm) {
    const InstantAccessPolicy& instant_access = policy.instant_access;
    if (!instant_access.enabled) return;
    const std::string per_point = format_duration(instant_access.duration);
    if (!instant_access.window) {
      set_instant_access(plan_.from, PlanEventKind::instant_access_on, policy, vm,
                         "on for new points, " + per_point + " each");
      return;
    }
    const InstantAccessWindow& window = *instant_access.window;
    const std::string opens = "window opens for " + format_duration(window.duration) + ", " + per_point + " per point";
    // A window already open at `from` is on from the start.
    if (const auto opened = window.start.slot_at(plan_.from); opened && plan_.from < *opened + window.duration) {
      set_instant_access(plan_.from, PlanEventKind::instant_access_on, policy, vm,
                         "inside the window opened at " + format_utc(*opened) + " for " +
                             format_duration(window.duration) + ", " + per_point + " per point");
      if (*opened + window.duration <= plan_.until) {
        set_instant_access(*opened + window.duration, PlanEventKind::instant_access_off, policy, vm, "window closes");
      }
    }
    for (auto start = window.start.next(plan_.from); start && *start <= plan_.until;
         start = window.start.next(*start)) {
      set_instant_access(*start, PlanEventKind::instant_access_on, policy, vm, opens);
      if (*start + window.duration <= plan_.until) {
        set_instant_access(*start + window.duration, PlanEventKind::instant_access_off, policy, vm, "window closes");
      }
    }
  }

  void set_instant_access(Instant at, PlanEventKind kind, const Policy& policy, const PlannedVm& vm,
                          std::string reason) {
    add_event(at, kind, policy, vm, "", "", std::move(reason));
    count_write(vm.subscription, at);  // the collection's PATCH
  }

  // Retention after a create or copy at `at`, over the points of one place (the VM's, or its copies in one
  // region): the points no longer kept are deleted, unless there are more of them than the policy's safety
  // limit allows in one run. Then nothing is deleted, as the daemon's circuit breaker does.
  void prune(std::vector<HeldPoint>& held, const RetentionRules& rules, TimeZone zone, const Policy& policy,
             const PlannedVm& vm, Instant at, const std::string& region, const std::string& subscription,
             CountChanges& changes) {
    std::vector<RetentionPoint> input;
    input.reserve(held.size());
    for (const HeldPoint& point : held) input.push_back({point.slot, true, false});  // oldest first
    const std::vector<RetentionDecision> decisions = apply_retention(input, rules, zone);

    const auto doomed = static_cast<int>(
        std::count_if(decisions.begin(), decisions.end(), [](const RetentionDecision& d) { return !d.keep; }));
    const int max_deletes = policy.safety.max_deletes_per_run;
    const bool tripped = doomed > max_deletes;
    if (tripped) {
      const std::string what =
          region.empty() ? (doomed == 1 ? "point" : "points") : (doomed == 1 ? "copy in " : "copies in ") + region;
      add_event(at, PlanEventKind::circuit_breaker, policy, vm, "", region,
                "would delete " + std::to_string(doomed) + " " + what + ", more than safety.max_deletes_per_run (" +
                    std::to_string(max_deletes) + "): nothing deleted");
    }

    std::vector<HeldPoint> kept;
    kept.reserve(held.size());
    for (std::size_t index = 0; index < held.size(); ++index) {
      HeldPoint& point = held[index];
      if (decisions[index].keep) {
        point.kept_for = decisions[index].reasons;
      } else if (!tripped) {
        const std::string was = point.kept_for.empty() ? "not kept" : "was: " + describe(point.kept_for);
        add_event(at, region.empty() ? PlanEventKind::delete_point : PlanEventKind::delete_copy, policy, vm, point.name,
                  region, "no longer kept (" + was + ")");
        count_write(subscription, at);
        changes.emplace_back(at, -1);
        continue;
      }
      kept.push_back(std::move(point));
    }
    held = std::move(kept);
  }

  // Azure refuses more creates per VM per hour than its quota (AZURE.md section 3): said once per policy.
  bool note_dense_schedule(const Policy& policy, const PlannedVm& vm, const std::vector<Instant>& create_times) {
    const auto quota = static_cast<std::size_t>(std::max(quotas_.creates_per_vm_per_hour, 0));
    if (create_times.size() <= quota) return false;
    const Instant first = create_times[create_times.size() - 1 - quota];
    if (create_times.back() - first >= 1h) return false;
    plan_.notes.push_back(policy.name + ": " + vm.vm_name + " gets " + std::to_string(quota + 1) +
                          " creates within an hour from " + format_utc(first) + ", more than Azure allows (" +
                          std::to_string(quota) + " per VM per hour): the extra creates will fail");
    return true;
  }

  std::string representative_note(const Policy& policy, const PlannedVm& vm) const {
    return policy.name + ": " + vm.vm_name + " stands for the VMs of resource group " + vm.vm_id +
           " that match its tags, which are not known offline; it is shown at the slots, without jitter";
  }

  void add_event(Instant at, PlanEventKind kind, const Policy& policy, const PlannedVm& vm, std::string point_name,
                 std::string region, std::string reason) {
    plan_.events.push_back(
        {at, kind, policy.name, vm.vm_name, std::move(point_name), std::move(region), std::move(reason)});
  }

  void count_write(const std::string& subscription, Instant at) {
    ++plan_.arm_writes_per_day[subscription][date::format("%F", date::floor<date::days>(at))];
  }

  // The peak of one or more records together (several policies naming one VM all count against its limit).
  void add_peak(std::string policy, std::string vm_name, std::span<const VmRecord* const> records) {
    CountChanges points;
    std::map<std::string, CountChanges> copies;
    for (const VmRecord* record : records) {
      points.insert(points.end(), record->points.begin(), record->points.end());
      for (const auto& [region, changes] : record->copies) {
        copies[region].insert(copies[region].end(), changes.begin(), changes.end());
      }
    }
    VmPeak peak;
    peak.policy = std::move(policy);
    peak.vm_name = std::move(vm_name);
    const Peak local = peak_of(std::move(points), plan_.from);
    peak.peak_points = local.count;
    peak.peak_at = local.at;
    peak.limit = quotas_.points_per_vm;
    peak.over_limit = peak.peak_points > peak.limit;
    for (auto& [region, changes] : copies) {
      const int count = peak_of(std::move(changes), plan_.from).count;
      peak.peak_copies[region] = count;
      // Whether copies count toward the source VM's limit is not known: each region is held to it on its own.
      if (count > peak.limit) peak.over_limit = true;
    }
    plan_.peaks.push_back(std::move(peak));
  }

  void add_peaks_of_shared_vms() {
    std::vector<bool> grouped(records_.size(), false);
    for (std::size_t first = 0; first < records_.size(); ++first) {
      if (grouped[first] || records_[first].vm.representative) continue;
      std::vector<const VmRecord*> same_vm{&records_[first]};
      std::vector<std::string> policies{records_[first].vm.policy};
      for (std::size_t other = first + 1; other < records_.size(); ++other) {
        const VmRecord& record = records_[other];
        if (record.vm.representative || !same_arm_id(record.vm.vm_id, records_[first].vm.vm_id)) continue;
        grouped[other] = true;
        same_vm.push_back(&record);
        if (std::find(policies.begin(), policies.end(), record.vm.policy) == policies.end()) {
          policies.push_back(record.vm.policy);
        }
      }
      if (same_vm.size() < 2) continue;
      const std::string names = join(policies, "+");
      plan_.notes.push_back(records_[first].vm.vm_name + " is named by " + join(policies, ", ") +
                            ": Azure's limit counts their points together (peak row " + names + ")");
      add_peak(names, records_[first].vm.vm_name, same_vm);
    }
  }

  const Quotas& quotas_;
  Plan plan_;
  std::vector<VmRecord> records_;
};

}  // namespace

std::vector<PlannedVm> planned_vms(const Policy& policy) {
  std::vector<PlannedVm> vms;
  for (const ArmId& vm : policy.targets.vms) {
    vms.push_back({policy.name, vm.text, vm.name, to_lower(vm.subscription), false});
  }
  for (const ResourceGroupTarget& target : policy.targets.resource_groups) {
    vms.push_back(
        {policy.name, target.group.text, representative_name(target), to_lower(target.group.subscription), true});
  }
  return vms;
}

Plan make_plan(const std::vector<Policy>& policies, const Quotas& quotas, Instant from, int days) {
  Simulation simulation(quotas, from, from + date::days{std::max(days, 0)});
  simulation.note("starts from no restore points: the state database is not read yet");
  simulation.note("every create is assumed to succeed at once");
  const bool copies = std::any_of(policies.begin(), policies.end(), [](const Policy& p) { return !p.copies.empty(); });
  if (copies) {
    simulation.note("every copy is assumed to complete before the VM's next point, so no point is held for one");
    simulation.note(
        "whether copies count toward Azure's points per VM is not known: each region's copies are "
        "checked against the limit on their own");
  }
  for (const Policy& policy : policies) simulation.run(policy);
  return std::move(simulation).finish();
}

}  // namespace rpd
