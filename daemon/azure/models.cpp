#include "daemon/azure/models.hpp"

#include <array>
#include <limits>
#include <utility>

#include "core/arm_id.hpp"
#include "core/time.hpp"

namespace rpd::azure {

namespace json = boost::json;

namespace {

std::string_view kind_of(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string: return "a string";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "a number";
    case json::kind::bool_: return "a boolean";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::null: return "null";
  }
  return "something else";
}

// An object within the body, with its path for messages; `object` is null when absent or of the wrong type.
struct Node {
  const json::object* object = nullptr;
  std::string path;
};

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Reads fields and remembers the first wrong type; absent and null fields leave defaults.
class Reader {
 public:
  std::optional<Error> error;

  Node root(const json::value& body) {
    if (body.is_object()) return Node{&body.get_object(), ""};
    fail("response body: expected an object, got " + std::string(kind_of(body)));
    return {};
  }

  Node object(const Node& at, std::string_view key) {
    const auto* value = find(at, key);
    const std::string path = join(at.path, key);
    if (value == nullptr) return Node{nullptr, path};
    if (!value->is_object()) {
      wrong_type(path, "an object", *value);
      return Node{nullptr, path};
    }
    return Node{&value->get_object(), path};
  }

  // The objects of an array member, each with its path "key[i]".
  std::vector<Node> objects(const Node& at, std::string_view key) {
    std::vector<Node> out;
    const auto* value = find(at, key);
    const std::string path = join(at.path, key);
    if (value == nullptr) return out;
    if (!value->is_array()) {
      wrong_type(path, "an array", *value);
      return out;
    }
    const auto& array = value->get_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      const std::string item_path = path + "[" + std::to_string(i) + "]";
      if (array[i].is_object()) {
        out.push_back(Node{&array[i].get_object(), item_path});
      } else {
        wrong_type(item_path, "an object", array[i]);
      }
    }
    return out;
  }

  std::optional<std::string> optional_string(const Node& at, std::string_view key) {
    const auto* value = find(at, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      wrong_type(join(at.path, key), "a string", *value);
      return std::nullopt;
    }
    return std::string(value->get_string());
  }

  std::string string(const Node& at, std::string_view key) { return optional_string(at, key).value_or(""); }

  std::optional<bool> optional_bool(const Node& at, std::string_view key) {
    const auto* value = find(at, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_bool()) {
      wrong_type(join(at.path, key), "a boolean", *value);
      return std::nullopt;
    }
    return value->get_bool();
  }

  std::optional<int> optional_int(const Node& at, std::string_view key) {
    const auto* value = find(at, key);
    if (value == nullptr) return std::nullopt;
    constexpr auto low = static_cast<double>(std::numeric_limits<int>::min());
    constexpr auto high = static_cast<double>(std::numeric_limits<int>::max());
    // Integers may arrive as 100, 100.0 or (rarely) beyond int64 as a double; all must be whole and fit.
    json::error_code ec;
    const double number = value->is_number() ? value->to_number<double>(ec) : 0.0;
    const bool in_range = !ec && number >= low && number <= high;
    const bool whole = in_range && number == static_cast<double>(static_cast<int>(number));
    if (!value->is_number() || !whole) {
      const std::string path = join(at.path, key);
      if (value->is_number()) {
        fail(path + ": expected an integer, got " + (in_range ? "a fraction" : "a number out of range"));
      } else {
        wrong_type(path, "an integer", *value);
      }
      return std::nullopt;
    }
    return static_cast<int>(number);
  }

  std::optional<Instant> optional_time(const Node& at, std::string_view key) {
    const auto text = optional_string(at, key);
    if (!text) return std::nullopt;
    auto parsed = parse_timestamp(*text);
    if (!parsed) {
      fail(join(at.path, key) + ": " + parsed.error().message);
      return std::nullopt;
    }
    return *parsed;
  }

  Tags tags(const Node& at, std::string_view key) {
    Tags out;
    const Node node = object(at, key);
    if (node.object == nullptr) return out;
    for (const auto& entry : *node.object) {
      if (entry.value().is_string()) {
        out[std::string(entry.key())] = std::string(entry.value().get_string());
      } else if (!entry.value().is_null()) {
        wrong_type(join(node.path, entry.key()), "a string", entry.value());
      }
    }
    return out;
  }

  void fail(std::string message) {
    if (!error) error = Error{std::move(message)};
  }

 private:
  // Exactly named, else in any case (Azure is not consistent); null counts as absent.
  static const json::value* find(const Node& at, std::string_view key) {
    if (at.object == nullptr) return nullptr;
    const json::value* found = at.object->if_contains(key);
    if (found == nullptr) {
      for (const auto& entry : *at.object) {
        if (iequals(entry.key(), key)) {
          found = &entry.value();
          break;
        }
      }
    }
    return (found == nullptr || found->is_null()) ? nullptr : found;
  }

