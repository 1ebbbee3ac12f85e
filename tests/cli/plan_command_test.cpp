#include "daemon/commands/plan_command.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/command_run.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

// Runs the command as if it were 2026-11-25T10:30:00Z.
CommandRun plan(const Configuration& configuration, PlanOptions options) {
  std::ostringstream out, err;
  const int code = run_plan(configuration, options, at("2026-11-25T10:30:00Z"), out, err);
  return {code, out.str(), err.str()};
}

PlanOptions one_day_from(std::string from) {
  PlanOptions options;
  options.days = 1;
  options.from = std::move(from);
  return options;
}

Lines split_lines(const std::string& text) {
  Lines lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Two small policies: sql-tier1 on one VM every 6 hours with jitter, Instant Access and a copy of every 2nd
// point; web on a resource group every 12 hours.
Configuration two_policies() {
  Policy sql;
  sql.name = "sql-tier1";
  sql.targets.vms.push_back(parse_vm_id("/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/prod/"
                                        "providers/Microsoft.Compute/virtualMachines/sql01")
                                .value());
  sql.schedule.schedule = Schedule::cron(CronExpr::parse("0 */6 * * *").value(), utc_zone());
  sql.schedule.jitter = 10min;
  sql.retention.keep_last = 2;
  sql.instant_access.enabled = true;
  sql.instant_access.duration = 2h;
  CopyRule copy;
  copy.region = "westeurope";
  copy.every = 2;
  copy.retention.keep_last = 1;
  sql.copies.push_back(copy);

  Policy web;
  web.name = "web";
  web.targets.resource_groups.push_back(
      {parse_resource_group_id("/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/web").value(),
       {{"tier", "web"}}});
  web.schedule.schedule = Schedule::every(12h).value();
  web.retention.keep_last = 1;

  Configuration configuration;
  configuration.policies = {sql, web};
  return configuration;
}

Configuration one_big_policy() {
  Policy big;
  big.name = "big";
  big.targets.vms.push_back(parse_vm_id("/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/prod/"
                                        "providers/Microsoft.Compute/virtualMachines/vm1")
                                .value());
  big.schedule.schedule = Schedule::every(1h).value();
  big.retention.keep_last = 600;
  Configuration configuration;
  configuration.policies = {big};
  return configuration;
}

TEST(PlanCommand, PrintsTheTimelinePeaksWritesAndNotesAsText) {
  const CommandRun run = plan(two_policies(), one_day_from("2026-11-25T00:00:00Z"));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  // sql01's jitter offset is 7m42s (a fixed hash of its id); its slot at midnight on the 26th comes too late.
  EXPECT_EQ(split_lines(run.out),
            (Lines{
                "Plan for 1 day from 2026-11-25T00:00:00Z to 2026-11-26T00:00:00Z, policies: sql-tier1, web",
                "",
                "Timeline:",
                "2026-11-25T00:00:00Z  instant-access-on  sql-tier1  sql01                                             "
                "     on for new points, 2h each",
                "2026-11-25T00:07:42Z  create             sql-tier1  sql01            sql-tier1-20261125T0000Z        "
                "      instant access 2h",
                "2026-11-25T00:07:42Z  copy               sql-tier1  sql01            sql-tier1-20261125T0000Z  "
                "westeurope  every 2nd point",
                "2026-11-25T06:07:42Z  create             sql-tier1  sql01            sql-tier1-20261125T0600Z        "
                "      instant access 2h",
                "2026-11-25T12:00:00Z  create             web        web/*[tier=web]  web-20261125T1200Z",
                "2026-11-25T12:07:42Z  create             sql-tier1  sql01            sql-tier1-20261125T1200Z        "
                "      instant access 2h",
                "2026-11-25T12:07:42Z  copy               sql-tier1  sql01            sql-tier1-20261125T1200Z  "
                "westeurope  every 2nd point",
                "2026-11-25T12:07:42Z  delete             sql-tier1  sql01            sql-tier1-20261125T0000Z        "
                "      no longer kept (was: keep_last)",
                "2026-11-25T12:07:42Z  delete-copy        sql-tier1  sql01            sql-tier1-20261125T0000Z  "
                "westeurope  no longer kept (was: keep_last,newest)",
                "2026-11-25T18:07:42Z  create             sql-tier1  sql01            sql-tier1-20261125T1800Z        "
                "      instant access 2h",
                "2026-11-25T18:07:42Z  delete             sql-tier1  sql01            sql-tier1-20261125T0600Z        "
                "      no longer kept (was: keep_last)",
                "2026-11-26T00:00:00Z  create             web        web/*[tier=web]  web-20261126T0000Z",
                "2026-11-26T00:00:00Z  delete             web        web/*[tier=web]  web-20261125T1200Z              "
                "      no longer kept (was: keep_last,newest)",
                "",
                "Peak points per VM:",
                "policy     vm               points  at                    limit  copies",
                "sql-tier1  sql01            3       2026-11-25T12:07:42Z  500    westeurope 2",
                "web        web/*[tier=web]  2       2026-11-26T00:00:00Z  500",
                "",
                "ARM writes per day:",
                "subscription                          day         writes",
                "00000000-0000-0000-0000-00000000000a  2026-11-25  12",
                "00000000-0000-0000-0000-00000000000b  2026-11-25  2",
                "00000000-0000-0000-0000-00000000000b  2026-11-26  2",
                "",
                "Notes:",
                "- starts from no restore points: the state database is not read yet",
                "- every create is assumed to succeed at once",
                "- every copy is assumed to complete before the VM's next point, so no point is held for one",
                "- whether copies count toward Azure's points per VM is not known: each region's copies are checked "
                "against the limit on their own",
                "- web: web/*[tier=web] stands for the VMs of resource group "
                "/subscriptions/00000000-0000-0000-0000-00000000000b/resourceGroups/web that match its tags, which "
                "are not known offline; it is shown at the slots, without jitter",
            }));
}

TEST(PlanCommand, PrintsTheSameContentAsJson) {
  PlanOptions options = one_day_from("2026-11-25T00:00:00Z");
  options.json = true;
  const CommandRun run = plan(two_policies(), options);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');

  const boost::json::object json = boost::json::parse(run.out).as_object();
  EXPECT_EQ(json.at("from"), "2026-11-25T00:00:00Z");
  EXPECT_EQ(json.at("until"), "2026-11-26T00:00:00Z");
  EXPECT_EQ(json.at("days"), 1);

  const boost::json::array& events = json.at("events").as_array();
  ASSERT_EQ(events.size(), 13u);
  EXPECT_EQ(events[0], boost::json::parse(R"({"at": "2026-11-25T00:00:00Z", "kind": "instant-access-on",
      "policy": "sql-tier1", "vm": "sql01", "point": null, "region": null, "reason": "on for new points, 2h each"})"));
  EXPECT_EQ(events[2], boost::json::parse(R"({"at": "2026-11-25T00:07:42Z", "kind": "copy", "policy": "sql-tier1",
      "vm": "sql01", "point": "sql-tier1-20261125T0000Z", "region": "westeurope", "reason": "every 2nd point"})"));
  EXPECT_EQ(events[4], boost::json::parse(R"({"at": "2026-11-25T12:00:00Z", "kind": "create", "policy": "web",
      "vm": "web/*[tier=web]", "point": "web-20261125T1200Z", "region": null, "reason": ""})"));
  EXPECT_EQ(events[7], boost::json::parse(R"json({"at": "2026-11-25T12:07:42Z", "kind": "delete",
      "policy": "sql-tier1", "vm": "sql01", "point": "sql-tier1-20261125T0000Z", "region": null,
      "reason": "no longer kept (was: keep_last)"})json"));

  EXPECT_EQ(json.at("peaks"), boost::json::parse(R"([
      {"policy": "sql-tier1", "vm": "sql01", "peak_points": 3, "peak_at": "2026-11-25T12:07:42Z",
       "peak_copies": {"westeurope": 2}, "limit": 500, "over_limit": false},
      {"policy": "web", "vm": "web/*[tier=web]", "peak_points": 2, "peak_at": "2026-11-26T00:00:00Z",
       "peak_copies": {}, "limit": 500, "over_limit": false}])"));
  EXPECT_EQ(json.at("arm_writes_per_day"), boost::json::parse(R"({
      "00000000-0000-0000-0000-00000000000a": {"2026-11-25": 12},
      "00000000-0000-0000-0000-00000000000b": {"2026-11-25": 2, "2026-11-26": 2}})"));
  const boost::json::array& notes = json.at("notes").as_array();
  ASSERT_EQ(notes.size(), 5u);
  EXPECT_EQ(notes[0], "starts from no restore points: the state database is not read yet");
}

TEST(PlanCommand, AVmOverTheLimitPrintsTheReportAndExitsWith1) {
  PlanOptions options;
  options.days = 30;
  options.from = "2026-11-01T00:00:00Z";
  const CommandRun run = plan(one_big_policy(), options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "restorepointd plan: big: vm1 would hold 601 points, over Azure's limit of 500 per VM\n");
  const Lines lines = split_lines(run.out);
  const auto peaks = std::find(lines.begin(), lines.end(), "Peak points per VM:");
  ASSERT_NE(peaks, lines.end());
  ASSERT_LT(peaks + 2, lines.end());
  EXPECT_EQ(peaks[1], "policy  vm   points  at                    limit");
  EXPECT_EQ(peaks[2], "big     vm1  601     2026-11-26T01:00:00Z  500    OVER LIMIT");

  options.json = true;
  const CommandRun json_run = plan(one_big_policy(), options);
  EXPECT_EQ(json_run.exit_code, 1);
  const boost::json::value json = boost::json::parse(json_run.out);
  EXPECT_EQ(json.at("peaks").at(0).at("over_limit"), true);
  EXPECT_EQ(json.at("peaks").at(0).at("peak_points"), 601);
}

TEST(PlanCommand, PolicySelectsOnePolicy) {
  PlanOptions options = one_day_from("2026-11-25T00:00:00Z");
  options.policy = "web";
  const CommandRun run = plan(two_policies(), options);
  EXPECT_EQ(run.exit_code, 0);
  const Lines lines = split_lines(run.out);
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "Plan for 1 day from 2026-11-25T00:00:00Z to 2026-11-26T00:00:00Z, policies: web");
  EXPECT_EQ(lines[3], "2026-11-25T12:00:00Z  create  web  web/*[tier=web]  web-20261125T1200Z");
  EXPECT_EQ(lines[4], "2026-11-26T00:00:00Z  create  web  web/*[tier=web]  web-20261126T0000Z");
  EXPECT_EQ(lines[5],
            "2026-11-26T00:00:00Z  delete  web  web/*[tier=web]  web-20261125T1200Z  no longer kept "
            "(was: keep_last,newest)");
  EXPECT_EQ(lines[6], "");
}

