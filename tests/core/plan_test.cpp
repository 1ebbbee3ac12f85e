#include "core/plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace rpd {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

constexpr std::string_view subscription_a = "00000000-0000-0000-0000-00000000000a";
constexpr std::string_view subscription_b = "00000000-0000-0000-0000-00000000000b";

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

ArmId vm_id(std::string_view name, std::string_view subscription = subscription_a, std::string_view group = "prod") {
  return parse_vm_id("/subscriptions/" + std::string(subscription) + "/resourceGroups/" + std::string(group) +
                     "/providers/Microsoft.Compute/virtualMachines/" + std::string(name))
      .value();
}

ArmId group_id(std::string_view group, std::string_view subscription = subscription_a) {
  return parse_resource_group_id("/subscriptions/" + std::string(subscription) + "/resourceGroups/" +
                                 std::string(group))
      .value();
}

Schedule cron_in(std::string_view expr, std::string_view zone = "UTC") {
  return Schedule::cron(CronExpr::parse(expr).value(), find_time_zone(zone).value());
}

RetentionRules keep_last(int count) {
  RetentionRules rules;
  rules.keep_last = count;
  return rules;
}

// A policy as the configuration loader builds it, with only what a test needs; the rest keeps its defaults.
Policy make_policy(std::string name, std::vector<ArmId> vms, Schedule schedule, RetentionRules retention,
                   std::string timezone = "UTC") {
  Policy policy;
  policy.name = std::move(name);
  policy.targets.vms = std::move(vms);
  policy.schedule.schedule = std::move(schedule);
  policy.schedule.timezone = std::move(timezone);
  policy.retention = retention;
  return policy;
}

Policy hourly(std::string name, std::vector<ArmId> vms, RetentionRules retention) {
  return make_policy(std::move(name), std::move(vms), cron_in("0 * * * *"), retention);
}

// One event as "time kind policy vm [point] [region] [| reason]": one exact, readable value to compare.
std::string line(const PlanEvent& event) {
  std::string text = format_utc(event.at) + " " + to_string(event.kind) + " " + event.policy + " " + event.vm_name;
  if (!event.point_name.empty()) text += " " + event.point_name;
  if (!event.region.empty()) text += " " + event.region;
  if (!event.reason.empty()) text += " | " + event.reason;
  return text;
}

// The events of the given kinds (all when none is given), in plan order.
Lines lines(const Plan& plan, std::vector<PlanEventKind> kinds = {}, std::size_t limit = 1000) {
  Lines out;
  for (const PlanEvent& event : plan.events) {
    if (!kinds.empty() && std::find(kinds.begin(), kinds.end(), event.kind) == kinds.end()) continue;
    if (out.size() == limit) break;
    out.push_back(line(event));
  }
  return out;
}

std::size_t count_of(const Plan& plan, PlanEventKind kind) {
  return static_cast<std::size_t>(std::count_if(plan.events.begin(), plan.events.end(),
                                                [&](const PlanEvent& event) { return event.kind == kind; }));
}

// --- the timeline ----------------------------------------------------------------------------------------------------

TEST(PlanTest, CreatesEachSlotAndDeletesWhatRetentionNoLongerKeeps) {
  const Plan plan = make_plan({hourly("web", {vm_id("web01")}, keep_last(2))}, Quotas{}, at("2026-11-25T10:00:00Z"), 1);
  EXPECT_EQ(plan.from, at("2026-11-25T10:00:00Z"));
  EXPECT_EQ(plan.until, at("2026-11-26T10:00:00Z"));
  EXPECT_EQ(lines(plan, {}, 6), (Lines{
                                    "2026-11-25T11:00:00Z create web web01 web-20261125T1100Z",
                                    "2026-11-25T12:00:00Z create web web01 web-20261125T1200Z",
                                    "2026-11-25T13:00:00Z create web web01 web-20261125T1300Z",
                                    "2026-11-25T13:00:00Z delete web web01 web-20261125T1100Z | no longer kept "
                                    "(was: keep_last)",
                                    "2026-11-25T14:00:00Z create web web01 web-20261125T1400Z",
                                    "2026-11-25T14:00:00Z delete web web01 web-20261125T1200Z | no longer kept "
                                    "(was: keep_last)",
                                }));
  // (from, until]: 24 creates, the last one at `until` itself; every create from the third on deletes one.
  EXPECT_EQ(count_of(plan, PlanEventKind::create), 24u);
  EXPECT_EQ(count_of(plan, PlanEventKind::delete_point), 22u);
  EXPECT_EQ(line(plan.events.back()),
            "2026-11-26T10:00:00Z delete web web01 web-20261126T0800Z | no longer kept "
            "(was: keep_last)");
}

