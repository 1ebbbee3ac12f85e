#include "daemon/store/state_store.hpp"

#include "core/arm_id.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace rpd::store {
namespace {

Instant at(std::string_view text) { return parse_timestamp(text).value(); }

const std::string subscription = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string group_id = "/subscriptions/" + subscription + "/resourceGroups/prod";

std::string vm_id(const std::string& name) { return group_id + "/providers/Microsoft.Compute/virtualMachines/" + name; }

std::string collection_id(const std::string& policy, const std::string& vm, const std::string& suffix = "") {
  return group_id + "/providers/Microsoft.Compute/restorePointCollections/rpc-" + vm + "-" + policy + suffix;
}

// "web-20261125T1000Z" for the slot 2026-11-25T10:00:00Z, as the daemon names points.
std::string point_name(const std::string& policy, std::string_view slot) {
  std::string compact;
  for (char c : slot.substr(0, 16)) {
    if (c != '-' && c != ':') compact += c;
  }
  return policy + "-" + compact + "Z";
}

VmRecord vm_record(const std::string& policy, const std::string& name, Instant seen) {
  VmRecord vm;
  vm.policy = policy;
  vm.vm_id = vm_id(name);
  vm.vm_name = name;
  vm.subscription = subscription;
  vm.resource_group = "prod";
  vm.location = "northeurope";
  vm.first_seen_at = seen;
  vm.last_seen_at = seen;
  return vm;
}

CollectionRecord local_collection(const std::string& policy, const std::string& vm) {
  CollectionRecord collection;
  collection.id = collection_id(policy, vm);
  collection.policy = policy;
  collection.vm_id = vm_id(vm);
  collection.region = "northeurope";
  collection.kind = PointKind::local;
  return collection;
}

CollectionRecord copy_collection(const std::string& policy, const std::string& vm, const std::string& region) {
  CollectionRecord collection = local_collection(policy, vm);
  collection.id = collection_id(policy, vm, "-" + region);
  collection.region = region;
  collection.kind = PointKind::copy;
  collection.source_collection_id = collection_id(policy, vm);
  return collection;
}

PointRecord local_point(const std::string& policy, const std::string& vm, std::string_view slot, PointState state,
                        std::optional<Instant> created_at = std::nullopt) {
  PointRecord point;
  point.collection_id = collection_id(policy, vm);
  point.name = point_name(policy, slot);
  point.id = point.collection_id + "/restorePoints/" + point.name;
  point.policy = policy;
  point.vm_id = vm_id(vm);
  point.region = "northeurope";
  point.slot = at(slot);
  point.kind = PointKind::local;
  point.state = state;
  point.created_at = created_at;
  return point;
}

PointRecord copy_point(const std::string& policy, const std::string& vm, const std::string& region,
                       std::string_view slot, PointState state, std::optional<int> replication_percent) {
  PointRecord point = local_point(policy, vm, slot, state);
  point.collection_id = collection_id(policy, vm, "-" + region);
  point.id = point.collection_id + "/restorePoints/" + point.name;
  point.region = region;
  point.kind = PointKind::copy;
  point.source_point_id = local_point(policy, vm, slot, state).id;
  point.replication_percent = replication_percent;
  return point;
}

JobStart job_start(const std::string& policy, const std::string& vm, const std::string& action,
                   const std::string& target, int attempt = 1) {
  return JobStart{policy, vm_id(vm), vm, action, target, attempt};
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every database of a test lives in a folder of its own under /tmp, removed at the end of the test.
class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rpd-store-test-XXXXXX").string();
    folder_ = ::mkdtemp(pattern.data());
  }
  ~StateStoreTest() override { std::filesystem::remove_all(folder_); }

  std::string database() const { return folder_ + "/state.db"; }

  StateStore open_store(std::chrono::milliseconds busy_timeout = StateStore::default_busy_timeout) {
    Result<StateStore> store = StateStore::open(database(), busy_timeout);
    if (!store) ADD_FAILURE() << store.error().message;
    return std::move(store).value();
  }

  // A query on a connection of its own, as `sqlite3 -readonly state.db` would print it: columns joined by
  // '|', NULL as NULL.
  std::vector<std::string> rows(const std::string& sql) const {
    SQLite::Database db(database(), SQLite::OPEN_READONLY);
    SQLite::Statement statement(db, sql);
    std::vector<std::string> lines;
    while (statement.executeStep()) {
      std::string line;
      for (int i = 0; i < statement.getColumnCount(); ++i) {
        if (i > 0) line += '|';
        const SQLite::Column column = statement.getColumn(i);
        line += column.isNull() ? "NULL" : column.getString();
      }
      lines.push_back(line);
    }
    return lines;
  }

  std::vector<std::string> column_names(const std::string& table_or_view) const {
    return rows("SELECT name FROM pragma_table_info('" + table_or_view + "') ORDER BY cid");
  }

