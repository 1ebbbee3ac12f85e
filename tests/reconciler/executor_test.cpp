// The executor against the emulator and a real state database: each kind of action with its intent and
// outcome, a create Azure refuses (its slot given back), an operation that fails, a delete, a copy; and the
// disks a policy excludes.

#include "daemon/reconciler/executor.hpp"

#include <gtest/gtest.h>
#include "core/arm_id.hpp"
#include "daemon/reconciler/inventory.hpp"
#include "tests/reconciler/reconciler_fixture.hpp"

namespace rpd::reconciler {
namespace {

using azure::ComputeClient;
using store::JobState;
using store::PointState;

const std::string prod = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod";

class ExecutorTest : public ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    static int tests = 0;
    policy_.name = "exec" + std::to_string(++tests);  // collections of their own: the emulator outlives a test
    policy_.schedule.schedule = Schedule::every(std::chrono::hours(4)).value();
  }

  TargetVm vm(const std::string& name) {
    return target_of(*azure::run_to_end(io_, compute_->get_vm(prod + "/providers/Microsoft.Compute/virtualMachines/" + name)));
  }

  // Records the VM as the inventory would, then performs the action.
  ActionResult perform_action(const TargetVm& target, const Action& action) {
    store::VmRecord record;
    record.policy = policy_.name;
    record.vm_id = target.id;
    record.vm_name = target.name;
    record.subscription = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
    record.resource_group = target.resource_group_id;
    record.location = target.location;
    const Instant now = std::chrono::floor<std::chrono::seconds>(clock_.now());
    record.first_seen_at = record.last_seen_at = now;
    const auto known = state_->vms(policy_.name);
    const bool recorded = std::any_of(known->begin(), known->end(), [&](const auto& v) { return same_arm_id(v.vm_id, target.id); });
    if (!recorded) {
      EXPECT_TRUE(state_->upsert_vm(record).ok());
    }
    auto result = azure::run_to_end(io_, perform(*compute_, *state_, clock_, policy_, target, action, 1));
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return std::move(result).value();
  }

  // The planner's next action of a kind for the VM, from what Azure says now.
  Action next(const TargetVm& target, ActionKind kind, std::optional<Instant> last_handled = std::nullopt) {
    VmObservation observed;
    observed.vm = target;
    const auto collection = azure::run_to_end(io_, compute_->get_collection(collection_id_for(policy_, target), true));
    if (collection) {
      observed.collection = ObservedCollection{collection->id, collection->instant_access, {}};
      for (const auto& point : collection->restore_points) {
        observed.collection->points.push_back({point.name, PointCondition::succeeded, std::nullopt, "", std::nullopt});
      }
    }
    observed.last_handled_slot = last_handled;
    const auto planned = plan_actions(policy_, observed, std::chrono::floor<std::chrono::seconds>(clock_.now()));
    for (const Action& action : planned.actions) {
      if (action.kind == kind) return action;
    }
    ADD_FAILURE() << "no " << to_string(kind) << " planned";
    return {};
  }

  std::vector<std::string> log_states() {
    std::vector<std::string> out;
    const std::vector<store::JobLogRow> rows = state_->job_log({}).value();
    for (const auto& row : rows) out.push_back(row.action + " " + std::string(store::to_string(row.state)));
    return out;
  }

  Policy policy_;
};

TEST_F(ExecutorTest, ACollectionThenAPointWithTheirIntentsAndOutcomes) {
  const TargetVm web01 = vm("web01");
  const auto collection = perform_action(web01, next(web01, ActionKind::ensure_collection));
  EXPECT_EQ(collection.outcome.state, JobState::succeeded);
  ASSERT_EQ(state_->collections(policy_.name, web01.id)->size(), 1u);

  const Action create = next(web01, ActionKind::create_point);
  const auto created = perform_action(web01, create);
  EXPECT_EQ(created.outcome.state, JobState::succeeded) << created.outcome.message;
  const auto point = state_->point(create.point_id()).value();
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->state, PointState::succeeded);
  EXPECT_TRUE(point->created_at.has_value());
  EXPECT_EQ(point->slot, *create.slot);
  EXPECT_EQ(state_->vms(policy_.name)->at(0).last_handled_slot, create.slot);
  EXPECT_EQ(log_states(), (std::vector<std::string>{"ensure-collection running", "ensure-collection succeeded",
                                                    "create running", "create succeeded"}));
  EXPECT_TRUE(state_->running_jobs()->empty());
  const auto job = state_->job(created.job).value();
  ASSERT_TRUE(job->operation.has_value()) << "the operation to follow again after a restart";
  EXPECT_EQ(job->operation->method, "azure-async-operation");
}