TEST(PlanTest, DeletionReasonsNameEveryRuleThatKeptThePointBefore) {
  RetentionRules rules;
  rules.keep_hourly = 2;
  rules.keep_within = 2h;
  const Plan plan = make_plan({hourly("db", {vm_id("db01")}, rules)}, Quotas{}, at("2026-11-25T10:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {PlanEventKind::delete_point}, 2),
            (Lines{"2026-11-25T13:00:00Z delete db db01 db-20261125T1100Z | no longer kept (was: keep_hourly,"
                   "keep_within)",
                   "2026-11-25T14:00:00Z delete db db01 db-20261125T1200Z | no longer kept (was: keep_hourly,"
                   "keep_within)"}));
}

TEST(PlanTest, SaysWhatItAssumes) {
  const Plan plan = make_plan({hourly("web", {vm_id("web01")}, keep_last(2))}, Quotas{}, at("2026-11-25T10:00:00Z"), 1);
  EXPECT_EQ(plan.notes, (Lines{"starts from no restore points: the state database is not read yet",
                               "every create is assumed to succeed at once"}));
}

TEST(PlanTest, EventsAreOrderedByTimeThenPolicyThenVm) {
  const Plan plan = make_plan({make_policy("zeta", {vm_id("b"), vm_id("a")}, cron_in("0 */2 * * *"), keep_last(5)),
                               make_policy("alpha", {vm_id("c")}, cron_in("0 */3 * * *"), keep_last(5))},
                              Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {}, 6), (Lines{
                                    "2026-11-25T02:00:00Z create zeta a zeta-20261125T0200Z",
                                    "2026-11-25T02:00:00Z create zeta b zeta-20261125T0200Z",
                                    "2026-11-25T03:00:00Z create alpha c alpha-20261125T0300Z",
                                    "2026-11-25T04:00:00Z create zeta a zeta-20261125T0400Z",
                                    "2026-11-25T04:00:00Z create zeta b zeta-20261125T0400Z",
                                    "2026-11-25T06:00:00Z create alpha c alpha-20261125T0600Z",
                                }));
}

TEST(PlanTest, JitterMovesTheCreateButNotThePointName) {
  Policy policy = hourly("sql", {vm_id("sql01")}, keep_last(3));
  policy.schedule.jitter = 10min;
  const Seconds offset = jitter_offset(policy.targets.vms[0].text, 10min);
  ASSERT_GT(offset, 0s);
  ASSERT_LT(offset, 10min);

  // A slot just before `from` whose jittered create falls after it belongs to the plan.
  const Instant from = at("2026-11-25T11:00:00Z") + offset - 1s;
  const Plan plan = make_plan({policy}, Quotas{}, from, 1);
  ASSERT_FALSE(plan.events.empty());
  EXPECT_EQ(plan.events[0].at, at("2026-11-25T11:00:00Z") + offset);
  EXPECT_EQ(plan.events[0].kind, PlanEventKind::create);
  EXPECT_EQ(plan.events[0].point_name, "sql-20261125T1100Z");
  EXPECT_EQ(plan.events[1].at, at("2026-11-25T12:00:00Z") + offset);
  EXPECT_EQ(plan.events[1].point_name, "sql-20261125T1200Z");
  // And the slot at `until` whose create would come after it does not.
  EXPECT_EQ(count_of(plan, PlanEventKind::create), 24u);
  EXPECT_EQ(plan.events.back().kind, PlanEventKind::delete_point);
  EXPECT_EQ(plan.events.back().point_name, "sql-20261126T0700Z");
  EXPECT_EQ(plan.events.back().at, at("2026-11-26T10:00:00Z") + offset);
}

// --- targets ---------------------------------------------------------------------------------------------------------

