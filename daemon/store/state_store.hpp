#pragma once
// The state database (/var/lib/restorepointd/state.db): what the daemon knows of its VMs, collections and
// restore points, its jobs, and the job log people read.
//
// The daemon's crash safety rests on two calls: begin_create (or begin_job) writes the intent before a request
// is sent, finish_job the outcome after. A restarted daemon finds in running_jobs() every job whose outcome it
// never wrote, with the long-running operation to follow again (set_job_operation), and for a create the point
// in state 'creating' and the VM's last_handled_slot, so the slot is neither lost nor created twice.
//
// Every method is one transaction: writes are BEGIN IMMEDIATE, so a second writer waits up to the busy timeout
// instead of failing half way. Failures are Error values whose message names the database and what was being
// done: "state database /var/lib/restorepointd/state.db: recording job 12: database is locked". The store never
// reads a clock: every time it stamps is the caller's `now`. Times are kept as UTC text, "2026-11-25T10:00:00Z".
//
// Not thread-safe: one StateStore per thread (the daemon's io_context thread); other processes may read and
// write the same file at the same time (WAL).

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"

namespace rpd::store {

// What an operation without a value returns: Result<Done>.
struct Done {};

enum class PointKind { local, copy };
enum class PointState { creating, succeeded, failed, deleting };
enum class JobState { running, succeeded, failed };

// The names the database uses: "local", "copy"; "creating", ...; "running", ...
std::string_view to_string(PointKind kind);
std::string_view to_string(PointState state);
std::string_view to_string(JobState state);
std::optional<PointKind> parse_point_kind(std::string_view text);
std::optional<PointState> parse_point_state(std::string_view text);
std::optional<JobState> parse_job_state(std::string_view text);

// A VM of a policy, as the inventory last found it, with the policy's progress on it.
struct VmRecord {
  std::string policy;
  std::string vm_id;  // the VM's ARM id
  std::string vm_name;
  std::string subscription;
  std::string resource_group;
  std::string location;
  bool present = true;  // false once the VM could not be found
  Instant first_seen_at;
  Instant last_seen_at;
  std::optional<Instant> missing_since;
  std::optional<Instant> last_handled_slot;  // the newest slot whose create was started or deliberately skipped
  std::optional<Instant> next_run_at;
  std::optional<bool> instant_access;  // the local collection's, as last set or seen
  std::optional<std::string> last_error;

  bool operator==(const VmRecord&) const = default;
};

struct CollectionRecord {
  std::string id;  // the collection's ARM id
  std::string policy;
  std::string vm_id;
  std::string region;
  PointKind kind = PointKind::local;
  std::optional<std::string> source_collection_id;  // a copy collection's source: the VM's local collection
  std::optional<bool> instant_access;

  bool operator==(const CollectionRecord&) const = default;
};

struct DiskRecord {
  std::string disk_restore_point_id;
  std::optional<int> replication_percent;
  std::optional<std::string> access_state;  // Azure's snapshotAccessState

  bool operator==(const DiskRecord&) const = default;
};

struct PointRecord {
  std::string id;  // the restore point's ARM id
  std::string collection_id;
  std::string policy;
  std::string vm_id;
  std::string region;
  std::string name;
  Instant slot;  // the schedule slot the point is for
  PointKind kind = PointKind::local;
  PointState state = PointState::creating;
  std::optional<Instant> created_at;           // Azure's timeCreated
  std::optional<std::string> source_point_id;  // a copy's source point
  std::optional<int> replication_percent;      // 0..100, for a copy
  std::optional<std::string> instant_access_state;
  std::optional<std::string> keep_reasons;  // the retention rules that keep it: "keep_daily,keep_weekly"
  Instant updated_at;                       // set by the store from `now`; ignored when writing
  std::vector<DiskRecord> disks;

  bool operator==(const PointRecord&) const = default;
};

using JobId = std::int64_t;

struct JobStart {
  std::string policy;
  std::string vm_id;
  std::string vm_name;
  std::string action;  // "create", "copy", "delete", "instant-access", ...
  std::string target;  // the ARM id of the resource acted on
  int attempt = 1;
};

// A long-running operation as the Azure client hands it over to be followed again after a restart. Plain
// strings: the store knows nothing of the client.
struct OperationRef {
  std::string method;    // how it is polled
  std::string url;       // what is polled
  std::string resource;  // the resource the operation is about
  bool is_delete = false;

  bool operator==(const OperationRef&) const = default;
};

struct JobRecord {
  JobId id = 0;
  std::string policy;
  std::string vm_id;
  std::string vm_name;
  std::string action;
  std::string target;
  JobState state = JobState::running;
  int attempt = 1;
  Instant started_at;
  std::optional<Instant> finished_at;
  std::optional<OperationRef> operation;

  bool operator==(const JobRecord&) const = default;
};

struct JobOutcome {
  JobState state = JobState::succeeded;  // succeeded or failed
  std::optional<int> http_status;
  std::string error_code;  // empty: none
  std::string message;     // empty: the state's name
  std::string request_id;  // empty: none
};

// A row of the view vm_status.
struct VmStatusRow {
  std::string policy;
  std::string vm;
  std::optional<Instant> last_success_at;
  std::optional<std::string> last_restore_point;
  std::optional<Instant> next_run_at;
  int points_kept = 0;
  int copies_in_flight = 0;
  std::optional<bool> instant_access;  // the view's 'on', 'off' or NULL
  std::optional<std::string> last_error;
  std::string vm_id;

