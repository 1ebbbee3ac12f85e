#include "tests/emulator/arm/compute.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tests/emulator/arm/arm_response.hpp"

namespace rpd::emulator {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr auto copy_call_duration = 6s;
constexpr auto progress_step = 10min;  // Azure updates completionPercent about every ten minutes

const std::string concurrent_message_text =
    "Restore point creation failed as a concurrent 'Create RestorePoint' operation was triggered on the VM. Please "
    "retry after the ongoing operation completes.";
constexpr auto concurrent_failure_delay = 5s;  // how soon such an operation reports its failure

std::chrono::milliseconds seconds_of(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

bool version_at_least(const std::string& api_version, const char* version) { return api_version >= version; }

// Parses a request body; an empty body is an empty object.
std::optional<json::object> parse_body(const std::string& body) {
  if (body.empty()) return json::object{};
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return value.as_object();
}

Response invalid_content(const std::string& detail) {
  return arm_error(400, "InvalidRequestContent",
                   "The request content was invalid and could not be deserialized: '" + detail + "'.");
}

const json::value* member(const json::object& object, const char* path1, const char* path2 = nullptr) {
  const json::value* value = object.if_contains(path1);
  if (value && path2) value = value->is_object() ? value->as_object().if_contains(path2) : nullptr;
  return value;
}

bool is_instant_access_sku(const std::string& sku) {
  return iequals_ascii(sku, "PremiumV2_LRS") || iequals_ascii(sku, "UltraSSD_LRS");
}

std::string vm_id(const VirtualMachine& vm) {
  return "/subscriptions/" + vm.subscription + "/resourceGroups/" + vm.resource_group +
         "/providers/Microsoft.Compute/virtualMachines/" + vm.name;
}

std::string disk_id(const VirtualMachine& vm, const Disk& disk) {
  return "/subscriptions/" + vm.subscription + "/resourceGroups/" + vm.resource_group +
         "/providers/Microsoft.Compute/disks/" + disk.name;
}

json::object managed_disk(const std::string& id, const std::string& sku) {
  return json::object{{"storageAccountType", sku}, {"id", id}};
}

// A GUID that is the same for the same text in every run (FNV-1a spread over 128 bits).
std::string stable_guid(const std::string& text) {
  std::uint64_t a = 14695981039346656037ull, b = 1099511628211ull;
  for (char c : lower_ascii(text)) {
    a = (a ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    b = (b ^ static_cast<unsigned char>(c)) * 14695981039346656037ull + 1;
  }
  char out[40];
  std::snprintf(out, sizeof out, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>((b >> 48) & 0xfff), static_cast<unsigned long long>(b & 0xffffffffffffull));
  return out;
}

// What the fixture does not say about a VM, as Azure would report it for an ordinary one: a v5 size (SCSI disk
// controller, which Instant Access needs), boot diagnostics on, the portal's default admin name.
constexpr const char* vm_size = "Standard_D4s_v5";
constexpr const char* disk_controller_type = "SCSI";
constexpr const char* admin_username = "azureuser";
// The fixture declares no user data; a create answer carries the VM's (base64), so every VM has this one.
constexpr const char* user_data = "ZW11bGF0b3I=";  // "emulator"

json::object os_profile(const VirtualMachine& vm) {
  json::object profile{{"computerName", vm.name}, {"adminUsername", admin_username}};
  if (iequals_ascii(vm.os_type, "Windows")) {
    profile["windowsConfiguration"] = json::object{{"provisionVMAgent", true}, {"enableAutomaticUpdates", true}};
  } else {
    profile["linuxConfiguration"] = json::object{{"disablePasswordAuthentication", true}, {"provisionVMAgent", true}};
  }
  profile["secrets"] = json::array{};
  profile["allowExtensionOperations"] = true;
  profile["requireGuestProvisionSignal"] = true;
  return profile;
}

json::object diagnostics_profile() { return json::object{{"bootDiagnostics", json::object{{"enabled", true}}}}; }

json::object vm_json(const VirtualMachine& vm) {
  json::array data_disks;
  for (const Disk& disk : vm.data_disks) {
    data_disks.push_back(json::object{{"lun", disk.lun},
                                      {"name", disk.name},
                                      {"createOption", "Attach"},
                                      {"diskSizeGB", disk.size_gb},
                                      {"managedDisk", managed_disk(disk_id(vm, disk), disk.sku)}});
  }
  json::object tags;
  for (const auto& [key, value] : vm.tags) tags[key] = value;
  return json::object{
      {"name", vm.name},
      {"id", vm_id(vm)},
      {"type", "Microsoft.Compute/virtualMachines"},
      {"location", vm.location},
      {"tags", tags},
      {"properties",
       json::object{{"vmId", stable_guid(vm_id(vm))},
                    {"hardwareProfile", json::object{{"vmSize", vm_size}}},
                    {"storageProfile",
                     json::object{{"osDisk", json::object{{"osType", vm.os_type},
                                                         {"name", vm.os_disk.name},
                                                         {"createOption", "FromImage"},
                                                         {"diskSizeGB", vm.os_disk.size_gb},
                                                         {"managedDisk", managed_disk(disk_id(vm, vm.os_disk),
                                                                                      vm.os_disk.sku)}}},
                                  {"dataDisks", data_disks},
                                  {"diskControllerType", disk_controller_type}}},
                    {"osProfile", os_profile(vm)},
                    {"diagnosticsProfile", diagnostics_profile()},
                    {"provisioningState", "Succeeded"}}}};
}

}  // namespace

ComputeService::ComputeService(const Fixture& fixture, const Clock& clock, std::uint64_t seed)
    : fixture_(fixture), clock_(clock), random_(seed) {
  for (const VirtualMachine& vm : fixture_.vms) vms_by_id_[lower_ascii(vm_id(vm))] = &vm;
}

std::string ComputeService::new_guid() {
  std::uniform_int_distribution<int> hex(0, 15);
  static constexpr char digits[] = "0123456789abcdef";
  std::string guid;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      guid += '-';
    } else if (i == 14) {
      guid += '4';
    } else {
      guid += digits[hex(random_)];
    }
  }
  return guid;
}