  void set_user_version(int version) const {
    SQLite::Database db(database(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = " + std::to_string(version));
  }

  // A VM of the policy with its local collection, ready for points.
  void add_vm(StateStore& store, const std::string& policy, const std::string& vm) {
    ASSERT_TRUE(store.upsert_vm(vm_record(policy, vm, at("2026-11-25T09:00:00Z"))));
    ASSERT_TRUE(store.upsert_collection(local_collection(policy, vm)));
  }

  std::string folder_;
};

// Opening.

TEST_F(StateStoreTest, AFreshDatabaseGetsSchemaVersionOneWithEveryTableAndView) {
  StateStore store = open_store();
  EXPECT_EQ(rows("PRAGMA user_version"), std::vector<std::string>{"1"});
  EXPECT_EQ(rows("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  EXPECT_EQ(rows("SELECT type || ' ' || name FROM sqlite_master WHERE type IN ('table', 'view') "
                 "AND name NOT LIKE 'sqlite_%' ORDER BY type, name"),
            (std::vector<std::string>{"table collections", "table job_events", "table jobs", "table policy_vms",
                                      "table restore_point_disks", "table restore_points", "view job_log",
                                      "view restore_points_view", "view vm_status"}));
  EXPECT_EQ(column_names("vm_status"),
            (std::vector<std::string>{"policy", "vm", "last_success_at", "last_restore_point", "next_run_at",
                                      "points_kept", "copies_in_flight", "instant_access", "last_error", "vm_id"}));
  EXPECT_EQ(column_names("job_log"),
            (std::vector<std::string>{"time", "job", "policy", "vm", "action", "state", "attempt", "http_status",
                                      "error_code", "message", "request_id"}));
  EXPECT_EQ(column_names("restore_points_view"),
            (std::vector<std::string>{"policy", "vm", "region", "name", "created_at", "state", "kind",
                                      "replication_percent", "instant_access_state", "keep_reasons", "id"}));
  EXPECT_EQ(store.integrity_check().value(), "ok");
  EXPECT_EQ(store.path(), database());
}

TEST_F(StateStoreTest, OpeningAgainKeepsTheSchemaAndTheRows) {
  {
    StateStore store = open_store();
    add_vm(store, "web", "web01");
  }
  const std::vector<std::string> schema = rows("SELECT sql FROM sqlite_master ORDER BY name");
  {
    StateStore store = open_store();
    EXPECT_EQ(store.vms("web").value().size(), 1u);
  }
  StateStore store = open_store();
  EXPECT_EQ(rows("PRAGMA user_version"), std::vector<std::string>{"1"});
  EXPECT_EQ(rows("SELECT sql FROM sqlite_master ORDER BY name"), schema);
  EXPECT_EQ(store.vms("web").value().size(), 1u);
}

TEST_F(StateStoreTest, TheWriteAheadLogStaysForReadersWhenTheDaemonStops) {
  {
    StateStore store = open_store();
    add_vm(store, "web", "web01");
  }
  // A reader that may not create files in the folder can open the database only while these exist.
  EXPECT_TRUE(std::filesystem::exists(database() + "-wal"));
  EXPECT_TRUE(std::filesystem::exists(database() + "-shm"));
  StateStore reader = StateStore::open_read_only(database()).value();
  EXPECT_EQ(reader.vm_status().value().size(), 1u);
}

TEST_F(StateStoreTest, RefusesANewerSchemaAndLeavesTheFileUntouched) {
  { StateStore store = open_store(); }
  set_user_version(99);
  const std::string before = file_bytes(database());

  const Result<StateStore> store = StateStore::open(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message,
            "state database " + database() +
                ": schema version 99 is newer than this restorepointd knows (1); it was written by a newer version: "
                "upgrade restorepointd, or move the database away");
  EXPECT_EQ(file_bytes(database()), before);
  EXPECT_EQ(rows("PRAGMA user_version"), std::vector<std::string>{"99"});
}

TEST_F(StateStoreTest, RefusesADirectoryThatDoesNotExist) {
  const std::string path = folder_ + "/missing/state.db";
  const Result<StateStore> store = StateStore::open(path);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message,
            "state database " + path + ": cannot create it: the directory " + folder_ + "/missing does not exist");
  EXPECT_FALSE(std::filesystem::exists(folder_ + "/missing"));
}

TEST_F(StateStoreTest, ReadOnlyOpenerRefusesAMissingFileAndCreatesNothing) {
  const Result<StateStore> store = StateStore::open_read_only(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message,
            "state database " + database() + ": no such file (the daemon creates it when it first starts)");
  EXPECT_FALSE(std::filesystem::exists(database()));
}

TEST_F(StateStoreTest, RefusesAnotherProgramsDatabaseAndLeavesItAlone) {
  {
    SQLite::Database db(database(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE accounts (name TEXT)");
  }
  const std::string before = file_bytes(database());
  const std::string message = "state database " + database() +
                              ": not a restorepointd database (it has tables but no schema version); move it away "
                              "or set another state.database";
  const Result<StateStore> store = StateStore::open(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message, message);
  const Result<StateStore> reader = StateStore::open_read_only(database());
  ASSERT_FALSE(reader);
  EXPECT_EQ(reader.error().message, message);
  EXPECT_EQ(file_bytes(database()), before);
}

TEST_F(StateStoreTest, RefusesAFileThatIsNoDatabase) {
  std::ofstream(database()) << "restorepointd: not yet\n";
  const Result<StateStore> store = StateStore::open(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message,
            "state database " + database() + ": reading the schema version: file is not a database");
  EXPECT_EQ(file_bytes(database()), "restorepointd: not yet\n");
}

TEST_F(StateStoreTest, ReadOnlyOpenerRefusesAnOlderSchemaWithoutUpgradingIt) {
  // As a reader may find it in the instant between the daemon creating the file and writing the schema.
  { SQLite::Database db(database(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE); }
  const Result<StateStore> store = StateStore::open_read_only(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message, "state database " + database() +
                                       ": schema version 0 is older than this restorepointd's (1); let the daemon "
                                       "upgrade it first");
  EXPECT_EQ(rows("PRAGMA user_version"), std::vector<std::string>{"0"});
}

TEST_F(StateStoreTest, ReadOnlyOpenerRefusesANewerSchema) {
  { StateStore store = open_store(); }
  set_user_version(2);
  const Result<StateStore> store = StateStore::open_read_only(database());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().message,
            "state database " + database() +
                ": schema version 2 is newer than this restorepointd knows (1); it was written by a newer version: "
                "upgrade restorepointd, or move the database away");
}

TEST_F(StateStoreTest, AReadOnlyStoreReadsButNeverWrites) {
  {
    StateStore store = open_store();
    add_vm(store, "web", "web01");
  }
  StateStore reader = StateStore::open_read_only(database()).value();
  EXPECT_EQ(reader.vm_status().value().size(), 1u);
  const Result<Done> written = reader.set_last_error("web", vm_id("web01"), "boom");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "state database " + database() +
                                         ": recording the last error of VM web01 of policy web: attempt to write a "
                                         "readonly database");
}

// The intent and the outcome.

TEST_F(StateStoreTest, OneVmIsReadByItsKeyInAnyCase) {
  StateStore store = open_store();
  const Instant seen = parse_timestamp("2026-12-04T08:00:00Z").value();
  ASSERT_TRUE(store.upsert_vm(vm_record("sql", "sql01", seen)).ok());
  const auto found = store.vm("sql", to_lower(vm_id("sql01")));
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->vm_name, "sql01");
  EXPECT_FALSE(store.vm("web", vm_id("sql01"))->has_value()) << "another policy's";
  EXPECT_FALSE(store.vm("sql", vm_id("sql02"))->has_value());
}

TEST_F(StateStoreTest, ACreateStartedBeforeACrashIsFoundAfterTheRestart) {
  const PointRecord creating = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating);
  JobId job_id = 0;
  {
    StateStore store = open_store();
    add_vm(store, "web", "web01");
    job_id = store.begin_create(job_start("web", "web01", "create", creating.id), creating, at("2026-11-25T10:00:07Z"))
                 .value();
    ASSERT_TRUE(store.set_job_operation(
        job_id,
        OperationRef{"azure-async-operation", "https://management.azure.com/operations/1", creating.id, false}));
    // The daemon dies here: no finish_job.
  }

