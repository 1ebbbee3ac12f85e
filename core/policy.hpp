#pragma once
// The policy model: what one YAML policy document says, validated. config/ builds it; the planner reads it.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/arm_id.hpp"
#include "core/retention.hpp"
#include "core/schedule.hpp"
#include "core/time.hpp"

namespace rpd {

enum class Consistency { application, filesystem, crash };

struct ResourceGroupTarget {
  ArmId group;
  std::map<std::string, std::string> tags;  // every one must match (values compare exactly); empty: all VMs
};

struct Targets {
  std::vector<ArmId> vms;
  std::vector<ResourceGroupTarget> resource_groups;
};

struct SchedulePolicy {
  Schedule schedule;
  std::string timezone = "UTC";
  Seconds jitter{0};
  CatchUp catch_up = CatchUp::latest;
  // The shortest gap between two fire times, measured over a sample of fire times: the schedule's period.
  Seconds shortest_gap{0};
};

// A disk to leave out of the restore point: by name, by LUN, or by ARM id.
struct DiskSelector {
  enum class Kind { name, lun, id } kind = Kind::name;
  std::string value;  // the name, the LUN's digits, or the disk's id
};

struct RestorePointSpec {
  std::optional<Consistency> consistency;  // unset: Azure chooses
  std::vector<DiskSelector> exclude_disks;
};

struct InstantAccessWindow {
  Schedule start;  // when the window opens, in the policy's time zone
  Seconds duration{0};
};

struct InstantAccessPolicy {
  bool enabled = false;
  Seconds duration{std::chrono::minutes{300}};  // per restore point, 60..300 minutes
  std::optional<InstantAccessWindow> window;     // unset: always on while enabled
};

struct CopyRule {
  std::string region;                    // lower case, e.g. "westeurope"
  std::optional<ArmId> resource_group;   // unset: the VM's own group
  int every = 1;                         // copy every Nth point
  RetentionRules retention;              // for the copies in that region
};

struct Safety {
  int max_deletes_per_run = 20;
};

struct Policy {
  std::string name;
  std::string origin;  // "policies.d/sql.yaml:3:1": where it was read, for messages
  Targets targets;
  SchedulePolicy schedule;
  RestorePointSpec restore_point;
  std::string collection_name = "rpc-{vm}-{policy}";
  InstantAccessPolicy instant_access;
  RetentionRules retention;
  std::vector<CopyRule> copies;
  Safety safety;
};

// The collection for a VM: the template with {vm} and {policy} filled in.
std::string collection_name_for(const Policy& policy, std::string_view vm_name);

// The restore point for a slot: "<policy>-20261125T1000Z".
std::string restore_point_name(std::string_view policy_name, Instant slot);

// The slot a restore point's name stands for, when it is a name this policy gives (restore_point_name's
// exact form); nullopt for any other name: a point someone else made.
std::optional<Instant> slot_of_restore_point(std::string_view policy_name, std::string_view point_name);

// A copy rule's `every` in words: "every point", "every 2nd point", "every 6th point".
std::string describe_every(int every);

// Whether new points get Instant Access at `t`: enabled, and inside the window when there is one.
bool instant_access_at(const InstantAccessPolicy& instant_access, Instant t);

const char* to_string(Consistency consistency);

}  // namespace rpd
