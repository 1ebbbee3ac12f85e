// `status` and `jobs` over a state database written by the store, word for word, as text and as JSON; and a
// database that cannot be read.

#include "daemon/commands/status_command.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <filesystem>
#include <sstream>

#include "daemon/store/state_store.hpp"

#include "tests/cli/command_run.hpp"

namespace rpd {
namespace {

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

const std::string group = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/prod";
const std::string vm = group + "/providers/Microsoft.Compute/virtualMachines/sql01";
const std::string collection = group + "/providers/Microsoft.Compute/restorePointCollections/rpc-sql01-sql";

class StatusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/rpd-status-XXXXXX";
    directory_ = mkdtemp(pattern);
    database_ = directory_ + "/state.db";
    auto state = store::StateStore::open(database_).value();
    store::VmRecord record{"sql", vm, "sql01", "00000000-0000-0000-0000-00000000000a", group, "westeurope", true,
                           at("2026-12-04T08:00:00Z"), at("2026-12-04T08:00:00Z"), std::nullopt, std::nullopt,
                           std::nullopt, std::nullopt, std::nullopt};
    ASSERT_TRUE(state.upsert_vm(record).ok());
    ASSERT_TRUE(state.set_schedule_state("sql", vm, at("2026-12-04T08:00:00Z"), at("2026-12-04T12:00:00Z")).ok());
    ASSERT_TRUE(state.upsert_collection({collection, "sql", vm, "westeurope", store::PointKind::local, std::nullopt, true}).ok());
    store::PointRecord point;
    point.id = collection + "/restorePoints/sql-20261204T0800Z";
    point.collection_id = collection;
    point.policy = "sql";
    point.vm_id = vm;
    point.region = "westeurope";
    point.name = "sql-20261204T0800Z";
    point.slot = at("2026-12-04T08:00:00Z");
    const auto job = state.begin_create({"sql", vm, "sql01", "create", point.id, 1}, point, at("2026-12-04T08:00:05Z"));
    ASSERT_TRUE(job.ok());
    point.state = store::PointState::succeeded;
    point.created_at = at("2026-12-04T08:00:41Z");
    ASSERT_TRUE(state.upsert_point(point, at("2026-12-04T08:01:00Z")).ok());
    ASSERT_TRUE(state.finish_job(*job, {store::JobState::succeeded, std::nullopt, "", "", ""}, at("2026-12-04T08:01:00Z")).ok());
    const auto failed = state.begin_job({"sql", vm, "sql01", "delete", collection + "/restorePoints/old", 2}, at("2026-12-04T08:02:00Z"));
    ASSERT_TRUE(failed.ok());
    ASSERT_TRUE(state.finish_job(*failed, {store::JobState::failed, 409, "DiskRestorePointUsedByCustomer", "409 DiskRestorePointUsedByCustomer: in use", "r-1"},
                                 at("2026-12-04T08:02:30Z")).ok());
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  CommandRun status(bool json) {
    std::ostringstream out, err;
    const int code = run_status({database_, json}, out, err);
    return {code, out.str(), err.str()};
  }
  CommandRun jobs(JobsOptions options) {
    options.database = database_;
    std::ostringstream out, err;
    const int code = run_jobs(options, at("2026-12-04T09:00:00Z"), out, err);
    return {code, out.str(), err.str()};
  }

  std::string directory_;
  std::string database_;
};

TEST_F(StatusCommandTest, StatusAsText) {
  const CommandRun run = status(false);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out,
            "POLICY  VM     LAST GOOD POINT     AT                    NEXT RUN              KEPT  COPYING  INSTANT ACCESS  LAST ERROR\n"
            "sql     sql01  sql-20261204T0800Z  2026-12-04T08:00:41Z  2026-12-04T12:00:00Z  1     0        on              "
            "409 DiskRestorePointUsedByCustomer: in use\n");
}

TEST_F(StatusCommandTest, StatusAsJsonHasTheViewsColumns) {
  const CommandRun run = status(true);
  EXPECT_EQ(run.exit_code, 0);
  const auto rows = boost::json::parse(run.out).as_array();
  ASSERT_EQ(rows.size(), 1u);
  const auto& row = rows[0].as_object();
  EXPECT_EQ(row.at("policy").as_string(), "sql");
  EXPECT_EQ(row.at("last_success_at").as_string(), "2026-12-04T08:00:41Z");
  EXPECT_EQ(row.at("points_kept").as_int64(), 1);
  EXPECT_EQ(row.at("instant_access").as_string(), "on");
  EXPECT_EQ(row.at("vm_id").as_string(), vm);
}

TEST_F(StatusCommandTest, JobsAsTextAndFiltered) {
  JobsOptions options;
  const CommandRun all = jobs(options);
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_EQ(all.out,
            "TIME                  JOB  POLICY  VM     ACTION  STATE      TRY  HTTP  MESSAGE\n"
            "2026-12-04T08:00:05Z  1    sql     sql01  create  running    1    -     started\n"
            "2026-12-04T08:01:00Z  1    sql     sql01  create  succeeded  1    -     succeeded\n"
            "2026-12-04T08:02:00Z  2    sql     sql01  delete  running    2    -     started\n"
            "2026-12-04T08:02:30Z  2    sql     sql01  delete  failed     2    409   409 DiskRestorePointUsedByCustomer: in use\n");
  options.failed = true;
  const CommandRun failed = jobs(options);
  EXPECT_EQ(failed.out.find("succeeded"), std::string::npos) << failed.out;
  EXPECT_NE(failed.out.find("DiskRestorePointUsedByCustomer"), std::string::npos);

  options = {};
  options.since = "30m";
  EXPECT_EQ(jobs(options).out, "TIME  JOB  POLICY  VM  ACTION  STATE  TRY  HTTP  MESSAGE\n") << "nothing since 08:30";
  options.since = "soon";
  const CommandRun bad = jobs(options);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.err.starts_with("restorepointd jobs: --since: ")) << bad.err;
}

TEST_F(StatusCommandTest, JobsAsJson) {
  JobsOptions options;
  options.json = true;
  options.limit = 1;
  const auto rows = boost::json::parse(jobs(options).out).as_array();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].at("state").as_string(), "failed");
  EXPECT_EQ(rows[0].at("http_status").as_int64(), 409);
  EXPECT_EQ(rows[0].at("request_id").as_string(), "r-1");
}

TEST(StatusCommand, AMissingDatabaseIsNamed) {
  std::ostringstream out, err;
  EXPECT_EQ(run_status({"/nonexistent/state.db", false}, out, err), 1);
  EXPECT_TRUE(err.str().starts_with("restorepointd status: ")) << err.str();
  EXPECT_NE(err.str().find("/nonexistent/state.db"), std::string::npos) << err.str();
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace rpd
