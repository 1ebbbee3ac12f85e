// The reconciler's planner: each action in its order and only when its turn has come, the safety rules
// against any policy, copies one at a time in order, and the circuit breaker. Actions are compared as one
// readable line each.

#include "core/reconcile.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rpd {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

const std::string group = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/prod";
const std::string collection = group + "/providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql";
const std::string dr_collection = collection + "-northeurope";

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

Policy every_4h(RetentionRules retention = {}) {
  Policy policy;
  policy.name = "sql";
  policy.schedule.schedule = Schedule::every(4h).value();
  policy.retention = retention;
  return policy;
}

RetentionRules keep_last(int count) {
  RetentionRules rules;
  rules.keep_last = count;
  return rules;
}

CopyRule copy_to(std::string region, int every = 1) {
  CopyRule rule;
  rule.region = std::move(region);
  rule.every = every;
  return rule;
}

ObservedPoint point(std::string slot, PointCondition condition = PointCondition::succeeded) {
  return {"sql-" + slot, condition, std::nullopt, "", std::nullopt};
}

ObservedPoint copy_of(std::string slot, std::optional<int> percent) {
  return {"sql-" + slot, PointCondition::succeeded, percent, "sql-" + slot, std::nullopt};
}

VmObservation with_collection(std::vector<ObservedPoint> points, std::optional<bool> instant_access = false) {
  VmObservation observed;
  observed.vm = {group + "/providers/Microsoft.Compute/virtualMachines/sql01", "sql01", "westeurope", group};
  observed.collection = ObservedCollection{collection, instant_access, std::move(points)};
  observed.last_handled_slot = at("2026-12-04T08:00:00Z");
  return observed;
}

std::string line(const Action& action) {
  std::string text = std::string(to_string(action.kind)) + " " + action.collection_id.substr(group.size());
  if (!action.point_name.empty()) text += " " + action.point_name;
  if (action.instant_access) text += *action.instant_access ? " instant-access=on" : " instant-access=off";
  if (!action.source_id.empty()) text += " from " + action.source_id.substr(action.source_id.rfind('/') + 1);
  return text + " | " + action.reason;
}

Lines lines(const Reconciliation& reconciliation) {
  Lines out;
  for (const Action& action : reconciliation.actions) out.push_back(line(action));
  return out;
}

TEST(Reconcile, ANewVmGetsItsCollectionFirstAndNothingElse) {
  VmObservation observed = with_collection({});
  observed.collection.reset();
  observed.last_handled_slot.reset();
  const auto result = plan_actions(every_4h(), observed, at("2026-12-04T10:30:00Z"));
  EXPECT_EQ(lines(result),
            (Lines{"ensure-collection /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql from sql01 | "
                   "the VM has no collection of this policy yet"}));
  EXPECT_EQ(result.actions[0].tags.at("managed-by"), "restorepointd");
  EXPECT_EQ(result.actions[0].tags.at("restorepointd-policy"), "sql");
  EXPECT_EQ(result.actions[0].location, "westeurope");
  EXPECT_EQ(result.next_wake, at("2026-12-04T12:00:00Z"));

  observed.collection_job_running = true;
  EXPECT_TRUE(plan_actions(every_4h(), observed, at("2026-12-04T10:30:00Z")).actions.empty());
}

TEST(Reconcile, AFirstStartWithCatchUpLatestCreatesTheMostRecentSlotAtOnce) {
  VmObservation observed = with_collection({});
  observed.last_handled_slot.reset();
  EXPECT_EQ(lines(plan_actions(every_4h(), observed, at("2026-12-04T10:30:00Z"))),
            (Lines{"create /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261204T0800Z | "
                   "slot 2026-12-04T08:00:00Z, caught up after downtime"}));

  Policy waits = every_4h();
  waits.schedule.catch_up = CatchUp::none;
  const auto none = plan_actions(waits, observed, at("2026-12-04T10:30:00Z"));
  EXPECT_TRUE(none.actions.empty());
  EXPECT_EQ(none.next_wake, at("2026-12-04T12:00:00Z"));
}

TEST(Reconcile, ASlotOnTimeIsCreatedOnceAndNeverTwice) {
  VmObservation observed = with_collection({point("20261204T0800Z")});
  const Instant noon = at("2026-12-04T12:05:00Z");
  EXPECT_EQ(lines(plan_actions(every_4h(), observed, noon)),
            (Lines{"create /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261204T1200Z | "
                   "slot 2026-12-04T12:00:00Z"}));

  observed.create_running = true;
  EXPECT_TRUE(plan_actions(every_4h(), observed, noon).actions.empty()) << "one create per VM at a time";

  observed.create_running = false;
  observed.collection->points.push_back(point("20261204T1200Z", PointCondition::creating));
  const auto made = plan_actions(every_4h(), observed, noon);
  EXPECT_TRUE(made.actions.empty()) << "the name is the slot: its point exists";
  EXPECT_EQ(made.slot_already_made, at("2026-12-04T12:00:00Z"));
}