TEST(PlanTest, PlannedVmsAreTheNamedVmsThenOneRepresentativePerGroup) {
  Policy policy =
      hourly("tier1", {vm_id("sql01"), vm_id("sql02", "00000000-0000-0000-0000-0000000000AB")}, keep_last(2));
  policy.targets.resource_groups.push_back({group_id("prod"), {{"restore-points", "tier1"}, {"env", "prod"}}});
  policy.targets.resource_groups.push_back({group_id("test"), {}});
  const std::vector<PlannedVm> vms = planned_vms(policy);
  ASSERT_EQ(vms.size(), 4u);
  EXPECT_EQ(vms[0].vm_name, "sql01");
  EXPECT_EQ(vms[0].vm_id, policy.targets.vms[0].text);
  EXPECT_EQ(vms[0].subscription, subscription_a);
  EXPECT_FALSE(vms[0].representative);
  EXPECT_EQ(vms[1].vm_name, "sql02");
  EXPECT_EQ(vms[1].subscription, "00000000-0000-0000-0000-0000000000ab");
  EXPECT_EQ(vms[2].vm_name, "prod/*[env=prod,restore-points=tier1]");
  EXPECT_EQ(vms[2].vm_id, "/subscriptions/" + std::string(subscription_a) + "/resourceGroups/prod");
  EXPECT_TRUE(vms[2].representative);
  EXPECT_EQ(vms[3].vm_name, "test/*");
  EXPECT_EQ(vms[3].policy, "tier1");
}

TEST(PlanTest, ARepresentativeFiresAtTheSlotsAndIsExplainedInTheNotes) {
  Policy policy = make_policy("tier1", {}, cron_in("0 */6 * * *"), keep_last(2));
  policy.schedule.jitter = 30min;
  policy.targets.resource_groups.push_back({group_id("prod"), {{"restore-points", "tier1"}}});
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {}, 2), (Lines{"2026-11-25T06:00:00Z create tier1 prod/*[restore-points=tier1] "
                                       "tier1-20261125T0600Z",
                                       "2026-11-25T12:00:00Z create tier1 prod/*[restore-points=tier1] "
                                       "tier1-20261125T1200Z"}));
  EXPECT_EQ(plan.notes.back(),
            "tier1: prod/*[restore-points=tier1] stands for the VMs of resource group "
            "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/prod that match "
            "its tags, which are not known offline; it is shown at the slots, without jitter");
}

// --- peaks against Azure's limit -------------------------------------------------------------------------------------

TEST(PlanTest, PeakCountsThePointsRightAfterACreateBeforeItsDeletions) {
  const Plan plan = make_plan({hourly("web", {vm_id("web01")}, keep_last(2))}, Quotas{}, at("2026-11-25T10:00:00Z"), 1);
  ASSERT_EQ(plan.peaks.size(), 1u);
  EXPECT_EQ(plan.peaks[0].policy, "web");
  EXPECT_EQ(plan.peaks[0].vm_name, "web01");
  EXPECT_EQ(plan.peaks[0].peak_points, 3);
  EXPECT_EQ(plan.peaks[0].peak_at, at("2026-11-25T13:00:00Z"));
  EXPECT_TRUE(plan.peaks[0].peak_copies.empty());
  EXPECT_EQ(plan.peaks[0].limit, 500);
  EXPECT_FALSE(plan.peaks[0].over_limit);
}

TEST(PlanTest, KeepLast600HourlyFor30DaysIsOverTheLimitOf500) {
  const Policy policy = hourly("big", {vm_id("vm1")}, keep_last(600));
  const Plan month = make_plan({policy}, Quotas{}, at("2026-11-01T00:00:00Z"), 30);
  ASSERT_EQ(month.peaks.size(), 1u);
  // The 601st point exists for a moment: the daemon creates before it prunes, and Azure counts it then.
  EXPECT_EQ(month.peaks[0].peak_points, 601);
  EXPECT_EQ(month.peaks[0].peak_at, at("2026-11-01T00:00:00Z") + 601h);
  EXPECT_TRUE(month.peaks[0].over_limit);
  EXPECT_EQ(count_of(month, PlanEventKind::delete_point), 720u - 600u);

  // 20 days hold only 480 points.
  const Plan shorter = make_plan({policy}, Quotas{}, at("2026-11-01T00:00:00Z"), 20);
  EXPECT_EQ(shorter.peaks[0].peak_points, 480);
  EXPECT_FALSE(shorter.peaks[0].over_limit);

  // The limit is the configured quota.
  Quotas small;
  small.points_per_vm = 479;
  EXPECT_TRUE(make_plan({policy}, small, at("2026-11-01T00:00:00Z"), 20).peaks[0].over_limit);
}