const VirtualMachine* ComputeService::find_vm(const std::string& id) const {
  const auto it = vms_by_id_.find(lower_ascii(id));
  return it == vms_by_id_.end() ? nullptr : it->second;
}

ComputeService::Collection* ComputeService::find_collection(const std::string& subscription, const std::string& group,
                                                            const std::string& name) {
  const std::string key = lower_ascii("/subscriptions/" + subscription + "/resourceGroups/" + group +
                                      "/providers/Microsoft.Compute/restorePointCollections/" + name);
  auto it = collections_.find(key);
  if (it == collections_.end() || it->second.deleting_until) return nullptr;
  return &it->second;
}

int ComputeService::points_of_vm(const std::string& vm_key) const {
  int count = 0;
  for (const auto& [key, c] : collections_) {
    if (c.vm_key != vm_key) continue;
    for (const auto& [name, p] : c.points) count += p.source_point_id ? 0 : 1;
  }
  return count;
}

void ComputeService::settle() {
  const EmulatorTime now = clock_.now();
  for (auto it = collections_.begin(); it != collections_.end();) {
    Collection& c = it->second;
    for (auto p = c.points.begin(); p != c.points.end();) {
      p = p->second.deleting_until && *p->second.deleting_until <= now ? c.points.erase(p) : std::next(p);
    }
    it = c.deleting_until && *c.deleting_until <= now ? collections_.erase(it) : std::next(it);
  }
  for (auto& [vm, times] : recent_creates_) {
    std::erase_if(times, [&](EmulatorTime t) { return now - t >= 1h; });
  }
}

ComputeService::Operation& ComputeService::start_operation(const std::string& subscription,
                                                           const std::string& location, EmulatorTime end) {
  Operation op{new_guid(), subscription, lower_ascii(location), clock_.now(), end, std::nullopt};
  last_operation_ = op.id;
  return operations_[op.id] = op;
}

void ComputeService::add_async_headers(Response& response, const Operation& op, bool is_delete,
                                       const std::string& api_version) {
  const std::string url = base_url_ + "/subscriptions/" + op.subscription + "/providers/Microsoft.Compute/locations/" +
                          op.location + "/operations/" + op.id + "?p=" + std::string(96, 'x').replace(0, 8, op.id.substr(0, 8)) +
                          "&api-version=" + api_version;
  response.headers.emplace_back("Azure-AsyncOperation", url);
  if (is_delete || fixture_.lro_location_and_retry_after) {
    response.headers.emplace_back("Location", url + "&monitor=true");
  }
  if (fixture_.retry_after_seconds > 0 && (is_delete || fixture_.lro_location_and_retry_after)) {
    response.headers.emplace_back("Retry-After", std::to_string(fixture_.retry_after_seconds));
  }
}

Response ComputeService::paged(const std::vector<json::value>& items, const ArmRequest& request,
                               const std::string& path) {
  std::size_t skip = 0;
  if (auto it = request.query.find("$skiptoken"); it != request.query.end()) {
    skip = static_cast<std::size_t>(std::strtoull(it->second.c_str(), nullptr, 10));
  }
  const std::size_t page = static_cast<std::size_t>(fixture_.page_size);
  json::array value;
  for (std::size_t i = skip; i < items.size() && i < skip + page; ++i) value.push_back(items[i]);
  json::object body{{"value", value}};
  if (skip + page < items.size()) {
    body["nextLink"] = base_url_ + path + "?api-version=" + request.api_version + "&$skiptoken=" +
                       std::to_string(skip + page);
  }
  return json_response(200, body);
}

void ComputeService::fail_last_operation(const std::string& code, const std::string& message) {
  if (auto it = operations_.find(last_operation_); it != operations_.end()) it->second.error = {code, message};
  if (last_created_) last_created_->failed = true;
}

