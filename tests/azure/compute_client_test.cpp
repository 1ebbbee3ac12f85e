// The typed Compute operations against the emulator binary over TLS: VMs and their disks, paged lists,
// collections put, patched, listed and deleted, restore points created and followed to their end (by each
// polling method), a failed operation with Azure's error, a cross-region copy, and answers that cannot be
// read. The ManualClock's waits move the emulator's clock, so a 40 s create takes milliseconds.

#include "daemon/azure/compute_client.hpp"

#include <gtest/gtest.h>

#include "core/arm_id.hpp"
#include "tests/azure/emulator_arm_test.hpp"

namespace rpd::azure {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string subscription = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string prod = subscription + "/resourceGroups/prod";
const std::string sql01 = prod + "/providers/Microsoft.Compute/virtualMachines/sql01";
const std::string web01 = prod + "/providers/Microsoft.Compute/virtualMachines/web01";

std::string collection_id(const std::string& group, const std::string& name) {
  return group + "/providers/Microsoft.Compute/restorePointCollections/" + name;
}

class ComputeClientTest : public EmulatorComputeTest {
 protected:
  // A collection for `vm` in its region, with a point created and finished.
  std::string collection_with_point(const std::string& name, const std::string& vm, const std::string& point) {
    const std::string id = collection_id(prod, name);
    const auto collection = run(compute_->put_collection(id, CollectionSpec{"westeurope", vm, {}, std::nullopt}));
    EXPECT_TRUE(collection.ok()) << collection.error().describe();
    const auto started = run(compute_->begin_create_restore_point(id + "/restorePoints/" + point, {}));
    EXPECT_TRUE(started.ok()) << started.error().describe();
    const auto done = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
    EXPECT_TRUE(done.ok()) << done.error().describe();
    return id;
  }

};

TEST_F(ComputeClientTest, AVirtualMachineWithItsDisks) {
  const auto vm = run(compute_->get_vm(sql01));
  ASSERT_TRUE(vm.ok()) << vm.error().describe();
  EXPECT_EQ(vm->name, "sql01");
  EXPECT_EQ(vm->location, "westeurope");
  EXPECT_EQ(vm->os_type, "Windows");
  EXPECT_EQ(vm->os_disk.name, "sql01-os");
  ASSERT_EQ(vm->data_disks.size(), 2u);
  EXPECT_EQ(vm->data_disks[0].sku, "PremiumV2_LRS");
  EXPECT_EQ(vm->tags.at("restore-points"), "tier1");
}

TEST_F(ComputeClientTest, ListsFollowEveryPage) {
  const auto vms = run(compute_->list_vms(prod));
  ASSERT_TRUE(vms.ok()) << vms.error().describe();
  ASSERT_EQ(vms->size(), 3u);
  EXPECT_EQ((*vms)[2].name, "web02");
  EXPECT_EQ(requests().size(), 2u) << "the fixture's pages hold two items";
}

TEST_F(ComputeClientTest, ACollectionPutPatchedListedAndDeleted) {
  const std::string id = collection_id(prod, "rpc-sql01-lifecycle");
  const auto created = run(compute_->put_collection(
      id, CollectionSpec{"westeurope", sql01, {{"managed-by", "restorepointd"}, {"policy", "daily"}}, true}));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->tags.at("policy"), "daily");
  EXPECT_EQ(created->instant_access, true);
  EXPECT_EQ(created->provisioning_state, "Succeeded");

  const auto patched = run(compute_->patch_collection(id, std::nullopt, false));
  ASSERT_TRUE(patched.ok()) << patched.error().describe();
  EXPECT_EQ(patched->instant_access, false);
  EXPECT_EQ(patched->tags.at("managed-by"), "restorepointd") << "tags not given are kept";

  const auto listed = run(compute_->list_collections(subscription));
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  EXPECT_TRUE(std::any_of(listed->begin(), listed->end(), [&](const auto& c) { return c.name == "rpc-sql01-lifecycle"; }));

  const auto started = run(compute_->begin_delete_collection(id));
  ASSERT_TRUE(started.ok()) << started.error().describe();
  ASSERT_TRUE(started->operation.has_value());
  EXPECT_EQ(started->operation->method, PollMethod::azure_async_operation);
  const auto deleted = run(compute_->finish_delete(*started->operation, started->first_wait));
  ASSERT_TRUE(deleted.ok()) << deleted.error().describe();
  const auto gone = run(compute_->get_collection(id, false));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().http_status, 404);
}