TEST(PlanTest, AVmNamedBySeveralPoliciesGetsARowForTheirPointsTogether) {
  const Plan plan = make_plan({hourly("a", {vm_id("shared"), vm_id("solo")}, keep_last(300)),
                               make_policy("b", {vm_id("SHARED")}, cron_in("30 * * * *"), keep_last(300))},
                              Quotas{}, at("2026-11-01T00:00:00Z"), 15);
  ASSERT_EQ(plan.peaks.size(), 4u);
  EXPECT_EQ(plan.peaks[0].vm_name, "shared");
  EXPECT_EQ(plan.peaks[0].peak_points, 301);
  EXPECT_FALSE(plan.peaks[0].over_limit);
  EXPECT_EQ(plan.peaks[1].vm_name, "solo");
  EXPECT_EQ(plan.peaks[2].policy, "b");
  EXPECT_EQ(plan.peaks[2].vm_name, "SHARED");
  EXPECT_EQ(plan.peaks[2].peak_points, 301);
  EXPECT_FALSE(plan.peaks[2].over_limit);
  EXPECT_EQ(plan.peaks[3].policy, "a+b");
  EXPECT_EQ(plan.peaks[3].vm_name, "shared");
  // At 300h30m a holds its 300 points and b has just created its 301st, before pruning one.
  EXPECT_EQ(plan.peaks[3].peak_points, 601);
  EXPECT_EQ(plan.peaks[3].peak_at, at("2026-11-01T00:00:00Z") + 300h + 30min);
  EXPECT_TRUE(plan.peaks[3].over_limit);
  EXPECT_EQ(plan.notes.back(), "shared is named by a, b: Azure's limit counts their points together (peak row a+b)");
}

TEST(PlanTest, ASchedulePastAzuresCreatesPerHourIsNotedOncePerPolicy) {
  const Plan plan =
      make_plan({make_policy("dense", {vm_id("vm1"), vm_id("vm2")}, cron_in("*/15 * * * *"), keep_last(4))}, Quotas{},
                at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(plan.notes.back(),
            "dense: vm1 gets 4 creates within an hour from 2026-11-25T00:15:00Z, more than Azure "
            "allows (3 per VM per hour): the extra creates will fail");
  EXPECT_EQ(plan.notes.size(), 3u);
}

// --- the circuit breaker ---------------------------------------------------------------------------------------------

TEST(PlanTest, TooManyDeletionsInOneRunTripTheCircuitBreakerAndDeleteNothing) {
  Policy policy = hourly("careful", {vm_id("vm1")}, keep_last(1));
  policy.safety.max_deletes_per_run = 1;
  EXPECT_EQ(count_of(make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1), PlanEventKind::circuit_breaker), 0u);

  policy.safety.max_deletes_per_run = 0;
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {}, 5),
            (Lines{"2026-11-25T01:00:00Z create careful vm1 careful-20261125T0100Z",
                   "2026-11-25T02:00:00Z create careful vm1 careful-20261125T0200Z",
                   "2026-11-25T02:00:00Z circuit-breaker careful vm1 | would delete 1 point, more than "
                   "safety.max_deletes_per_run (0): nothing deleted",
                   "2026-11-25T03:00:00Z create careful vm1 careful-20261125T0300Z",
                   "2026-11-25T03:00:00Z circuit-breaker careful vm1 | would delete 2 points, more than "
                   "safety.max_deletes_per_run (0): nothing deleted"}));
  EXPECT_EQ(count_of(plan, PlanEventKind::delete_point), 0u);
  EXPECT_EQ(plan.peaks[0].peak_points, 24);
}

