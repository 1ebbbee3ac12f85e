#pragma once
// The Compute operations restorepointd uses (AZURE.md section 1), typed: requests built from the models'
// bodies, answers parsed into them, lists followed through every nextLink, long-running operations started
// and followed. Ids are ARM ids ("/subscriptions/.../restorePointCollections/rpc-sql01").
//
// A long-running operation is two steps so that the daemon can store its handle in between, and follow it
// again after a restart: begin_* sends the request and returns the handle (or nothing to follow when Azure
// answered that it is done); finish_* waits for the end.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "daemon/azure/arm_client.hpp"
#include "daemon/azure/models.hpp"
#include "daemon/azure/operation_poller.hpp"

namespace rpd::azure {

struct StartedOperation {
  std::optional<OperationHandle> operation;  // nullopt: Azure answered that it is already done
  std::chrono::milliseconds first_wait{0};   // before the first poll: the answer's Retry-After, or the default
};

struct StartedRestorePoint {
  RestorePoint accepted;  // what the 201 said: provisioningState "Creating"
  StartedOperation started;
};

struct CollectionSpec {
  std::string location;
  std::string source_id;  // the VM; for a copy's collection, the source collection
  Tags tags;
  std::optional<bool> instant_access;
};

struct RestorePointSpec {
  std::optional<ConsistencyMode> consistency;  // nullopt: Azure chooses
  std::vector<std::string> excluded_disk_ids;
  std::optional<int> instant_access_minutes;
  std::optional<std::string> source_restore_point_id;  // a cross-region copy of that point
};

struct Deleted {};

class ComputeClient {
 public:
  // `arm` must outlive the client and its coroutines.
  explicit ComputeClient(ArmClient& arm, PollOptions poll = {}) : arm_(arm), poll_(poll) {}

  boost::asio::awaitable<Result<VirtualMachine, ArmError>> get_vm(std::string vm_id);
  boost::asio::awaitable<Result<std::vector<VirtualMachine>, ArmError>> list_vms(std::string resource_group_id);

  boost::asio::awaitable<Result<RestorePointCollection, ArmError>> get_collection(std::string collection_id,
                                                                                  bool with_restore_points);
  // Every collection in a subscription ("/subscriptions/<id>") or a resource group, all pages.
  boost::asio::awaitable<Result<std::vector<RestorePointCollection>, ArmError>> list_collections(std::string scope_id);
  boost::asio::awaitable<Result<RestorePointCollection, ArmError>> put_collection(std::string collection_id,
                                                                                  CollectionSpec spec);
  boost::asio::awaitable<Result<RestorePointCollection, ArmError>> patch_collection(std::string collection_id,
                                                                                    std::optional<Tags> tags,
                                                                                    std::optional<bool> instant_access);
  boost::asio::awaitable<Result<StartedOperation, ArmError>> begin_delete_collection(std::string collection_id);

  boost::asio::awaitable<Result<StartedRestorePoint, ArmError>> begin_create_restore_point(std::string restore_point_id,
                                                                                           RestorePointSpec spec);
  // The point once its operation has succeeded, read again from Azure.
  boost::asio::awaitable<Result<RestorePoint, OperationFailure>> finish_create_restore_point(OperationHandle operation,
                                                                                             std::chrono::milliseconds first_wait);
  boost::asio::awaitable<Result<RestorePoint, ArmError>> get_restore_point(std::string restore_point_id,
                                                                           bool with_instance_view);
  boost::asio::awaitable<Result<StartedOperation, ArmError>> begin_delete_restore_point(std::string restore_point_id);

  // The end of a delete begun above (of a collection or a restore point).
  boost::asio::awaitable<Result<Deleted, OperationFailure>> finish_delete(OperationHandle operation,
                                                                          std::chrono::milliseconds first_wait);

 private:
  boost::asio::awaitable<Result<StartedOperation, ArmError>> begin_delete(std::string resource_id);

  ArmClient& arm_;
  PollOptions poll_;
};

// The restore point collection's id of a restore point's id (everything before "/restorePoints/").
std::string collection_of(std::string_view restore_point_id);

}  // namespace rpd::azure
