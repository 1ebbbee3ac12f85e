// The reconciler's loop against the emulator and a real state database, one step at a time on a manual clock
// that moves the emulator's too: a policy's VMs get their collections, the slot that is due, copies that
// replicate to 100 %, then retention keeps what it says; a point deleted behind the daemon's back is noticed;
// a failed action waits before it is tried again.

#include "daemon/reconciler/reconciler.hpp"

#include <gtest/gtest.h>
#include "core/arm_id.hpp"
#include "tests/reconciler/reconciler_fixture.hpp"

namespace rpd::reconciler {
namespace {

using namespace std::chrono_literals;

const std::string subscription = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";

class ReconcilerTest : public ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    // Both clocks an hour past a 4-hour slot, so that what a test expects does not hang on the time it runs.
    const auto into = std::chrono::floor<std::chrono::seconds>(clock_.now()).time_since_epoch() % std::chrono::seconds(4h);
    const std::chrono::seconds by = std::chrono::seconds(4h) - into + std::chrono::seconds(1h);
    clock_.advance(by);
    admin("POST", "/_emulator/clock", R"({"advance_seconds":)" + std::to_string(by.count()) + "}");
    reconciler_ = std::make_unique<Reconciler>(*compute_, *state_, clock_, ReconcilerOptions{});
  }
  void TearDown() override {
    reconciler_.reset();
    ReconcilerFixture::TearDown();
  }

  Policy daily_tagged(std::string name) {
    Policy policy;
    policy.name = std::move(name);
    policy.schedule.schedule = Schedule::every(4h).value();
    policy.targets.resource_groups = {{parse_resource_group_id(subscription + "/resourceGroups/prod").value(),
                                       {{"restore-points", "daily"}}}};
    policy.retention.keep_last = 2;
    return policy;
  }

  // Time passes for both sides, then one step runs with every action it starts.
  Instant pass(std::chrono::seconds by) {
    clock_.advance(by);
    admin("POST", "/_emulator/clock", R"({"advance_seconds":)" + std::to_string(by.count()) + "}");
    return azure::run_to_end(io_, reconciler_->step());
  }

  std::vector<std::string> points_view() {
    std::vector<std::string> out;
    const auto rows = state_->points(policy_name_, vm_id("web01")).value();
    for (const auto& row : rows) {
      out.push_back(std::string(store::to_string(row.kind)) + " " + row.name + " " + std::string(store::to_string(row.state)) +
                    (row.replication_percent ? " " + std::to_string(*row.replication_percent) + "%" : ""));
    }
    std::sort(out.begin(), out.end());  // copies first: a copy has its source's name
    return out;
  }

  // web01 alone, a slot every 20 minutes, nothing pruned: quotas of an hour come into play.
  Policy web01_every_20_minutes(std::string name) {
    policy_name_ = name;
    Policy policy = daily_tagged(std::move(name));
    policy.schedule.schedule = Schedule::every(20min).value();
    policy.retention = {};
    policy.targets.resource_groups.clear();
    policy.targets.vms = {parse_vm_id(vm_id("web01")).value()};
    return policy;
  }

  // When each action of a kind started, oldest first, from the job log.
  std::vector<Instant> started(const std::string& action) {
    std::vector<Instant> out;
    for (const auto& row : state_->job_log({}).value()) {
      if (row.action == action && row.state == store::JobState::running) out.push_back(row.time);
    }
    return out;
  }

  static std::string vm_id(const std::string& name) {
    return subscription + "/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/" + name;
  }

  std::string policy_name_ = "life";
  std::unique_ptr<Reconciler> reconciler_;
};

TEST_F(ReconcilerTest, TheLifecycleOfAPolicysPoints) {
  Policy policy = daily_tagged(policy_name_);
  CopyRule copy;
  copy.region = "northeurope";
  copy.resource_group = parse_resource_group_id(subscription + "/resourceGroups/dr").value();
  copy.retention.keep_last = 1;
  policy.copies.push_back(copy);
  reconciler_->set_policies({policy});

  for (int i = 0; i < 6; ++i) pass(10min);  // collections, the caught-up slot, the copy collection, the copy
  const auto status = state_->vm_status().value();
  ASSERT_EQ(status.size(), 2u) << "web01 and web02 carry the tag";
  for (const auto& row : status) {
    EXPECT_EQ(row.points_kept, 1) << row.vm;
    EXPECT_EQ(row.last_error, std::nullopt) << row.vm << ": " << row.last_error.value_or("");
    EXPECT_TRUE(row.next_run_at.has_value());
  }
  const auto first = points_view();
  ASSERT_EQ(first.size(), 2u) << ::testing::PrintToString(first);
  EXPECT_TRUE(first[0].starts_with("copy life-")) << first[0];
  EXPECT_TRUE(first[0].ends_with(" succeeded 100%")) << first[0];
  EXPECT_TRUE(first[1].starts_with("local life-")) << first[1];
  EXPECT_TRUE(first[1].ends_with(" succeeded")) << first[1];

  // Three more slots: the VM keeps 2 points, the copy region 1 copy.
  for (int slot = 0; slot < 3; ++slot) {
    pass(4h);
    for (int i = 0; i < 6; ++i) pass(10min);  // the create, the copy, its replication, then retention
  }
  const auto later = points_view();
  EXPECT_EQ(std::count_if(later.begin(), later.end(), [](const auto& p) { return p.starts_with("local "); }), 2)
      << ::testing::PrintToString(later);
  EXPECT_EQ(std::count_if(later.begin(), later.end(), [](const auto& p) { return p.starts_with("copy "); }), 1)
      << ::testing::PrintToString(later);
  EXPECT_EQ(reconciler_->stats().actions_failed, 0);
  EXPECT_EQ(reconciler_->stats().in_flight, 0);
  EXPECT_EQ(state_->integrity_check().value(), "ok");
}