TEST(PlanTest, CopiesHaveACircuitBreakerOfTheirOwnThatRunsOnlyWithACopy) {
  Policy policy = hourly("dr", {vm_id("app01")}, keep_last(100));
  policy.safety.max_deletes_per_run = 0;
  CopyRule rule;
  rule.region = "westeurope";
  rule.every = 2;
  rule.retention = keep_last(1);
  policy.copies.push_back(rule);
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {PlanEventKind::circuit_breaker}, 2),
            (Lines{"2026-11-25T03:00:00Z circuit-breaker dr app01 westeurope | would delete 1 copy in westeurope, "
                   "more than safety.max_deletes_per_run (0): nothing deleted",
                   "2026-11-25T05:00:00Z circuit-breaker dr app01 westeurope | would delete 2 copies in westeurope, "
                   "more than safety.max_deletes_per_run (0): nothing deleted"}));
  EXPECT_EQ(count_of(plan, PlanEventKind::circuit_breaker), 11u);
  EXPECT_EQ(count_of(plan, PlanEventKind::delete_copy), 0u);
}

// --- copies ----------------------------------------------------------------------------------------------------------

TEST(PlanTest, CopiesEveryNthPointAndPrunesCopiesByTheirOwnRetention) {
  Policy policy = hourly("dr", {vm_id("app01")}, keep_last(24));
  CopyRule rule;
  rule.region = "westeurope";
  rule.every = 3;
  rule.retention = keep_last(2);
  policy.copies.push_back(rule);
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {PlanEventKind::copy, PlanEventKind::delete_copy}, 6),
            (Lines{
                "2026-11-25T01:00:00Z copy dr app01 dr-20261125T0100Z westeurope | every 3rd point",
                "2026-11-25T04:00:00Z copy dr app01 dr-20261125T0400Z westeurope | every 3rd point",
                "2026-11-25T07:00:00Z copy dr app01 dr-20261125T0700Z westeurope | every 3rd point",
                "2026-11-25T07:00:00Z delete-copy dr app01 dr-20261125T0100Z westeurope | no longer kept "
                "(was: keep_last)",
                "2026-11-25T10:00:00Z copy dr app01 dr-20261125T1000Z westeurope | every 3rd point",
                "2026-11-25T10:00:00Z delete-copy dr app01 dr-20261125T0400Z westeurope | no longer kept "
                "(was: keep_last)",
            }));
  // The copy comes right after its create, and the copies' retention after both.
  EXPECT_EQ(lines(plan, {}, 2), (Lines{"2026-11-25T01:00:00Z create dr app01 dr-20261125T0100Z",
                                       "2026-11-25T01:00:00Z copy dr app01 dr-20261125T0100Z westeurope | every 3rd "
                                       "point"}));
  EXPECT_EQ(count_of(plan, PlanEventKind::copy), 8u);
  EXPECT_EQ(count_of(plan, PlanEventKind::delete_copy), 6u);
  EXPECT_EQ(count_of(plan, PlanEventKind::delete_point), 0u);
  ASSERT_EQ(plan.peaks.size(), 1u);
  EXPECT_EQ(plan.peaks[0].peak_points, 24);
  EXPECT_EQ(plan.peaks[0].peak_copies, (std::map<std::string, int>{{"westeurope", 3}}));
  EXPECT_FALSE(plan.peaks[0].over_limit);
  EXPECT_EQ(plan.notes, (Lines{"starts from no restore points: the state database is not read yet",
                               "every create is assumed to succeed at once",
                               "every copy is assumed to complete before the VM's next point, so no point is held "
                               "for one",
                               "whether copies count toward Azure's points per VM is not known: each region's "
                               "copies are checked against the limit on their own"}));
}

TEST(PlanTest, EveryCopyRuleCountsFromTheFirstPoint) {
  Policy policy = hourly("dr", {vm_id("app01")}, keep_last(24));
  CopyRule all;
  all.region = "northeurope";
  all.retention = keep_last(100);
  CopyRule second = all;
  second.region = "westus";
  second.every = 2;
  policy.copies = {all, second};
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {}, 6), (Lines{"2026-11-25T01:00:00Z create dr app01 dr-20261125T0100Z",
                                       "2026-11-25T01:00:00Z copy dr app01 dr-20261125T0100Z northeurope | every point",
                                       "2026-11-25T01:00:00Z copy dr app01 dr-20261125T0100Z westus | every 2nd point",
                                       "2026-11-25T02:00:00Z create dr app01 dr-20261125T0200Z",
                                       "2026-11-25T02:00:00Z copy dr app01 dr-20261125T0200Z northeurope | every point",
                                       "2026-11-25T03:00:00Z create dr app01 dr-20261125T0300Z"}));
  EXPECT_EQ(plan.peaks[0].peak_copies, (std::map<std::string, int>{{"northeurope", 24}, {"westus", 12}}));
}

