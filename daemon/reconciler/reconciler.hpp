#pragma once
// The reconciler's loop, as a step() that the daemon calls whenever something may be due and tests drive
// one step at a time (watchman's model): take the inventory when it is due, observe the VMs that changed
// or whose time has come, ask the planner, and start its actions within the limits. Actions run as
// coroutines of their own on the same io_context; when one ends, its VM is observed again on the next step.
//
// The first step settles the jobs a previous run left running (it was killed): a long-running operation is
// followed to its end from its stored handle; a create that has none is looked up in Azure, and when Azure
// never got it its slot is given back, so that it is planned again.
//
// Limits: at most max_in_flight actions at once; one create per VM, across policies (Azure refuses a
// second); Azure's quotas
// (AZURE.md section 3), counted across policies since the start: creates_per_vm_per_hour creates on a VM
// and copies_per_collection_per_hour copies into a copy collection in any hour, and instant_access_in_flight
// creates with Instant Access running at once per subscription and region. An action over a quota waits
// for it instead of drawing Azure's 429 or 409. A failed action waits before it is tried again (1 min,
// doubling to 1 h), and its error stays in vm_status.last_error.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/reconcile.hpp"
#include "daemon/azure/clock.hpp"
#include "daemon/azure/compute_client.hpp"
#include "daemon/store/state_store.hpp"

namespace rpd::reconciler {

struct ObservationQueue;

struct ReconcilerOptions {
  int max_in_flight = 64;
  int creates_per_vm_per_hour = 3;          // azure.quotas: Azure answers 429 beyond it
  int copies_per_collection_per_hour = 3;   // Azure's, per target collection: 429 beyond it
  int instant_access_in_flight = 50;        // azure.quotas, per subscription and region: 409 beyond it
  std::chrono::seconds inventory_every{std::chrono::minutes(10)};  // resource groups gain and lose VMs
  std::chrono::seconds observe_every{std::chrono::minutes(10)};    // points deleted behind the daemon's back
  // ... but the periodic refresh of all VMs together reads at most this often a second (a tenth of Azure's
  // 25 reads/s): 10,000 VMs are each refreshed every 67 minutes instead of every 10. Due slots, actions'
  // ends and retries are observed when they come, whatever this says.
  double refresh_reads_per_second = 2.5;
  int observations_at_once = 32;  // VMs observed concurrently within a step
  int vms_per_step = 256;         // the most VMs one step plans; the rest are due at once at the next
  std::chrono::seconds first_retry{std::chrono::minutes(1)};
  std::chrono::seconds last_retry{std::chrono::hours(1)};
  PlannerOptions planner;
};

// An action that ended, for the log.
struct EndedAction {
  std::string policy;
  std::string vm_name;
  Action action;
  bool succeeded = false;
  store::JobId job = 0;  // 0: the intent could not be written
  std::string message;   // the job's outcome ("" when it succeeded without one)
};

struct ReconcilerStats {
  long steps = 0;
  long actions_started = 0;
  long actions_succeeded = 0;
  long actions_failed = 0;
  int in_flight = 0;
};

class Reconciler {
 public:
  // The client, the store and the clock must outlive the reconciler and every action it started.
  Reconciler(azure::ComputeClient& compute, store::StateStore& state, azure::Clock& clock, ReconcilerOptions options);

  // The policies to keep, on start and after a reload (between steps, not during one): the inventory is
  // taken again on the next step.
  void set_policies(std::vector<Policy> policies);

  // One pass. Returns when the next step is due at the latest (an action that ends is a reason to step
  // sooner). Errors of the store or of Azure are logged into the state database and do not end the loop.
  boost::asio::awaitable<Instant> step();

  // Stops starting actions (SIGTERM); those under way finish.
  void stop_starting() { stopping_ = true; }
  const ReconcilerStats& stats() const { return stats_; }
  // The notes of the plans ("would delete 30 points, ...") that were not there at the VM's plan before,
  // and the inventory's errors that are new: each once, for the log.
  std::vector<std::string> take_new_notes();

  // Told of every action that ends (the daemon logs it, and steps again sooner).
  std::function<void(const EndedAction&)> on_action_ended;

