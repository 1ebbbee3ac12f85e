#include "daemon/reconciler/observation.hpp"

#include <algorithm>

#include "core/arm_id.hpp"

namespace rpd::reconciler {
namespace {

namespace asio = boost::asio;
using azure::ArmError;
using azure::ProvisioningState;

PointCondition condition_of(ProvisioningState state) {
  switch (state) {
    case ProvisioningState::Creating: return PointCondition::creating;
    case ProvisioningState::Succeeded: return PointCondition::succeeded;
    case ProvisioningState::Failed: return PointCondition::failed;
    case ProvisioningState::Deleting: return PointCondition::deleting;
    case ProvisioningState::Unknown: break;
  }
  return PointCondition::creating;  // a state this build does not know: not finished, so neither copied nor deleted
}

std::string last_segment(const std::string& id) { return id.substr(id.rfind('/') + 1); }

ObservedCollection observed_collection(const azure::RestorePointCollection& collection) {
  ObservedCollection out{collection.id, collection.instant_access, {}};
  for (const azure::RestorePoint& point : collection.restore_points) out.points.push_back(observed_point(point));
  return out;
}

// The collection, or nullopt when it does not exist (404); other failures are errors.
asio::awaitable<Result<std::optional<azure::RestorePointCollection>, ArmError>> read_collection(
    azure::ComputeClient& compute, std::string id) {
  Result<azure::RestorePointCollection, ArmError> collection = co_await compute.get_collection(id, true);
  if (collection) co_return std::optional<azure::RestorePointCollection>(std::move(collection).value());
  if (collection.error().http_status == 404) co_return std::optional<azure::RestorePointCollection>();
  co_return collection.error();
}

}  // namespace

ObservedPoint observed_point(const azure::RestorePoint& point) {
  ObservedPoint out{point.name, condition_of(point.provisioning_state), std::nullopt, "", point.time_created};
  if (point.source_restore_point_id) out.source_name = last_segment(*point.source_restore_point_id);
  for (const azure::DiskRestorePointState& disk : point.disks) {
    if (!disk.replication_percent) continue;
    out.replication_percent = out.replication_percent ? std::min(*out.replication_percent, *disk.replication_percent)
                                                      : *disk.replication_percent;
  }
  return out;
}

asio::awaitable<Result<VmObservation, ArmError>> observe_vm(azure::ComputeClient& compute, Policy policy, TargetVm vm,
                                                            std::set<std::string> complete_copies) {
  VmObservation observed;
  observed.vm = vm;
  Result<std::optional<azure::RestorePointCollection>, ArmError> local =
      co_await read_collection(compute, collection_id_for(policy, vm));
  if (!local) co_return local.error();
  if (*local) observed.collection = observed_collection(**local);

  for (const CopyRule& rule : policy.copies) {
    Result<std::optional<azure::RestorePointCollection>, ArmError> copies =
        co_await read_collection(compute, copy_collection_id_for(policy, vm, rule));
    if (!copies) co_return copies.error();
    if (!*copies) continue;
    ObservedCollection collection = observed_collection(**copies);
    // The list does not carry replication progress: each copy not known complete is read with its instance view.
    for (std::size_t i = 0; i < collection.points.size(); ++i) {
      const azure::RestorePoint& copy = (**copies).restore_points[i];
      const bool known_complete = std::any_of(complete_copies.begin(), complete_copies.end(),
                                              [&](const std::string& id) { return same_arm_id(id, copy.id); });
      if (known_complete) {
        collection.points[i].replication_percent = 100;
        continue;
      }
      if (collection.points[i].condition != PointCondition::succeeded) continue;
      Result<azure::RestorePoint, ArmError> viewed = co_await compute.get_restore_point(copy.id, true);
      if (!viewed) co_return viewed.error();
      collection.points[i] = observed_point(*viewed);
    }
    observed.copies[rule.region] = std::move(collection);
  }
  co_return observed;
}

}  // namespace rpd::reconciler
