// Every rule of a policy document, with its message asserted word for word.

#include <gtest/gtest.h>

#include "tests/config/config_test_support.hpp"

namespace rpd {
namespace {

using test::policy_problems;
using test::valid_policy;
using Lines = std::vector<std::string>;

const std::string vm_id =
    "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/"
    "virtualMachines/";

// The valid policy with one line replaced (`from` must occur in it).
std::string with(const std::string& from, const std::string& to) {
  std::string text = valid_policy;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string plus(const std::string& more) { return std::string(valid_policy) + more; }

TEST(PolicyReader, TheValidPolicyHasNoProblem) { EXPECT_EQ(policy_problems(valid_policy), Lines{}); }

TEST(PolicyReader, UnknownKeysSuggestTheClosestKnownOne) {
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_dayly: 7")),
            (Lines{"p.yaml:8:3: retention.keep_dayly: unknown key; did you mean keep_daily?"}));
  EXPECT_EQ(policy_problems(plus("shedule: {}\n")), (Lines{"p.yaml:9:1: shedule: unknown key; did you mean schedule?"}));
  EXPECT_EQ(policy_problems(plus("colour: red\n")),
            (Lines{"p.yaml:9:1: colour: unknown key (expected one of: name, targets, schedule, restore_point, "
                   "collection, instant_access, retention, copies, safety)"}));
}

TEST(PolicyReader, DuplicateKeysAreErrors) {
  EXPECT_EQ(policy_problems(plus("name: again\n")), (Lines{"p.yaml:9:1: name: duplicate key (first at line 1)"}));
}

TEST(PolicyReader, MissingRequiredKeys) {
  EXPECT_EQ(policy_problems("targets: {vms: [" + vm_id + "a]}\nschedule: {every: 4h}\nretention: {keep_last: 1}\n"),
            (Lines{"p.yaml:1:1: name: required"}));
  EXPECT_EQ(policy_problems("name: x\nschedule: {every: 4h}\nretention: {keep_last: 1}\n"),
            (Lines{"p.yaml:1:1: targets: required"}));
  EXPECT_EQ(policy_problems("name: x\ntargets: {vms: [" + vm_id + "a]}\nretention: {keep_last: 1}\n"),
            (Lines{"p.yaml:1:1: schedule: required"}));
  EXPECT_EQ(policy_problems("name: x\ntargets: {vms: [" + vm_id + "a]}\nschedule: {every: 4h}\n"),
            (Lines{"p.yaml:1:1: retention: required"}));
}

TEST(PolicyReader, WrongTypes) {
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: seven")),
            (Lines{"p.yaml:8:15: retention.keep_daily: expected an integer, got 'seven'"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: \"7\"")),
            (Lines{"p.yaml:8:15: retention.keep_daily: expected an integer, got '7'"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: 1.5")),
            (Lines{"p.yaml:8:15: retention.keep_daily: expected an integer, got '1.5'"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: [7]")),
            (Lines{"p.yaml:8:15: retention.keep_daily: expected an integer, got a list"}));
  EXPECT_EQ(policy_problems(with("name: web", "name: {a: b}")),
            (Lines{"p.yaml:1:7: name: expected a string, got a mapping"}));
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: yes}\n")),
            (Lines{"p.yaml:9:27: instant_access.enabled: expected true or false, got 'yes'"}));
  EXPECT_EQ(policy_problems(with("retention:\n  keep_daily: 7\n", "retention: 7\n")),
            (Lines{"p.yaml:7:12: retention: expected a mapping, got '7'"}));
  EXPECT_EQ(policy_problems(with("  vms:\n", "  vms: 3\n  x:\n")),
            (Lines{"p.yaml:4:3: targets.x: unknown key (expected one of: vms, resource_groups)", "p.yaml:3:8: targets.vms: expected a list, got '3'"}));
}

TEST(PolicyReader, NumbersOutOfRange) {
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: -1")),
            (Lines{"p.yaml:8:15: retention.keep_daily: must be between 0 and 10000, got -1"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_daily: 99999999999999999999")),
            (Lines{"p.yaml:8:15: retention.keep_daily: must be between 0 and 10000, got 99999999999999999999"}));
  EXPECT_EQ(policy_problems(plus("safety: {max_deletes_per_run: 10001}\n")),
            (Lines{"p.yaml:9:31: safety.max_deletes_per_run: must be between 0 and 10000, got 10001"}));
  EXPECT_EQ(policy_problems(plus("copies: [{region: westeurope, every: 0}]\n")),
            (Lines{"p.yaml:9:38: copies[0].every: must be between 1 and 1000, got 0"}));
}

TEST(PolicyReader, Names) {
  EXPECT_EQ(policy_problems(with("name: web", "name: web tier")),
            (Lines{"p.yaml:1:7: name: 'web tier' is not a valid policy name: 1 to 63 letters, digits, '-' or '_', "
                   "starting with a letter or digit"}));
  EXPECT_EQ(policy_problems(with("name: web", "name: -web")).size(), 1u);
  EXPECT_EQ(policy_problems(with("name: web", "name: " + std::string(64, 'a'))).size(), 1u);
  EXPECT_EQ(policy_problems(with("name: web", "name: " + std::string(63, 'a'))), Lines{});
}

TEST(PolicyReader, Targets) {
  EXPECT_EQ(policy_problems(with("    - " + vm_id + "web01", "    - /subscriptions/sub/resourceGroups/prod")),
            (Lines{"p.yaml:4:7: targets.vms[0]: '/subscriptions/sub/resourceGroups/prod' is not a virtual machine "
                   "id: expected /subscriptions/{subscription-guid}/resourceGroups/{group}/providers/"
                   "Microsoft.Compute/virtualMachines/{name}"}));
  EXPECT_EQ(policy_problems(with("3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c", "my-sub")),
            (Lines{"p.yaml:4:7: targets.vms[0]: '/subscriptions/my-sub/resourceGroups/prod/providers/"
                   "Microsoft.Compute/virtualMachines/web01': subscription 'my-sub' is not a GUID such as "
                   "00000000-0000-0000-0000-000000000000"}));
  EXPECT_EQ(policy_problems(with("  vms:\n    - " + vm_id + "web01\n", "  vms: []\n")),
            (Lines{"p.yaml:3:3: targets: names no VM and no resource group: add targets.vms or "
                   "targets.resource_groups"}));
  EXPECT_EQ(policy_problems(with("  vms:\n    - " + vm_id + "web01\n",
                                 "  resource_groups:\n    - id: /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/"
                                 "resourceGroups/prod\n      tags: {tier: web}\n")),
            Lines{});
  EXPECT_EQ(policy_problems(with("  vms:\n    - " + vm_id + "web01\n", "  resource_groups:\n    - tags: {a: b}\n")),
            (Lines{"p.yaml:4:7: targets.resource_groups[0].id: required"}));
  EXPECT_EQ(policy_problems(with("  vms:\n    - " + vm_id + "web01\n",
                                 "  resource_groups:\n    - id: /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/"
                                 "resourceGroups/prod\n      tags: [a]\n")),
            (Lines{"p.yaml:5:13: targets.resource_groups[0].tags: expected a mapping of tag names to values, got a "
                   "list"}));
}

TEST(PolicyReader, Schedules) {
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 24 * * *\"")),
            (Lines{"p.yaml:6:9: schedule.cron: invalid cron expression '0 24 * * *': field 2 (hour): 24 is out of "
                   "range 0-23"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  every: 4h")),
            (Lines{"p.yaml:7:3: schedule: has both cron and every; keep one"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "timezone: UTC")),
            (Lines{"p.yaml:6:3: schedule: needs cron or every"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 4x")),
            (Lines{"p.yaml:6:10: schedule.every: duration '4x': unknown unit 'x' (use s, m, h, d or w)"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 30s")),
            (Lines{"p.yaml:6:10: schedule.every: must be between 1m and 52w, got 30s"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  timezone: Europe/Berlln")),
            (Lines{"p.yaml:7:13: schedule.timezone: unknown time zone 'Europe/Berlln' (use an IANA name such as "
                   "Europe/Berlin)"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  catch_up: sometimes")),
            (Lines{"p.yaml:7:13: schedule.catch_up: must be one of latest, none; got 'sometimes'"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  anchor: 2026-01-01T00:00:00Z")),
            (Lines{"p.yaml:7:3: schedule.anchor: only goes with every, not with cron"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 4h\n  anchor: 2026-01-01T00:30:00Z")), Lines{});
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 4h\n  anchor: tomorrow")),
            (Lines{"p.yaml:7:11: schedule.anchor: 'tomorrow' is not an ISO 8601 timestamp such as "
                   "2026-03-29T01:00:00Z"}));
}

TEST(PolicyReader, JitterMustBeShorterThanThePeriod) {
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  jitter: 4h")),
            (Lines{"p.yaml:7:11: schedule.jitter: 4h must be shorter than the schedule's period (4h)"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"0 */4 * * *\"\n  jitter: 3h59m")), Lines{});
}

TEST(PolicyReader, AzureCreateRateAndSpacing) {
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "cron: \"*/15 * * * *\"")),
            (Lines{"p.yaml:6:3: schedule: fires 4 times within one hour (from 2026-11-25T10:45:00Z); Azure allows at "
                   "most 3 creates per VM per hour"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 1h")),
            (Lines{"p.yaml:6:3: warning: schedule: fires every 1h, closer than Azure's 3h minimum for "
                   "application-consistent restore points (the consistency Azure may choose); Azure refuses such "
                   "creates at run time"}));
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 1h") + "restore_point: {consistency: crash}\n"),
            Lines{});
  EXPECT_EQ(policy_problems(with("cron: \"0 */4 * * *\"", "every: 30m") + "restore_point: {consistency: crash}\n"),
            (Lines{"p.yaml:6:3: warning: schedule: fires every 30m, closer than Azure's 1h minimum for "
                   "crash-consistent restore points; Azure refuses such creates at run time"}));
}

TEST(PolicyReader, RestorePoints) {
  EXPECT_EQ(policy_problems(plus("restore_point: {consistency: fuzzy}\n")),
            (Lines{"p.yaml:9:30: restore_point.consistency: must be one of application, filesystem, crash; got "
                   "'fuzzy'"}));
  EXPECT_EQ(policy_problems(plus("restore_point:\n  exclude_disks: [tempdata, \"lun:3\", \"lun:64\", \"a b\", "
                                 "/subscriptions/x]\n")),
            (Lines{"p.yaml:10:38: restore_point.exclude_disks[2]: 'lun:64': a LUN is lun:N with N from 0 to 63",
                   "p.yaml:10:48: restore_point.exclude_disks[3]: 'a b' is not a disk name, lun:N or a disk id "
                   "(/subscriptions/...)",
                   "p.yaml:10:55: restore_point.exclude_disks[4]: '/subscriptions/x' is not a disk id: expected "
                   "/subscriptions/{subscription-guid}/resourceGroups/{group}/providers/Microsoft.Compute/disks/"
                   "{name}"}));
}

TEST(PolicyReader, Collections) {
  EXPECT_EQ(policy_problems(plus("collection: {name: \"rp {vm}\"}\n")),
            (Lines{"p.yaml:9:20: collection.name: 'rp {vm}': use letters, digits, '-', '_' and the placeholders {vm} "
                   "and {policy}"}));
  EXPECT_EQ(policy_problems(plus("collection: {name: fixed}\n")), Lines{});  // one VM: a fixed name is fine
  const std::string two_vms = with("web01\n", "web01\n    - " + vm_id + "web02\n");
  EXPECT_EQ(policy_problems(two_vms + "collection: {name: fixed}\n"),
            (Lines{"p.yaml:10:20: collection.name: must contain {vm}: a collection belongs to one VM, and this policy "
                   "targets several"}));
  EXPECT_EQ(policy_problems(plus("collection: {name: \"" + std::string(75, 'c') + "-{vm}\"}\n")),
            (Lines{"p.yaml:4:7: targets.vms[0]: the collection name '" + std::string(75, 'c') +
                   "-web01' is longer than 80 characters; shorten collection.name"}));
}

TEST(PolicyReader, InstantAccess) {
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: true, duration: 6h}\n")),
            (Lines{"p.yaml:9:43: instant_access.duration: must be whole minutes from 60 to 300 (1h to 5h), got 6h"}));
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: true, duration: 59m}\n")).size(), 1u);
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: true, duration: 90m30s}\n")).size(), 1u);
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: true, duration: 300m}\n")), Lines{});
  EXPECT_EQ(policy_problems(plus("instant_access:\n  enabled: true\n  window: {cron: \"0 1 * * TUE\", duration: 8h}\n")),
            Lines{});
  EXPECT_EQ(policy_problems(plus("instant_access:\n  enabled: true\n  window: {cron: \"0 1 * * *\", duration: 2d}\n")),
            (Lines{"p.yaml:11:41: instant_access.window.duration: 2d is longer than the time between two windows "
                   "(1d)"}));
  EXPECT_EQ(policy_problems(plus("instant_access:\n  enabled: true\n  window: {duration: 2h}\n")),
            (Lines{"p.yaml:11:11: instant_access.window.cron: required"}));
  EXPECT_EQ(policy_problems(plus("instant_access: {enabled: true}\nrestore_point: {consistency: crash}\n")),
            (Lines{"p.yaml:9:17: warning: instant_access: is enabled for crash-consistent restore points, which "
                   "Azure does not document for Instant Access; use application or filesystem consistency"}));
}

TEST(PolicyReader, Retention) {
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "min_keep: 2")),
            (Lines{"p.yaml:8:3: retention: needs at least one keep_* rule (without one, points pile up to Azure's "
                   "limit of 500 per VM)"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_within: 2x")),
            (Lines{"p.yaml:8:16: retention.keep_within: duration '2x': unknown unit 'x' (use s, m, h, d or w)"}));
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_within: 48h")), Lines{});
}

TEST(PolicyReader, PointsPerVmAtThePeak) {
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_last: 600")),
            (Lines{"p.yaml:8:3: retention: keeps more than 500 points per VM at its peak (a new point counts before retention "
                   "prunes an old one); Azure allows 500"}));
  // A bound above the limit that the simulation shows is not reached: hourly buckets of a 4-hourly schedule.
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_hourly: 400\n  keep_daily: 120")), Lines{});
  // At the limit is too many: the create of the 500th point's successor fails before the prune.
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_last: 500")).size(), 1u);
  EXPECT_EQ(policy_problems(with("keep_daily: 7", "keep_last: 499")), Lines{});
}

TEST(PolicyReader, Copies) {
  EXPECT_EQ(policy_problems(plus("copies:\n  - region: westeurope\n    every: 2\n    retention: {keep_daily: 14}\n")),
            Lines{});
  EXPECT_EQ(policy_problems(plus("copies: [{region: West Europe}]\n")),
            (Lines{"p.yaml:9:19: copies[0].region: 'West Europe' is not a region name such as westeurope (lower-case "
                   "letters and digits)"}));
  EXPECT_EQ(policy_problems(plus("copies: [{every: 2}]\n")), (Lines{"p.yaml:9:10: copies[0].region: required"}));
  EXPECT_EQ(policy_problems(plus("copies: [{region: westeurope}, {region: westeurope}]\n")),
            (Lines{"p.yaml:9:32: copies[1].region: a second copy to westeurope: Azure keeps one copy per point per "
                   "region"}));
  EXPECT_EQ(policy_problems(plus("copies: [{region: westeurope, resource_group: /x}]\n")),
            (Lines{"p.yaml:9:47: copies[0].resource_group: '/x' is not a resource group id: expected "
                   "/subscriptions/{subscription-guid}/resourceGroups/{group}"}));
  EXPECT_EQ(policy_problems(plus("copies: [{region: westeurope, retention: {keep_dayly: 3}}]\n")),
            (Lines{"p.yaml:9:43: copies[0].retention.keep_dayly: unknown key; did you mean keep_daily?"}));
}

TEST(PolicyReader, EveryErrorOfADocumentIsReported) {
  const auto problems = policy_problems(
      "name: bad name\ntargets: {vms: [/x]}\nschedule: {cron: \"61 * * * *\", jitter: 1y}\n"
      "retention: {keep_daily: -1, keep_weeky: 2}\n");
  EXPECT_EQ(problems.size(), 6u);
}

TEST(PolicyReader, SeveralDocumentsPerFileAndEmptyDocuments) {
  const std::string second = std::string(valid_policy).replace(6, 3, "db");
  EXPECT_EQ(policy_problems(std::string(valid_policy) + "---\n---\n" + second), Lines{});
  EXPECT_EQ(policy_problems(std::string(valid_policy) + "---\n" + valid_policy),
            (Lines{"p.yaml:10:7: name: policy 'web' is already defined at p.yaml:1:1",
                   "p.yaml:13:7: targets.vms[0]: collection rpc-web01-web is already used by policy 'web' (p.yaml:1:1); "
                   "put {policy} in collection.name"}));
}

TEST(PolicyReader, MalformedYamlThatYamlCppWouldLoopOnIsRefused) {
  // yaml-cpp 0.7's LoadAll loops forever on a stray top-level ','; documents are parsed one by one instead.
  EXPECT_EQ(policy_problems(", b\n"), (Lines{"p.yaml:1:1: YAML syntax: this document cannot be read"}));
  EXPECT_EQ(policy_problems("# comment\n---\n,\n"), (Lines{"p.yaml:2:1: YAML syntax: this document cannot be read"}));
  EXPECT_EQ(policy_problems("---\n# only a comment\n---\n~\n"), Lines{});
}

TEST(PolicyReader, ASyntaxErrorSpoilsOnlyItsDocument) {
  const std::string second = std::string(valid_policy).replace(6, 3, "db");
  EXPECT_EQ(policy_problems(second + "---\nname: [unclosed\n...\n" + valid_policy),
            (Lines{"p.yaml:11:1: YAML syntax: end of sequence flow not found"}));
}

TEST(PolicyReader, YamlSyntaxErrorsHaveAPosition) {
  EXPECT_EQ(policy_problems("name: [unclosed\n"), (Lines{"p.yaml:2:1: YAML syntax: end of sequence flow not found"}));
  EXPECT_EQ(policy_problems("- a\n- b\n"), (Lines{"p.yaml:1:1: expected a mapping, got a list"}));
}

}  // namespace
}  // namespace rpd