  StateStore store = open_store();
  const std::vector<JobRecord> running = store.running_jobs().value();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0], (JobRecord{job_id, "web", vm_id("web01"), "web01", "create", creating.id, JobState::running, 1,
                                   at("2026-11-25T10:00:07Z"), std::nullopt,
                                   OperationRef{"azure-async-operation", "https://management.azure.com/operations/1",
                                                creating.id, false}}));
  EXPECT_EQ(store.vms("web").value().at(0).last_handled_slot, at("2026-11-25T10:00:00Z"));
  EXPECT_EQ(store.point(creating.id).value()->state, PointState::creating);

  StateStore reader = StateStore::open_read_only(database()).value();
  EXPECT_EQ(reader.running_jobs().value().size(), 1u);
  EXPECT_EQ(rows("SELECT * FROM restore_points_view"),
            std::vector<std::string>{"web|web01|northeurope|web-20261125T1000Z|NULL|creating|local|NULL|NULL|NULL|" +
                                     creating.id});
  EXPECT_EQ(rows("SELECT * FROM job_log"),
            std::vector<std::string>{"2026-11-25T10:00:07Z|1|web|web01|create|running|1|NULL|NULL|started|NULL"});
}

TEST_F(StateStoreTest, BeginCreateWritesAllOrNothing) {
  StateStore store = open_store();
  ASSERT_TRUE(store.upsert_vm(vm_record("web", "web01", at("2026-11-25T09:00:00Z"))));
  // No collection recorded: the point cannot be written, so neither is the job nor the slot.
  const PointRecord creating = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating);
  const Result<JobId> job_id =
      store.begin_create(job_start("web", "web01", "create", creating.id), creating, at("2026-11-25T10:00:07Z"));
  ASSERT_FALSE(job_id);
  EXPECT_EQ(job_id.error().message, "state database " + database() +
                                        ": starting the create of restore point web-20261125T1000Z for VM web01 of "
                                        "policy web: FOREIGN KEY constraint failed");
  EXPECT_TRUE(store.running_jobs().value().empty());
  EXPECT_TRUE(store.job_log({}).value().empty());
  EXPECT_EQ(store.vms("web").value().at(0).last_handled_slot, std::nullopt);
}

TEST_F(StateStoreTest, BeginCreateRefusesAVmOfNoPolicyAndNeverMovesTheSlotBackwards) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.upsert_collection(local_collection("web", "web02")));  // a collection, but no VM row
  const PointRecord orphan = local_point("web", "web02", "2026-11-25T10:00:00Z", PointState::creating);
  const Result<JobId> refused =
      store.begin_create(job_start("web", "web02", "create", orphan.id), orphan, at("2026-11-25T10:00:07Z"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "state database " + database() +
                                         ": starting the create of restore point web-20261125T1000Z for VM web02 of "
                                         "policy web: no such VM in the database");
  EXPECT_FALSE(store.point(orphan.id).value());

  const PointRecord newer = local_point("web", "web01", "2026-11-25T14:00:00Z", PointState::creating);
  const PointRecord older = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::failed);
  ASSERT_TRUE(store.begin_create(job_start("web", "web01", "create", newer.id), newer, at("2026-11-25T14:00:03Z")));
  ASSERT_TRUE(store.begin_create(job_start("web", "web01", "create", older.id, 2), older, at("2026-11-25T14:00:04Z")));
  EXPECT_EQ(store.vms("web").value().at(0).last_handled_slot, at("2026-11-25T14:00:00Z"));
  EXPECT_EQ(store.point(older.id).value()->state, PointState::creating);  // whatever the record said
}