TEST(Reconcile, InstantAccessIsSetBeforeTheCreateItAppliesTo) {
  Policy policy = every_4h();
  policy.instant_access.enabled = true;
  VmObservation observed = with_collection({point("20261204T0800Z")}, false);
  const Instant noon = at("2026-12-04T12:00:00Z");
  EXPECT_EQ(lines(plan_actions(policy, observed, noon)),
            (Lines{"set-instant-access /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql "
                   "instant-access=on | Instant Access is enabled"}));
  observed.collection->instant_access = true;
  EXPECT_EQ(lines(plan_actions(policy, observed, noon)).size(), 1u);
  EXPECT_EQ(plan_actions(policy, observed, noon).actions[0].kind, ActionKind::create_point);

  policy.instant_access.enabled = false;
  EXPECT_EQ(lines(plan_actions(policy, observed, noon))[0],
            "set-instant-access /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql instant-access=off | "
            "Instant Access is not enabled");
}

TEST(Reconcile, AnInstantAccessWindowTurnsItOnAndOff) {
  Policy policy = every_4h();
  policy.instant_access.enabled = true;
  policy.instant_access.window = InstantAccessWindow{Schedule::every(24h).value(), 2h};  // 00:00 to 02:00 UTC
  VmObservation observed = with_collection({point("20261204T0000Z")}, true);
  observed.last_handled_slot = at("2026-12-04T00:00:00Z");
  const auto closed = plan_actions(policy, observed, at("2026-12-04T03:00:00Z"));
  EXPECT_EQ(lines(closed), (Lines{"set-instant-access /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql "
                                  "instant-access=off | the Instant Access window has closed"}));
  EXPECT_EQ(closed.next_wake, at("2026-12-04T04:00:00Z")) << "the next slot comes before the window opens again";

  observed.collection->instant_access = false;
  EXPECT_EQ(plan_actions(policy, observed, at("2026-12-04T01:00:00Z")).next_wake, at("2026-12-04T02:00:00Z"));
}

TEST(Reconcile, RetentionDeletesOnlyThePolicysOwnFinishedPoints) {
  VmObservation observed = with_collection({point("20261203T0800Z"), point("20261203T1200Z", PointCondition::failed),
                                            point("20261203T1600Z"), point("20261203T2000Z"), point("20261204T0000Z"),
                                            point("20261204T0400Z"), point("20261204T0800Z", PointCondition::creating),
                                            {"made-by-hand", PointCondition::succeeded, std::nullopt, "", std::nullopt}});
  EXPECT_EQ(lines(plan_actions(every_4h(keep_last(2)), observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"delete /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261203T0800Z | "
                   "no longer kept by any rule",
                   "delete /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261203T1200Z | "
                   "failed, and no rule keeps it",
                   "delete /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261203T1600Z | "
                   "no longer kept by any rule",
                   "delete /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261203T2000Z | "
                   "no longer kept by any rule"}));

  observed.deletes_running.insert(collection + "/restorePoints/sql-20261203T0800Z");
  EXPECT_EQ(lines(plan_actions(every_4h(keep_last(2)), observed, at("2026-12-04T08:30:00Z"))).size(), 3u)
      << "a delete under way is not asked again";
  EXPECT_TRUE(plan_actions(every_4h(), observed, at("2026-12-04T08:30:00Z")).actions.empty())
      << "no rules: nothing is ever deleted";
}

TEST(Reconcile, TooManyDeletionsTripTheCircuitBreaker) {
  Policy policy = every_4h(keep_last(1));
  policy.safety.max_deletes_per_run = 2;
  VmObservation observed = with_collection({point("20261203T2000Z"), point("20261204T0000Z"), point("20261204T0400Z"),
                                            point("20261204T0800Z")});
  const auto result = plan_actions(policy, observed, at("2026-12-04T08:30:00Z"));
  EXPECT_TRUE(result.actions.empty());
  EXPECT_EQ(result.notes, (Lines{"would delete 3 points, more than safety.max_deletes_per_run (2): nothing deleted"}));
}