TEST(PlanCommand, StartsNowForSevenDaysByDefault) {
  PlanOptions options;
  options.json = true;
  const CommandRun run = plan(one_big_policy(), options);
  EXPECT_EQ(run.exit_code, 0);
  const boost::json::value json = boost::json::parse(run.out);
  EXPECT_EQ(json.at("from"), "2026-11-25T10:30:00Z");
  EXPECT_EQ(json.at("until"), "2026-12-02T10:30:00Z");
  EXPECT_EQ(json.at("events").at(0).at("at"), "2026-11-25T11:00:00Z");
  EXPECT_EQ(json.at("peaks").at(0).at("peak_points"), 168);
}

TEST(PlanCommand, NothingToPlan) {
  const CommandRun run = plan(Configuration{}, one_day_from("2026-11-25T00:00:00Z"));
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(split_lines(run.out),
            (Lines{
                "Plan for 1 day from 2026-11-25T00:00:00Z to 2026-11-26T00:00:00Z, policies: none",
                "",
                "Timeline:",
                "(nothing happens)",
                "",
                "Peak points per VM:",
                "(no VMs)",
                "",
                "ARM writes per day:",
                "(none)",
                "",
                "Notes:",
                "- starts from no restore points: the state database is not read yet",
                "- every create is assumed to succeed at once",
            }));
}