TEST_F(StateStoreTest, ACopysIntentIsWrittenWithItsJobAndLeavesTheSlotAlone) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.upsert_collection(copy_collection("web", "web01", "westeurope")));
  ASSERT_TRUE(store.set_schedule_state("web", vm_id("web01"), at("2026-11-25T12:00:00Z"), std::nullopt));
  const PointRecord copy =
      copy_point("web", "web01", "westeurope", "2026-11-25T10:00:00Z", PointState::creating, std::nullopt);
  const JobId job_id =
      store.begin_create(job_start("web", "web01", "copy", copy.id), copy, at("2026-11-25T12:30:00Z")).value();
  EXPECT_EQ(store.job(job_id).value()->action, "copy");
  EXPECT_EQ(store.point(copy.id).value()->kind, PointKind::copy);
  EXPECT_EQ(store.vms("web").value().at(0).last_handled_slot, at("2026-11-25T12:00:00Z"));
  EXPECT_EQ(rows("SELECT copies_in_flight FROM vm_status"), std::vector<std::string>{"1"});
}

TEST_F(StateStoreTest, FinishedJobsAreInTheJobLogAndInTheVmsLastError) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  const PointRecord creating = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating);
  const JobId failing =
      store.begin_create(job_start("web", "web01", "create", creating.id), creating, at("2026-11-25T10:00:05Z"))
          .value();
  ASSERT_TRUE(store.finish_job(failing,
                               JobOutcome{JobState::failed, 409, "OperationNotAllowed",
                                          "Restore point creation is not allowed while another is in progress",
                                          "8d6c1f52-0000-4f0e-9d3b-1c2d3e4f5a6b"},
                               at("2026-11-25T10:00:06Z")));
  EXPECT_EQ(store.vm_status().value().at(0).last_error,
            "Restore point creation is not allowed while another is in progress");

  const JobId retry =
      store.begin_create(job_start("web", "web01", "create", creating.id, 2), creating, at("2026-11-25T10:05:00Z"))
          .value();
  ASSERT_TRUE(store.finish_job(retry, JobOutcome{JobState::succeeded, 200, "", "", ""}, at("2026-11-25T10:05:41Z")));
  EXPECT_EQ(store.vm_status().value().at(0).last_error, std::nullopt);

  EXPECT_EQ(rows("SELECT * FROM job_log"),
            (std::vector<std::string>{
                "2026-11-25T10:00:05Z|1|web|web01|create|running|1|NULL|NULL|started|NULL",
                "2026-11-25T10:00:06Z|1|web|web01|create|failed|1|409|OperationNotAllowed|Restore point creation is "
                "not allowed while another is in progress|8d6c1f52-0000-4f0e-9d3b-1c2d3e4f5a6b",
                "2026-11-25T10:05:00Z|2|web|web01|create|running|2|NULL|NULL|started|NULL",
                "2026-11-25T10:05:41Z|2|web|web01|create|succeeded|2|200|NULL|succeeded|NULL",
            }));
  EXPECT_EQ(store.job(failing).value(),
            (JobRecord{failing, "web", vm_id("web01"), "web01", "create", creating.id, JobState::failed, 1,
                       at("2026-11-25T10:00:05Z"), at("2026-11-25T10:00:06Z"), std::nullopt}));
  EXPECT_TRUE(store.running_jobs().value().empty());

  const std::vector<JobLogRow> log = store.job_log({}).value();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[1],
            (JobLogRow{at("2026-11-25T10:00:06Z"), 1, "web", "web01", "create", JobState::failed, 1, 409,
                       "OperationNotAllowed", "Restore point creation is not allowed while another is in progress",
                       "8d6c1f52-0000-4f0e-9d3b-1c2d3e4f5a6b"}));
}

