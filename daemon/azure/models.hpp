#pragma once
// Typed views of the Resource Manager bodies restorepointd reads and writes (AZURE.md sections 1 and 2).
// Parsing ignores unknown fields, treats null as absent, accepts enum values in any case and keeps the raw
// text of enums it does not know; a field of the wrong type is an error naming it by its path, such as
// "properties.provisioningState: expected a string, got a number".

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "daemon/azure/arm_error.hpp"

namespace rpd::azure {

using Tags = std::map<std::string, std::string>;
using Instant = std::chrono::sys_seconds;

struct VmDisk {
  std::optional<int> lun;  // data disks only
  std::string name;
  std::string id;   // managedDisk.id; empty for an unmanaged (VHD) disk
  std::string sku;  // managedDisk.storageAccountType: "Premium_LRS"
};

struct VirtualMachine {
  std::string id;
  std::string name;
  std::string location;
  Tags tags;
  std::string vm_id;    // properties.vmId, the VM's unique GUID
  std::string os_type;  // storageProfile.osDisk.osType: "Linux" or "Windows"
  VmDisk os_disk;
  std::vector<VmDisk> data_disks;
};

enum class ProvisioningState { Creating, Succeeded, Failed, Deleting, Unknown };
enum class ConsistencyMode { Crash, FileSystem, Application };  // "CrashConsistent", ... on the wire
// snapshotAccessState of a disk restore point, and instantAccessStatus of a restore point (2025-11-01).
enum class AccessState { Unknown, Pending, Available, InstantAccess, AvailableWithInstantAccess };

struct DiskRestorePointState {
  std::string disk_restore_point_id;
  std::optional<int> replication_percent;        // replicationStatus.completionPercent
  std::optional<std::string> replication_state;  // replicationStatus.status.code: "ReplicationState/succeeded"
  std::optional<AccessState> snapshot_access_state;
};

struct RestorePoint {
  std::string id;
  std::string name;
  ProvisioningState provisioning_state = ProvisioningState::Unknown;
  std::string provisioning_state_text;  // as Azure wrote it, also when the state is Unknown
  std::optional<ConsistencyMode> consistency_mode;  // absent, or a value this build does not know
  std::string consistency_mode_text;
  std::optional<Instant> time_created;  // absent rather than a made-up time, so retention never sees epoch
  std::optional<std::string> source_restore_point_id;  // cross-region copies
  std::optional<int> instant_access_duration_minutes;
  std::optional<AccessState> instant_access_status;
  std::vector<std::string> excluded_disk_ids;
  std::vector<DiskRestorePointState> disks;  // from properties.instanceView ($expand=instanceView)
};

struct RestorePointCollection {
  std::string id;
  std::string name;
  std::string location;
  Tags tags;
  std::string source_id;        // properties.source.id: the VM, or the source collection of a copy
  std::string source_location;  // properties.source.location
  std::optional<bool> instant_access;
  std::string provisioning_state;  // plain text: "Succeeded", "Deleting", ...
  std::vector<RestorePoint> restore_points;  // only with $expand=restorePoints
};

enum class OperationState { InProgress, Succeeded, Failed, Canceled, Unknown };

struct OperationStatus {
  OperationState status = OperationState::Unknown;
  std::string status_text;  // as Azure wrote it; Unknown states are the poller's decision
  std::string name;         // the operation's GUID
  std::optional<Instant> start_time;
  std::optional<Instant> end_time;
  std::optional<ArmError> error;  // code, message, target, details; http_status 0

  bool terminal() const {
    return status == OperationState::Succeeded || status == OperationState::Failed ||
           status == OperationState::Canceled;
  }
};

template <class T>
struct Page {
  std::vector<T> value;
  std::optional<std::string> next_link;
};

Result<VirtualMachine> parse_virtual_machine(const boost::json::value& body);
Result<RestorePointCollection> parse_restore_point_collection(const boost::json::value& body);
Result<RestorePoint> parse_restore_point(const boost::json::value& body);
Result<OperationStatus> parse_operation_status(const boost::json::value& body);
Result<Page<VirtualMachine>> parse_virtual_machine_page(const boost::json::value& body);
Result<Page<RestorePointCollection>> parse_restore_point_collection_page(const boost::json::value& body);

// parse_page<VirtualMachine>(body) and parse_page<RestorePointCollection>(body), for generic paging code.
template <class T>
Result<Page<T>> parse_page(const boost::json::value& body);
template <>
inline Result<Page<VirtualMachine>> parse_page<VirtualMachine>(const boost::json::value& body) {
  return parse_virtual_machine_page(body);
}
template <>
inline Result<Page<RestorePointCollection>> parse_page<RestorePointCollection>(const boost::json::value& body) {
  return parse_restore_point_collection_page(body);
}

std::string_view to_string(ProvisioningState state);
std::string_view to_string(ConsistencyMode mode);  // the wire form: "ApplicationConsistent"
std::string_view to_string(AccessState state);
std::string_view to_string(OperationState state);

// Request bodies (AZURE.md section 1). Empty tags and empty lists are left out.
// PUT collection: {location, tags?, properties: {source: {id}, instantAccess?}}
std::string collection_body(const std::string& location, const std::string& source_id, const Tags& tags,
                            std::optional<bool> instant_access);
// PUT restore point: {properties: {consistencyMode?, excludeDisks?, instantAccessDurationMinutes?,
// sourceRestorePoint?}}
std::string restore_point_body(std::optional<ConsistencyMode> consistency,
                               const std::vector<std::string>& excluded_disk_ids,
                               std::optional<int> instant_access_minutes,
                               const std::optional<std::string>& source_restore_point_id);
// PATCH collection: {tags?, properties?: {instantAccess}}. Tags given, even empty, replace all tags.
std::string patch_collection_body(const std::optional<Tags>& tags, std::optional<bool> instant_access);

}  // namespace rpd::azure