  void wrong_type(const std::string& path, std::string_view expected, const json::value& got) {
    fail(path + ": expected " + std::string(expected) + ", got " + std::string(kind_of(got)));
  }
};

template <class Enum, std::size_t N>
std::optional<Enum> enum_from(std::string_view text, const std::array<std::pair<Enum, std::string_view>, N>& names) {
  for (const auto& [value, name] : names) {
    if (iequals(text, name)) return value;
  }
  return std::nullopt;
}

template <class Enum, std::size_t N>
std::string_view enum_name(Enum value, const std::array<std::pair<Enum, std::string_view>, N>& names) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "Unknown";
}

constexpr std::array<std::pair<ProvisioningState, std::string_view>, 5> provisioning_names{{
    {ProvisioningState::Creating, "Creating"},
    {ProvisioningState::Succeeded, "Succeeded"},
    {ProvisioningState::Failed, "Failed"},
    {ProvisioningState::Deleting, "Deleting"},
    {ProvisioningState::Unknown, "Unknown"},
}};

constexpr std::array<std::pair<ConsistencyMode, std::string_view>, 3> consistency_names{{
    {ConsistencyMode::Crash, "CrashConsistent"},
    {ConsistencyMode::FileSystem, "FileSystemConsistent"},
    {ConsistencyMode::Application, "ApplicationConsistent"},
}};

constexpr std::array<std::pair<AccessState, std::string_view>, 5> access_names{{
    {AccessState::Unknown, "Unknown"},
    {AccessState::Pending, "Pending"},
    {AccessState::Available, "Available"},
    {AccessState::InstantAccess, "InstantAccess"},
    {AccessState::AvailableWithInstantAccess, "AvailableWithInstantAccess"},
}};

constexpr std::array<std::pair<OperationState, std::string_view>, 5> operation_names{{
    {OperationState::InProgress, "InProgress"},
    {OperationState::Succeeded, "Succeeded"},
    {OperationState::Failed, "Failed"},
    {OperationState::Canceled, "Canceled"},
    {OperationState::Unknown, "Unknown"},
}};

std::optional<AccessState> access_state(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return enum_from(*text, access_names).value_or(AccessState::Unknown);  // a new state: not usable yet
}

VmDisk read_vm_disk(Reader& in, const Node& disk) {
  VmDisk out;
  out.lun = in.optional_int(disk, "lun");
  out.name = in.string(disk, "name");
  const Node managed = in.object(disk, "managedDisk");
  out.id = in.string(managed, "id");
  out.sku = in.string(managed, "storageAccountType");
  return out;
}

VirtualMachine read_virtual_machine(Reader& in, const Node& vm) {
  VirtualMachine out;
  out.id = in.string(vm, "id");
  out.name = in.string(vm, "name");
  out.location = in.string(vm, "location");
  out.tags = in.tags(vm, "tags");
  const Node properties = in.object(vm, "properties");
  out.vm_id = in.string(properties, "vmId");
  const Node storage = in.object(properties, "storageProfile");
  const Node os_disk = in.object(storage, "osDisk");
  out.os_type = in.string(os_disk, "osType");
  out.os_disk = read_vm_disk(in, os_disk);
  for (const Node& disk : in.objects(storage, "dataDisks")) out.data_disks.push_back(read_vm_disk(in, disk));
  return out;
}

RestorePoint read_restore_point(Reader& in, const Node& point) {
  RestorePoint out;
  out.id = in.string(point, "id");
  out.name = in.string(point, "name");
  const Node properties = in.object(point, "properties");
  out.provisioning_state_text = in.string(properties, "provisioningState");
  out.provisioning_state =
      enum_from(out.provisioning_state_text, provisioning_names).value_or(ProvisioningState::Unknown);
  out.consistency_mode_text = in.string(properties, "consistencyMode");
  out.consistency_mode = enum_from(out.consistency_mode_text, consistency_names);
  out.time_created = in.optional_time(properties, "timeCreated");
  const Node source = in.object(properties, "sourceRestorePoint");
  out.source_restore_point_id = in.optional_string(source, "id");
  out.instant_access_duration_minutes = in.optional_int(properties, "instantAccessDurationMinutes");
  out.instant_access_status = access_state(in.optional_string(properties, "instantAccessStatus"));
  for (const Node& disk : in.objects(properties, "excludeDisks")) {
    out.excluded_disk_ids.push_back(in.string(disk, "id"));
  }

  const Node view = in.object(properties, "instanceView");
  for (const Node& disk : in.objects(view, "diskRestorePoints")) {
    DiskRestorePointState state;
    state.disk_restore_point_id = in.string(disk, "id");
    const Node replication = in.object(disk, "replicationStatus");
    state.replication_percent = in.optional_int(replication, "completionPercent");
    state.replication_state = in.optional_string(in.object(replication, "status"), "code");
    state.snapshot_access_state = access_state(in.optional_string(disk, "snapshotAccessState"));
    out.disks.push_back(std::move(state));
  }
  return out;
}