TEST_F(ComputeClientTest, ARestorePointIsCreatedFollowedToItsEndAndDeleted) {
  const std::string id = collection_id(prod, "rpc-web01-create");
  ASSERT_TRUE(run(compute_->put_collection(id, CollectionSpec{"westeurope", web01, {}, std::nullopt})).ok());
  const std::string point = id + "/restorePoints/rp-20261204t1900z";
  const auto started = run(compute_->begin_create_restore_point(point, RestorePointSpec{ConsistencyMode::Crash, {}, {}, {}}));
  ASSERT_TRUE(started.ok()) << started.error().describe();
  EXPECT_EQ(started->accepted.provisioning_state, ProvisioningState::Creating);
  ASSERT_TRUE(started->started.operation.has_value());
  EXPECT_EQ(started->started.operation->method, PollMethod::azure_async_operation);
  EXPECT_EQ(started->started.operation->resource_url, point);
  EXPECT_EQ(started->started.first_wait, seconds(30)) << "no Retry-After: the SDKs' 30 s";

  clock_.waits.clear();
  const auto created = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->provisioning_state, ProvisioningState::Succeeded);
  EXPECT_EQ(created->consistency_mode, ConsistencyMode::Crash);
  EXPECT_TRUE(created->time_created.has_value());
  EXPECT_EQ(clock_.waits, (std::vector<milliseconds>{seconds(30), seconds(30)})) << "a 40 s create, polled every 30 s";

  const auto viewed = run(compute_->get_restore_point(point, true));
  ASSERT_TRUE(viewed.ok()) << viewed.error().describe();
  EXPECT_EQ(viewed->disks.size(), 1u);

  const auto deleting = run(compute_->begin_delete_restore_point(point));
  ASSERT_TRUE(deleting.ok()) << deleting.error().describe();
  ASSERT_TRUE(deleting->operation.has_value());
  ASSERT_TRUE(run(compute_->finish_delete(*deleting->operation, deleting->first_wait)).ok());
  EXPECT_EQ(run(compute_->get_restore_point(point, false)).error().http_status, 404);
}

TEST_F(ComputeClientTest, AFailedOperationReturnsAzuresError) {
  const std::string id = collection_id(prod, "rpc-web01-failing");
  ASSERT_TRUE(run(compute_->put_collection(id, CollectionSpec{"westeurope", web01, {}, std::nullopt})).ok());
  fault({{"method", "PUT"}, {"path_contains", "/restorePoints/"}, {"fail_operation", true},
         {"code", "VMRestorePointClientError"}, {"count", 1}});
  const auto started = run(compute_->begin_create_restore_point(id + "/restorePoints/rp-failing", {}));
  ASSERT_TRUE(started.ok()) << started.error().describe();
  const auto failed = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(failed.error().outcome_known());
  EXPECT_EQ(failed.error().error.code, "VMRestorePointClientError");
  EXPECT_EQ(failed.error().describe(),
            "operation failed: VMRestorePointClientError: Injected failure: VMRestorePointClientError.");
}

TEST_F(ComputeClientTest, ASecondCreateOnTheSameVmIsRefused) {
  const std::string id = collection_id(prod, "rpc-web01-concurrent");
  ASSERT_TRUE(run(compute_->put_collection(id, CollectionSpec{"westeurope", web01, {}, std::nullopt})).ok());
  ASSERT_TRUE(run(compute_->begin_create_restore_point(id + "/restorePoints/rp-1", {})).ok());
  const auto second = run(compute_->begin_create_restore_point(id + "/restorePoints/rp-2", {}));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().http_status, 409);
  EXPECT_EQ(second.error().code, "VMRestorePointClientError");
}

TEST_F(ComputeClientTest, AnOperationIsFollowedByLocationAndByProvisioningStateToo) {
  const std::string id = collection_id(prod, "rpc-sql01-methods");
  ASSERT_TRUE(run(compute_->put_collection(id, CollectionSpec{"westeurope", sql01, {}, std::nullopt})).ok());

  const auto by_location = run(compute_->begin_create_restore_point(id + "/restorePoints/rp-location", {}));
  ASSERT_TRUE(by_location.ok()) << by_location.error().describe();
  OperationHandle location = *by_location->started.operation;
  location.method = PollMethod::location;
  location.poll_url += "&monitor=true";  // the Location form of the same operation URL
  const auto created = run(compute_->finish_create_restore_point(location, seconds(1)));
  ASSERT_TRUE(created.ok()) << created.error().describe();
  EXPECT_EQ(created->provisioning_state, ProvisioningState::Succeeded);

  const std::string point = id + "/restorePoints/rp-state";
  const auto again = run(compute_->begin_create_restore_point(point, {}));
  ASSERT_TRUE(again.ok()) << again.error().describe();
  const OperationHandle by_state{PollMethod::provisioning_state, point, point, false};
  const auto followed = run(compute_->finish_create_restore_point(by_state, seconds(10)));
  ASSERT_TRUE(followed.ok()) << followed.error().describe();
  EXPECT_EQ(followed->provisioning_state, ProvisioningState::Succeeded);
}