TEST(Reconcile, TheFirstCopyNeedsACollectionThereThenCopiesTheNewestPoint) {
  Policy policy = every_4h();
  policy.copies.push_back(copy_to("northeurope"));
  VmObservation observed = with_collection({point("20261204T0400Z"), point("20261204T0800Z")});
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"ensure-copy-collection /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql-northeurope "
                   "from rpc-sql01-sql | the first copy to northeurope needs a collection there"}));

  observed.copies["northeurope"] = ObservedCollection{dr_collection, std::nullopt, {}};
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"copy /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql-northeurope sql-20261204T0800Z "
                   "from sql-20261204T0800Z | the first copy to northeurope"}));
  EXPECT_EQ(plan_actions(policy, observed, at("2026-12-04T08:30:00Z")).actions[0].source_id,
            collection + "/restorePoints/sql-20261204T0800Z");
}

TEST(Reconcile, CopiesGoOneAtATimeAndTheirSourcesAreKept) {
  Policy policy = every_4h(keep_last(1));
  policy.copies.push_back(copy_to("northeurope"));
  VmObservation observed = with_collection({point("20261204T0000Z"), point("20261204T0400Z"), point("20261204T0800Z")});
  observed.copies["northeurope"] = ObservedCollection{dr_collection, std::nullopt, {copy_of("20261204T0000Z", 40)}};
  // 0000's copy replicates: nothing else is copied, and 0000 stays; 0400 is next in line and stays too.
  EXPECT_TRUE(plan_actions(policy, observed, at("2026-12-04T08:30:00Z")).actions.empty());

  observed.copies["northeurope"].points[0].replication_percent = 100;
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"copy /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql-northeurope sql-20261204T0400Z "
                   "from sql-20261204T0400Z | every point",
                   "delete /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql sql-20261204T0000Z | "
                   "no longer kept by any rule"}));

  observed.copy_regions_running.insert("northeurope");
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))).size(), 1u) << "only the delete";
}

TEST(Reconcile, EveryNthPointAfterTheLastCopied) {
  Policy policy = every_4h();
  policy.copies.push_back(copy_to("northeurope", 3));
  VmObservation observed = with_collection({point("20261203T2000Z"), point("20261204T0000Z"), point("20261204T0400Z")});
  observed.copies["northeurope"] = ObservedCollection{dr_collection, std::nullopt, {copy_of("20261203T2000Z", 100)}};
  EXPECT_TRUE(plan_actions(policy, observed, at("2026-12-04T06:00:00Z")).actions.empty());

  observed.collection->points.push_back(point("20261204T0800Z"));
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"copy /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql-northeurope sql-20261204T0800Z "
                   "from sql-20261204T0800Z | every 3rd point"}));
}

TEST(Reconcile, CopiesHaveTheirOwnRetention) {
  Policy policy = every_4h();
  CopyRule rule = copy_to("northeurope");
  rule.retention = keep_last(1);
  policy.copies.push_back(rule);
  VmObservation observed = with_collection({point("20261204T0400Z"), point("20261204T0800Z")});
  observed.copies["northeurope"] =
      ObservedCollection{dr_collection, std::nullopt, {copy_of("20261204T0400Z", 100), copy_of("20261204T0800Z", 100)}};
  EXPECT_EQ(lines(plan_actions(policy, observed, at("2026-12-04T08:30:00Z"))),
            (Lines{"delete-copy /providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql-northeurope "
                   "sql-20261204T0400Z | no longer kept by any rule"}));
}

TEST(Reconcile, AVmThatIsGoneIsReportedAndLeftAlone) {
  VmObservation observed = with_collection({point("20261203T0800Z"), point("20261204T0800Z")});
  observed.present = false;
  const auto result = plan_actions(every_4h(keep_last(1)), observed, at("2026-12-04T12:00:00Z"));
  EXPECT_TRUE(result.actions.empty());
  EXPECT_EQ(result.notes, (Lines{"VM " + observed.vm.id + " was not found: its restore points are left alone"}));
}

TEST(PointNames, TheSlotIsReadBackFromTheName) {
  const Instant slot = at("2026-11-25T10:00:00Z");
  EXPECT_EQ(slot_of_restore_point("sql-tier1", restore_point_name("sql-tier1", slot)), slot);
  EXPECT_EQ(slot_of_restore_point("sql", "sql-tier1-20261125T1000Z"), std::nullopt) << "another policy's point";
  EXPECT_EQ(slot_of_restore_point("sql", "sql-20261325T1000Z"), std::nullopt);
  EXPECT_EQ(slot_of_restore_point("sql", "sql-20261125T1000"), std::nullopt);
  EXPECT_EQ(slot_of_restore_point("sql", "sql-20261125X1000Z"), std::nullopt);
  EXPECT_EQ(describe_every(1), "every point");
  EXPECT_EQ(describe_every(2), "every 2nd point");
  EXPECT_EQ(describe_every(12), "every 12th point");
}

}  // namespace
}  // namespace rpd