TEST(PlanCommand, ExplainsEachBadOption) {
  const Configuration configuration = two_policies();
  PlanOptions options;

  options.days = 0;
  CommandRun run = plan(configuration, options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "restorepointd plan: --days: must be between 1 and 366, got 0\n");

  options.days = 367;
  EXPECT_EQ(plan(configuration, options).err, "restorepointd plan: --days: must be between 1 and 366, got 367\n");
  options.days = 366;
  EXPECT_EQ(plan(configuration, options).exit_code, 0);

  options = PlanOptions{};
  options.policy = "sql";
  run = plan(configuration, options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "restorepointd plan: --policy: no policy named 'sql' (known: sql-tier1, web)\n");
  EXPECT_EQ(plan(Configuration{}, options).err, "restorepointd plan: --policy: no policy named 'sql' (known: none)\n");

  options = PlanOptions{};
  options.from = "tomorrow";
  run = plan(configuration, options);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err,
            "restorepointd plan: --from: 'tomorrow' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z\n");
  options.from = "2026-11-25T00:00:00";
  EXPECT_EQ(plan(configuration, options).err,
            "restorepointd plan: --from: '2026-11-25T00:00:00' has no time zone: end it with Z or an offset such as "
            "+02:00\n");
}

}  // namespace
}  // namespace rpd