TEST_F(StateStoreTest, OnlyASucceededCreateClearsTheLastError) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.set_last_error("web", vm_id("web01"), "copy to westeurope failed"));
  const JobId copy = store.begin_job(job_start("web", "web01", "copy", "x"), at("2026-11-25T10:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(copy, JobOutcome{JobState::succeeded, 200, "", "", ""}, at("2026-11-25T10:01:00Z")));
  EXPECT_EQ(store.vms("web").value().at(0).last_error, "copy to westeurope failed");

  const JobId failed = store.begin_job(job_start("web", "web01", "delete", "y"), at("2026-11-25T10:02:00Z")).value();
  ASSERT_TRUE(
      store.finish_job(failed, JobOutcome{JobState::failed, std::nullopt, "", "", ""}, at("2026-11-25T10:03:00Z")));
  EXPECT_EQ(store.vms("web").value().at(0).last_error, "failed");
  EXPECT_EQ(rows("SELECT message FROM job_log WHERE job = 2"), (std::vector<std::string>{"started", "failed"}));
}

TEST_F(StateStoreTest, AJobFinishesOnce) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  const JobId job_id = store.begin_job(job_start("web", "web01", "delete", "x"), at("2026-11-25T10:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(job_id, JobOutcome{}, at("2026-11-25T10:00:30Z")));

  const Result<Done> again = store.finish_job(job_id, JobOutcome{}, at("2026-11-25T10:00:31Z"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message,
            "state database " + database() + ": recording job 1: the job has finished already (succeeded)");
  const Result<Done> unknown = store.finish_job(7, JobOutcome{}, at("2026-11-25T10:00:31Z"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "state database " + database() + ": recording job 7: no such job");
  const Result<Done> running =
      store.finish_job(job_id, JobOutcome{JobState::running, std::nullopt, "", "", ""}, at("2026-11-25T10:00:31Z"));
  ASSERT_FALSE(running);
  EXPECT_EQ(running.error().message,
            "state database " + database() + ": recording job 1: a job finishes as succeeded or failed, not running");
  EXPECT_EQ(store.job_log({}).value().size(), 2u);
  EXPECT_EQ(store.job(7).value(), std::nullopt);
}

TEST_F(StateStoreTest, ALockedDatabaseIsAnErrorAndNothingIsHalfWritten) {
  StateStore store = open_store(std::chrono::milliseconds(0));
  add_vm(store, "web", "web01");
  const JobId job_id = store.begin_job(job_start("web", "web01", "create", "x"), at("2026-11-25T10:00:00Z")).value();

  SQLite::Database other(database(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  const Result<Done> finished = store.finish_job(job_id, JobOutcome{JobState::failed, 500, "InternalError", "boom", ""},
                                                 at("2026-11-25T10:01:00Z"));
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().message, "state database " + database() + ": recording job 1: database is locked");
  other.exec("ROLLBACK");

  EXPECT_EQ(store.running_jobs().value().size(), 1u);
  EXPECT_EQ(store.job_log({}).value().size(), 1u);
  ASSERT_TRUE(store.finish_job(job_id, JobOutcome{JobState::failed, 500, "InternalError", "boom", ""},
                               at("2026-11-25T10:01:01Z")));
  EXPECT_EQ(store.vms("web").value().at(0).last_error, "boom");
}

// Inventory, collections and points.

TEST_F(StateStoreTest, UpsertingAVmKeepsWhatOtherCallsOwn) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.set_schedule_state("web", vm_id("web01"), at("2026-11-25T10:00:00Z"), at("2026-11-25T14:03:00Z")));
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web01"), true));
  ASSERT_TRUE(store.set_last_error("web", vm_id("web01"), "quota exceeded"));

  VmRecord refreshed = vm_record("web", "web01", at("2026-11-26T09:00:00Z"));
  refreshed.location = "westeurope";
  ASSERT_TRUE(store.upsert_vm(refreshed));

  VmRecord expected = vm_record("web", "web01", at("2026-11-25T09:00:00Z"));
  expected.location = "westeurope";
  expected.last_seen_at = at("2026-11-26T09:00:00Z");
  expected.last_handled_slot = at("2026-11-25T10:00:00Z");
  expected.next_run_at = at("2026-11-25T14:03:00Z");
  expected.instant_access = true;
  expected.last_error = "quota exceeded";
  EXPECT_EQ(store.vms("web").value(), std::vector<VmRecord>{expected});
}

TEST_F(StateStoreTest, AMissingVmIsReportedSinceItWasFirstMissedAndClearedWhenItIsBack) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.mark_vm_missing("web", vm_id("web01"), at("2026-11-25T11:00:00Z")));
  ASSERT_TRUE(store.mark_vm_missing("web", vm_id("web01"), at("2026-11-25T12:00:00Z")));
  VmRecord missing = store.vms("web").value().at(0);
  EXPECT_FALSE(missing.present);
  EXPECT_EQ(missing.missing_since, at("2026-11-25T11:00:00Z"));
  EXPECT_EQ(missing.last_error, "VM not found since 2026-11-25T11:00:00Z");
  EXPECT_EQ(rows("SELECT vm, last_error FROM vm_status"),
            std::vector<std::string>{"web01|VM not found since 2026-11-25T11:00:00Z"});

  ASSERT_TRUE(store.upsert_vm(vm_record("web", "web01", at("2026-11-25T13:00:00Z"))));
  const VmRecord back = store.vms("web").value().at(0);
  EXPECT_TRUE(back.present);
  EXPECT_EQ(back.missing_since, std::nullopt);
  EXPECT_EQ(back.last_error, std::nullopt);

  const Result<Done> unknown = store.mark_vm_missing("web", vm_id("web09"), at("2026-11-25T13:00:00Z"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message,
            "state database " + database() + ": marking VM web09 of policy web missing: no such VM in the database");
}

TEST_F(StateStoreTest, VmsAreListedByPolicyThenNameAndRemovedWithoutTheirPoints) {
  StateStore store = open_store();
  add_vm(store, "web", "web02");
  add_vm(store, "web", "web01");
  add_vm(store, "db", "sql01");
  ASSERT_TRUE(store.upsert_point(
      local_point("web", "web02", "2026-11-25T10:00:00Z", PointState::succeeded, at("2026-11-25T10:00:40Z")),
      at("2026-11-25T10:01:00Z")));
  std::vector<std::string> names;
  const std::vector<VmRecord> all = store.all_vms().value();  // a local: a temporary's value() would dangle
  for (const VmRecord& vm : all) names.push_back(vm.policy + "/" + vm.vm_name);
  EXPECT_EQ(names, (std::vector<std::string>{"db/sql01", "web/web01", "web/web02"}));

  ASSERT_TRUE(store.remove_policy_vm("web", vm_id("web02")));
  ASSERT_TRUE(store.remove_policy_vm("web", vm_id("web02")));
  EXPECT_EQ(store.vms("web").value().size(), 1u);
  // The point stays, named by its VM's id now that the policy has no name for it.
  EXPECT_EQ(rows("SELECT policy, vm, name FROM restore_points_view"),
            std::vector<std::string>{"web|" + vm_id("web02") + "|web-20261125T1000Z"});
}

TEST_F(StateStoreTest, PointsAreReplacedWithTheirDisksAndForgotten) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.upsert_collection(copy_collection("web", "web01", "westeurope")));
  PointRecord copy = copy_point("web", "web01", "westeurope", "2026-11-25T10:00:00Z", PointState::succeeded, 40);
  copy.disks = {DiskRecord{copy.id + "/diskRestorePoints/os", 40, "Pending"},
                DiskRecord{copy.id + "/diskRestorePoints/data0", 55, std::nullopt}};
  ASSERT_TRUE(store.upsert_point(copy, at("2026-11-25T11:00:00Z")));
  const PointRecord local =
      local_point("web", "web01", "2026-11-25T06:00:00Z", PointState::succeeded, at("2026-11-25T06:00:40Z"));
  ASSERT_TRUE(store.upsert_point(local, at("2026-11-25T11:00:00Z")));

  PointRecord expected = copy;
  expected.updated_at = at("2026-11-25T11:00:00Z");
  std::swap(expected.disks[0], expected.disks[1]);  // by id
  EXPECT_EQ(store.point(copy.id).value(), expected);

  copy.replication_percent = 100;
  copy.keep_reasons = "keep_daily";
  copy.disks = {DiskRecord{copy.id + "/diskRestorePoints/os", 100, "Available"}};
  ASSERT_TRUE(store.upsert_point(copy, at("2026-11-25T12:00:00Z")));
  const std::vector<PointRecord> points = store.points("web", vm_id("web01")).value();
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].name, "web-20261125T0600Z");  // by slot
  EXPECT_EQ(points[1].replication_percent, 100);
  EXPECT_EQ(points[1].keep_reasons, "keep_daily");
  EXPECT_EQ(points[1].disks,
            (std::vector<DiskRecord>{DiskRecord{copy.id + "/diskRestorePoints/os", 100, "Available"}}));

  ASSERT_TRUE(store.set_point_state(copy.id, PointState::deleting, at("2026-11-25T13:00:00Z")));
  EXPECT_EQ(store.point(copy.id).value()->state, PointState::deleting);
  ASSERT_TRUE(store.forget_point(copy.id));
  ASSERT_TRUE(store.forget_point(copy.id));
  EXPECT_EQ(store.point(copy.id).value(), std::nullopt);
  EXPECT_EQ(rows("SELECT count(*) FROM restore_point_disks"), std::vector<std::string>{"0"});

  const Result<Done> gone = store.set_point_state(copy.id, PointState::deleting, at("2026-11-25T13:00:00Z"));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().message, "state database " + database() +
                                      ": recording the state of restore point web-20261125T1000Z: no such restore "
                                      "point in the database");
}

