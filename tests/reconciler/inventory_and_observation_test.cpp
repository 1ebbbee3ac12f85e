// The reconciler's reads of Azure, against the emulator: the inventory of a policy's VMs (named VMs, resource
// groups filtered by tags, a VM that is gone, a group that cannot be read) and the observation of one VM's
// collections, points and copies, as the planner takes them.

#include <gtest/gtest.h>

#include "core/arm_id.hpp"
#include "daemon/reconciler/inventory.hpp"
#include "daemon/reconciler/observation.hpp"
#include "tests/reconciler/reconciler_fixture.hpp"

namespace rpd::reconciler {
namespace {

using azure::CollectionSpec;
using azure::ComputeClient;
using azure::RestorePointSpec;

const std::string subscription = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string prod = subscription + "/resourceGroups/prod";
const std::string sql01 = prod + "/providers/Microsoft.Compute/virtualMachines/sql01";

class ReconcilerAzureTest : public ReconcilerFixture {
 protected:
  // A point made through the client and followed to its end.
  void make_point(const std::string& collection_id, const std::string& name, RestorePointSpec spec = {}) {
    const auto started = run(compute_->begin_create_restore_point(collection_id + "/restorePoints/" + name, spec));
    ASSERT_TRUE(started.ok()) << started.error().describe();
    const auto done = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
    ASSERT_TRUE(done.ok()) << done.error().describe();
  }

};

Policy policy_named(std::string name) {
  Policy policy;
  policy.name = std::move(name);
  policy.schedule.schedule = Schedule::every(std::chrono::hours(4)).value();
  return policy;
}

TEST_F(ReconcilerAzureTest, TheInventoryHasNamedVmsAndTaggedVmsOnceAndReportsWhatIsGone) {
  Policy policy = policy_named("inventory");
  policy.targets.vms = {parse_vm_id(sql01).value(), parse_vm_id(prod + "/providers/Microsoft.Compute/virtualMachines/gone").value()};
  policy.targets.resource_groups = {{parse_resource_group_id(prod).value(), {{"restore-points", "daily"}}},
                                    {parse_resource_group_id(prod).value(), {}},
                                    {parse_resource_group_id(subscription + "/resourceGroups/nowhere").value(), {}}};
  const Inventory inventory = azure::run_to_end(io_, take_inventory(*compute_, policy));
  std::vector<std::string> names;
  for (const TargetVm& vm : inventory.vms) names.push_back(vm.name);
  EXPECT_EQ(names, (std::vector<std::string>{"sql01", "web01", "web02"}));
  EXPECT_EQ(inventory.vms[0].location, "westeurope");
  EXPECT_TRUE(iequals(inventory.vms[0].resource_group_id, prod));
  EXPECT_EQ(inventory.missing, (std::vector<std::string>{prod + "/providers/Microsoft.Compute/virtualMachines/gone"}));
  ASSERT_EQ(inventory.errors.size(), 1u);
  EXPECT_TRUE(inventory.errors[0].starts_with("resource group " + subscription + "/resourceGroups/nowhere: 404 "))
      << inventory.errors[0];
}

TEST_F(ReconcilerAzureTest, AVmWithoutACollectionIsObservedAsSuch) {
  const Policy policy = policy_named("fresh");
  const TargetVm vm = target_of(*run(compute_->get_vm(sql01)));
  const auto observed = run(observe_vm(*compute_, policy, vm, {}));
  ASSERT_TRUE(observed.ok()) << observed.error().describe();
  EXPECT_FALSE(observed->collection.has_value());
  EXPECT_TRUE(observed->copies.empty());
}

TEST_F(ReconcilerAzureTest, PointsAndCopiesAreObservedWithTheirReplication) {
  Policy policy = policy_named("observed");
  CopyRule rule;
  rule.region = "northeurope";
  rule.resource_group = parse_resource_group_id(subscription + "/resourceGroups/dr").value();
  policy.copies.push_back(rule);
  const TargetVm vm = target_of(*run(compute_->get_vm(sql01)));
  const std::string local = collection_id_for(policy, vm);
  const std::string copies = copy_collection_id_for(policy, vm, rule);
  ASSERT_TRUE(run(compute_->put_collection(local, CollectionSpec{"westeurope", sql01, {}, true})).ok());
  make_point(local, "observed-20261204T0800Z");
  ASSERT_TRUE(run(compute_->put_collection(copies, CollectionSpec{"northeurope", local, {}, std::nullopt})).ok());
  make_point(copies, "observed-20261204T0800Z",
             RestorePointSpec{std::nullopt, {}, std::nullopt, local + "/restorePoints/observed-20261204T0800Z"});

  const auto observed = run(observe_vm(*compute_, policy, vm, {}));
  ASSERT_TRUE(observed.ok()) << observed.error().describe();
  ASSERT_TRUE(observed->collection.has_value());
  EXPECT_EQ(observed->collection->instant_access, true);
  ASSERT_EQ(observed->collection->points.size(), 1u);
  EXPECT_EQ(observed->collection->points[0].name, "observed-20261204T0800Z");
  EXPECT_EQ(observed->collection->points[0].condition, PointCondition::succeeded);
  ASSERT_EQ(observed->copies.count("northeurope"), 1u);
  const ObservedPoint& copy = observed->copies.at("northeurope").points.at(0);
  EXPECT_EQ(copy.source_name, "observed-20261204T0800Z");
  ASSERT_TRUE(copy.replication_percent.has_value());
  EXPECT_LT(*copy.replication_percent, 100) << "640 GB at 2 s per GB take longer than the create's polls";

  // A copy known to be complete is not read again.
  admin("DELETE", "/_emulator/requests", "");
  const auto again = run(observe_vm(*compute_, policy, vm, {copies + "/restorePoints/OBSERVED-20261204T0800Z"}));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->copies.at("northeurope").points.at(0).replication_percent, 100);
  EXPECT_EQ(requests().size(), 2u) << "the two collections, no instance view";
}

TEST_F(ReconcilerAzureTest, ACollectionThatCannotBeReadFailsTheObservation) {
  const Policy policy = policy_named("unreadable");
  const TargetVm vm = target_of(*run(compute_->get_vm(sql01)));
  fault({{"path_contains", "restorePointCollections/rpc-sql01-unreadable"}, {"status", 403}, {"code", "AuthorizationFailed"}});
  const auto observed = run(observe_vm(*compute_, policy, vm, {}));
  ASSERT_FALSE(observed.ok());
  EXPECT_EQ(observed.error().code, "AuthorizationFailed");
}

}  // namespace
}  // namespace rpd::reconciler
