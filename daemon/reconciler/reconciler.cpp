#include "daemon/reconciler/reconciler.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <boost/asio/this_coro.hpp>

#include "core/arm_id.hpp"
#include "daemon/reconciler/executor.hpp"
#include "daemon/reconciler/inventory.hpp"
#include "daemon/reconciler/observation.hpp"

namespace rpd::reconciler {

// The VMs one step observes, shared by the workers that take them one at a time.
struct ObservationQueue {
  explicit ObservationQueue(const boost::asio::any_io_executor& executor) : all_done(executor, boost::asio::steady_timer::time_point::max()) {}
  std::vector<std::string> keys;
  std::size_t next = 0;
  int workers_left = 0;
  std::exception_ptr failure;
  boost::asio::steady_timer all_done;  // cancelled by the last worker
};

namespace {

namespace asio = boost::asio;
using store::PointKind;
using store::PointState;

std::string vm_key(const std::string& policy, const std::string& vm_id) { return policy + " " + to_lower(vm_id); }

Instant floor_now(azure::Clock& clock) { return std::chrono::floor<std::chrono::seconds>(clock.now()); }

void earliest(std::optional<Instant>& at, std::optional<Instant> candidate) {
  if (candidate && (!at || *candidate < *at)) at = candidate;
}

PointState state_of(PointCondition condition) {
  switch (condition) {
    case PointCondition::creating: return PointState::creating;
    case PointCondition::succeeded: return PointState::succeeded;
    case PointCondition::failed: return PointState::failed;
    case PointCondition::deleting: return PointState::deleting;
  }
  return PointState::creating;
}

// An action's coroutine: perform it, then tell the reconciler.
asio::awaitable<void> run_action(Reconciler* reconciler, azure::ComputeClient* compute, store::StateStore* state,
                                 azure::Clock* clock, Policy policy, TargetVm vm, Action action, int attempt,
                                 std::string vm_key_text, std::string action_key_text) {
  Result<ActionResult> result = co_await perform(*compute, *state, *clock, std::move(policy), std::move(vm), std::move(action), attempt);
  const bool succeeded = result && result->outcome.state == store::JobState::succeeded;
  const store::JobId job = result ? result->job : 0;
  std::string message = result ? result->outcome.message : result.error().message;
  reconciler->action_ended(vm_key_text, action_key_text, succeeded, job, std::move(message), floor_now(*clock));
}

// The database follows what Azure says of the VM's collections and points: points deleted behind the
// daemon's back are forgotten, and a lost database is rebuilt from the policy's names.
void sync_store(store::StateStore& state, const Policy& policy, const TargetVm& vm, const VmObservation& observed,
                const std::set<std::string>& running_points, Instant now) {
  std::set<std::string> seen;
  const auto record_collection = [&](const ObservedCollection& collection, PointKind kind, const std::string& region,
                                     const std::optional<std::string>& source) {
    (void)state.upsert_collection({collection.id, policy.name, vm.id, region, kind, source, collection.instant_access});
    for (const ObservedPoint& point : collection.points) {
      const auto slot = slot_of_restore_point(policy.name, point.name);
      if (!slot) continue;  // not the policy's: neither recorded nor ever touched
      store::PointRecord record;
      record.id = collection.id + "/restorePoints/" + point.name;
      record.collection_id = collection.id;
      record.policy = policy.name;
      record.vm_id = vm.id;
      record.region = region;
      record.name = point.name;
      record.slot = *slot;
      record.kind = kind;
      record.state = state_of(point.condition);
      record.created_at = point.created_at;
      record.replication_percent = point.replication_percent;
      if (kind == PointKind::copy && !point.source_name.empty() && observed.collection) {
        record.source_point_id = observed.collection->id + "/restorePoints/" + point.source_name;
      }
      (void)state.upsert_point(record, now);
      seen.insert(to_lower(record.id));
    }
  };
  if (observed.collection) record_collection(*observed.collection, PointKind::local, vm.location, std::nullopt);
  for (const auto& [region, copies] : observed.copies) {
    record_collection(copies, PointKind::copy, region, observed.collection ? std::optional(observed.collection->id) : std::nullopt);
  }
  const auto known = state.points(policy.name, vm.id);
  if (!known) return;
  for (const store::PointRecord& point : *known) {
    if (!seen.contains(to_lower(point.id)) && !running_points.contains(to_lower(point.id))) (void)state.forget_point(point.id);
  }
}

// The last worker to end wakes the step.
struct ObservationWorkerEnded {
  std::shared_ptr<ObservationQueue> queue;
  void operator()(std::exception_ptr failure) const {
    if (failure && !queue->failure) queue->failure = failure;
    if (--queue->workers_left == 0) queue->all_done.cancel();
  }
};

}  // namespace

std::string action_key(const Action& action) {
  const std::string what = action.point_name.empty() ? action.collection_id : action.point_id();
  return std::string(to_string(action.kind)) + " " + to_lower(what);
}

Reconciler::Reconciler(azure::ComputeClient& compute, store::StateStore& state, azure::Clock& clock,
                       ReconcilerOptions options)
    : compute_(compute), state_(state), clock_(clock), options_(options) {}

void Reconciler::set_policies(std::vector<Policy> policies) {
  policies_ = std::move(policies);
  inventory_at_.reset();
  policies_changed_ = true;
  // The tracked VMs point into the old policies: drop them (the running actions keep copies of their own).
  for (auto& [key, tracked] : vms_) tracked.policy = nullptr;
}

std::vector<std::string> Reconciler::take_new_notes() {
  std::vector<std::string> notes = std::move(new_notes_);
  new_notes_.clear();
  return notes;
}

asio::awaitable<Instant> Reconciler::step() {
  ++stats_.steps;
  executor_ = co_await asio::this_coro::executor;
  if (!resumed_) {
    resumed_ = true;
    co_await resume_interrupted_jobs();
  }
  const Instant now = floor_now(clock_);
  if (!inventory_at_ || now >= *inventory_at_ + options_.inventory_every) co_await take_inventory_now(now);

  // The VMs whose time has come are observed and planned several at once (the client's read rate is the
  // real bound); the step returns when all of them are planned.
  auto queue = std::make_shared<ObservationQueue>(executor_);
  queue->keys = take_due(now);
  const int workers = std::min<int>(options_.observations_at_once, static_cast<int>(queue->keys.size()));
  queue->workers_left = workers;
  for (int i = 0; i < workers; ++i) {
    asio::co_spawn(executor_, observation_worker(this, queue, now), ObservationWorkerEnded{queue});
  }
  if (workers > 0) {
    boost::system::error_code ignored;
    co_await queue->all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (queue->failure) std::rethrow_exception(queue->failure);  // a broken invariant, not an Azure error

  co_return next_step(now).value_or(*inventory_at_ + options_.inventory_every);
}

bool Reconciler::is_due(const TrackedVm& tracked, Instant now) const {
  if (tracked.policy == nullptr || !tracked.present) return false;
  const bool retry_due = std::any_of(tracked.retry_after.begin(), tracked.retry_after.end(),
                                     [&](const auto& retry) { return now >= retry.second; });
  return tracked.dirty || !tracked.observed || now >= tracked.observed_at + refresh_every() ||
         (tracked.wake && now >= *tracked.wake) || retry_due || (tracked.blocked && has_free_place(tracked));
}

std::vector<std::string> Reconciler::take_due(Instant now) {
  std::set<std::string> due;
  const auto take = [&](const std::string& key) {
    const auto found = vms_.find(key);
    if (found != vms_.end() && is_due(found->second, now)) due.insert(key);
  };
  // At most vms_per_step: a step stays short (the daemon notifies systemd, reloads and stops between two),
  // and what is left is due at once at the next.
  const auto room = [&] { return static_cast<int>(due.size()) < options_.vms_per_step; };
  while (!due_now_.empty() && room()) {
    take(*due_now_.begin());
    due_now_.erase(due_now_.begin());
  }
  while (!due_at_.empty() && due_at_.begin()->first <= now && room()) {
    take(due_at_.begin()->second);
    due_at_.erase(due_at_.begin());
  }
  int free = options_.max_in_flight - stats_.in_flight;
  for (std::size_t n = waiting_for_place_.size(); n > 0 && free > 0 && room(); --n) {
    const std::string key = std::move(waiting_for_place_.front());
    waiting_for_place_.pop_front();
    const auto found = vms_.find(key);
    if (found == vms_.end() || !found->second.blocked) {
      if (found != vms_.end()) found->second.waits_for_place = false;
      continue;
    }
    if (has_free_place(found->second)) {
      found->second.waits_for_place = false;
      due.insert(key);
      --free;
    } else {
      waiting_for_place_.push_back(key);  // its own quota is still full
    }
  }
  return {due.begin(), due.end()};
}

std::optional<Instant> Reconciler::next_step(Instant now) const {
  std::optional<Instant> next = *inventory_at_ + options_.inventory_every;
  if (!due_now_.empty()) return now;
  if (!due_at_.empty()) earliest(next, std::max(now, due_at_.begin()->first));
  if (stats_.in_flight < options_.max_in_flight) {
    for (const std::string& key : waiting_for_place_) {
      const auto found = vms_.find(key);
      if (found != vms_.end() && found->second.blocked && has_free_place(found->second)) return now;
    }
  }
  return next;
}

void Reconciler::mark_dirty(const std::string& key, TrackedVm& tracked) {
  tracked.dirty = true;
  due_now_.insert(key);
}

std::chrono::seconds Reconciler::refresh_every() const {
  const auto spread = std::chrono::seconds(static_cast<long long>(static_cast<double>(vms_.size()) / options_.refresh_reads_per_second));
  return std::max(options_.observe_every, spread);
}

void Reconciler::schedule(const std::string& key, const TrackedVm& tracked) {
  std::optional<Instant> at = tracked.observed_at + refresh_every();
  earliest(at, tracked.wake);
  for (const auto& [action, retry] : tracked.retry_after) earliest(at, retry);
  due_at_.emplace(*at, key);
}

void Reconciler::wait_for_place(const std::string& key, TrackedVm& tracked) {
  tracked.blocked = true;
  if (tracked.waits_for_place) return;
  tracked.waits_for_place = true;
  waiting_for_place_.push_back(key);
}

asio::awaitable<void> Reconciler::observation_worker(Reconciler* self, std::shared_ptr<ObservationQueue> queue, Instant now) {
  while (queue->next < queue->keys.size()) {
    const std::string key = queue->keys[queue->next++];
    co_await self->reconcile_vm(key, now);
  }
}

asio::awaitable<void> Reconciler::resume_interrupted_jobs() {
  auto jobs = state_.running_jobs();
  if (!jobs) co_return;
  for (const store::JobRecord& job : *jobs) {
    const bool creates = job.action == "create" || job.action == "copy";
    const bool deletes = job.action == "delete" || job.action == "delete-copy";
    store::JobOutcome outcome{store::JobState::succeeded, std::nullopt, "", "resumed after a restart: succeeded", ""};
    if (job.operation && (creates || deletes)) {
      const auto method = azure::poll_method_from(job.operation->method);
      azure::OperationHandle handle{method.value_or(azure::PollMethod::azure_async_operation), job.operation->url,
                                    job.operation->resource, job.operation->is_delete};
      std::optional<azure::OperationFailure> failure;
      if (creates) {
        Result<azure::RestorePoint, azure::OperationFailure> made =
            co_await compute_.finish_create_restore_point(handle, std::chrono::seconds(0));
        if (!made) failure = made.error();
      } else {
        Result<azure::Deleted, azure::OperationFailure> deleted = co_await compute_.finish_delete(handle, std::chrono::seconds(0));
        if (!deleted) failure = deleted.error();
      }
      if (failure) {
        outcome = failure_outcome(failure->error);
        outcome.message = "resumed after a restart: " + failure->describe();
        if (failure->outcome_known() && creates) (void)state_.set_point_state(job.target, store::PointState::failed, floor_now(clock_));
      } else if (deletes) {
        (void)state_.forget_point(job.target);
      }
    } else if (creates) {
      // Killed before Azure answered the PUT: did it arrive?
      Result<azure::RestorePoint, azure::ArmError> point = co_await compute_.get_restore_point(job.target, false);
      if (!point && point.error().http_status == 404) {
        auto known = state_.point(job.target);
        if (known && *known && job.action == "create") {
          (void)state_.set_schedule_state(job.policy, job.vm_id, (*known)->slot - std::chrono::seconds(1), std::nullopt);
        }
        (void)state_.forget_point(job.target);
        outcome = {store::JobState::failed, std::nullopt, "Interrupted",
                   "interrupted by a restart before Azure had the request: planned again", ""};
      } else if (!point) {
        outcome = failure_outcome(point.error());
        outcome.message = "resumed after a restart: " + point.error().describe();
      } else {
        outcome.message = "resumed after a restart: Azure has the point";
      }
    } else {
      outcome.message = "interrupted by a restart: Azure's state is read again";
    }
    (void)state_.finish_job(job.id, outcome, floor_now(clock_));
  }
}

asio::awaitable<void> Reconciler::take_inventory_now(Instant now) {
  inventory_at_ = now;
  const std::vector<std::string> notes_before = std::move(inventory_notes_);
  inventory_notes_.clear();
  std::map<std::string, TrackedVm> kept;
  for (const Policy& policy : policies_) {
    const Inventory inventory = co_await take_inventory(compute_, policy);
    for (const std::string& error : inventory.errors) inventory_notes_.push_back("policy " + policy.name + ": " + error);
    for (const TargetVm& vm : inventory.vms) {
      const std::string key = vm_key(policy.name, vm.id);
      TrackedVm tracked;
      if (auto old = vms_.find(key); old != vms_.end()) tracked = std::move(old->second);
      tracked.policy = &policy;
      tracked.vm = vm;
      tracked.present = true;
      store::VmRecord record;
      record.policy = policy.name;
      record.vm_id = vm.id;
      record.vm_name = vm.name;
      const auto id = parse_vm_id(vm.id);
      record.subscription = id ? to_lower(id->subscription) : "";
      record.resource_group = vm.resource_group_id;
      record.location = vm.location;
      record.first_seen_at = now;
      record.last_seen_at = now;
      (void)state_.upsert_vm(record);
      kept[key] = std::move(tracked);
    }
    for (const std::string& missing : inventory.missing) {
      (void)state_.mark_vm_missing(policy.name, missing, now);
      TrackedVm tracked;
      tracked.policy = &policy;
      tracked.vm.id = missing;
      tracked.present = false;
      tracked.notes = {"VM " + missing + " was not found: its restore points are left alone"};
      kept[vm_key(policy.name, missing)] = std::move(tracked);
    }
    // A target that could not be read may hold any of the VMs known before: they keep what was known.
    if (!inventory.errors.empty()) {
      for (auto& [key, tracked] : vms_) {
        if (!key.starts_with(policy.name + " ") || kept.contains(key) || tracked.vm.id.empty()) continue;
        tracked.policy = &policy;
        kept.emplace(key, std::move(tracked));
      }
    }
  }
  // VMs under way keep their entry until their actions end, whatever the new inventory says.
  for (auto& [key, tracked] : vms_) {
    if (!kept.contains(key) && !tracked.running.empty()) {
      tracked.policy = nullptr;
      kept.emplace(key, std::move(tracked));
    }
  }
  vms_ = std::move(kept);
  for (auto& [key, tracked] : vms_) {
    if (tracked.policy != nullptr && tracked.present && (policies_changed_ || !tracked.observed)) mark_dirty(key, tracked);
  }
  policies_changed_ = false;
  for (const std::string& note : inventory_notes_) {
    if (std::find(notes_before.begin(), notes_before.end(), note) == notes_before.end()) new_notes_.push_back(note);
  }
}

asio::awaitable<void> Reconciler::reconcile_vm(std::string key, Instant now) {
  const Policy policy = *vms_.at(key).policy;
  const TargetVm vm = vms_.at(key).vm;

  // What the database knows: the slot handled last, and the copies known complete.
  std::optional<Instant> last_handled;
  if (auto record = state_.vm(policy.name, vm.id); record && *record) last_handled = (*record)->last_handled_slot;
  std::set<std::string> complete_copies;
  if (auto points = state_.points(policy.name, vm.id)) {
    for (const store::PointRecord& point : *points) {
      if (point.kind == PointKind::copy && point.replication_percent == 100) complete_copies.insert(point.id);
    }
  }

  const long ended_before = vms_.at(key).actions_ended;
  Result<VmObservation, azure::ArmError> observation = co_await observe_vm(compute_, policy, vm, complete_copies);
  const auto found = vms_.find(key);
  if (found == vms_.end()) co_return;  // a new inventory dropped it meanwhile
  TrackedVm& tracked = found->second;
  // An action of this VM ended while it was read: what was read may predate it. Read again next step.
  if (tracked.actions_ended != ended_before) co_return;
  if (!observation) {
    (void)state_.set_last_error(policy.name, vm.id, "observing the VM's restore points: " + observation.error().describe());
    tracked.observed_at = now;
    tracked.dirty = false;
    schedule(key, tracked);
    co_return;
  }
  VmObservation observed = std::move(observation).value();
  observed.last_handled_slot = last_handled;
  std::set<std::string> running_points;
  for (const auto& [action_key_text, action] : tracked.running) {
    switch (action.kind) {
      case ActionKind::create_point: observed.create_running = true; break;
      case ActionKind::ensure_collection:
      case ActionKind::set_instant_access: observed.collection_job_running = true; break;
      case ActionKind::copy_point:
      case ActionKind::ensure_copy_collection: observed.copy_regions_running.insert(action.region); break;
      case ActionKind::delete_point:
      case ActionKind::delete_copy: observed.deletes_running.insert(action.point_id()); break;
    }
    if (!action.point_name.empty()) running_points.insert(to_lower(action.point_id()));
  }
  sync_store(state_, policy, vm, observed, running_points, now);
  tracked.observed = observed;
  tracked.observed_at = now;
  tracked.dirty = false;
  tracked.blocked = false;
  tracked.blocked_on_instant_access.clear();
  tracked.blocked_on_vm_create = false;

  const Reconciliation plan = plan_actions(policy, observed, now, options_.planner);
  tracked.wake = plan.next_wake;
  for (const std::string& note : plan.notes) {
    if (std::find(tracked.notes.begin(), tracked.notes.end(), note) == tracked.notes.end()) new_notes_.push_back(note);
  }
  tracked.notes = plan.notes;
  std::optional<Instant> handled = last_handled;
  if (plan.slot_already_made && (!handled || *plan.slot_already_made > *handled)) handled = plan.slot_already_made;
  (void)state_.set_schedule_state(policy.name, vm.id, handled, plan.next_wake);

  // A retry whose time has come is this plan's to start, or to forget: kept past its time, a retry of an
  // action the plan no longer wants (a slot overtaken by the next) would keep the VM due at every step.
  std::erase_if(tracked.retry_after, [&](const auto& retry) { return retry.second <= now; });
  for (const Action& action : plan.actions) {
    const std::string key_text = action_key(action);
    if (tracked.running.contains(key_text)) continue;
    if (const auto retry = tracked.retry_after.find(key_text); retry != tracked.retry_after.end() && now < retry->second) continue;
    if (stopping_) continue;
    if (const auto wait = wait_for_hourly_quota(action, vm, now)) {
      tracked.retry_after[key_text] = *wait;
      continue;
    }
    if (stats_.in_flight >= options_.max_in_flight) {
      wait_for_place(key, tracked);  // planned again once a place is free
      continue;
    }
    if (action.kind == ActionKind::create_point && vms_creating_.contains(to_lower(vm.id))) {
      wait_for_place(key, tracked);  // another policy's create on this VM: Azure would refuse this one
      tracked.blocked_on_vm_create = true;
      continue;
    }
    // A create in a collection with Instant Access on counts against the region's quota while it runs.
    std::string instant_access_place;
    if (action.kind == ActionKind::create_point && observed.collection && observed.collection->instant_access.value_or(false)) {
      const auto id = parse_vm_id(vm.id);
      instant_access_place = (id ? to_lower(id->subscription) : "") + " " + vm.location;
      if (instant_access_running_[instant_access_place] >= options_.instant_access_in_flight) {
        wait_for_place(key, tracked);
        tracked.blocked_on_instant_access = instant_access_place;
        continue;
      }
    }
    start(tracked, key, action, instant_access_place);
  }
  schedule(key, tracked);
}

std::optional<Instant> Reconciler::wait_for_hourly_quota(const Action& action, const TargetVm& vm, Instant now) {
  std::vector<Instant>* started = nullptr;
  int quota = 0;
  if (action.kind == ActionKind::create_point) {
    started = &creates_started_[to_lower(vm.id)];
    quota = options_.creates_per_vm_per_hour;
  } else if (action.kind == ActionKind::copy_point) {
    started = &copies_started_[to_lower(action.collection_id)];
    quota = options_.copies_per_collection_per_hour;
  } else {
    return std::nullopt;
  }
  std::erase_if(*started, [&](Instant at) { return at + std::chrono::hours(1) <= now; });
  if (static_cast<int>(started->size()) < quota) return std::nullopt;
  return started->front() + std::chrono::hours(1);  // when the oldest of the hour is an hour old
}

bool Reconciler::has_free_place(const TrackedVm& tracked) const {
  if (stats_.in_flight >= options_.max_in_flight) return false;
  if (tracked.blocked_on_vm_create && vms_creating_.contains(to_lower(tracked.vm.id))) return false;
  if (tracked.blocked_on_instant_access.empty()) return true;
  const auto running = instant_access_running_.find(tracked.blocked_on_instant_access);
  return running == instant_access_running_.end() || running->second < options_.instant_access_in_flight;
}

void Reconciler::start(TrackedVm& tracked, const std::string& key, const Action& action, const std::string& instant_access_place) {
  const std::string key_text = action_key(action);
  const auto failures = tracked.failures.find(key_text);
  const int attempt = failures == tracked.failures.end() ? 1 : failures->second + 1;
  tracked.running.emplace(key_text, action);
  const Instant now = floor_now(clock_);
  if (action.kind == ActionKind::create_point) {
    creates_started_[to_lower(tracked.vm.id)].push_back(now);
    vms_creating_.insert(to_lower(tracked.vm.id));
  }
  if (action.kind == ActionKind::copy_point) copies_started_[to_lower(action.collection_id)].push_back(now);
  if (!instant_access_place.empty()) {
    ++instant_access_running_[instant_access_place];
    tracked.instant_access_places[key_text] = instant_access_place;
  }
  ++stats_.in_flight;
  ++stats_.actions_started;
  asio::co_spawn(executor_, run_action(this, &compute_, &state_, &clock_, *tracked.policy, tracked.vm, action, attempt, key, key_text),
                 asio::detached);
}

void Reconciler::action_ended(const std::string& vm_key_text, const std::string& action_key_text, bool succeeded,
                              store::JobId job, std::string message, Instant now) {
  --stats_.in_flight;
  ++(succeeded ? stats_.actions_succeeded : stats_.actions_failed);
  const auto found = vms_.find(vm_key_text);
  if (found == vms_.end()) return;
  TrackedVm& tracked = found->second;
  if (const auto ran = tracked.running.find(action_key_text); ran != tracked.running.end()) {
    if (ran->second.kind == ActionKind::create_point) vms_creating_.erase(to_lower(tracked.vm.id));
    if (on_action_ended) {
      on_action_ended({vm_key_text.substr(0, vm_key_text.find(' ')), tracked.vm.name, ran->second, succeeded, job, std::move(message)});
    }
    tracked.running.erase(ran);
  }
  if (const auto place = tracked.instant_access_places.find(action_key_text); place != tracked.instant_access_places.end()) {
    --instant_access_running_[place->second];
    tracked.instant_access_places.erase(place);
  }
  mark_dirty(vm_key_text, tracked);
  ++tracked.actions_ended;
  if (succeeded) {
    tracked.failures.erase(action_key_text);
    tracked.retry_after.erase(action_key_text);
    return;
  }
  const int failures = ++tracked.failures[action_key_text];
  auto wait = options_.first_retry;
  for (int i = 1; i < failures && wait < options_.last_retry; ++i) wait *= 2;
  tracked.retry_after[action_key_text] = now + std::min(wait, options_.last_retry);
}

}  // namespace rpd::reconciler
