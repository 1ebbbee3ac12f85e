#include "daemon/reconciler/executor.hpp"

#include "core/arm_id.hpp"

namespace rpd::reconciler {
namespace {

namespace asio = boost::asio;
using azure::ArmError;
using azure::OperationFailure;
using azure::OperationHandle;
using store::JobId;
using store::JobOutcome;
using store::JobState;
using store::PointKind;
using store::PointState;

// What every step needs; references to what outlives the coroutines.
struct Context {
  azure::ComputeClient& compute;
  store::StateStore& state;
  azure::Clock& clock;

  Instant now() const { return std::chrono::floor<std::chrono::seconds>(clock.now()); }
};

store::OperationRef operation_ref(const OperationHandle& handle) {
  return {std::string(azure::to_string(handle.method)), handle.poll_url, handle.resource_url, handle.is_delete};
}

JobOutcome success() { return JobOutcome{JobState::succeeded, std::nullopt, "", "", ""}; }

JobOutcome operation_outcome(const OperationFailure& failure) {
  JobOutcome outcome = failure_outcome(failure.error);
  outcome.message = failure.describe();
  return outcome;
}

Result<ActionResult> finish(const Context& context, JobId job, JobOutcome outcome) {
  auto finished = context.state.finish_job(job, outcome, context.now());
  if (!finished) return finished.error();
  return ActionResult{job, std::move(outcome)};
}

std::optional<azure::ConsistencyMode> consistency_mode(std::optional<Consistency> consistency) {
  if (!consistency) return std::nullopt;
  switch (*consistency) {
    case Consistency::application: return azure::ConsistencyMode::Application;
    case Consistency::filesystem: return azure::ConsistencyMode::FileSystem;
    case Consistency::crash: return azure::ConsistencyMode::Crash;
  }
  return std::nullopt;
}

store::JobStart job_start(const Policy& policy, const TargetVm& vm, const Action& action, std::string target, int attempt) {
  return store::JobStart{policy.name, vm.id, vm.name, std::string(to_string(action.kind)), std::move(target), attempt};
}

// Records the point as Azure describes it at the end of its create.
store::PointRecord point_record(const Policy& policy, const TargetVm& vm, const Action& action, const azure::RestorePoint& point,
                                PointKind kind) {
  store::PointRecord record;
  record.id = action.point_id();
  record.collection_id = action.collection_id;
  record.policy = policy.name;
  record.vm_id = vm.id;
  record.region = kind == PointKind::local ? vm.location : action.region;
  record.name = action.point_name;
  record.slot = action.slot.value_or(Instant{});
  record.kind = kind;
  record.state = point.provisioning_state == azure::ProvisioningState::Succeeded ? PointState::succeeded
                 : point.provisioning_state == azure::ProvisioningState::Failed  ? PointState::failed
                                                                                 : PointState::creating;
  record.created_at = point.time_created;
  if (kind == PointKind::copy) record.source_point_id = action.source_id;
  if (point.instant_access_status) record.instant_access_state = std::string(azure::to_string(*point.instant_access_status));
  for (const azure::DiskRestorePointState& disk : point.disks) {
    std::optional<std::string> access;
    if (disk.snapshot_access_state) access = std::string(azure::to_string(*disk.snapshot_access_state));
    record.disks.push_back({disk.disk_restore_point_id, disk.replication_percent, access});
  }
  return record;
}

asio::awaitable<Result<ActionResult>> ensure_collection(Context context, Policy policy, TargetVm vm, Action action,
                                                        int attempt) {
  const bool is_copy = action.kind == ActionKind::ensure_copy_collection;
  auto job = context.state.begin_job(job_start(policy, vm, action, action.collection_id, attempt), context.now());
  if (!job) co_return job.error();
  azure::CollectionSpec spec{action.location, action.source_id, action.tags, action.instant_access};
  Result<azure::RestorePointCollection, ArmError> made = co_await context.compute.put_collection(action.collection_id, std::move(spec));
  if (!made) co_return finish(context, *job, failure_outcome(made.error()));
  store::CollectionRecord record{made->id.empty() ? action.collection_id : made->id, policy.name, vm.id,
                                 to_lower(action.location), is_copy ? PointKind::copy : PointKind::local,
                                 is_copy ? std::optional<std::string>(action.source_id) : std::nullopt,
                                 made->instant_access};
  if (auto recorded = context.state.upsert_collection(record); !recorded) co_return recorded.error();
  co_return finish(context, *job, success());
}

asio::awaitable<Result<ActionResult>> set_instant_access(Context context, Policy policy, TargetVm vm, Action action,
                                                         int attempt) {
  auto job = context.state.begin_job(job_start(policy, vm, action, action.collection_id, attempt), context.now());
  if (!job) co_return job.error();
  const bool enabled = action.instant_access.value_or(false);
  Result<azure::RestorePointCollection, ArmError> patched =
      co_await context.compute.patch_collection(action.collection_id, std::nullopt, enabled);
  if (!patched) co_return finish(context, *job, failure_outcome(patched.error()));
  if (auto recorded = context.state.set_collection_instant_access(action.collection_id, enabled); !recorded) {
    co_return recorded.error();
  }
  co_return finish(context, *job, success());
}

// A create or a copy: the PUT, then the operation followed to its end.
asio::awaitable<Result<ActionResult>> create_point(Context context, Policy policy, TargetVm vm, Action action, int attempt) {
  const bool is_copy = action.kind == ActionKind::copy_point;
  const PointKind kind = is_copy ? PointKind::copy : PointKind::local;
  store::PointRecord creating;
  creating.id = action.point_id();
  creating.collection_id = action.collection_id;
  creating.policy = policy.name;
  creating.vm_id = vm.id;
  creating.region = is_copy ? action.region : vm.location;
  creating.name = action.point_name;
  creating.slot = action.slot.value_or(Instant{});
  creating.kind = kind;
  creating.state = PointState::creating;
  if (is_copy) creating.source_point_id = action.source_id;

  // What the PUT says; the disks to leave out are read before anything is written.
  azure::RestorePointSpec spec;
  if (is_copy) {
    spec.source_restore_point_id = action.source_id;
  } else {
    spec.consistency = consistency_mode(policy.restore_point.consistency);
    if (instant_access_at(policy.instant_access, context.now())) {
      spec.instant_access_minutes =
          static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(policy.instant_access.duration).count());
    }
    if (!policy.restore_point.exclude_disks.empty()) {
      Result<azure::VirtualMachine, ArmError> described = co_await context.compute.get_vm(vm.id);
      if (!described) {
        auto job = context.state.begin_job(job_start(policy, vm, action, creating.id, attempt), context.now());
        if (!job) co_return job.error();
        co_return finish(context, *job, failure_outcome(described.error()));
      }
      spec.excluded_disk_ids = excluded_disk_ids(policy.restore_point, *described);
    }
  }

