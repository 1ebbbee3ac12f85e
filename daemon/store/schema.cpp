#include "daemon/store/schema.hpp"

#include <SQLiteCpp/Transaction.h>

#include <array>
#include <string>

namespace rpd::store {

namespace {

// Times are TEXT in the one form format_utc writes ("2026-11-25T10:00:00Z"): readable in sqlite3, and their
// text order is their time order. ARM ids are COLLATE NOCASE, because Azure compares them so and does not
// always give them back in the case they were sent in.
constexpr std::string_view version_1 = R"sql(
CREATE TABLE policy_vms (
  policy            TEXT NOT NULL,
  vm_id             TEXT NOT NULL COLLATE NOCASE,
  vm_name           TEXT NOT NULL,
  subscription      TEXT NOT NULL COLLATE NOCASE,
  resource_group    TEXT NOT NULL COLLATE NOCASE,
  location          TEXT NOT NULL,
  present           INTEGER NOT NULL CHECK (present IN (0, 1)),
  first_seen_at     TEXT NOT NULL,
  last_seen_at      TEXT NOT NULL,
  missing_since     TEXT,
  last_handled_slot TEXT,  -- the newest slot whose create was started or deliberately skipped
  next_run_at       TEXT,
  instant_access    INTEGER CHECK (instant_access IN (0, 1)),  -- the local collection's, as last set or seen
  last_error        TEXT,
  PRIMARY KEY (policy, vm_id)
);

CREATE TABLE collections (
  id                   TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  policy               TEXT NOT NULL,
  vm_id                TEXT NOT NULL COLLATE NOCASE,
  region               TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('local', 'copy')),
  source_collection_id TEXT COLLATE NOCASE,  -- a copy collection's source: the VM's local collection
  instant_access       INTEGER CHECK (instant_access IN (0, 1))
);
CREATE INDEX collections_by_vm ON collections (policy, vm_id);

CREATE TABLE restore_points (
  id                   TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  collection_id        TEXT NOT NULL COLLATE NOCASE REFERENCES collections (id),
  policy               TEXT NOT NULL,
  vm_id                TEXT NOT NULL COLLATE NOCASE,
  region               TEXT NOT NULL,
  name                 TEXT NOT NULL,
  slot                 TEXT NOT NULL,
  kind                 TEXT NOT NULL CHECK (kind IN ('local', 'copy')),
  state                TEXT NOT NULL CHECK (state IN ('creating', 'succeeded', 'failed', 'deleting')),
  created_at           TEXT,  -- Azure's timeCreated
  source_point_id      TEXT COLLATE NOCASE,  -- a copy's source point
  replication_percent  INTEGER CHECK (replication_percent BETWEEN 0 AND 100),
  instant_access_state TEXT,
  keep_reasons         TEXT,
  updated_at           TEXT NOT NULL
);
CREATE INDEX restore_points_by_vm ON restore_points (policy, vm_id, kind);
CREATE INDEX restore_points_by_collection ON restore_points (collection_id);

CREATE TABLE restore_point_disks (
  point_id              TEXT NOT NULL COLLATE NOCASE REFERENCES restore_points (id) ON DELETE CASCADE,
  disk_restore_point_id TEXT NOT NULL COLLATE NOCASE,
  replication_percent   INTEGER CHECK (replication_percent BETWEEN 0 AND 100),
  access_state          TEXT,
  PRIMARY KEY (point_id, disk_restore_point_id)
);

-- AUTOINCREMENT: a job id is never given twice, not even after the job log was trimmed down to nothing.
CREATE TABLE jobs (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  policy              TEXT NOT NULL,
  vm_id               TEXT NOT NULL COLLATE NOCASE,
  vm_name             TEXT NOT NULL,
  action              TEXT NOT NULL,
  target              TEXT NOT NULL COLLATE NOCASE,  -- the resource acted on
  state               TEXT NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  attempt             INTEGER NOT NULL,
  started_at          TEXT NOT NULL,
  finished_at         TEXT,
  -- a long-running operation, to follow again after a restart
  operation_method    TEXT,
  operation_url       TEXT,
  operation_resource  TEXT,
  operation_is_delete INTEGER CHECK (operation_is_delete IN (0, 1))
);
CREATE INDEX jobs_running ON jobs (state) WHERE state = 'running';

-- A line per change of a job, with the job's names copied in: the log reads without joins and outlives
-- the jobs' rows until it is trimmed.
CREATE TABLE job_events (
  id          INTEGER PRIMARY KEY,
  time        TEXT NOT NULL,
  job_id      INTEGER NOT NULL REFERENCES jobs (id),
  policy      TEXT NOT NULL,
  vm          TEXT NOT NULL,
  action      TEXT NOT NULL,
  state       TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  http_status INTEGER,
  error_code  TEXT,
  message     TEXT NOT NULL,
  request_id  TEXT
);
CREATE INDEX job_events_by_time ON job_events (time);
CREATE INDEX job_events_by_job ON job_events (job_id);

CREATE VIEW vm_status AS
SELECT
  v.policy AS policy,
  v.vm_name AS vm,
  (SELECT max(p.created_at) FROM restore_points p
    WHERE p.policy = v.policy AND p.vm_id = v.vm_id AND p.kind = 'local' AND p.state = 'succeeded')
    AS last_success_at,
  (SELECT p.name FROM restore_points p
    WHERE p.policy = v.policy AND p.vm_id = v.vm_id AND p.kind = 'local' AND p.state = 'succeeded'
      AND p.created_at IS NOT NULL
    ORDER BY p.created_at DESC, p.slot DESC LIMIT 1)
    AS last_restore_point,
  v.next_run_at AS next_run_at,
  (SELECT count(*) FROM restore_points p
    WHERE p.policy = v.policy AND p.vm_id = v.vm_id AND p.kind = 'local' AND p.state = 'succeeded')
    AS points_kept,
  (SELECT count(*) FROM restore_points p
    WHERE p.policy = v.policy AND p.vm_id = v.vm_id AND p.kind = 'copy'
      AND (p.state = 'creating' OR (p.state = 'succeeded' AND coalesce(p.replication_percent, 0) < 100)))
    AS copies_in_flight,
  CASE v.instant_access WHEN 1 THEN 'on' WHEN 0 THEN 'off' END AS instant_access,
  v.last_error AS last_error,
  v.vm_id AS vm_id
FROM policy_vms v
ORDER BY v.policy, v.vm_name, v.vm_id;

CREATE VIEW job_log AS
SELECT
  time, job_id AS job, policy, vm, action, state, attempt, http_status, error_code, message, request_id
FROM job_events
ORDER BY id;

CREATE VIEW restore_points_view AS
SELECT
  p.policy AS policy,
  coalesce(v.vm_name, p.vm_id) AS vm,
  p.region AS region,
  p.name AS name,
  p.created_at AS created_at,
  p.state AS state,
  p.kind AS kind,
  p.replication_percent AS replication_percent,
  p.instant_access_state AS instant_access_state,
  p.keep_reasons AS keep_reasons,
  p.id AS id
FROM restore_points p
LEFT JOIN policy_vms v ON v.policy = p.policy AND v.vm_id = p.vm_id
ORDER BY p.policy, vm, p.slot, p.kind, p.region;
)sql";

constexpr std::array<std::string_view, 1> scripts = {version_1};

void set_schema_version(SQLite::Database& db, int version) {
  // A pragma takes no bound parameters; the number is ours, not input.
  db.exec("PRAGMA user_version = " + std::to_string(version));
}

}  // namespace

std::span<const std::string_view> migrations() { return scripts; }

int latest_schema_version() { return static_cast<int>(scripts.size()); }

int schema_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

void migrate(SQLite::Database& db) {
  for (;;) {
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    const int version = schema_version(db);
    if (version >= latest_schema_version()) return;  // the transaction rolls back: nothing was written
    if (version < 0) throw SQLite::Exception("schema version " + std::to_string(version) + " is none of ours");
    db.exec(std::string(scripts[static_cast<std::size_t>(version)]));
    set_schema_version(db, version + 1);
    transaction.commit();
  }
}

}  // namespace rpd::store