  bool operator==(const VmStatusRow&) const = default;
};

// A row of the view job_log.
struct JobLogRow {
  Instant time;
  JobId job = 0;
  std::string policy;
  std::string vm;
  std::string action;
  JobState state = JobState::running;
  int attempt = 1;
  std::optional<int> http_status;
  std::optional<std::string> error_code;
  std::string message;
  std::optional<std::string> request_id;

  bool operator==(const JobLogRow&) const = default;
};

struct JobLogFilter {
  std::optional<std::string> policy;
  bool failed_only = false;
  std::optional<Instant> since;  // lines at or after it
  int limit = 0;                 // the newest `limit` lines; 0: all
};

class StateStore {
 public:
  static constexpr std::chrono::milliseconds default_busy_timeout{5000};

  // The daemon's store: creates the file if missing (its directory must exist), upgrades an older schema,
  // refuses a newer one without touching the file.
  static Result<StateStore> open(const std::string& path,
                                 std::chrono::milliseconds busy_timeout = default_busy_timeout);
  // For `status` and `jobs`, also while the daemon runs: never creates, never migrates, never writes.
  static Result<StateStore> open_read_only(const std::string& path,
                                           std::chrono::milliseconds busy_timeout = default_busy_timeout);

  StateStore(StateStore&&) = default;
  StateStore& operator=(StateStore&&) = default;

  const std::string& path() const { return path_; }

  // Inventory.
  // Inserts the VM, or updates the inventory's columns of an existing row (name, subscription, group,
  // location, present, last_seen_at, missing_since). It keeps what other calls own: first_seen_at,
  // last_handled_slot, next_run_at, instant_access, and last_error, which it clears only for a VM that was
  // missing and is present again.
  Result<Done> upsert_vm(const VmRecord& vm);
  // present = 0, missing_since = now unless already set, last_error "VM not found since <missing_since>".
  Result<Done> mark_vm_missing(const std::string& policy, const std::string& vm_id, Instant now);
  Result<std::vector<VmRecord>> vms(const std::string& policy);  // by name
  Result<std::optional<VmRecord>> vm(const std::string& policy, const std::string& vm_id);  // one, by its key
  Result<std::vector<VmRecord>> all_vms();                       // by policy, then name
  Result<Done> set_schedule_state(const std::string& policy, const std::string& vm_id,
                                  std::optional<Instant> last_handled_slot, std::optional<Instant> next_run_at);
  Result<Done> set_last_error(const std::string& policy, const std::string& vm_id,
                              std::optional<std::string> last_error);
  // The VM left the policy. Its points' rows stay, as long as Azure has them.
  Result<Done> remove_policy_vm(const std::string& policy, const std::string& vm_id);

  // Collections. A local collection's Instant Access is also the VM's in policy_vms (what vm_status shows),
  // whether it was seen (upsert_collection, when known) or set (set_collection_instant_access).
  Result<Done> upsert_collection(const CollectionRecord& collection);
  Result<std::vector<CollectionRecord>> collections(const std::string& policy, const std::string& vm_id);
  Result<Done> set_collection_instant_access(const std::string& collection_id, bool enabled);

  // Restore points. A point's collection must be recorded first.
  Result<Done> upsert_point(const PointRecord& point, Instant now);  // the row and its disks, replaced
  Result<Done> set_point_state(const std::string& point_id, PointState state, Instant now);
  Result<Done> forget_point(const std::string& point_id);  // gone from Azure; forgetting twice is fine
  Result<std::vector<PointRecord>> points(const std::string& policy, const std::string& vm_id);  // by slot
  Result<std::optional<PointRecord>> point(const std::string& point_id);

  // Jobs: the intent before a request, the outcome after.
  // The job in state running and its "started" line in the job log.
  Result<JobId> begin_job(const JobStart& job, Instant now);
  // As begin_job, and in the same transaction the point in state 'creating' (whatever `creating.state`
  // says) and, for a local point, the VM's last_handled_slot moved on to the point's slot: a create is never
  // sent without its intent, and a crash after this call finds all three. A copy's create is written the same
  // way, but leaves the slot alone: the slot was handled by the local point's create.
  Result<JobId> begin_create(const JobStart& job, const PointRecord& creating, Instant now);
  Result<Done> set_job_operation(JobId job_id, const OperationRef& operation);
  // The job's state and finished_at, its line in the job log, and the VM's last_error: the message on a
  // failure, cleared by a succeeded create. A job finishes once; finishing it again is an error.
  Result<Done> finish_job(JobId job_id, const JobOutcome& outcome, Instant now);
  Result<std::vector<JobRecord>> running_jobs();  // oldest first: what a restarted daemon resumes
  Result<std::optional<JobRecord>> job(JobId job_id);

  // Deletes the job log's lines older than `before`, then the finished jobs that have no line left; returns
  // the number of lines deleted.
  Result<int> trim_job_log(Instant before);

  // The views, for the commands.
  Result<std::vector<VmStatusRow>> vm_status();
  Result<std::vector<JobLogRow>> job_log(const JobLogFilter& filter);  // oldest first

  // PRAGMA integrity_check: "ok", or SQLite's findings one a line.
  Result<std::string> integrity_check();

 private:
  StateStore(std::string path, SQLite::Database db);

  std::string path_;
  SQLite::Database db_;
};

}  // namespace rpd::store