TEST_F(ReconcilerTest, APointDeletedBehindTheDaemonsBackIsNoticed) {
  policy_name_ = "noticed";
  reconciler_->set_policies({daily_tagged(policy_name_)});
  for (int i = 0; i < 3; ++i) pass(10min);
  const auto points = state_->points(policy_name_, vm_id("web01")).value();
  ASSERT_EQ(points.size(), 1u);
  ASSERT_TRUE(azure::run_to_end(io_, compute_->begin_delete_restore_point(points[0].id)).ok());
  pass(11min);  // past observe_every
  pass(1min);
  const auto after = state_->points(policy_name_, vm_id("web01")).value();
  EXPECT_TRUE(std::none_of(after.begin(), after.end(), [&](const auto& p) { return iequals(p.id, points[0].id); }))
      << "the database follows Azure";
}

TEST_F(ReconcilerTest, AFailedActionWaitsBeforeItIsTriedAgain) {
  policy_name_ = "retried";
  // web01 alone: another VM's creates would move the shared clock by their polls in between.
  Policy policy = daily_tagged(policy_name_);
  policy.targets.resource_groups.clear();
  policy.targets.vms = {parse_vm_id(vm_id("web01")).value()};
  reconciler_->set_policies({policy});
  fault({{"method", "PUT"}, {"path_contains", "rpc-web01-retried"}, {"status", 400}, {"code", "BadRequest"}});
  pass(1s);
  EXPECT_EQ(reconciler_->stats().actions_failed, 1);
  const auto status = state_->vm_status().value();
  const auto web01 = std::find_if(status.begin(), status.end(), [](const auto& row) { return row.vm == "web01"; });
  ASSERT_NE(web01, status.end());
  ASSERT_TRUE(web01->last_error.has_value());
  EXPECT_TRUE(web01->last_error->starts_with("400 BadRequest")) << *web01->last_error;

  pass(30s);
  EXPECT_EQ(reconciler_->stats().actions_failed, 1) << "not again within the first minute";
  pass(31s);
  EXPECT_EQ(reconciler_->stats().actions_failed, 2) << "again after a minute";
  pass(61s);
  EXPECT_EQ(reconciler_->stats().actions_failed, 2) << "then after two";
  admin("DELETE", "/_emulator/faults", "");
  pass(60s);  // the third try, two minutes after the second, makes the collection
  pass(1s);   // and then the point goes into it
  EXPECT_EQ(reconciler_->stats().actions_failed, 2);
  EXPECT_EQ(reconciler_->stats().actions_succeeded, 2);
}

TEST_F(ReconcilerTest, CreatesOnAVmStayWithinTheQuotaPerHour) {
  ReconcilerOptions options;
  options.creates_per_vm_per_hour = 1;
  reconciler_ = std::make_unique<Reconciler>(*compute_, *state_, clock_, options);
  reconciler_->set_policies({web01_every_20_minutes("quota")});
  const auto creates = [&] { return started("create").size(); };
  pass(1s);  // the collection
  pass(1s);  // the slot due at once
  ASSERT_EQ(creates(), 1u);
  for (int i = 0; i < 5; ++i) pass(10min);  // two more slots come due within the hour
  EXPECT_EQ(creates(), 1u) << "the quota holds them";
  pass(10min);
  EXPECT_EQ(creates(), 2u) << "an hour after the first: the latest slot";
  EXPECT_EQ(reconciler_->stats().actions_failed, 0);
}