  // The slot the VM had handled before, to give back if Azure refuses the create.
  std::optional<Instant> handled_before;
  std::optional<Instant> next_run;
  if (!is_copy) {
    auto record = context.state.vm(policy.name, vm.id);
    if (!record) co_return record.error();
    if (*record) {
      handled_before = (*record)->last_handled_slot;
      next_run = (*record)->next_run_at;
    }
  }

  // The intent: the job and the point in one transaction (and for a create the VM's slot).
  auto job = context.state.begin_create(job_start(policy, vm, action, creating.id, attempt), creating, context.now());
  if (!job) co_return job.error();

  Result<azure::StartedRestorePoint, ArmError> started = co_await context.compute.begin_create_restore_point(creating.id, spec);
  if (!started) {
    // Azure never accepted it: no point exists, and the slot goes back to be planned again.
    if (auto forgotten = context.state.forget_point(creating.id); !forgotten) co_return forgotten.error();
    if (!is_copy) {
      auto given_back = context.state.set_schedule_state(policy.name, vm.id, handled_before, next_run);
      if (!given_back) co_return given_back.error();
    }
    co_return finish(context, *job, failure_outcome(started.error()));
  }
  if (!started->started.operation) {
    if (auto recorded = context.state.upsert_point(point_record(policy, vm, action, started->accepted, kind), context.now()); !recorded) {
      co_return recorded.error();
    }
    co_return finish(context, *job, success());
  }
  const OperationHandle operation = *started->started.operation;
  if (auto noted = context.state.set_job_operation(*job, operation_ref(operation)); !noted) co_return noted.error();