  // Called by an action's coroutine when it ends (public for that coroutine only).
  void action_ended(const std::string& vm_key, const std::string& action_key, bool succeeded, store::JobId job,
                    std::string message, Instant now);

 private:
  struct TrackedVm {
    const Policy* policy = nullptr;
    TargetVm vm;
    bool present = true;
    bool dirty = true;                 // observe again before planning
    bool blocked = false;              // an action waits for a free place under max_in_flight
    std::string blocked_on_instant_access;  // "<subscription> <region>" when its create waits for that quota
    bool blocked_on_vm_create = false;      // its create waits for another policy's create on the VM
    std::optional<VmObservation> observed;
    Instant observed_at{};
    std::optional<Instant> wake;       // the planner's next_wake
    std::map<std::string, Action> running;       // action key -> the action, while it runs
    std::map<std::string, int> failures;         // action key -> failures in a row
    std::map<std::string, Instant> retry_after;  // action key -> not before
    std::map<std::string, std::string> instant_access_places;  // running create -> "<subscription> <region>"
    std::vector<std::string> notes;
    long actions_ended = 0;            // an observation taken while one ended is stale
    bool waits_for_place = false;      // in waiting_for_place_
  };

  static boost::asio::awaitable<void> observation_worker(Reconciler* self, std::shared_ptr<ObservationQueue> queue, Instant now);
  boost::asio::awaitable<void> resume_interrupted_jobs();
  boost::asio::awaitable<void> take_inventory_now(Instant now);
  boost::asio::awaitable<void> reconcile_vm(std::string key, Instant now);
  // Which VMs a step observes: those marked, those whose time has come, and as many waiting for a free place
  // as there are places. A step costs what is due, not the number of VMs.
  std::vector<std::string> take_due(Instant now);
  bool is_due(const TrackedVm& tracked, Instant now) const;
  void mark_dirty(const std::string& key, TrackedVm& tracked);
  void schedule(const std::string& key, const TrackedVm& tracked);
  void wait_for_place(const std::string& key, TrackedVm& tracked);
  std::optional<Instant> next_step(Instant now) const;
  std::chrono::seconds refresh_every() const;  // observe_every, or longer with many VMs
  void start(TrackedVm& tracked, const std::string& key, const Action& action, const std::string& instant_access_place);
  bool has_free_place(const TrackedVm& tracked) const;
  // When an action over its hourly quota may run; nullopt when it may run now.
  std::optional<Instant> wait_for_hourly_quota(const Action& action, const TargetVm& vm, Instant now);

  azure::ComputeClient& compute_;
  store::StateStore& state_;
  azure::Clock& clock_;
  ReconcilerOptions options_;
  std::vector<Policy> policies_;
  std::map<std::string, TrackedVm> vms_;  // by "<policy> <vm id in lower case>"
  std::map<std::string, std::vector<Instant>> creates_started_;  // VM id (lower case) -> creates of the last hour
  std::map<std::string, std::vector<Instant>> copies_started_;   // copy collection id (lower case) -> its copies
  std::map<std::string, int> instant_access_running_;            // "<subscription> <region>" -> creates running
  std::set<std::string> vms_creating_;                           // VM ids (lower case) with a create running
  std::set<std::string> due_now_;               // VMs to observe at the next step
  std::multimap<Instant, std::string> due_at_;  // when VMs come due; an entry may be stale (checked when taken)
  std::deque<std::string> waiting_for_place_;   // blocked VMs, oldest first
  std::vector<std::string> new_notes_;
  bool policies_changed_ = true;                // every VM is planned again after a reload
  std::optional<Instant> inventory_at_;
  std::vector<std::string> inventory_notes_;  // targets that could not be read at the last inventory
  boost::asio::any_io_executor executor_;     // where actions run: the step's own
  bool stopping_ = false;
  bool resumed_ = false;  // the jobs a previous run left running have been settled
  ReconcilerStats stats_;
};

// The key of an action for its retries and for "is it running": its kind and what it acts on.
std::string action_key(const Action& action);

}  // namespace rpd::reconciler