Response ComputeService::handle(const ArmRequest& request) {
  settle();
  last_operation_.clear();
  last_created_ = nullptr;
  concurrent_create_pending_ = false;
  const auto& s = request.segments;
  const auto segment_is = [&](std::size_t i, const char* text) { return s.size() > i && iequals_ascii(s[i], text); };
  if (!segment_is(0, "subscriptions") || s.size() < 2) return arm_error(404, "NotFound", "The resource was not found.");
  if (std::none_of(fixture_.subscriptions.begin(), fixture_.subscriptions.end(),
                   [&](const std::string& sub) { return iequals_ascii(sub, s[1]); })) {
    return arm_error(404, "SubscriptionNotFound", "The subscription '" + s[1] + "' could not be found.");
  }
  // /subscriptions/{s}/providers/Microsoft.Compute/...
  if (segment_is(2, "providers") && segment_is(3, "Microsoft.Compute")) {
    if (s.size() == 5 && segment_is(4, "virtualMachines")) return virtual_machines(request);
    if (s.size() == 5 && segment_is(4, "restorePointCollections")) return collections_list(request);
    if (s.size() == 8 && segment_is(4, "locations") && segment_is(6, "operations")) return operation(request);
  }
  if (segment_is(2, "resourceGroups") && s.size() >= 4) {
    const std::string group_id = "/subscriptions/" + s[1] + "/resourceGroups/" + s[3];
    if (std::none_of(fixture_.resource_groups.begin(), fixture_.resource_groups.end(),
                     [&](const std::string& id) { return iequals_ascii(id, group_id); })) {
      return arm_error(404, "ResourceGroupNotFound", "Resource group '" + s[3] + "' could not be found.");
    }
    if (segment_is(4, "providers") && segment_is(5, "Microsoft.Compute")) {
      if (segment_is(6, "virtualMachines") && (s.size() == 7 || s.size() == 8)) return virtual_machines(request);
      if (segment_is(6, "restorePointCollections")) {
        if (s.size() == 7) return collections_list(request);
        if (s.size() == 8) return collection(request);
        if (s.size() == 10 && segment_is(8, "restorePoints")) return restore_point(request);
      }
    }
  }
  return arm_error(400, "InvalidResourceType", "The resource type could not be found in the namespace.");
}

Response ComputeService::virtual_machines(const ArmRequest& request) {
  const auto& s = request.segments;
  if (request.method != "GET") return arm_error(405, "MethodNotAllowed", "The requested method is not allowed.");
  if (s.size() == 8) {
    const VirtualMachine* vm = find_vm("/subscriptions/" + s[1] + "/resourceGroups/" + s[3] +
                                       "/providers/Microsoft.Compute/virtualMachines/" + s[7]);
    if (!vm) {
      return arm_error(404, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/" + s[7] +
                                                    "' under resource group '" + s[3] + "' was not found.");
    }
    return json_response(200, vm_json(*vm));
  }
  std::vector<json::value> items;
  std::string path = "/subscriptions/" + s[1];
  if (s.size() == 7) path += "/resourceGroups/" + s[3];
  path += "/providers/Microsoft.Compute/virtualMachines";
  for (const VirtualMachine& vm : fixture_.vms) {
    if (!iequals_ascii(vm.subscription, s[1])) continue;
    if (s.size() == 7 && !iequals_ascii(vm.resource_group, s[3])) continue;
    items.push_back(vm_json(vm));
  }
  return paged(items, request, path);
}

Response ComputeService::collections_list(const ArmRequest& request) {
  const auto& s = request.segments;
  if (request.method != "GET") return arm_error(405, "MethodNotAllowed", "The requested method is not allowed.");
  std::string path = "/subscriptions/" + s[1];
  if (s.size() == 7) path += "/resourceGroups/" + s[3];
  path += "/providers/Microsoft.Compute/restorePointCollections";
  std::vector<json::value> items;
  for (const auto& [key, c] : collections_) {
    if (c.deleting_until || !iequals_ascii(c.subscription, s[1])) continue;
    if (s.size() == 7 && !iequals_ascii(c.resource_group, s[3])) continue;
    items.push_back(collection_json(c, false, request.api_version));
  }
  return paged(items, request, path);
}

json::object ComputeService::collection_json(const Collection& c, bool expand_points, const std::string& api_version) {
  json::object properties{{"source", json::object{{"id", c.source_id}, {"location", c.source_location}}},
                          {"restorePointCollectionId", c.collection_guid},
                          {"provisioningState", c.deleting_until ? "Deleting" : "Succeeded"}};
  if (version_at_least(api_version, "2025-04-01")) properties["instantAccess"] = c.instant_access;
  if (expand_points) {
    json::array points;
    for (const auto& [name, p] : c.points) points.push_back(point_json(c, p, false, api_version));
    properties["restorePoints"] = points;
  }
  return json::object{{"name", c.name},      {"id", c.id},     {"type", "Microsoft.Compute/restorePointCollections"},
                      {"location", c.location}, {"tags", c.tags}, {"properties", properties}};
}