TEST_F(StateStoreTest, AValueEditedByHandIntoSomethingUnreadableIsAnError) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  {
    SQLite::Database db(database(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE policy_vms SET first_seen_at = 'yesterday'");
  }
  const Result<std::vector<VmRecord>> vms = store.vms("web");
  ASSERT_FALSE(vms);
  EXPECT_EQ(vms.error().message, "state database " + database() +
                                     ": reading the VMs of policy web: first_seen_at 'yesterday' is not a time");
}

TEST_F(StateStoreTest, IdsCompareCaseInsensitively) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };

  VmRecord shouted = vm_record("web", "web01", at("2026-11-26T09:00:00Z"));
  shouted.vm_id = upper(shouted.vm_id);
  shouted.resource_group = "PROD";
  ASSERT_TRUE(store.upsert_vm(shouted));
  ASSERT_EQ(store.all_vms().value().size(), 1u);
  EXPECT_EQ(store.vms("web").value().at(0).last_seen_at, at("2026-11-26T09:00:00Z"));

  CollectionRecord collection = local_collection("web", "web01");
  collection.id = upper(collection.id);
  collection.vm_id = upper(collection.vm_id);
  collection.instant_access = true;
  ASSERT_TRUE(store.upsert_collection(collection));
  EXPECT_EQ(store.collections("web", vm_id("web01")).value().size(), 1u);
  EXPECT_EQ(store.vm_status().value().at(0).instant_access, true);

  PointRecord point = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating);
  ASSERT_TRUE(store.upsert_point(point, at("2026-11-25T10:00:05Z")));
  point.id = upper(point.id);
  point.collection_id = upper(point.collection_id);
  point.state = PointState::succeeded;
  point.created_at = at("2026-11-25T10:00:40Z");
  point.disks = {DiskRecord{point.id + "/DISKRESTOREPOINTS/OS", std::nullopt, std::nullopt}};
  ASSERT_TRUE(store.upsert_point(point, at("2026-11-25T10:01:00Z")));
  const std::vector<PointRecord> points = store.points("web", upper(vm_id("web01"))).value();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].state, PointState::succeeded);
  EXPECT_EQ(points[0].disks.size(), 1u);
  EXPECT_EQ(store.vm_status().value().at(0).points_kept, 1);
  ASSERT_TRUE(store.forget_point(local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating).id));
  EXPECT_TRUE(store.points("web", vm_id("web01")).value().empty());
}

TEST_F(StateStoreTest, CollectionsAreListedLocalFirstAndCarryInstantAccessToTheVm) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  ASSERT_TRUE(store.upsert_collection(copy_collection("web", "web01", "westeurope")));
  ASSERT_TRUE(store.upsert_collection(copy_collection("web", "web01", "francecentral")));
  std::vector<std::string> regions;
  const std::vector<CollectionRecord> collections = store.collections("web", vm_id("web01")).value();
  for (const CollectionRecord& c : collections) regions.push_back(c.region);
  EXPECT_EQ(regions, (std::vector<std::string>{"northeurope", "francecentral", "westeurope"}));

  EXPECT_EQ(store.vm_status().value().at(0).instant_access, std::nullopt);
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web01"), true));
  EXPECT_EQ(rows("SELECT instant_access FROM vm_status"), std::vector<std::string>{"on"});
  // A copy collection's setting is its own, not the VM's.
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web01", "-westeurope"), false));
  EXPECT_EQ(rows("SELECT instant_access FROM vm_status"), std::vector<std::string>{"on"});
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web01"), false));
  EXPECT_EQ(rows("SELECT instant_access FROM vm_status"), std::vector<std::string>{"off"});
  // Seen without a state (an older api-version): what was known stays.
  ASSERT_TRUE(store.upsert_collection(local_collection("web", "web01")));
  EXPECT_EQ(store.collections("web", vm_id("web01")).value().at(0).instant_access, false);

  const Result<Done> unknown = store.set_collection_instant_access(collection_id("web", "web09"), true);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "state database " + database() +
                                         ": recording Instant Access of collection rpc-web09-web: no such collection "
                                         "in the database");
}