TEST_F(ReconcilerTest, CopiesIntoACollectionStayWithinTheQuotaPerHour) {
  ReconcilerOptions options;
  options.copies_per_collection_per_hour = 1;
  reconciler_ = std::make_unique<Reconciler>(*compute_, *state_, clock_, options);
  Policy policy = web01_every_20_minutes("copyquota");
  CopyRule copy;
  copy.region = "northeurope";
  copy.resource_group = parse_resource_group_id(subscription + "/resourceGroups/dr").value();
  policy.copies.push_back(copy);
  reconciler_->set_policies({policy});

  for (int i = 0; i < 24; ++i) pass(10min);  // four hours: twelve points, each one to copy
  const auto copies = started("copy");
  ASSERT_GE(copies.size(), 3u) << "copies go on";
  EXPECT_LE(copies.size(), 5u) << "one an hour";
  for (std::size_t i = 1; i < copies.size(); ++i) {
    EXPECT_GE(copies[i] - copies[i - 1], std::chrono::seconds(1h)) << "copy " << i;
  }
  EXPECT_EQ(reconciler_->stats().actions_failed, 0) << "Azure's 429 never drawn";
}

TEST_F(ReconcilerTest, ACreateWaitsForAnotherPolicysCreateOnTheSameVm) {
  Policy first = daily_tagged("first");
  first.targets.resource_groups.clear();
  first.targets.vms = {parse_vm_id(vm_id("web01")).value()};
  first.retention = {};
  Policy second = first;
  second.name = "second";
  reconciler_->set_policies({first, second});
  pass(1s);  // both collections
  pass(1s);  // one create; the other waits for it
  EXPECT_EQ(started("create").size(), 1u);
  pass(1s);  // the first has ended: the second starts
  EXPECT_EQ(started("create").size(), 2u);
  EXPECT_EQ(reconciler_->stats().actions_failed, 0) << "Azure never refused a concurrent create";
}

TEST_F(ReconcilerTest, AStepWithNothingDueSendsNothingAndAReloadPlansEveryVmAgain) {
  policy_name_ = "quiet";
  Policy policy = daily_tagged(policy_name_);
  reconciler_->set_policies({policy});
  for (int i = 0; i < 3; ++i) pass(1s);  // collections, then the caught-up slot, then their ends observed
  admin("DELETE", "/_emulator/requests", "");
  const Instant next = pass(1s);
  EXPECT_EQ(requests().size(), 0u) << boost::json::serialize(requests());
  EXPECT_GT(next, clock_.now() + 5min) << "the next step is not due at once";

  reconciler_->set_policies({policy});
  pass(1s);
  std::size_t observed = 0;
  for (const auto& request : requests()) {
    if (std::string(request.at("path").as_string()).find("restorePointCollections/rpc-") != std::string::npos) ++observed;
  }
  EXPECT_GE(observed, 2u) << "both VMs read again: " << boost::json::serialize(requests());
}


TEST_F(ReconcilerTest, ARetryThePlanNoLongerWantsDoesNotKeepTheVmDue) {
  policy_name_ = "overtaken";
  Policy policy = daily_tagged(policy_name_);
  policy.targets.resource_groups.clear();
  policy.targets.vms = {parse_vm_id(vm_id("web01")).value()};
  reconciler_->set_policies({policy});
  fault({{"method", "PUT"}, {"path_contains", "/restorePoints/"}, {"status", 400}, {"code", "BadRequest"}, {"count", 1}});
  pass(1s);  // the collection
  pass(1s);  // the slot's create fails: tried again in a minute
  ASSERT_EQ(reconciler_->stats().actions_failed, 1);
  pass(4h);  // the next slot overtakes it, and is made
  pass(1s);
  ASSERT_EQ(started("create").size(), 2u);
  admin("DELETE", "/_emulator/requests", "");
  const Instant next = pass(1s);
  EXPECT_EQ(requests().size(), 0u) << boost::json::serialize(requests());
  EXPECT_GT(next, clock_.now() + 5min);
}

// Two VMs with Premium SSD v2 data disks in one subscription and region.
class InstantAccessQuotaTest : public ReconcilerTest {
 protected:
  static void SetUpTestSuite() { start_emulator(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/reconciler/instant_access_fixture.yaml"); }
};

TEST_F(InstantAccessQuotaTest, CreatesWithInstantAccessStayWithinTheRegionsQuota) {
  ReconcilerOptions options;
  options.instant_access_in_flight = 1;
  reconciler_ = std::make_unique<Reconciler>(*compute_, *state_, clock_, options);
  Policy policy = daily_tagged("instant");
  policy.instant_access.enabled = true;
  policy.retention = {};
  reconciler_->set_policies({policy});
  pass(1s);  // both collections, with Instant Access on
  pass(1s);  // one create; the other waits for the quota
  EXPECT_EQ(started("create").size(), 1u);
  pass(1s);
  EXPECT_EQ(started("create").size(), 2u);
  EXPECT_EQ(reconciler_->stats().actions_failed, 0) << "Azure's 409 never drawn";
  for (const auto& row : state_->vm_status().value()) EXPECT_EQ(row.points_kept, 1) << row.vm;
}

}  // namespace
}  // namespace rpd::reconciler