Response ComputeService::collection(const ArmRequest& request) {
  const auto& s = request.segments;
  const std::string id = "/subscriptions/" + s[1] + "/resourceGroups/" + s[3] +
                         "/providers/Microsoft.Compute/restorePointCollections/" + s[7];
  Collection* existing = find_collection(s[1], s[3], s[7]);
  const auto not_found = [&] {
    return arm_error(404, "ResourceNotFound", "The Resource 'Microsoft.Compute/restorePointCollections/" + s[7] +
                                                  "' under resource group '" + s[3] + "' was not found.");
  };

  if (request.method == "GET") {
    if (!existing) return not_found();
    const auto expand = request.query.find("$expand");
    const bool with_points = expand != request.query.end() && iequals_ascii(expand->second, "restorePoints");
    return json_response(200, collection_json(*existing, with_points, request.api_version));
  }
  if (request.method == "DELETE") {
    if (!existing) return Response{204, {}, "", Delivery::normal, {}};
    const EmulatorTime end = clock_.now() + seconds_of(fixture_.delete_seconds);
    existing->deleting_until = end;
    Response response{202, {}, "", Delivery::normal, {}};
    add_async_headers(response, start_operation(s[1], existing->location, end), true, request.api_version);
    return response;
  }
  if (request.method != "PUT" && request.method != "PATCH") {
    return arm_error(405, "MethodNotAllowed", "The requested method is not allowed.");
  }

  const auto body = parse_body(request.body);
  if (!body) return invalid_content("the body is not a JSON object");
  const json::value* instant_access = member(*body, "properties", "instantAccess");
  if (instant_access && !version_at_least(request.api_version, "2025-04-01")) {
    return invalid_content("Could not find member 'instantAccess' on object of type 'RestorePointCollectionProperties'");
  }
  if (instant_access && !instant_access->is_bool()) {
    return invalid_content("Error converting value to type 'Boolean'. Path 'properties.instantAccess'");
  }
  const json::value* tags = body->if_contains("tags");
  if (tags && !tags->is_object()) return invalid_content("Error converting value to type 'Dictionary'. Path 'tags'");

  if (request.method == "PATCH") {
    if (!existing) return not_found();
    if (tags) existing->tags = tags->as_object();
    if (instant_access) existing->instant_access = instant_access->as_bool();
    return json_response(200, collection_json(*existing, false, request.api_version));
  }

  // PUT: create, or update what may change.
  const json::value* location = body->if_contains("location");
  const json::value* source = member(*body, "properties", "source");
  const json::value* source_id = source && source->is_object() ? source->as_object().if_contains("id") : nullptr;
  if (existing) {
    if (source_id && (!source_id->is_string() || !iequals_ascii(std::string(source_id->as_string()), existing->source_id))) {
      return arm_error(400, "PropertyChangeNotAllowed", "Changing property 'source.id' is not allowed.",
                       "properties.source.id");
    }
    if (tags) existing->tags = tags->as_object();
    if (instant_access) existing->instant_access = instant_access->as_bool();
    return json_response(200, collection_json(*existing, false, request.api_version));
  }
  if (!location || !location->is_string()) {
    return arm_error(400, "LocationRequired", "The location property is required for this definition.");
  }
  if (!source_id || !source_id->is_string()) {
    return arm_error(400, "InvalidParameter", "Required parameter 'source.id' is missing (null).", "properties.source.id");
  }
  Collection c;
  c.subscription = s[1];
  c.resource_group = s[3];
  c.name = s[7];
  c.id = id;
  c.location = std::string(location->as_string());
  c.source_id = std::string(source_id->as_string());
  c.collection_guid = new_guid();
  if (tags) c.tags = tags->as_object();
  if (const VirtualMachine* vm = find_vm(c.source_id)) {
    if (!iequals_ascii(vm->location, c.location)) {
      return arm_error(400, "InvalidParameter",
                       "The restore point collection must be in the same location as its source virtual machine ('" +
                           vm->location + "').",
                       "location");
    }
    c.source_id = vm_id(*vm);
    c.source_location = vm->location;
    c.vm_key = lower_ascii(vm_id(*vm));
  } else if (auto source_collection = collections_.find(lower_ascii(c.source_id));
             source_collection != collections_.end() && !source_collection->second.deleting_until) {
    if (!find_vm(source_collection->second.source_id)) {
      return arm_error(400, "OperationNotAllowed", "A collection of copies cannot be the source of another copy.");
    }
    c.source_location = source_collection->second.location;
    c.vm_key = source_collection->second.vm_key;
  } else {
    return arm_error(404, "NotFound", "The source resource '" + c.source_id + "' was not found.",
                     "properties.source.id");
  }
  if (instant_access && instant_access->as_bool()) {
    const VirtualMachine* vm = find_vm(c.source_id);
    const bool eligible = vm && std::any_of(vm->data_disks.begin(), vm->data_disks.end(),
                                            [](const Disk& d) { return is_instant_access_sku(d.sku); });
    if (!eligible) {
      return arm_error(400, "OperationNotAllowed",
                       "Instant Access is supported only for virtual machines with Premium SSD v2 or Ultra Disk data "
                       "disks.",
                       "properties.instantAccess");
    }
    c.instant_access = true;
  }
  const std::string key = lower_ascii(id);
  collections_.erase(key);  // a fully deleted one of the same name
  auto& stored = collections_[key] = std::move(c);
  return json_response(201, collection_json(stored, false, request.api_version));
}