// The views.

TEST_F(StateStoreTest, VmStatusSummarisesEachVmOfEachPolicy) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  add_vm(store, "web", "web02");
  add_vm(store, "db", "web01");  // the same VM in a second policy: its own row, its own points
  ASSERT_TRUE(store.upsert_collection(copy_collection("web", "web01", "westeurope")));
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web01"), true));
  ASSERT_TRUE(store.set_collection_instant_access(collection_id("web", "web02"), false));
  ASSERT_TRUE(store.set_schedule_state("web", vm_id("web01"), at("2026-11-25T10:00:00Z"), at("2026-11-25T14:02:11Z")));
  ASSERT_TRUE(store.mark_vm_missing("web", vm_id("web02"), at("2026-11-25T11:00:00Z")));

  const Instant now = at("2026-11-25T12:00:00Z");
  for (const PointRecord& point : {
           local_point("web", "web01", "2026-11-25T06:00:00Z", PointState::failed),
           local_point("web", "web01", "2026-11-25T08:00:00Z", PointState::succeeded, at("2026-11-25T08:00:40Z")),
           local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::succeeded, at("2026-11-25T10:00:35Z")),
           local_point("web", "web01", "2026-11-25T12:00:00Z", PointState::creating),
           copy_point("web", "web01", "westeurope", "2026-11-25T04:00:00Z", PointState::succeeded, 100),
           copy_point("web", "web01", "westeurope", "2026-11-25T06:00:00Z", PointState::failed, std::nullopt),
           copy_point("web", "web01", "westeurope", "2026-11-25T08:00:00Z", PointState::succeeded, 40),
           copy_point("web", "web01", "westeurope", "2026-11-25T09:00:00Z", PointState::succeeded, std::nullopt),
           copy_point("web", "web01", "westeurope", "2026-11-25T10:00:00Z", PointState::creating, std::nullopt),
           local_point("db", "web01", "2026-11-25T09:00:00Z", PointState::succeeded, at("2026-11-25T09:01:02Z")),
           local_point("db", "web01", "2026-11-25T11:00:00Z", PointState::deleting, at("2026-11-25T11:01:02Z")),
       }) {
    ASSERT_TRUE(store.upsert_point(point, now));
  }

  StateStore reader = StateStore::open_read_only(database()).value();
  EXPECT_EQ(rows("SELECT * FROM vm_status"),
            (std::vector<std::string>{
                "db|web01|2026-11-25T09:01:02Z|db-20261125T0900Z|NULL|1|0|NULL|NULL|" + vm_id("web01"),
                "web|web01|2026-11-25T10:00:35Z|web-20261125T1000Z|2026-11-25T14:02:11Z|2|3|on|NULL|" + vm_id("web01"),
                "web|web02|NULL|NULL|NULL|0|0|off|VM not found since 2026-11-25T11:00:00Z|" + vm_id("web02"),
            }));
  const std::vector<VmStatusRow> status = reader.vm_status().value();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_EQ(status[1], (VmStatusRow{"web", "web01", at("2026-11-25T10:00:35Z"), "web-20261125T1000Z",
                                    at("2026-11-25T14:02:11Z"), 2, 3, true, std::nullopt, vm_id("web01")}));
  EXPECT_EQ(status[2], (VmStatusRow{"web", "web02", std::nullopt, std::nullopt, std::nullopt, 0, 0, false,
                                    "VM not found since 2026-11-25T11:00:00Z", vm_id("web02")}));

  const PointRecord copy = copy_point("web", "web01", "westeurope", "2026-11-25T08:00:00Z", PointState::succeeded, 40);
  EXPECT_EQ(
      rows("SELECT * FROM restore_points_view WHERE kind = 'copy' AND replication_percent = 40"),
      std::vector<std::string>{"web|web01|westeurope|web-20261125T0800Z|NULL|succeeded|copy|40|NULL|NULL|" + copy.id});
}

