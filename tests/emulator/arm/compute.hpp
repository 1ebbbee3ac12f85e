#pragma once
// Resource Manager's Microsoft.Compute surface that restorepointd uses: virtual machines (read), restore
// point collections and restore points, and the long-running operations behind them. State moves with
// the emulator's clock: a create is `Creating` until its duration has passed, a copy's replication
// progresses with time, Instant Access expires.

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/emulator/arm/clock.hpp"
#include "tests/emulator/arm/fixture.hpp"
#include "tests/emulator/http_types.hpp"

namespace rpd::emulator {

// An ARM request after routing: the path split into segments, the query decoded.
struct ArmRequest {
  std::string method;
  std::vector<std::string> segments;  // "subscriptions", "<sub>", "resourceGroups", ...
  std::map<std::string, std::string> query;
  std::string api_version;
  std::string body;
};

class ComputeService {
 public:
  ComputeService(const Fixture& fixture, const Clock& clock, std::uint64_t seed);

  void set_base_url(std::string url) { base_url_ = std::move(url); }
  Response handle(const ArmRequest& request);

  // Makes the long-running operation started by the last request end Failed (fault injection): the restore
  // point it creates then ends with provisioningState Failed.
  void fail_last_operation(const std::string& code, const std::string& message);

  // A JSON snapshot of every collection and restore point (the admin endpoint's state dump).
  boost::json::object dump();

 private:
  struct DiskPoint {
    std::string disk_name;
    std::string disk_id;
    std::string sku;
    int lun = -1;
    int size_gb = 0;
  };
  struct RestorePoint {
    std::string name;
    std::string id;
    EmulatorTime created;
    EmulatorTime completes;  // provisioningState is Creating until then
    std::string time_created;  // as reported (a copy reports its source's)
    std::optional<std::string> consistency;
    std::vector<std::string> excluded_disks;
    std::vector<DiskPoint> disks;
    std::optional<int> instant_access_minutes;  // set when created while the collection had instantAccess
    std::optional<std::string> source_point_id;  // a cross-region copy
    EmulatorTime replication_done;               // copies: every disk at 100 % from then on
    bool failed = false;
    std::optional<EmulatorTime> deleting_until;
  };
  struct Collection {
    std::string subscription, resource_group, name, id, location;
    boost::json::object tags;
    std::string source_id;        // a VM id, or the source collection's id for a copy target
    std::string source_location;  // the VM's region
    std::string vm_key;           // lower-case id of the VM the points are of
    bool instant_access = false;
    std::string collection_guid;
    std::map<std::string, RestorePoint> points;  // by lower-case name, in name order
    std::optional<EmulatorTime> deleting_until;
  };
  struct Operation {
    std::string id;
    std::string subscription, location;
    EmulatorTime start, end;
    std::optional<std::pair<std::string, std::string>> error;  // code, message
  };

  Response virtual_machines(const ArmRequest& request);
  Response collections_list(const ArmRequest& request);
  Response collection(const ArmRequest& request);
  Response restore_point(const ArmRequest& request);
  Response operation(const ArmRequest& request);
  Response create_restore_point(const ArmRequest& request, Collection& collection, const std::string& name);
  Response delete_restore_point(const ArmRequest& request, Collection& collection, const std::string& name);

  void settle();  // applies what time has completed: finished deletes disappear
  boost::json::object collection_json(const Collection& c, bool expand_points, const std::string& api_version);
  boost::json::object point_json(const Collection& c, const RestorePoint& p, bool instance_view,
                                 const std::string& api_version);
  const VirtualMachine* find_vm(const std::string& id) const;
  Collection* find_collection(const std::string& subscription, const std::string& group, const std::string& name);
  int points_of_vm(const std::string& vm_key) const;
  std::string new_guid();
  Operation& start_operation(const std::string& subscription, const std::string& location, EmulatorTime end);
  void add_async_headers(Response& response, const Operation& op, bool is_delete, const std::string& api_version);
  Response paged(const std::vector<boost::json::value>& items, const ArmRequest& request, const std::string& path);

  const Fixture& fixture_;
  const Clock& clock_;
  std::mt19937_64 random_;
  std::string base_url_;
  std::map<std::string, const VirtualMachine*> vms_by_id_;  // by lower-case id
  std::map<std::string, Collection> collections_;  // by lower-case id
  std::map<std::string, Operation> operations_;    // by id
  std::map<std::string, std::vector<EmulatorTime>> recent_creates_;
  std::string last_operation_;
  bool concurrent_create_pending_ = false;  // this request's create collides with one running on the VM
  RestorePoint* last_created_ = nullptr;  // create PUTs in the last hour, per VM
};

}  // namespace rpd::emulator