json::object ComputeService::point_json(const Collection& c, const RestorePoint& p, bool instance_view,
                                        const std::string& api_version) {
  const EmulatorTime now = clock_.now();
  const bool creating = now < p.completes;
  const char* state = p.deleting_until ? "Deleting" : creating ? "Creating" : p.failed ? "Failed" : "Succeeded";
  const VirtualMachine* vm = find_vm(c.vm_key);

  json::object properties;
  json::array excluded;
  for (const std::string& id : p.excluded_disks) excluded.push_back(json::object{{"id", id}});
  if (!excluded.empty()) properties["excludeDisks"] = excluded;
  if (p.source_point_id) properties["sourceRestorePoint"] = json::object{{"id", *p.source_point_id}};

  json::array data_disks;
  json::object os_disk;
  for (const DiskPoint& disk : p.disks) {
    // In Azure's order: osType or lun first.
    json::object entry;
    if (disk.lun < 0) {
      entry["osType"] = vm ? vm->os_type : "Linux";
    } else {
      entry["lun"] = disk.lun;
    }
    entry["name"] = disk.disk_name;
    entry["caching"] = disk.lun < 0 ? "ReadWrite" : "None";
    entry["managedDisk"] = managed_disk(disk.disk_id, disk.sku);
    entry["diskRestorePoint"] = json::object{{"id", p.id + "/diskRestorePoints/" + disk.disk_name + "_" +
                                                        c.collection_guid}};
    if (disk.lun < 0) {
      os_disk = entry;
    } else {
      data_disks.push_back(entry);
    }
  }
  // The VM as it was captured: what a GET of the VM shows, with the disks the point holds.
  json::object storage{{"osDisk", os_disk}, {"dataDisks", data_disks}};
  // Resource Manager answers only what the requested api-version defines. diskControllerType is in the
  // restore point schema of 2025-04-01 but not of 2023-03-01; the version in between that added it is not
  // known, so it is taken to be the next one, 2023-07-01.
  if (version_at_least(api_version, "2023-07-01")) storage["diskControllerType"] = disk_controller_type;
  json::object metadata{{"vmId", vm ? stable_guid(vm_id(*vm)) : ""},
                        {"hardwareProfile", json::object{{"vmSize", vm_size}}},
                        {"storageProfile", storage}};
  if (vm) metadata["osProfile"] = os_profile(*vm);
  metadata["diagnosticsProfile"] = diagnostics_profile();
  metadata["location"] = c.source_location;
  properties["sourceMetadata"] = metadata;
  if (p.instant_access_minutes && version_at_least(api_version, "2025-04-01")) {
    properties["instantAccessDurationMinutes"] = *p.instant_access_minutes;
  }
  properties["provisioningState"] = state;
  if (p.consistency) properties["consistencyMode"] = *p.consistency;
  properties["timeCreated"] = p.time_created;

  // Instant Access per disk: Pending while the point is created, then available with Instant Access for its
  // duration, then plain Available.
  std::optional<std::string> access_state;
  if (p.instant_access_minutes && version_at_least(api_version, "2025-04-01")) {
    access_state = creating ? "Pending"
                   : now < p.completes + std::chrono::minutes(*p.instant_access_minutes) ? "AvailableWithInstantAccess"
                                                                                           : "Available";
    if (version_at_least(api_version, "2025-11-01")) properties["instantAccessStatus"] = *access_state;
  }
  if (instance_view) {
    // Every disk restore point reports replication: a copy's progresses in ten-minute steps, as Azure reports it;
    // a point of the VM itself is at 100 % once created (as the Instant Access
    // preview's documentation shows it). What Azure reports while such a point is created is not known: 0 %.
    int percent = creating || p.failed ? 0 : 100;
    if (p.source_point_id) {
      const auto total = p.replication_done - p.completes;
      const auto elapsed = std::clamp(std::chrono::floor<std::chrono::minutes>(now - p.completes) / progress_step *
                                          progress_step,
                                      std::chrono::minutes{0}, std::chrono::duration_cast<std::chrono::minutes>(total));
      percent = now >= p.replication_done || total.count() <= 0
                    ? 100
                    : static_cast<int>(100 * std::chrono::duration<double>(elapsed).count() /
                                       std::chrono::duration<double>(total).count());
      percent = std::min(percent, 100);
    }
    const bool replicated = percent == 100;
    const json::object replication_state{
        {"code", replicated ? "ReplicationState/succeeded" : "ReplicationState/replicating"},
        {"level", "Info"},
        {"displayStatus", replicated ? "Succeeded" : "Replicating"}};
    json::array disks;
    for (const DiskPoint& disk : p.disks) {
      json::object entry{{"id", p.id + "/diskRestorePoints/" + disk.disk_name + "_" + c.collection_guid},
                         {"replicationStatus", json::object{{"status", replication_state},
                                                            {"completionPercent", percent}}}};
      if (access_state && disk.lun >= 0 && is_instant_access_sku(disk.sku)) {
        entry["snapshotAccessState"] = *access_state;
      }
      disks.push_back(entry);
    }
    properties["instanceView"] = json::object{{"diskRestorePoints", disks},
                                              {"statuses", json::array{replication_state}}};
  }
  return json::object{{"name", p.name}, {"id", p.id}, {"properties", properties}};
}