TEST_F(ExecutorTest, ACreateAzureRefusesGivesItsSlotBack) {
  const TargetVm web02 = vm("web02");
  perform_action(web02, next(web02, ActionKind::ensure_collection));
  fault({{"method", "PUT"}, {"path_contains", "/restorePoints/"}, {"status", 409}, {"code", "OperationNotAllowed"}, {"count", 1}});
  const Action create = next(web02, ActionKind::create_point);
  const auto refused = perform_action(web02, create);
  EXPECT_EQ(refused.outcome.state, JobState::failed);
  EXPECT_EQ(refused.outcome.http_status, 409);
  EXPECT_EQ(refused.outcome.error_code, "OperationNotAllowed");
  EXPECT_FALSE(state_->point(create.point_id())->has_value()) << "no point exists in Azure";
  EXPECT_EQ(state_->vms(policy_.name)->at(0).last_handled_slot, std::nullopt) << "the slot is planned again";
  const auto status = state_->vm_status().value();
  ASSERT_EQ(status.size(), 1u);
  ASSERT_TRUE(status[0].last_error.has_value());
  EXPECT_TRUE(status[0].last_error->starts_with("409 OperationNotAllowed: Injected fault")) << *status[0].last_error;
}

TEST_F(ExecutorTest, AFailedOperationLeavesAFailedPoint) {
  const TargetVm sql01 = vm("sql01");
  perform_action(sql01, next(sql01, ActionKind::ensure_collection));
  fault({{"method", "PUT"}, {"path_contains", "/restorePoints/"}, {"fail_operation", true},
         {"code", "VMRestorePointClientError"}, {"count", 1}});
  const Action create = next(sql01, ActionKind::create_point);
  const auto failed = perform_action(sql01, create);
  EXPECT_EQ(failed.outcome.state, JobState::failed);
  EXPECT_EQ(failed.outcome.error_code, "VMRestorePointClientError");
  EXPECT_EQ(failed.outcome.message, "operation failed: VMRestorePointClientError: Injected failure: VMRestorePointClientError.");
  EXPECT_EQ(state_->point(create.point_id()).value()->state, PointState::failed);
}

TEST_F(ExecutorTest, ADeleteForgetsThePoint) {
  const TargetVm web01 = vm("web01");
  perform_action(web01, next(web01, ActionKind::ensure_collection));
  const Action create = next(web01, ActionKind::create_point);
  ASSERT_EQ(perform_action(web01, create).outcome.state, JobState::succeeded);
  Action deletion = create;
  deletion.kind = ActionKind::delete_point;
  const auto deleted = perform_action(web01, deletion);
  EXPECT_EQ(deleted.outcome.state, JobState::succeeded) << deleted.outcome.message;
  EXPECT_FALSE(state_->point(create.point_id())->has_value());
  EXPECT_EQ(azure::run_to_end(io_, compute_->get_restore_point(create.point_id(), false)).error().http_status, 404);
}

TEST(ExcludedDisks, ByNameLunOrIdAndNeverTheOsDisk) {
  azure::VirtualMachine vm;
  vm.os_disk = {std::nullopt, "sql01-os", "/disks/sql01-os", "Premium_LRS"};
  vm.data_disks = {{0, "sql01-data", "/disks/sql01-data", "PremiumV2_LRS"}, {1, "sql01-log", "/disks/sql01-log", "PremiumV2_LRS"},
                   {3, "temp", "/disks/temp", "Premium_LRS"}};
  RestorePointSpec spec;
  spec.exclude_disks = {{DiskSelector::Kind::name, "SQL01-LOG"}, {DiskSelector::Kind::lun, "3"},
                        {DiskSelector::Kind::name, "sql01-os"}, {DiskSelector::Kind::id, "/DISKS/SQL01-DATA"},
                        {DiskSelector::Kind::name, "nothing"}};
  EXPECT_EQ(excluded_disk_ids(spec, vm), (std::vector<std::string>{"/disks/sql01-data", "/disks/sql01-log", "/disks/temp"}));
}

}  // namespace
}  // namespace rpd::reconciler