TEST_F(ComputeClientTest, AnUnreadableStatusLeavesTheOperationToBeFollowedAgain) {
  const std::string id = collection_id(prod, "rpc-web01-resume");
  ASSERT_TRUE(run(compute_->put_collection(id, CollectionSpec{"westeurope", web01, {}, std::nullopt})).ok());
  const auto started = run(compute_->begin_create_restore_point(id + "/restorePoints/rp-resume", {}));
  ASSERT_TRUE(started.ok()) << started.error().describe();
  fault({{"path_contains", "/operations/"}, {"delivery", "malformed_body"}, {"count", 1}});
  const auto unknown = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
  ASSERT_FALSE(unknown.ok());
  EXPECT_FALSE(unknown.error().outcome_known());
  EXPECT_EQ(unknown.error().error.code, "MalformedOperationStatus");

  // The handle, as a restarted daemon would read it from its database, follows the operation to its end.
  const auto resumed = run(compute_->finish_create_restore_point(*started->started.operation, seconds(30)));
  ASSERT_TRUE(resumed.ok()) << resumed.error().describe();
  EXPECT_EQ(resumed->name, "rp-resume");
}

TEST_F(ComputeClientTest, ACrossRegionCopy) {
  const std::string source = collection_with_point("rpc-sql01-source", sql01, "rp-1");
  const std::string target = collection_id(subscription + "/resourceGroups/dr", "rpc-sql01-northeurope");
  const auto copy_collection = run(compute_->put_collection(target, CollectionSpec{"northeurope", source, {}, std::nullopt}));
  ASSERT_TRUE(copy_collection.ok()) << copy_collection.error().describe();
  EXPECT_TRUE(iequals(copy_collection->source_id, source));

  const auto started = run(compute_->begin_create_restore_point(
      target + "/restorePoints/rp-1", RestorePointSpec{std::nullopt, {}, std::nullopt, source + "/restorePoints/rp-1"}));
  ASSERT_TRUE(started.ok()) << started.error().describe();
  const auto copy = run(compute_->finish_create_restore_point(*started->started.operation, started->started.first_wait));
  ASSERT_TRUE(copy.ok()) << copy.error().describe();
  ASSERT_TRUE(copy->source_restore_point_id.has_value());
  EXPECT_TRUE(iequals(*copy->source_restore_point_id, source + "/restorePoints/rp-1"));
  const auto progress = run(compute_->get_restore_point(target + "/restorePoints/rp-1", true));
  ASSERT_TRUE(progress.ok()) << progress.error().describe();
  ASSERT_EQ(progress->disks.size(), 3u);
  EXPECT_TRUE(progress->disks[0].replication_percent.has_value());
}

TEST_F(ComputeClientTest, AMalformedBodyIsAnErrorNamingWhatWasRead) {
  fault({{"path_contains", "virtualMachines/web01"}, {"delivery", "malformed_body"}, {"count", 1}});
  const auto vm = run(compute_->get_vm(web01));
  ASSERT_FALSE(vm.ok());
  EXPECT_EQ(vm.error().code, "MalformedResponse");
  EXPECT_EQ(vm.error().http_status, 200);
  EXPECT_TRUE(vm.error().message.starts_with("virtual machine " + web01 + ": not JSON (")) << vm.error().message;
  EXPECT_FALSE(vm.error().request_id.empty());
}

TEST(CollectionOf, ThePartBeforeRestorePoints) {
  EXPECT_EQ(collection_of("/s/x/restorePointCollections/c/restorePoints/p"), "/s/x/restorePointCollections/c");
  EXPECT_EQ(collection_of("/s/x/restorePointCollections/c/RESTOREPOINTS/p"), "/s/x/restorePointCollections/c");
}

}  // namespace
}  // namespace rpd::azure