  Result<azure::RestorePoint, OperationFailure> made =
      co_await context.compute.finish_create_restore_point(operation, started->started.first_wait);
  if (!made) {
    if (made.error().outcome_known()) {
      if (auto failed = context.state.set_point_state(creating.id, PointState::failed, context.now()); !failed) {
        co_return failed.error();
      }
    }
    co_return finish(context, *job, operation_outcome(made.error()));
  }
  if (auto recorded = context.state.upsert_point(point_record(policy, vm, action, *made, kind), context.now()); !recorded) {
    co_return recorded.error();
  }
  co_return finish(context, *job, success());
}

asio::awaitable<Result<ActionResult>> delete_point(Context context, Policy policy, TargetVm vm, Action action, int attempt) {
  const std::string id = action.point_id();
  auto job = context.state.begin_job(job_start(policy, vm, action, id, attempt), context.now());
  if (!job) co_return job.error();
  if (auto marked = context.state.set_point_state(id, PointState::deleting, context.now()); !marked) co_return marked.error();

  Result<azure::StartedOperation, ArmError> started = co_await context.compute.begin_delete_restore_point(id);
  if (!started && started.error().http_status != 404) co_return finish(context, *job, failure_outcome(started.error()));
  if (started && started->operation) {
    const OperationHandle operation = *started->operation;
    if (auto noted = context.state.set_job_operation(*job, operation_ref(operation)); !noted) co_return noted.error();
    Result<azure::Deleted, OperationFailure> deleted = co_await context.compute.finish_delete(operation, started->first_wait);
    if (!deleted) co_return finish(context, *job, operation_outcome(deleted.error()));
  }
  if (auto forgotten = context.state.forget_point(id); !forgotten) co_return forgotten.error();
  co_return finish(context, *job, success());
}

}  // namespace

JobOutcome failure_outcome(const ArmError& error) {
  JobOutcome outcome;
  outcome.state = JobState::failed;
  if (error.http_status != 0) outcome.http_status = error.http_status;
  outcome.error_code = error.code;
  outcome.message = error.describe();
  outcome.request_id = error.request_id;
  return outcome;
}

std::vector<std::string> excluded_disk_ids(const RestorePointSpec& spec, const azure::VirtualMachine& vm) {
  std::vector<std::string> ids;
  for (const azure::VmDisk& disk : vm.data_disks) {
    const bool selected = std::any_of(spec.exclude_disks.begin(), spec.exclude_disks.end(), [&](const DiskSelector& selector) {
      switch (selector.kind) {
        case DiskSelector::Kind::name: return iequals(disk.name, selector.value);
        case DiskSelector::Kind::lun: return disk.lun && std::to_string(*disk.lun) == selector.value;
        case DiskSelector::Kind::id: return same_arm_id(disk.id, selector.value);
      }
      return false;
    });
    if (selected && !disk.id.empty()) ids.push_back(disk.id);
  }
  return ids;
}

asio::awaitable<Result<ActionResult>> perform(azure::ComputeClient& compute, store::StateStore& state, azure::Clock& clock,
                                              Policy policy, TargetVm vm, Action action, int attempt) {
  const Context context{compute, state, clock};
  // Named results rather than `co_return co_await`: GCC 12's coroutines are safest without temporaries there.
  Result<ActionResult> result = make_error("unknown action");
  if (action.kind == ActionKind::ensure_collection || action.kind == ActionKind::ensure_copy_collection) {
    result = co_await ensure_collection(context, std::move(policy), std::move(vm), std::move(action), attempt);
  } else if (action.kind == ActionKind::set_instant_access) {
    result = co_await set_instant_access(context, std::move(policy), std::move(vm), std::move(action), attempt);
  } else if (action.kind == ActionKind::create_point || action.kind == ActionKind::copy_point) {
    result = co_await create_point(context, std::move(policy), std::move(vm), std::move(action), attempt);
  } else {
    result = co_await delete_point(context, std::move(policy), std::move(vm), std::move(action), attempt);
  }
  co_return result;
}

}  // namespace rpd::reconciler