RestorePointCollection read_collection(Reader& in, const Node& collection) {
  RestorePointCollection out;
  out.id = in.string(collection, "id");
  out.name = in.string(collection, "name");
  out.location = in.string(collection, "location");
  out.tags = in.tags(collection, "tags");
  const Node properties = in.object(collection, "properties");
  const Node source = in.object(properties, "source");
  out.source_id = in.string(source, "id");
  out.source_location = in.string(source, "location");
  out.instant_access = in.optional_bool(properties, "instantAccess");
  out.provisioning_state = in.string(properties, "provisioningState");
  for (const Node& point : in.objects(properties, "restorePoints")) {
    out.restore_points.push_back(read_restore_point(in, point));
  }
  return out;
}

template <class T, class Read>
Result<T> parse_with(const json::value& body, Read read) {
  Reader in;
  const Node root = in.root(body);
  if (in.error) return *in.error;
  T out = read(in, root);
  if (in.error) return *in.error;
  return out;
}

template <class T, class ReadItem>
Result<Page<T>> parse_page_with(const json::value& body, ReadItem read_item) {
  return parse_with<Page<T>>(body, [&](Reader& in, const Node& root) {
    Page<T> page;
    for (const Node& item : in.objects(root, "value")) page.value.push_back(read_item(in, item));
    page.next_link = in.optional_string(root, "nextLink");
    if (page.next_link && page.next_link->empty()) page.next_link.reset();
    return page;
  });
}

}  // namespace

Result<VirtualMachine> parse_virtual_machine(const json::value& body) {
  return parse_with<VirtualMachine>(body, read_virtual_machine);
}

Result<RestorePointCollection> parse_restore_point_collection(const json::value& body) {
  return parse_with<RestorePointCollection>(body, read_collection);
}

Result<RestorePoint> parse_restore_point(const json::value& body) {
  return parse_with<RestorePoint>(body, read_restore_point);
}

Result<OperationStatus> parse_operation_status(const json::value& body) {
  return parse_with<OperationStatus>(body, [](Reader& in, const Node& root) {
    OperationStatus out;
    out.status_text = in.string(root, "status");
    out.status = enum_from(out.status_text, operation_names).value_or(OperationState::Unknown);
    out.name = in.string(root, "name");
    out.start_time = in.optional_time(root, "startTime");
    out.end_time = in.optional_time(root, "endTime");
    const Node error = in.object(root, "error");
    if (error.object != nullptr) out.error = arm_error_from_json(*error.object);
    return out;
  });
}

Result<Page<VirtualMachine>> parse_virtual_machine_page(const json::value& body) {
  return parse_page_with<VirtualMachine>(body, read_virtual_machine);
}

Result<Page<RestorePointCollection>> parse_restore_point_collection_page(const json::value& body) {
  return parse_page_with<RestorePointCollection>(body, read_collection);
}

std::string_view to_string(ProvisioningState state) { return enum_name(state, provisioning_names); }
std::string_view to_string(ConsistencyMode mode) { return enum_name(mode, consistency_names); }
std::string_view to_string(AccessState state) { return enum_name(state, access_names); }
std::string_view to_string(OperationState state) { return enum_name(state, operation_names); }

std::string collection_body(const std::string& location, const std::string& source_id, const Tags& tags,
                            std::optional<bool> instant_access) {
  json::object body;
  body["location"] = location;
  if (!tags.empty()) {
    json::object tag_object;
    for (const auto& [key, value] : tags) tag_object[key] = value;
    body["tags"] = std::move(tag_object);
  }
  json::object properties;
  properties["source"] = json::object{{"id", source_id}};
  if (instant_access) properties["instantAccess"] = *instant_access;
  body["properties"] = std::move(properties);
  return json::serialize(body);
}

std::string restore_point_body(std::optional<ConsistencyMode> consistency,
                               const std::vector<std::string>& excluded_disk_ids,
                               std::optional<int> instant_access_minutes,
                               const std::optional<std::string>& source_restore_point_id) {
  json::object properties;
  if (consistency) properties["consistencyMode"] = to_string(*consistency);
  if (!excluded_disk_ids.empty()) {
    json::array disks;
    for (const auto& id : excluded_disk_ids) disks.push_back(json::object{{"id", id}});
    properties["excludeDisks"] = std::move(disks);
  }
  if (instant_access_minutes) properties["instantAccessDurationMinutes"] = *instant_access_minutes;
  if (source_restore_point_id) properties["sourceRestorePoint"] = json::object{{"id", *source_restore_point_id}};
  return json::serialize(json::object{{"properties", std::move(properties)}});
}

std::string patch_collection_body(const std::optional<Tags>& tags, std::optional<bool> instant_access) {
  json::object body;
  if (tags) {
    json::object tag_object;
    for (const auto& [key, value] : *tags) tag_object[key] = value;
    body["tags"] = std::move(tag_object);
  }
  if (instant_access) body["properties"] = json::object{{"instantAccess", *instant_access}};
  return json::serialize(body);
}

}  // namespace rpd::azure