TEST(PlanTest, CopiesOverTheLimitInARegionAreOverTheLimit) {
  Policy policy = hourly("dr", {vm_id("app01")}, keep_last(10));
  CopyRule rule;
  rule.region = "westeurope";
  rule.retention = keep_last(1000);
  policy.copies.push_back(rule);
  Quotas quotas;
  quotas.points_per_vm = 20;
  const Plan plan = make_plan({policy}, quotas, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(plan.peaks[0].peak_points, 11);
  EXPECT_EQ(plan.peaks[0].peak_copies.at("westeurope"), 24);
  EXPECT_TRUE(plan.peaks[0].over_limit);
}

// --- Instant Access --------------------------------------------------------------------------------------------------

Policy with_window(Policy policy, std::string_view cron, Seconds duration) {
  policy.instant_access.enabled = true;
  policy.instant_access.duration = 2h;
  policy.instant_access.window = InstantAccessWindow{cron_in(cron, policy.schedule.timezone), duration};
  return policy;
}

TEST(PlanTest, InstantAccessWindowOpensAndClosesInThePolicysZone) {
  // Tuesday 01:00 in Berlin is Monday 23:00Z in summer; points every 4 hours of Berlin time.
  const Policy policy = with_window(
      make_policy("fast", {vm_id("vm1")}, cron_in("0 */4 * * *", "Europe/Berlin"), keep_last(50), "Europe/Berlin"),
      "0 1 * * TUE", 8h);
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-07-06T18:00:00Z"), 1);
  // 18:00Z is `from` itself: the first create is the next slot. A create at the window's end is outside it.
  EXPECT_EQ(lines(plan), (Lines{
                             "2026-07-06T22:00:00Z create fast vm1 fast-20260706T2200Z",
                             "2026-07-06T23:00:00Z instant-access-on fast vm1 | window opens for 8h, 2h per point",
                             "2026-07-07T02:00:00Z create fast vm1 fast-20260707T0200Z | instant access 2h",
                             "2026-07-07T06:00:00Z create fast vm1 fast-20260707T0600Z | instant access 2h",
                             "2026-07-07T07:00:00Z instant-access-off fast vm1 | window closes",
                             "2026-07-07T10:00:00Z create fast vm1 fast-20260707T1000Z",
                             "2026-07-07T14:00:00Z create fast vm1 fast-20260707T1400Z",
                             "2026-07-07T18:00:00Z create fast vm1 fast-20260707T1800Z",
                         }));
}

TEST(PlanTest, InstantAccessWindowInWinterAndAWindowOpenAtTheStart) {
  // In winter Berlin is UTC+1: the window is Tuesday 00:00Z to 08:00Z.
  const Policy policy = with_window(
      make_policy("fast", {vm_id("vm1")}, cron_in("0 */4 * * *", "Europe/Berlin"), keep_last(50), "Europe/Berlin"),
      "0 1 * * TUE", 8h);
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-24T02:00:00Z"), 7);
  EXPECT_EQ(lines(plan, {PlanEventKind::instant_access_on, PlanEventKind::instant_access_off}),
            (Lines{"2026-11-24T02:00:00Z instant-access-on fast vm1 | inside the window opened at "
                   "2026-11-24T00:00:00Z for 8h, 2h per point",
                   "2026-11-24T08:00:00Z instant-access-off fast vm1 | window closes",
                   "2026-12-01T00:00:00Z instant-access-on fast vm1 | window opens for 8h, 2h per point"}));
  EXPECT_EQ(lines(plan, {}, 5), (Lines{"2026-11-24T02:00:00Z instant-access-on fast vm1 | inside the window opened at "
                                       "2026-11-24T00:00:00Z for 8h, 2h per point",
                                       "2026-11-24T03:00:00Z create fast vm1 fast-20261124T0300Z | instant access 2h",
                                       "2026-11-24T07:00:00Z create fast vm1 fast-20261124T0700Z | instant access 2h",
                                       "2026-11-24T08:00:00Z instant-access-off fast vm1 | window closes",
                                       "2026-11-24T11:00:00Z create fast vm1 fast-20261124T1100Z"}));
}

TEST(PlanTest, InstantAccessWithoutAWindowIsSetOnceAtTheStart) {
  Policy policy = make_policy("fast", {vm_id("vm1")}, cron_in("0 */6 * * *"), keep_last(50));
  policy.instant_access.enabled = true;
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(lines(plan, {}, 3),
            (Lines{"2026-11-25T00:00:00Z instant-access-on fast vm1 | on for new points, 5h each",
                   "2026-11-25T06:00:00Z create fast vm1 fast-20261125T0600Z | instant access 5h",
                   "2026-11-25T12:00:00Z create fast vm1 fast-20261125T1200Z | instant access 5h"}));
  EXPECT_EQ(count_of(plan, PlanEventKind::instant_access_on), 1u);
  EXPECT_EQ(count_of(plan, PlanEventKind::instant_access_off), 0u);
}

// --- ARM writes ------------------------------------------------------------------------------------------------------

TEST(PlanTest, WritesPerUtcDayCountEveryPutPatchAndDelete) {
  // From 20:00Z: creates at 21, 22, 23 on the 25th (the collection's PUT first, one delete at 23:00), then 21
  // creates and 21 deletes on the 26th.
  const Plan plan = make_plan({hourly("web", {vm_id("web01")}, keep_last(2))}, Quotas{}, at("2026-11-25T20:00:00Z"), 1);
  EXPECT_EQ(plan.arm_writes_per_day,
            (std::map<std::string, std::map<std::string, int>>{
                {std::string(subscription_a), {{"2026-11-25", 1 + 3 + 1}, {"2026-11-26", 21 + 21}}}}));
}

TEST(PlanTest, WritesOfCopiesAndInstantAccessGoToTheirSubscriptions) {
  Policy policy = hourly("dr", {vm_id("app01")}, keep_last(24));
  policy.instant_access.enabled = true;
  CopyRule rule;
  rule.region = "westeurope";
  rule.resource_group = group_id("dr", subscription_b);
  rule.every = 3;
  rule.retention = keep_last(2);
  policy.copies.push_back(rule);
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  // a: the PATCH for Instant Access, the collection's PUT, 23 creates on the 25th and one at midnight.
  // b: the target collection's PUT, 8 copies (points 1, 4, ... 22) and 6 deletions of copies.
  EXPECT_EQ(plan.arm_writes_per_day, (std::map<std::string, std::map<std::string, int>>{
                                         {std::string(subscription_a), {{"2026-11-25", 1 + 1 + 23}, {"2026-11-26", 1}}},
                                         {std::string(subscription_b), {{"2026-11-25", 1 + 8 + 6}}}}));
}

TEST(PlanTest, AnUnknownTimeZoneFallsBackToUtcAndSaysSo) {
  Policy policy = hourly("web", {vm_id("web01")}, keep_last(2));
  policy.schedule.timezone = "Mars/Olympus";
  const Plan plan = make_plan({policy}, Quotas{}, at("2026-11-25T00:00:00Z"), 1);
  EXPECT_EQ(plan.notes.back(),
            "web: unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin); "
            "retention buckets use UTC instead");
  EXPECT_EQ(count_of(plan, PlanEventKind::create), 24u);
}

TEST(PlanTest, EventKindsReadAsTheReportPrintsThem) {
  EXPECT_STREQ(to_string(PlanEventKind::create), "create");
  EXPECT_STREQ(to_string(PlanEventKind::copy), "copy");
  EXPECT_STREQ(to_string(PlanEventKind::delete_point), "delete");
  EXPECT_STREQ(to_string(PlanEventKind::delete_copy), "delete-copy");
  EXPECT_STREQ(to_string(PlanEventKind::instant_access_on), "instant-access-on");
  EXPECT_STREQ(to_string(PlanEventKind::instant_access_off), "instant-access-off");
  EXPECT_STREQ(to_string(PlanEventKind::circuit_breaker), "circuit-breaker");
}

TEST(PlanTest, NothingToPlan) {
  const Plan plan = make_plan({}, Quotas{}, at("2026-11-25T00:00:00Z"), 7);
  EXPECT_TRUE(plan.events.empty());
  EXPECT_TRUE(plan.peaks.empty());
  EXPECT_TRUE(plan.arm_writes_per_day.empty());
  EXPECT_EQ(plan.until, at("2026-12-02T00:00:00Z"));
}

}  // namespace
}  // namespace rpd