Response ComputeService::restore_point(const ArmRequest& request) {
  const auto& s = request.segments;
  Collection* c = find_collection(s[1], s[3], s[7]);
  if (!c) {
    return arm_error(404, "ParentResourceNotFound",
                     "Can not perform requested operation on nested resource. Parent resource '" + s[7] +
                         "' not found.");
  }
  const std::string key = lower_ascii(s[9]);
  if (request.method == "PUT") return create_restore_point(request, *c, s[9]);
  if (request.method == "DELETE") return delete_restore_point(request, *c, s[9]);
  if (request.method != "GET") return arm_error(405, "MethodNotAllowed", "The requested method is not allowed.");
  auto it = c->points.find(key);
  if (it == c->points.end()) {
    return arm_error(404, "ResourceNotFound", "The Resource 'Microsoft.Compute/restorePointCollections/" + s[7] +
                                                  "/restorePoints/" + s[9] + "' under resource group '" + s[3] +
                                                  "' was not found.");
  }
  const auto expand = request.query.find("$expand");
  const bool instance_view = expand != request.query.end() && iequals_ascii(expand->second, "instanceView");
  return json_response(200, point_json(*c, it->second, instance_view, request.api_version));
}

Response ComputeService::create_restore_point(const ArmRequest& request, Collection& c, const std::string& name) {
  const EmulatorTime now = clock_.now();
  const auto body = parse_body(request.body);
  if (!body) return invalid_content("the body is not a JSON object");
  if (c.points.contains(lower_ascii(name))) {
    return arm_error(409, "OperationNotAllowed",
                     "Restore point '" + name + "' already exists. Restore points cannot be updated.");
  }
  RestorePoint p;
  p.name = name;
  p.id = c.id + "/restorePoints/" + name;
  p.created = now;

  if (const json::value* mode = member(*body, "properties", "consistencyMode")) {
    static const std::vector<std::string> modes = {"CrashConsistent", "FileSystemConsistent", "ApplicationConsistent"};
    const auto found = mode->is_string() ? std::find_if(modes.begin(), modes.end(),
                                                        [&](const std::string& m) {
                                                          return iequals_ascii(m, std::string(mode->as_string()));
                                                        })
                                         : modes.end();
    if (found == modes.end()) {
      return arm_error(400, "InvalidParameter",
                       "The value of parameter consistencyMode is invalid. Allowed values: CrashConsistent, "
                       "FileSystemConsistent, ApplicationConsistent.",
                       "consistencyMode");
    }
    p.consistency = *found;
  }
  const json::value* minutes = member(*body, "properties", "instantAccessDurationMinutes");
  if (minutes && !version_at_least(request.api_version, "2025-04-01")) {
    return invalid_content("Could not find member 'instantAccessDurationMinutes' on object of type 'RestorePointProperties'");
  }
  if (minutes && (!minutes->is_int64() || minutes->as_int64() < 60 || minutes->as_int64() > 300)) {
    return arm_error(400, "InvalidParameter", "instantAccessDurationMinutes must be between 60 and 300.",
                     "instantAccessDurationMinutes");
  }

  const VirtualMachine* vm = find_vm(c.vm_key);
  if (!vm) return arm_error(404, "ResourceNotFound", "The source virtual machine of the collection no longer exists.");
  const json::value* source_point = member(*body, "properties", "sourceRestorePoint");

  if (!source_point) {
    if (!find_vm(c.source_id)) {
      return arm_error(400, "InvalidParameter", "A restore point in a collection of copies needs sourceRestorePoint.",
                       "sourceRestorePoint");
    }
    // Excluded disks must be disks of the VM.
    if (const json::value* excluded = member(*body, "properties", "excludeDisks")) {
      if (!excluded->is_array()) return invalid_content("Error converting value. Path 'properties.excludeDisks'");
      for (const json::value& item : excluded->as_array()) {
        const json::value* id = item.is_object() ? item.as_object().if_contains("id") : nullptr;
        const bool known = id && id->is_string() && std::any_of(vm->data_disks.begin(), vm->data_disks.end(), [&](const Disk& d) {
                             return iequals_ascii(disk_id(*vm, d), std::string(id->as_string()));
                           });
        if (!known) {
          return arm_error(400, "InvalidParameter", "excludeDisks names a disk that is not a data disk of the VM.",
                           "excludeDisks");
        }
        p.excluded_disks.push_back(std::string(id->as_string()));
      }
    }
    // Without a consistencyMode the service chooses (AZURE.md section 1): application consistency where VSS
    // makes it possible (Windows), file system consistency on Linux, as recorded.
    if (!p.consistency) {
      p.consistency = iequals_ascii(vm->os_type, "Windows") ? "ApplicationConsistent" : "FileSystemConsistent";
    }
    // Azure's per-VM limits (AZURE.md section 3).
    const std::string vm_key = lower_ascii(vm_id(*vm));
    bool concurrent = false;
    for (const auto& [key, other] : collections_) {
      if (other.vm_key != vm_key) continue;
      for (const auto& [n, q] : other.points) concurrent = concurrent || (!q.source_point_id && !q.failed && now < q.completes);
    }
    const std::string& concurrent_message = concurrent_message_text;
    // Whether Azure refuses the second create at once or lets its operation fail is not known (AZURE.md
    // section 3): the fixture chooses, so that clients are tested against both.
    if (concurrent && !fixture_.concurrent_create_fails_as_operation) {
      return arm_error(409, "VMRestorePointClientError", concurrent_message);
    }
    concurrent_create_pending_ = concurrent;
    auto& recent = recent_creates_[vm_key];
    if (static_cast<int>(recent.size()) >= fixture_.creates_per_vm_per_hour) {
      const auto wait = std::chrono::ceil<std::chrono::seconds>(recent.front() + 1h - now);
      Response throttled = json_response(
          429, json::object{{"error", json::object{{"code", "OperationNotAllowed"},
                                                   {"message", "The number of create restore point requests for the "
                                                               "VM exceeded the limit. Retry after some time."},
                                                   {"details", json::array{json::object{
                                                                   {"code", "TooManyRequests"},
                                                                   {"message", "Too many requests."}}}}}}});
      throttled.headers.emplace_back("Retry-After", std::to_string(wait.count()));
      throttled.headers.emplace_back("x-ms-error-code", "OperationNotAllowed");
      return throttled;
    }
    if (points_of_vm(vm_key) >= fixture_.points_per_vm) {
      return arm_error(409, "OperationNotAllowed",
                       "The maximum number of restore points (" + std::to_string(fixture_.points_per_vm) +
                           ") for the virtual machine has been reached.");
    }
    if (c.instant_access) {
      int in_flight = 0;
      for (const auto& [key, other] : collections_) {
        if (!iequals_ascii(other.subscription, c.subscription) || !iequals_ascii(other.location, c.location)) continue;
        for (const auto& [n, q] : other.points) in_flight += (q.instant_access_minutes && now < q.completes) ? 1 : 0;
      }
      if (in_flight >= fixture_.instant_access_in_flight) {
        return arm_error(409, "OperationNotAllowed",
                         "The number of concurrent Instant Access restore point creations in this region has reached "
                         "its limit of " + std::to_string(fixture_.instant_access_in_flight) + ".");
      }
      p.instant_access_minutes = minutes ? static_cast<int>(minutes->as_int64()) : 300;
    }
    recent.push_back(now);
    p.completes = now + seconds_of(fixture_.create_seconds);
    p.time_created = azure_time(now);
    const auto add_disk = [&](const Disk& d) {
      if (std::find(p.excluded_disks.begin(), p.excluded_disks.end(), disk_id(*vm, d)) != p.excluded_disks.end()) return;
      p.disks.push_back({d.name, disk_id(*vm, d), d.sku, d.lun, d.size_gb});
    };
    add_disk(vm->os_disk);
    for (const Disk& d : vm->data_disks) add_disk(d);
  } else {
    // A cross-region copy into a collection whose source is the source point's collection.
    const json::value* id = source_point->is_object() ? source_point->as_object().if_contains("id") : nullptr;
    if (!id || !id->is_string()) {
      return arm_error(400, "InvalidParameter", "Required parameter 'sourceRestorePoint.id' is missing.",
                       "sourceRestorePoint.id");
    }
    const std::string source_id(id->as_string());
    auto source_collection = collections_.find(lower_ascii(c.source_id));
    const std::string prefix = lower_ascii(c.source_id) + "/restorepoints/";
    if (source_collection == collections_.end() || !lower_ascii(source_id).starts_with(prefix)) {
      return arm_error(400, "InvalidParameter",
                       "The source restore point must belong to the collection that is this collection's source.",
                       "sourceRestorePoint.id");
    }
    auto source = source_collection->second.points.find(lower_ascii(source_id.substr(prefix.size())));
    if (source == source_collection->second.points.end() || source->second.deleting_until) {
      return arm_error(404, "NotFound", "The source restore point '" + source_id + "' was not found.",
                       "sourceRestorePoint.id");
    }
    const RestorePoint& origin = source->second;
    if (origin.source_point_id) {
      return arm_error(400, "OperationNotAllowed", "A copy of a restore point cannot be copied again.");
    }
    if (origin.failed || now < origin.completes) {
      return arm_error(409, "OperationNotAllowed", "The source restore point has not been created successfully yet.");
    }
    for (const auto& [key, other] : collections_) {
      if (!iequals_ascii(other.location, c.location)) continue;
      for (const auto& [n, q] : other.points) {
        if (q.source_point_id && iequals_ascii(*q.source_point_id, origin.id)) {
          return arm_error(409, "OperationNotAllowed",
                           "The source restore point already has a copy in region '" + c.location + "'.");
        }
      }
    }
    for (const auto& [n, q] : c.points) {
      if (now < q.replication_done) {
        return arm_error(409, "OperationNotAllowed",
                         "Another copy to this collection is still replicating; copies go one at a time.");
      }
      if (q.time_created > origin.time_created) {
        return arm_error(400, "OperationNotAllowed",
                         "Restore points must be copied in order: a newer restore point has already been copied.");
      }
    }
    auto& recent_copies = recent_creates_[lower_ascii(c.id)];
    if (static_cast<int>(recent_copies.size()) >= fixture_.copies_per_collection_per_hour) {
      const auto wait = std::chrono::ceil<std::chrono::seconds>(recent_copies.front() + 1h - now);
      Response throttled = arm_error(429, "OperationNotAllowed",
                                     "The number of copy requests to the restore point collection exceeded the "
                                     "limit. Retry after some time.");
      throttled.headers.emplace_back("Retry-After", std::to_string(wait.count()));
      return throttled;
    }
    recent_copies.push_back(now);
    p.source_point_id = origin.id;
    p.consistency = origin.consistency;
    p.disks = origin.disks;
    p.time_created = origin.time_created;
    p.completes = now + copy_call_duration;
    int total_gb = 0;
    for (const DiskPoint& d : p.disks) total_gb += d.size_gb;
    p.replication_done = p.completes + seconds_of(fixture_.replication_seconds_per_gb * total_gb);
  }

  const bool fails_as_concurrent = !p.source_point_id && concurrent_create_pending_;
  if (fails_as_concurrent) p.completes = now + concurrent_failure_delay;
  Operation& op = start_operation(c.subscription, c.location, p.completes);
  const std::string point_key = lower_ascii(name);
  auto& stored = c.points[point_key] = std::move(p);
  last_created_ = &stored;
  if (fails_as_concurrent) fail_last_operation("VMRestorePointClientError", concurrent_message_text);
  json::object created = point_json(c, stored, false, request.api_version);
  // The create answer also carries the VM's user data, as the specification's examples show; GETs leave it out.
  if (version_at_least(request.api_version, "2022-11-01")) {  // userData is defined from 2022-11-01 on
    created["properties"].as_object()["sourceMetadata"].as_object()["userData"] = user_data;
  }
  Response response = json_response(201, created);
  add_async_headers(response, op, false, request.api_version);
  // Compute's own per-resource throttling header (AZURE.md section 3): creates left on this VM this hour.
  const auto& used = recent_creates_[stored.source_point_id ? lower_ascii(c.id) : c.vm_key];
  const int limit = stored.source_point_id ? fixture_.copies_per_collection_per_hour : fixture_.creates_per_vm_per_hour;
  response.headers.emplace_back("x-ms-ratelimit-remaining-resource",
                                "Microsoft.Compute/PutRestorePointResource;" +
                                    std::to_string(std::max(0, limit - static_cast<int>(used.size()))));
  return response;
}

