#include "daemon/store/state_store.hpp"

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "daemon/store/schema.hpp"

namespace rpd::store {

std::string_view to_string(PointKind kind) { return kind == PointKind::local ? "local" : "copy"; }

std::string_view to_string(PointState state) {
  switch (state) {
    case PointState::creating:
      return "creating";
    case PointState::succeeded:
      return "succeeded";
    case PointState::failed:
      return "failed";
    case PointState::deleting:
      return "deleting";
  }
  return "creating";
}

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::running:
      return "running";
    case JobState::succeeded:
      return "succeeded";
    case JobState::failed:
      return "failed";
  }
  return "running";
}

std::optional<PointKind> parse_point_kind(std::string_view text) {
  for (PointKind kind : {PointKind::local, PointKind::copy}) {
    if (to_string(kind) == text) return kind;
  }
  return std::nullopt;
}

std::optional<PointState> parse_point_state(std::string_view text) {
  for (PointState state : {PointState::creating, PointState::succeeded, PointState::failed, PointState::deleting}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (JobState state : {JobState::running, JobState::succeeded, JobState::failed}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

namespace {

// The store's own reasons to refuse (no such row, a value it cannot read back), thrown inside a transaction
// so that it rolls back, and reported exactly as SQLite's errors are.
class Refusal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string prefix(const std::string& path) { return "state database " + path + ": "; }

// The one place where SQLite's exceptions become values.
template <class Work>
auto guarded(const std::string& path, std::string_view doing, Work&& work) -> Result<std::invoke_result_t<Work&>> {
  try {
    return work();
  } catch (const SQLite::Exception& e) {
    return make_error(prefix(path) + std::string(doing) + ": " + e.what());
  } catch (const Refusal& e) {
    return make_error(prefix(path) + std::string(doing) + ": " + e.what());
  }
}

// Messages name a resource by the last segment of its ARM id (its name): the ids themselves run to 200
// characters.
std::string name_of(std::string_view arm_id) {
  const auto slash = arm_id.find_last_of('/');
  return std::string(slash == std::string_view::npos ? arm_id : arm_id.substr(slash + 1));
}

std::string vm_phrase(const std::string& policy, const std::string& vm_id) {
  return "VM " + name_of(vm_id) + " of policy " + policy;
}

int milliseconds(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

// Writing: every optional is NULL when empty; times as format_utc writes them; flags as 0 and 1.

void bind_time(SQLite::Statement& statement, const char* name, Instant time) { statement.bind(name, format_utc(time)); }

void bind_optional(SQLite::Statement& statement, const char* name, const std::optional<Instant>& time) {
  if (time) {
    bind_time(statement, name, *time);
  } else {
    statement.bind(name);
  }
}

void bind_optional(SQLite::Statement& statement, const char* name, const std::optional<std::string>& text) {
  if (text) {
    statement.bind(name, *text);
  } else {
    statement.bind(name);
  }
}

void bind_optional(SQLite::Statement& statement, const char* name, const std::optional<int>& number) {
  if (number) {
    statement.bind(name, *number);
  } else {
    statement.bind(name);
  }
}

void bind_flag(SQLite::Statement& statement, const char* name, bool flag) { statement.bind(name, flag ? 1 : 0); }

void bind_optional(SQLite::Statement& statement, const char* name, const std::optional<bool>& flag) {
  if (flag) {
    bind_flag(statement, name, *flag);
  } else {
    statement.bind(name);
  }
}

std::optional<std::string> unless_empty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

// Reading: a value the store cannot read back (someone edited the file) is a Refusal naming the column.

std::string text_at(const SQLite::Statement& row, const char* column) { return row.getColumn(column).getString(); }

std::optional<std::string> optional_text_at(const SQLite::Statement& row, const char* column) {
  const SQLite::Column value = row.getColumn(column);
  if (value.isNull()) return std::nullopt;
  return value.getString();
}

std::optional<int> optional_number_at(const SQLite::Statement& row, const char* column) {
  const SQLite::Column value = row.getColumn(column);
  if (value.isNull()) return std::nullopt;
  return value.getInt();
}

std::optional<bool> optional_flag_at(const SQLite::Statement& row, const char* column) {
  const std::optional<int> number = optional_number_at(row, column);
  if (!number) return std::nullopt;
  return *number != 0;
}

Instant time_at(const SQLite::Statement& row, const char* column) {
  const std::string stored = text_at(row, column);
  const Result<Instant> parsed = parse_timestamp(stored);
  if (!parsed) throw Refusal(std::string(column) + " '" + stored + "' is not a time");
  return *parsed;
}

std::optional<Instant> optional_time_at(const SQLite::Statement& row, const char* column) {
  if (row.getColumn(column).isNull()) return std::nullopt;
  return time_at(row, column);
}

template <class Enum>
Enum enum_at(const SQLite::Statement& row, const char* column, std::optional<Enum> (*parse)(std::string_view)) {
  const std::string stored = text_at(row, column);
  const std::optional<Enum> value = parse(stored);
  if (!value) throw Refusal(std::string(column) + " '" + stored + "' is none of the known values");
  return *value;
}

VmRecord vm_from(const SQLite::Statement& row) {
  VmRecord vm;
  vm.policy = text_at(row, "policy");
  vm.vm_id = text_at(row, "vm_id");
  vm.vm_name = text_at(row, "vm_name");
  vm.subscription = text_at(row, "subscription");
  vm.resource_group = text_at(row, "resource_group");
  vm.location = text_at(row, "location");
  vm.present = row.getColumn("present").getInt() != 0;
  vm.first_seen_at = time_at(row, "first_seen_at");
  vm.last_seen_at = time_at(row, "last_seen_at");
  vm.missing_since = optional_time_at(row, "missing_since");
  vm.last_handled_slot = optional_time_at(row, "last_handled_slot");
  vm.next_run_at = optional_time_at(row, "next_run_at");
  vm.instant_access = optional_flag_at(row, "instant_access");
  vm.last_error = optional_text_at(row, "last_error");
  return vm;
}

CollectionRecord collection_from(const SQLite::Statement& row) {
  CollectionRecord collection;
  collection.id = text_at(row, "id");
  collection.policy = text_at(row, "policy");
  collection.vm_id = text_at(row, "vm_id");
  collection.region = text_at(row, "region");
  collection.kind = enum_at(row, "kind", parse_point_kind);
  collection.source_collection_id = optional_text_at(row, "source_collection_id");
  collection.instant_access = optional_flag_at(row, "instant_access");
  return collection;
}

PointRecord point_from(const SQLite::Statement& row) {
  PointRecord point;
  point.id = text_at(row, "id");
  point.collection_id = text_at(row, "collection_id");
  point.policy = text_at(row, "policy");
  point.vm_id = text_at(row, "vm_id");
  point.region = text_at(row, "region");
  point.name = text_at(row, "name");
  point.slot = time_at(row, "slot");
  point.kind = enum_at(row, "kind", parse_point_kind);
  point.state = enum_at(row, "state", parse_point_state);
  point.created_at = optional_time_at(row, "created_at");
  point.source_point_id = optional_text_at(row, "source_point_id");
  point.replication_percent = optional_number_at(row, "replication_percent");
  point.instant_access_state = optional_text_at(row, "instant_access_state");
  point.keep_reasons = optional_text_at(row, "keep_reasons");
  point.updated_at = time_at(row, "updated_at");
  return point;
}

DiskRecord disk_from(const SQLite::Statement& row) {
  return DiskRecord{text_at(row, "disk_restore_point_id"), optional_number_at(row, "replication_percent"),
                    optional_text_at(row, "access_state")};
}

JobRecord job_from(const SQLite::Statement& row) {
  JobRecord job;
  job.id = row.getColumn("id").getInt64();
  job.policy = text_at(row, "policy");
  job.vm_id = text_at(row, "vm_id");
  job.vm_name = text_at(row, "vm_name");
  job.action = text_at(row, "action");
  job.target = text_at(row, "target");
  job.state = enum_at(row, "state", parse_job_state);
  job.attempt = row.getColumn("attempt").getInt();
  job.started_at = time_at(row, "started_at");
  job.finished_at = optional_time_at(row, "finished_at");
  if (!row.getColumn("operation_url").isNull()) {
    job.operation =
        OperationRef{text_at(row, "operation_method"), text_at(row, "operation_url"),
                     text_at(row, "operation_resource"), row.getColumn("operation_is_delete").getInt() != 0};
  }
  return job;
}

constexpr const char* select_point_columns =
    "SELECT id, collection_id, policy, vm_id, region, name, slot, kind, state, created_at, source_point_id, "
    "replication_percent, instant_access_state, keep_reasons, updated_at FROM restore_points ";

// The row of the point (inserted, or every column but the id replaced) and its disks, replaced.
void write_point(SQLite::Database& db, const PointRecord& point, PointState state, Instant now) {
  SQLite::Statement upsert(db, R"sql(
    INSERT INTO restore_points (id, collection_id, policy, vm_id, region, name, slot, kind, state, created_at,
                                source_point_id, replication_percent, instant_access_state, keep_reasons, updated_at)
    VALUES (:id, :collection_id, :policy, :vm_id, :region, :name, :slot, :kind, :state, :created_at,
            :source_point_id, :replication_percent, :instant_access_state, :keep_reasons, :updated_at)
    ON CONFLICT (id) DO UPDATE SET
      collection_id = excluded.collection_id, policy = excluded.policy, vm_id = excluded.vm_id,
      region = excluded.region, name = excluded.name, slot = excluded.slot, kind = excluded.kind,
      state = excluded.state, created_at = excluded.created_at, source_point_id = excluded.source_point_id,
      replication_percent = excluded.replication_percent, instant_access_state = excluded.instant_access_state,
      keep_reasons = excluded.keep_reasons, updated_at = excluded.updated_at)sql");
  upsert.bind(":id", point.id);
  upsert.bind(":collection_id", point.collection_id);
  upsert.bind(":policy", point.policy);
  upsert.bind(":vm_id", point.vm_id);
  upsert.bind(":region", point.region);
  upsert.bind(":name", point.name);
  bind_time(upsert, ":slot", point.slot);
  upsert.bind(":kind", std::string(to_string(point.kind)));
  upsert.bind(":state", std::string(to_string(state)));
  bind_optional(upsert, ":created_at", point.created_at);
  bind_optional(upsert, ":source_point_id", point.source_point_id);
  bind_optional(upsert, ":replication_percent", point.replication_percent);
  bind_optional(upsert, ":instant_access_state", point.instant_access_state);
  bind_optional(upsert, ":keep_reasons", point.keep_reasons);
  bind_time(upsert, ":updated_at", now);
  upsert.exec();

  SQLite::Statement forget_disks(db, "DELETE FROM restore_point_disks WHERE point_id = :id");
  forget_disks.bind(":id", point.id);
  forget_disks.exec();
  SQLite::Statement insert_disk(db, R"sql(
    INSERT INTO restore_point_disks (point_id, disk_restore_point_id, replication_percent, access_state)
    VALUES (:point_id, :disk_restore_point_id, :replication_percent, :access_state))sql");
  for (const DiskRecord& disk : point.disks) {
    insert_disk.reset();
    insert_disk.bind(":point_id", point.id);
    insert_disk.bind(":disk_restore_point_id", disk.disk_restore_point_id);
    bind_optional(insert_disk, ":replication_percent", disk.replication_percent);
    bind_optional(insert_disk, ":access_state", disk.access_state);
    insert_disk.exec();
  }
}

// A line of the job log, as the view job_log shows it.
void insert_event(SQLite::Database& db, const JobLogRow& line) {
  SQLite::Statement insert(db, R"sql(
    INSERT INTO job_events (time, job_id, policy, vm, action, state, attempt, http_status, error_code, message,
                            request_id)
    VALUES (:time, :job_id, :policy, :vm, :action, :state, :attempt, :http_status, :error_code, :message,
            :request_id))sql");
  bind_time(insert, ":time", line.time);
  insert.bind(":job_id", line.job);
  insert.bind(":policy", line.policy);
  insert.bind(":vm", line.vm);
  insert.bind(":action", line.action);
  insert.bind(":state", std::string(to_string(line.state)));
  insert.bind(":attempt", line.attempt);
  bind_optional(insert, ":http_status", line.http_status);
  bind_optional(insert, ":error_code", line.error_code);
  insert.bind(":message", line.message);
  bind_optional(insert, ":request_id", line.request_id);
  insert.exec();
}

JobId insert_job(SQLite::Database& db, const JobStart& job, Instant now) {
  SQLite::Statement insert(db, R"sql(
    INSERT INTO jobs (policy, vm_id, vm_name, action, target, state, attempt, started_at)
    VALUES (:policy, :vm_id, :vm_name, :action, :target, 'running', :attempt, :started_at))sql");
  insert.bind(":policy", job.policy);
  insert.bind(":vm_id", job.vm_id);
  insert.bind(":vm_name", job.vm_name);
  insert.bind(":action", job.action);
  insert.bind(":target", job.target);
  insert.bind(":attempt", job.attempt);
  bind_time(insert, ":started_at", now);
  insert.exec();
  const JobId id = db.getLastInsertRowid();
  insert_event(db, JobLogRow{now, id, job.policy, job.vm_name, job.action, JobState::running, job.attempt, std::nullopt,
                             std::nullopt, "started", std::nullopt});
  return id;
}

// The schema version and whether the file holds any table, read in one statement so that both come from one
// snapshot (a daemon may be writing the first schema at this very moment).
struct SchemaFound {
  int version = 0;
  bool has_tables = false;
};

SchemaFound read_schema(SQLite::Database& db) {
  SQLite::Statement select(db, "SELECT user_version, (SELECT count(*) FROM sqlite_master) FROM pragma_user_version");
  select.executeStep();
  return SchemaFound{select.getColumn(0).getInt(), select.getColumn(1).getInt() > 0};
}

// A file of version 0 with tables in it is some other program's database, given as state.database by mistake:
// migrating would write restorepointd's tables into it.
Error foreign_refusal(const std::string& path) {
  return make_error(prefix(path) +
                    "not a restorepointd database (it has tables but no schema version); move it away "
                    "or set another state.database");
}

Error schema_refusal(const std::string& path, int version) {
  const int latest = latest_schema_version();
  const std::string found = "schema version " + std::to_string(version);
  if (version < 0) return make_error(prefix(path) + found + " is not one restorepointd ever wrote");
  if (version > latest) {
    return make_error(prefix(path) + found + " is newer than this restorepointd knows (" + std::to_string(latest) +
                      "); it was written by a newer version: upgrade restorepointd, or move the database away");
  }
  return make_error(prefix(path) + found + " is older than this restorepointd's (" + std::to_string(latest) +
                    "); let the daemon upgrade it first");
}

}  // namespace

StateStore::StateStore(std::string path, SQLite::Database db) : path_(std::move(path)), db_(std::move(db)) {}

Result<StateStore> StateStore::open(const std::string& path, std::chrono::milliseconds busy_timeout) {
  // SQLite would only say "unable to open database file"; the daemon's operator needs to know which folder.
  const std::filesystem::path directory = std::filesystem::path(path).parent_path();
  std::error_code ignored;
  if (!directory.empty() && !std::filesystem::is_directory(directory, ignored)) {
    return make_error(prefix(path) + "cannot create it: the directory " + directory.string() + " does not exist");
  }

  Result<SQLite::Database> opened = guarded(path, "opening", [&] {
    return SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, milliseconds(busy_timeout));
  });
  if (!opened) return opened.error();
  SQLite::Database& db = opened.value();

  // Read before anything is written: a newer schema is refused with the file exactly as it was.
  const Result<SchemaFound> found = guarded(path, "reading the schema version", [&] { return read_schema(db); });
  if (!found) return found.error();
  const int version = found->version;
  if (version < 0 || version > latest_schema_version()) return schema_refusal(path, version);
  if (version == 0 && found->has_tables) return foreign_refusal(path);

  const Result<Done> configured = guarded(path, "opening", [&] {
    const std::string journal_mode = db.execAndGet("PRAGMA journal_mode=WAL").getString();
    // Without WAL, `status` would block the daemon's writes and the daemon would block `status`.
    if (journal_mode != "wal") {
      throw Refusal("cannot use write-ahead logging (the journal mode stays " + journal_mode + ")");
    }
    // The -wal and -shm files stay when the daemon stops: a reader that may not create files in the folder
    // (`sqlite3 -readonly` as a member of the daemon's group) can read only when they exist.
    int persist_wal = 1;
    sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
    db.exec("PRAGMA synchronous=NORMAL");
    db.exec("PRAGMA foreign_keys=ON");
    return Done{};
  });
  if (!configured) return configured.error();

  if (version < latest_schema_version()) {
    const Result<Done> migrated = guarded(path, "upgrading the schema from version " + std::to_string(version), [&] {
      migrate(db);
      return Done{};
    });
    if (!migrated) return migrated.error();
  }
  return StateStore(path, std::move(opened).value());
}

Result<StateStore> StateStore::open_read_only(const std::string& path, std::chrono::milliseconds busy_timeout) {
  std::error_code ignored;
  if (!std::filesystem::exists(path, ignored)) {
    return make_error(prefix(path) + "no such file (the daemon creates it when it first starts)");
  }
  Result<SQLite::Database> opened = guarded(
      path, "opening", [&] { return SQLite::Database(path, SQLite::OPEN_READONLY, milliseconds(busy_timeout)); });
  if (!opened) return opened.error();
  SQLite::Database& db = opened.value();
  const Result<SchemaFound> found = guarded(path, "reading the schema version", [&] { return read_schema(db); });
  if (!found) return found.error();
  if (found->version == 0 && found->has_tables) return foreign_refusal(path);
  if (found->version != latest_schema_version()) return schema_refusal(path, found->version);
  return StateStore(path, std::move(opened).value());
}

// Inventory.

Result<Done> StateStore::upsert_vm(const VmRecord& vm) {
  return guarded(path_, "recording " + vm_phrase(vm.policy, vm.vm_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement upsert(db_, R"sql(
      INSERT INTO policy_vms (policy, vm_id, vm_name, subscription, resource_group, location, present,
                              first_seen_at, last_seen_at, missing_since, last_handled_slot, next_run_at,
                              instant_access, last_error)
      VALUES (:policy, :vm_id, :vm_name, :subscription, :resource_group, :location, :present,
              :first_seen_at, :last_seen_at, :missing_since, :last_handled_slot, :next_run_at,
              :instant_access, :last_error)
      ON CONFLICT (policy, vm_id) DO UPDATE SET
        vm_name = excluded.vm_name, subscription = excluded.subscription,
        resource_group = excluded.resource_group, location = excluded.location, present = excluded.present,
        last_seen_at = excluded.last_seen_at, missing_since = excluded.missing_since,
        last_error = CASE WHEN policy_vms.present = 0 AND excluded.present = 1 THEN NULL
                          ELSE policy_vms.last_error END)sql");
    upsert.bind(":policy", vm.policy);
    upsert.bind(":vm_id", vm.vm_id);
    upsert.bind(":vm_name", vm.vm_name);
    upsert.bind(":subscription", vm.subscription);
    upsert.bind(":resource_group", vm.resource_group);
    upsert.bind(":location", vm.location);
    bind_flag(upsert, ":present", vm.present);
    bind_time(upsert, ":first_seen_at", vm.first_seen_at);
    bind_time(upsert, ":last_seen_at", vm.last_seen_at);
    bind_optional(upsert, ":missing_since", vm.missing_since);
    bind_optional(upsert, ":last_handled_slot", vm.last_handled_slot);
    bind_optional(upsert, ":next_run_at", vm.next_run_at);
    bind_optional(upsert, ":instant_access", vm.instant_access);
    bind_optional(upsert, ":last_error", vm.last_error);
    upsert.exec();
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::mark_vm_missing(const std::string& policy, const std::string& vm_id, Instant now) {
  return guarded(path_, "marking " + vm_phrase(policy, vm_id) + " missing", [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    // Every expression of a SET reads the row as it was: both see the old missing_since.
    SQLite::Statement update(db_, R"sql(
      UPDATE policy_vms
      SET present = 0, missing_since = coalesce(missing_since, :now),
          last_error = 'VM not found since ' || coalesce(missing_since, :now)
      WHERE policy = :policy AND vm_id = :vm_id)sql");
    bind_time(update, ":now", now);
    update.bind(":policy", policy);
    update.bind(":vm_id", vm_id);
    if (update.exec() == 0) throw Refusal("no such VM in the database");
    transaction.commit();
    return Done{};
  });
}

Result<std::vector<VmRecord>> StateStore::vms(const std::string& policy) {
  return guarded(path_, "reading the VMs of policy " + policy, [&] {
    SQLite::Statement select(db_, "SELECT * FROM policy_vms WHERE policy = :policy ORDER BY vm_name, vm_id");
    select.bind(":policy", policy);
    std::vector<VmRecord> found;
    while (select.executeStep()) found.push_back(vm_from(select));
    return found;
  });
}

Result<std::optional<VmRecord>> StateStore::vm(const std::string& policy, const std::string& vm_id) {
  return guarded(path_, "reading " + vm_phrase(policy, vm_id), [&] {
    SQLite::Statement select(db_, "SELECT * FROM policy_vms WHERE policy = :policy AND vm_id = :vm_id");
    select.bind(":policy", policy);
    select.bind(":vm_id", vm_id);
    std::optional<VmRecord> found;
    if (select.executeStep()) found = vm_from(select);
    return found;
  });
}

Result<std::vector<VmRecord>> StateStore::all_vms() {
  return guarded(path_, "reading the VMs", [&] {
    SQLite::Statement select(db_, "SELECT * FROM policy_vms ORDER BY policy, vm_name, vm_id");
    std::vector<VmRecord> found;
    while (select.executeStep()) found.push_back(vm_from(select));
    return found;
  });
}

Result<Done> StateStore::set_schedule_state(const std::string& policy, const std::string& vm_id,
                                            std::optional<Instant> last_handled_slot,
                                            std::optional<Instant> next_run_at) {
  return guarded(path_, "recording the schedule of " + vm_phrase(policy, vm_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(db_, R"sql(
      UPDATE policy_vms SET last_handled_slot = :last_handled_slot, next_run_at = :next_run_at
      WHERE policy = :policy AND vm_id = :vm_id)sql");
    bind_optional(update, ":last_handled_slot", last_handled_slot);
    bind_optional(update, ":next_run_at", next_run_at);
    update.bind(":policy", policy);
    update.bind(":vm_id", vm_id);
    if (update.exec() == 0) throw Refusal("no such VM in the database");
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::set_last_error(const std::string& policy, const std::string& vm_id,
                                        std::optional<std::string> last_error) {
  return guarded(path_, "recording the last error of " + vm_phrase(policy, vm_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(
        db_, "UPDATE policy_vms SET last_error = :last_error WHERE policy = :policy AND vm_id = :vm_id");
    bind_optional(update, ":last_error", last_error);
    update.bind(":policy", policy);
    update.bind(":vm_id", vm_id);
    if (update.exec() == 0) throw Refusal("no such VM in the database");
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::remove_policy_vm(const std::string& policy, const std::string& vm_id) {
  return guarded(path_, "removing " + vm_phrase(policy, vm_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(db_, "DELETE FROM policy_vms WHERE policy = :policy AND vm_id = :vm_id");
    remove.bind(":policy", policy);
    remove.bind(":vm_id", vm_id);
    remove.exec();
    transaction.commit();
    return Done{};
  });
}

// Collections.

Result<Done> StateStore::upsert_collection(const CollectionRecord& collection) {
  return guarded(path_, "recording collection " + name_of(collection.id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    // An Instant Access state that was not seen (an older api-version says nothing) is not a change.
    SQLite::Statement upsert(db_, R"sql(
      INSERT INTO collections (id, policy, vm_id, region, kind, source_collection_id, instant_access)
      VALUES (:id, :policy, :vm_id, :region, :kind, :source_collection_id, :instant_access)
      ON CONFLICT (id) DO UPDATE SET
        policy = excluded.policy, vm_id = excluded.vm_id, region = excluded.region, kind = excluded.kind,
        source_collection_id = excluded.source_collection_id,
        instant_access = coalesce(excluded.instant_access, collections.instant_access))sql");
    upsert.bind(":id", collection.id);
    upsert.bind(":policy", collection.policy);
    upsert.bind(":vm_id", collection.vm_id);
    upsert.bind(":region", collection.region);
    upsert.bind(":kind", std::string(to_string(collection.kind)));
    bind_optional(upsert, ":source_collection_id", collection.source_collection_id);
    bind_optional(upsert, ":instant_access", collection.instant_access);
    upsert.exec();
    if (collection.kind == PointKind::local && collection.instant_access) {
      SQLite::Statement update(
          db_, "UPDATE policy_vms SET instant_access = :enabled WHERE policy = :policy AND vm_id = :vm_id");
      bind_flag(update, ":enabled", *collection.instant_access);
      update.bind(":policy", collection.policy);
      update.bind(":vm_id", collection.vm_id);
      update.exec();
    }
    transaction.commit();
    return Done{};
  });
}

Result<std::vector<CollectionRecord>> StateStore::collections(const std::string& policy, const std::string& vm_id) {
  return guarded(path_, "reading the collections of " + vm_phrase(policy, vm_id), [&] {
    SQLite::Statement select(db_, R"sql(
      SELECT * FROM collections WHERE policy = :policy AND vm_id = :vm_id
      ORDER BY kind = 'copy', region, id)sql");
    select.bind(":policy", policy);
    select.bind(":vm_id", vm_id);
    std::vector<CollectionRecord> found;
    while (select.executeStep()) found.push_back(collection_from(select));
    return found;
  });
}

Result<Done> StateStore::set_collection_instant_access(const std::string& collection_id, bool enabled) {
  return guarded(path_, "recording Instant Access of collection " + name_of(collection_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(db_, "UPDATE collections SET instant_access = :enabled WHERE id = :id");
    bind_flag(update, ":enabled", enabled);
    update.bind(":id", collection_id);
    if (update.exec() == 0) throw Refusal("no such collection in the database");
    SQLite::Statement update_vm(db_, R"sql(
      UPDATE policy_vms SET instant_access = :enabled
      WHERE (policy, vm_id) IN (SELECT policy, vm_id FROM collections WHERE id = :id AND kind = 'local'))sql");
    bind_flag(update_vm, ":enabled", enabled);
    update_vm.bind(":id", collection_id);
    update_vm.exec();
    transaction.commit();
    return Done{};
  });
}

// Restore points.

Result<Done> StateStore::upsert_point(const PointRecord& point, Instant now) {
  return guarded(path_, "recording restore point " + point.name, [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    write_point(db_, point, point.state, now);
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::set_point_state(const std::string& point_id, PointState state, Instant now) {
  return guarded(path_, "recording the state of restore point " + name_of(point_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(db_, "UPDATE restore_points SET state = :state, updated_at = :now WHERE id = :id");
    update.bind(":state", std::string(to_string(state)));
    bind_time(update, ":now", now);
    update.bind(":id", point_id);
    if (update.exec() == 0) throw Refusal("no such restore point in the database");
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::forget_point(const std::string& point_id) {
  return guarded(path_, "forgetting restore point " + name_of(point_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove(db_, "DELETE FROM restore_points WHERE id = :id");  // its disks go with it
    remove.bind(":id", point_id);
    remove.exec();
    transaction.commit();
    return Done{};
  });
}

Result<std::vector<PointRecord>> StateStore::points(const std::string& policy, const std::string& vm_id) {
  return guarded(path_, "reading the restore points of " + vm_phrase(policy, vm_id), [&] {
    SQLite::Transaction snapshot(db_);  // the points and their disks as of one moment
    SQLite::Statement select(db_, std::string(select_point_columns) +
                                      "WHERE policy = :policy AND vm_id = :vm_id ORDER BY slot, kind, region, id");
    select.bind(":policy", policy);
    select.bind(":vm_id", vm_id);
    std::vector<PointRecord> found;
    while (select.executeStep()) found.push_back(point_from(select));

    // Keyed by the point's id as the point row spells it, whatever case the disk rows use.
    SQLite::Statement select_disks(db_, R"sql(
      SELECT p.id AS point_id, d.disk_restore_point_id, d.replication_percent, d.access_state
      FROM restore_point_disks d JOIN restore_points p ON p.id = d.point_id
      WHERE p.policy = :policy AND p.vm_id = :vm_id
      ORDER BY d.disk_restore_point_id)sql");
    select_disks.bind(":policy", policy);
    select_disks.bind(":vm_id", vm_id);
    std::map<std::string, std::vector<DiskRecord>> disks_by_point;
    while (select_disks.executeStep())
      disks_by_point[text_at(select_disks, "point_id")].push_back(disk_from(select_disks));
    for (PointRecord& point : found) {
      if (auto disks = disks_by_point.find(point.id); disks != disks_by_point.end())
        point.disks = std::move(disks->second);
    }
    snapshot.commit();
    return found;
  });
}

Result<std::optional<PointRecord>> StateStore::point(const std::string& point_id) {
  return guarded(path_, "reading restore point " + name_of(point_id), [&]() -> std::optional<PointRecord> {
    SQLite::Transaction snapshot(db_);
    SQLite::Statement select(db_, std::string(select_point_columns) + "WHERE id = :id");
    select.bind(":id", point_id);
    if (!select.executeStep()) return std::nullopt;
    PointRecord found = point_from(select);
    SQLite::Statement select_disks(db_, R"sql(
      SELECT disk_restore_point_id, replication_percent, access_state FROM restore_point_disks
      WHERE point_id = :id ORDER BY disk_restore_point_id)sql");
    select_disks.bind(":id", point_id);
    while (select_disks.executeStep()) found.disks.push_back(disk_from(select_disks));
    snapshot.commit();
    return found;
  });
}

// Jobs.

Result<JobId> StateStore::begin_job(const JobStart& job, Instant now) {
  return guarded(path_, "starting a " + job.action + " job for " + vm_phrase(job.policy, job.vm_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    const JobId id = insert_job(db_, job, now);
    transaction.commit();
    return id;
  });
}

Result<JobId> StateStore::begin_create(const JobStart& job, const PointRecord& creating, Instant now) {
  return guarded(
      path_,
      "starting the create of restore point " + creating.name + " for " + vm_phrase(creating.policy, creating.vm_id),
      [&] {
        SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
        const JobId id = insert_job(db_, job, now);
        write_point(db_, creating, PointState::creating, now);
        if (creating.kind == PointKind::local) {
          // Never backwards: a retried older slot must not make newer slots look unhandled.
          SQLite::Statement handled(db_, R"sql(
            UPDATE policy_vms
            SET last_handled_slot = CASE WHEN last_handled_slot IS NULL OR last_handled_slot < :slot
                                         THEN :slot ELSE last_handled_slot END
            WHERE policy = :policy AND vm_id = :vm_id)sql");
          bind_time(handled, ":slot", creating.slot);
          handled.bind(":policy", creating.policy);
          handled.bind(":vm_id", creating.vm_id);
          if (handled.exec() == 0) throw Refusal("no such VM in the database");
        }
        transaction.commit();
        return id;
      });
}

Result<Done> StateStore::set_job_operation(JobId job_id, const OperationRef& operation) {
  return guarded(path_, "recording the operation of job " + std::to_string(job_id), [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement update(db_, R"sql(
      UPDATE jobs SET operation_method = :method, operation_url = :url, operation_resource = :resource,
                      operation_is_delete = :is_delete
      WHERE id = :id)sql");
    update.bind(":method", operation.method);
    update.bind(":url", operation.url);
    update.bind(":resource", operation.resource);
    bind_flag(update, ":is_delete", operation.is_delete);
    update.bind(":id", job_id);
    if (update.exec() == 0) throw Refusal("no such job");
    transaction.commit();
    return Done{};
  });
}

Result<Done> StateStore::finish_job(JobId job_id, const JobOutcome& outcome, Instant now) {
  return guarded(path_, "recording job " + std::to_string(job_id), [&] {
    if (outcome.state == JobState::running) throw Refusal("a job finishes as succeeded or failed, not running");
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement select(db_, "SELECT * FROM jobs WHERE id = :id");
    select.bind(":id", job_id);
    if (!select.executeStep()) throw Refusal("no such job");
    const JobRecord job = job_from(select);
    if (job.state != JobState::running) {
      throw Refusal("the job has finished already (" + std::string(to_string(job.state)) + ")");
    }

    SQLite::Statement update(db_, "UPDATE jobs SET state = :state, finished_at = :now WHERE id = :id");
    update.bind(":state", std::string(to_string(outcome.state)));
    bind_time(update, ":now", now);
    update.bind(":id", job_id);
    update.exec();

    const std::string message = outcome.message.empty() ? std::string(to_string(outcome.state)) : outcome.message;
    insert_event(db_, JobLogRow{now, job_id, job.policy, job.vm_name, job.action, outcome.state, job.attempt,
                                outcome.http_status, unless_empty(outcome.error_code), message,
                                unless_empty(outcome.request_id)});

    const bool failed = outcome.state == JobState::failed;
    if (failed || job.action == "create") {
      SQLite::Statement last_error(
          db_, "UPDATE policy_vms SET last_error = :last_error WHERE policy = :policy AND vm_id = :vm_id");
      bind_optional(last_error, ":last_error", failed ? std::optional<std::string>(message) : std::nullopt);
      last_error.bind(":policy", job.policy);
      last_error.bind(":vm_id", job.vm_id);
      last_error.exec();  // the VM may have left the policy meanwhile: nothing to show the error on
    }
    transaction.commit();
    return Done{};
  });
}

Result<std::vector<JobRecord>> StateStore::running_jobs() {
  return guarded(path_, "reading the running jobs", [&] {
    SQLite::Statement select(db_, "SELECT * FROM jobs WHERE state = 'running' ORDER BY id");
    std::vector<JobRecord> found;
    while (select.executeStep()) found.push_back(job_from(select));
    return found;
  });
}

Result<std::optional<JobRecord>> StateStore::job(JobId job_id) {
  return guarded(path_, "reading job " + std::to_string(job_id), [&]() -> std::optional<JobRecord> {
    SQLite::Statement select(db_, "SELECT * FROM jobs WHERE id = :id");
    select.bind(":id", job_id);
    if (!select.executeStep()) return std::nullopt;
    return job_from(select);
  });
}

Result<int> StateStore::trim_job_log(Instant before) {
  return guarded(path_, "trimming the job log", [&] {
    SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement remove_events(db_, "DELETE FROM job_events WHERE time < :before");
    bind_time(remove_events, ":before", before);
    const int removed = remove_events.exec();
    // A running job keeps its row without any line: a restarted daemon still has to resume it.
    db_.exec(R"sql(
      DELETE FROM jobs
      WHERE state <> 'running' AND NOT EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = jobs.id))sql");
    transaction.commit();
    return removed;
  });
}

// The views.

Result<std::vector<VmStatusRow>> StateStore::vm_status() {
  return guarded(path_, "reading vm_status", [&] {
    SQLite::Statement select(db_, "SELECT * FROM vm_status");
    std::vector<VmStatusRow> rows;
    while (select.executeStep()) {
      VmStatusRow row;
      row.policy = text_at(select, "policy");
      row.vm = text_at(select, "vm");
      row.last_success_at = optional_time_at(select, "last_success_at");
      row.last_restore_point = optional_text_at(select, "last_restore_point");
      row.next_run_at = optional_time_at(select, "next_run_at");
      row.points_kept = select.getColumn("points_kept").getInt();
      row.copies_in_flight = select.getColumn("copies_in_flight").getInt();
      if (const std::optional<std::string> instant_access = optional_text_at(select, "instant_access")) {
        row.instant_access = *instant_access == "on";
      }
      row.last_error = optional_text_at(select, "last_error");
      row.vm_id = text_at(select, "vm_id");
      rows.push_back(std::move(row));
    }
    return rows;
  });
}

Result<std::vector<JobLogRow>> StateStore::job_log(const JobLogFilter& filter) {
  return guarded(path_, "reading job_log", [&] {
    // The view's columns, from its table: "the newest N lines" needs the order the view hides.
    std::string sql =
        "SELECT time, job_id AS job, policy, vm, action, state, attempt, http_status, error_code, message, "
        "request_id FROM job_events WHERE 1";
    if (filter.policy) sql += " AND policy = :policy";
    if (filter.failed_only) sql += " AND state = 'failed'";
    if (filter.since) sql += " AND time >= :since";
    sql += " ORDER BY id DESC LIMIT :limit";
    SQLite::Statement select(db_, sql);
    if (filter.policy) select.bind(":policy", *filter.policy);
    if (filter.since) bind_time(select, ":since", *filter.since);
    select.bind(":limit", filter.limit > 0 ? filter.limit : -1);  // -1: no limit
    std::vector<JobLogRow> rows;
    while (select.executeStep()) {
      JobLogRow row;
      row.time = time_at(select, "time");
      row.job = select.getColumn("job").getInt64();
      row.policy = text_at(select, "policy");
      row.vm = text_at(select, "vm");
      row.action = text_at(select, "action");
      row.state = enum_at(select, "state", parse_job_state);
      row.attempt = select.getColumn("attempt").getInt();
      row.http_status = optional_number_at(select, "http_status");
      row.error_code = optional_text_at(select, "error_code");
      row.message = text_at(select, "message");
      row.request_id = optional_text_at(select, "request_id");
      rows.push_back(std::move(row));
    }
    std::reverse(rows.begin(), rows.end());
    return rows;
  });
}

Result<std::string> StateStore::integrity_check() {
  return guarded(path_, "checking integrity", [&] {
    SQLite::Statement check(db_, "PRAGMA integrity_check");
    std::string findings;
    while (check.executeStep()) {
      if (!findings.empty()) findings += '\n';
      findings += check.getColumn(0).getString();
    }
    return findings;
  });
}

}  // namespace rpd::store