TEST_F(StateStoreTest, TheJobLogIsFilteredAndLimitedToItsNewestLines) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  add_vm(store, "db", "sql01");
  const JobId web_create =
      store.begin_job(job_start("web", "web01", "create", "a"), at("2026-11-24T10:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(web_create, JobOutcome{JobState::failed, 429, "TooManyRequests", "throttled", ""},
                               at("2026-11-24T10:00:09Z")));
  const JobId db_create = store.begin_job(job_start("db", "sql01", "create", "b"), at("2026-11-25T10:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(db_create, JobOutcome{JobState::failed, 500, "InternalError", "boom", ""},
                               at("2026-11-25T10:00:09Z")));
  const JobId web_delete =
      store.begin_job(job_start("web", "web01", "delete", "c"), at("2026-11-25T11:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(web_delete, JobOutcome{}, at("2026-11-25T11:00:09Z")));

  auto lines = [&](const JobLogFilter& filter) {
    std::vector<std::string> found;
    const std::vector<JobLogRow> log = store.job_log(filter).value();
    for (const JobLogRow& row : log) {
      found.push_back(format_utc(row.time) + " " + std::to_string(row.job) + " " + row.policy + " " +
                      std::string(to_string(row.state)));
    }
    return found;
  };
  EXPECT_EQ(lines({}).size(), 6u);
  EXPECT_EQ(lines({"web", false, std::nullopt, 0}),
            (std::vector<std::string>{"2026-11-24T10:00:00Z 1 web running", "2026-11-24T10:00:09Z 1 web failed",
                                      "2026-11-25T11:00:00Z 3 web running", "2026-11-25T11:00:09Z 3 web succeeded"}));
  EXPECT_EQ(lines({std::nullopt, true, std::nullopt, 0}),
            (std::vector<std::string>{"2026-11-24T10:00:09Z 1 web failed", "2026-11-25T10:00:09Z 2 db failed"}));
  EXPECT_EQ(lines({std::nullopt, false, at("2026-11-25T10:00:09Z"), 2}),
            (std::vector<std::string>{"2026-11-25T11:00:00Z 3 web running", "2026-11-25T11:00:09Z 3 web succeeded"}));
  EXPECT_EQ(lines({"web", true, at("2026-11-25T00:00:00Z"), 0}), std::vector<std::string>{});
}

TEST_F(StateStoreTest, TrimmingTheJobLogDropsOldLinesAndTheFinishedJobsLeftWithout) {
  StateStore store = open_store();
  add_vm(store, "web", "web01");
  const JobId old_finished =
      store.begin_job(job_start("web", "web01", "create", "a"), at("2026-08-01T10:00:00Z")).value();
  ASSERT_TRUE(store.finish_job(old_finished, JobOutcome{}, at("2026-08-01T10:01:00Z")));
  const JobId old_running =
      store.begin_job(job_start("web", "web01", "delete", "b"), at("2026-08-01T11:00:00Z")).value();
  const JobId straddling = store.begin_job(job_start("web", "web01", "copy", "c"), at("2026-08-24T23:59:59Z")).value();
  ASSERT_TRUE(store.finish_job(straddling, JobOutcome{}, at("2026-08-25T00:00:00Z")));
  const JobId recent = store.begin_job(job_start("web", "web01", "create", "d"), at("2026-11-25T10:00:00Z")).value();

  EXPECT_EQ(store.trim_job_log(at("2026-08-25T00:00:00Z")).value(), 4);
  EXPECT_EQ(rows("SELECT job, state FROM job_log"), (std::vector<std::string>{"3|succeeded", "4|running"}));
  EXPECT_EQ(store.job(old_finished).value(), std::nullopt);
  EXPECT_TRUE(store.job(old_running).value());  // still to be resumed
  EXPECT_TRUE(store.job(straddling).value());
  EXPECT_TRUE(store.job(recent).value());
  EXPECT_EQ(store.trim_job_log(at("2026-08-25T00:00:00Z")).value(), 0);

  // A trimmed id is never given again.
  ASSERT_TRUE(store.finish_job(recent, JobOutcome{}, at("2026-11-25T10:01:00Z")));
  EXPECT_EQ(store.trim_job_log(at("2027-01-01T00:00:00Z")).value(), 3);
  EXPECT_EQ(store.begin_job(job_start("web", "web01", "create", "e"), at("2027-01-01T00:00:00Z")).value(), 5);
}

TEST_F(StateStoreTest, ASecondConnectionReadsTheViewsWhileTheDaemonWrites) {
  StateStore writer = open_store();
  add_vm(writer, "web", "web01");
  StateStore reader = StateStore::open_read_only(database()).value();
  EXPECT_EQ(reader.vm_status().value().size(), 1u);

  const PointRecord creating = local_point("web", "web01", "2026-11-25T10:00:00Z", PointState::creating);
  const JobId job_id =
      writer.begin_create(job_start("web", "web01", "create", creating.id), creating, at("2026-11-25T10:00:05Z"))
          .value();
  EXPECT_EQ(reader.job_log({}).value().size(), 1u);
  EXPECT_EQ(reader.running_jobs().value().size(), 1u);

  // Another writer in the middle of a transaction blocks neither the reader nor what it sees.
  SQLite::Database other(database(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  other.exec("DELETE FROM job_events");
  EXPECT_EQ(reader.job_log({}).value().size(), 1u);
  EXPECT_EQ(rows("SELECT state FROM restore_points_view"), std::vector<std::string>{"creating"});
  other.exec("ROLLBACK");

  ASSERT_TRUE(writer.finish_job(job_id, JobOutcome{}, at("2026-11-25T10:00:45Z")));
  EXPECT_EQ(reader.job_log({}).value().back().state, JobState::succeeded);
  EXPECT_EQ(reader.integrity_check().value(), "ok");
}

TEST(StateStoreNames, EnumsReadBackWhatTheyWrite) {
  for (PointKind kind : {PointKind::local, PointKind::copy}) EXPECT_EQ(parse_point_kind(to_string(kind)), kind);
  for (PointState state : {PointState::creating, PointState::succeeded, PointState::failed, PointState::deleting}) {
    EXPECT_EQ(parse_point_state(to_string(state)), state);
  }
  for (JobState state : {JobState::running, JobState::succeeded, JobState::failed}) {
    EXPECT_EQ(parse_job_state(to_string(state)), state);
  }
  EXPECT_EQ(parse_point_state("Succeeded"), std::nullopt);
  EXPECT_EQ(parse_job_state(""), std::nullopt);
}

}  // namespace
}  // namespace rpd::store