Response ComputeService::delete_restore_point(const ArmRequest& request, Collection& c, const std::string& name) {
  auto it = c.points.find(lower_ascii(name));
  if (it == c.points.end() || it->second.deleting_until) return Response{204, {}, "", Delivery::normal, {}};
  const EmulatorTime now = clock_.now();
  // The source of a copy still replicating must stay (AZURE.md section 3).
  for (const auto& [key, other] : collections_) {
    for (const auto& [n, q] : other.points) {
      if (q.source_point_id && iequals_ascii(*q.source_point_id, it->second.id) && now < q.replication_done) {
        return arm_error(409, "OperationNotAllowed",
                         "The restore point is the source of a copy that is still replicating.");
      }
    }
  }
  const EmulatorTime end = now + seconds_of(fixture_.delete_seconds);
  it->second.deleting_until = end;
  Response response{202, {}, "", Delivery::normal, {}};
  add_async_headers(response, start_operation(c.subscription, c.location, end), true, request.api_version);
  return response;
}

Response ComputeService::operation(const ArmRequest& request) {
  const auto& s = request.segments;
  auto it = operations_.find(s[7]);
  if (it == operations_.end()) return arm_error(404, "NotFound", "The operation '" + s[7] + "' was not found.");
  const Operation& op = it->second;
  const EmulatorTime now = clock_.now();
  const bool done = now >= op.end;
  const auto monitor = request.query.find("monitor");
  if (monitor != request.query.end() && monitor->second == "true") {
    // Location semantics: 202 while running, then the final status with no body.
    if (!done) {
      Response running{202, {}, "", Delivery::normal, {}};
      running.headers.emplace_back("Location", base_url_ + "/subscriptions/" + op.subscription +
                                                   "/providers/Microsoft.Compute/locations/" + op.location +
                                                   "/operations/" + op.id + "?monitor=true&api-version=" +
                                                   request.api_version);
      if (fixture_.retry_after_seconds > 0) running.headers.emplace_back("Retry-After", std::to_string(fixture_.retry_after_seconds));
      return running;
    }
    if (op.error) return arm_error(400, op.error->first, op.error->second);
    return Response{200, {}, "", Delivery::normal, {}};
  }
  json::object body{{"startTime", operation_time(op.start)}, {"name", op.id}};
  if (!done) {
    body["status"] = "InProgress";
  } else {
    body["endTime"] = operation_time(op.end);
    body["status"] = op.error ? "Failed" : "Succeeded";
    if (op.error) body["error"] = json::object{{"code", op.error->first}, {"message", op.error->second}};
  }
  Response response = json_response(200, body);
  if (!done && fixture_.retry_after_seconds > 0) {
    response.headers.emplace_back("Retry-After", std::to_string(fixture_.retry_after_seconds));
  }
  return response;
}

json::object ComputeService::dump() {
  settle();
  json::array collections;
  for (const auto& [key, c] : collections_) collections.push_back(collection_json(c, true, "2025-11-01"));
  return json::object{{"now", operation_time(clock_.now())}, {"collections", collections}};
}

}  // namespace rpd::emulator
