#include "daemon/azure/models.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/time.hpp"

#ifndef RESTOREPOINTD_SHARED_DIR
#define RESTOREPOINTD_SHARED_DIR "/work/shared"
#endif

namespace rpd::azure {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path spec_dir =
    fs::path(RESTOREPOINTD_SHARED_DIR) / "azure-spec/specification/compute/resource-manager/Microsoft.Compute";
const fs::path examples_2025_04 = spec_dir / "ComputeRP/stable/2025-04-01/examples/restorePointExamples";
const fs::path examples_2025_11 = spec_dir / "Compute/Compute/examples/2025-11-01/restorePointExamples";
const fs::path examples_2025_11_stable = spec_dir / "Compute/stable/2025-11-01/examples/restorePointExamples";

#define SKIP_WITHOUT_SPEC() \
  if (!fs::is_directory(spec_dir)) GTEST_SKIP() << "no specification examples at " << spec_dir

json::value read_json(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str());
}

// The body of one response of a specification example.
json::value example_body(const fs::path& file, const std::string& status = "200") {
  return read_json(file).at("responses").at(status).at("body");
}

json::value example_request(const fs::path& file) { return read_json(file).at("parameters").at("parameters"); }

Instant at(const std::string& text) { return parse_timestamp(text).value(); }

const json::value* find(const json::value& value, std::string_view pointer) {
  json::error_code ec;
  const json::value* found = value.find_pointer(pointer, ec);
  return (ec || found == nullptr || found->is_null()) ? nullptr : found;
}

std::string text_at(const json::value& value, std::string_view pointer) {
  const auto* found = find(value, pointer);
  return found ? std::string(found->as_string()) : "";
}

// Every field the daemon uses, checked against the raw example rather than against fixed values.
void expect_restore_point_matches(const RestorePoint& point, const json::value& raw) {
  EXPECT_EQ(point.id, text_at(raw, "/id"));
  EXPECT_EQ(point.name, text_at(raw, "/name"));
  EXPECT_EQ(point.provisioning_state_text, text_at(raw, "/properties/provisioningState"));
  EXPECT_EQ(point.consistency_mode_text, text_at(raw, "/properties/consistencyMode"));
  EXPECT_EQ(point.consistency_mode.has_value(), find(raw, "/properties/consistencyMode") != nullptr);
  if (const auto* created = find(raw, "/properties/timeCreated")) {
    EXPECT_EQ(point.time_created, at(std::string(created->as_string())));
  } else {
    EXPECT_FALSE(point.time_created);
  }
  EXPECT_EQ(point.source_restore_point_id.value_or(""), text_at(raw, "/properties/sourceRestorePoint/id"));
  if (const auto* minutes = find(raw, "/properties/instantAccessDurationMinutes")) {
    EXPECT_EQ(point.instant_access_duration_minutes, minutes->to_number<int>());
  } else {
    EXPECT_FALSE(point.instant_access_duration_minutes);
  }
  EXPECT_EQ(point.instant_access_status.has_value(), find(raw, "/properties/instantAccessStatus") != nullptr);
  const auto* excluded = find(raw, "/properties/excludeDisks");
  ASSERT_EQ(point.excluded_disk_ids.size(), excluded ? excluded->as_array().size() : 0u);
  for (std::size_t i = 0; i < point.excluded_disk_ids.size(); ++i) {
    EXPECT_EQ(point.excluded_disk_ids[i], text_at(raw, "/properties/excludeDisks/" + std::to_string(i) + "/id"));
  }
  const auto* disks = find(raw, "/properties/instanceView/diskRestorePoints");
  ASSERT_EQ(point.disks.size(), disks ? disks->as_array().size() : 0u);
  for (std::size_t i = 0; i < point.disks.size(); ++i) {
    const std::string base = "/properties/instanceView/diskRestorePoints/" + std::to_string(i);
    EXPECT_EQ(point.disks[i].disk_restore_point_id, text_at(raw, base + "/id"));
    EXPECT_EQ(point.disks[i].replication_state.value_or(""), text_at(raw, base + "/replicationStatus/status/code"));
    EXPECT_EQ(point.disks[i].replication_percent.has_value(),
              find(raw, base + "/replicationStatus/completionPercent") != nullptr);
    EXPECT_EQ(point.disks[i].snapshot_access_state.has_value(), find(raw, base + "/snapshotAccessState") != nullptr);
  }
}

void expect_collection_matches(const RestorePointCollection& collection, const json::value& raw) {
  EXPECT_EQ(collection.id, text_at(raw, "/id"));
  EXPECT_EQ(collection.name, text_at(raw, "/name"));
  EXPECT_EQ(collection.location, text_at(raw, "/location"));
  const auto* tags = find(raw, "/tags");
  EXPECT_EQ(collection.tags.size(), tags ? tags->as_object().size() : 0u);
  for (const auto& [key, value] : collection.tags) EXPECT_EQ(value, tags->as_object().at(key).as_string());
  EXPECT_EQ(collection.source_id, text_at(raw, "/properties/source/id"));
  EXPECT_EQ(collection.source_location, text_at(raw, "/properties/source/location"));
  const auto* instant_access = find(raw, "/properties/instantAccess");
  EXPECT_EQ(collection.instant_access, instant_access ? std::optional<bool>(instant_access->as_bool()) : std::nullopt);
  EXPECT_EQ(collection.provisioning_state, text_at(raw, "/properties/provisioningState"));
  const auto* points = find(raw, "/properties/restorePoints");
  ASSERT_EQ(collection.restore_points.size(), points ? points->as_array().size() : 0u);
  for (std::size_t i = 0; i < collection.restore_points.size(); ++i) {
    expect_restore_point_matches(collection.restore_points[i], points->as_array()[i]);
  }
}

TEST(SpecExamples, EveryResponseBodyParsesWithoutLoss) {
  SKIP_WITHOUT_SPEC();
  int files = 0;
  int bodies = 0;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(RESTOREPOINTD_SHARED_DIR) / "azure-spec")) {
    const auto& path = entry.path();
    if (!entry.is_regular_file() || path.extension() != ".json" || path.parent_path().string().find("examples") ==
                                                                          std::string::npos) {
      continue;
    }
    ++files;
    SCOPED_TRACE(path.string());
    const auto example = read_json(path);
    const std::string name = path.filename().string();
    const bool collection = name.find("Collection") != std::string::npos;
    const bool list = collection && name.find("_List") != std::string::npos;
    for (const auto& [status, response] : example.at("responses").as_object()) {
      const auto* body = response.as_object().if_contains("body");
      if (body == nullptr) continue;
      SCOPED_TRACE("response " + std::string(status));
      ++bodies;
      if (list) {
        auto page = parse_restore_point_collection_page(*body);
        ASSERT_TRUE(page) << page.error().message;
        const auto& raw_items = body->at("value").as_array();
        ASSERT_EQ(page->value.size(), raw_items.size());
        for (std::size_t i = 0; i < raw_items.size(); ++i) expect_collection_matches(page->value[i], raw_items[i]);
        EXPECT_EQ(page->next_link.has_value(), find(*body, "/nextLink") != nullptr);
      } else if (collection) {
        auto parsed = parse_restore_point_collection(*body);
        ASSERT_TRUE(parsed) << parsed.error().message;
        expect_collection_matches(*parsed, *body);
      } else {
        auto parsed = parse_restore_point(*body);
        ASSERT_TRUE(parsed) << parsed.error().message;
        expect_restore_point_matches(*parsed, *body);
      }
    }
  }
  EXPECT_GE(files, 26);  // 26 example files, 24 response bodies at the time of writing
  EXPECT_GE(bodies, 24);
  std::cout << "parsed " << bodies << " response bodies from " << files << " example files\n";
}

TEST(SpecExamples, RestorePointWithInstanceView) {
  SKIP_WITHOUT_SPEC();
  for (const auto& dir : {examples_2025_04, examples_2025_11}) {
    SCOPED_TRACE(dir.string());
    auto point = parse_restore_point(example_body(dir / "RestorePoint_Get_WithInstanceView.json"));
    ASSERT_TRUE(point) << point.error().message;
    EXPECT_EQ(point->name, "rpName");
    EXPECT_EQ(point->provisioning_state, ProvisioningState::Succeeded);
    EXPECT_EQ(point->consistency_mode, ConsistencyMode::Application);
    EXPECT_EQ(point->time_created, at("2021-01-27T20:35:05Z"));
    EXPECT_EQ(point->instant_access_duration_minutes, 120);
    ASSERT_EQ(point->excluded_disk_ids.size(), 1u);
    EXPECT_TRUE(point->excluded_disk_ids[0].ends_with("/disks/vm8768_disk2_fe6ffde4f69b491ca33fb984d5bcd89f"));
    ASSERT_EQ(point->disks.size(), 2u);
    EXPECT_TRUE(point->disks[0].disk_restore_point_id.ends_with(
        "/diskRestorePoints/testingexcludedisk_OsDisk_1_74cdaedcea50483d9833c96adefa100f_22b4bdfe-6c54-4f72-84d8-"
        "85d8860f0c57"));
    EXPECT_EQ(point->disks[0].replication_percent, 100);
    EXPECT_EQ(point->disks[0].replication_state, "ReplicationState/succeeded");
    EXPECT_EQ(point->disks[0].snapshot_access_state, std::nullopt);
    EXPECT_EQ(point->disks[1].replication_percent, 100);
    EXPECT_EQ(point->disks[1].snapshot_access_state, AccessState::AvailableWithInstantAccess);
    EXPECT_EQ(point->source_restore_point_id, std::nullopt);
  }
  auto newest = parse_restore_point(example_body(examples_2025_11 / "RestorePoint_Get_WithInstanceView.json"));
  EXPECT_EQ(newest->instant_access_status, AccessState::AvailableWithInstantAccess);
  auto older = parse_restore_point(example_body(examples_2025_04 / "RestorePoint_Get_WithInstanceView.json"));
  EXPECT_EQ(older->instant_access_status, std::nullopt);
  auto stable = parse_restore_point(example_body(examples_2025_11_stable / "RestorePoint_Get.json"));
  EXPECT_EQ(stable->instant_access_status, AccessState::AvailableWithInstantAccess);
  EXPECT_TRUE(stable->disks.empty());
}

TEST(SpecExamples, CreatedAndCopiedRestorePoints) {
  SKIP_WITHOUT_SPEC();
  auto copy = parse_restore_point(example_body(examples_2025_04 / "RestorePoint_Copy_BetweenRegions.json", "201"));
  ASSERT_TRUE(copy) << copy.error().message;
  EXPECT_EQ(copy->provisioning_state, ProvisioningState::Creating);
  EXPECT_EQ(copy->source_restore_point_id,
            "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/"
            "restorePointCollections/sourceRpcName/restorePoints/sourceRpName");
  EXPECT_EQ(copy->time_created, at("2021-10-25T23:54:29Z"));
  EXPECT_TRUE(copy->excluded_disk_ids.empty());

  auto first_ga = parse_restore_point(
      example_body(spec_dir / "ComputeRP/stable/2021-03-01/examples/CreateARestorePoint.json", "201"));
  ASSERT_TRUE(first_ga) << first_ga.error().message;
  EXPECT_EQ(first_ga->instant_access_duration_minutes, std::nullopt);
  EXPECT_EQ(first_ga->excluded_disk_ids.size(), 1u);
}

TEST(SpecExamples, CollectionWithRestorePoints) {
  SKIP_WITHOUT_SPEC();
  for (const auto& dir : {examples_2025_04, examples_2025_11}) {
    SCOPED_TRACE(dir.string());
    const auto file = dir / "RestorePointCollection_Get_WithContainedRestorePoints.json";
    auto collection = parse_restore_point_collection(example_body(file));
    ASSERT_TRUE(collection) << collection.error().message;
    EXPECT_EQ(collection->name, "rpcName");
    EXPECT_EQ(collection->location, "westus");
    EXPECT_EQ(collection->tags, (Tags{{"myTag1", "tagValue1"}}));
    EXPECT_TRUE(collection->source_id.ends_with("/providers/Microsoft.Compute/virtualMachines/myVM"));
    EXPECT_EQ(collection->source_location, "eastus");
    EXPECT_EQ(collection->instant_access, true);
    EXPECT_EQ(collection->provisioning_state, "Succeeded");
    ASSERT_EQ(collection->restore_points.size(), 1u);
    EXPECT_EQ(collection->restore_points[0].name, "restorePointName");
    EXPECT_EQ(collection->restore_points[0].consistency_mode, ConsistencyMode::Application);
    EXPECT_EQ(collection->restore_points[0].time_created, at("2021-01-27T20:35:05Z"));
  }

  auto cross_region = parse_restore_point_collection(
      example_body(examples_2025_04 / "RestorePointCollection_CreateOrUpdate_ForCrossRegionCopy.json", "201"));
  ASSERT_TRUE(cross_region);
  EXPECT_EQ(cross_region->instant_access, std::nullopt);
  EXPECT_TRUE(cross_region->restore_points.empty());
}

TEST(SpecExamples, GeneratedExamplesWithOddValues) {
  SKIP_WITHOUT_SPEC();
  const auto maximum_file = examples_2025_04 / "RestorePointCollection_Update_MaximumSet_Gen.json";
  auto maximum = parse_restore_point_collection(example_body(maximum_file));
  ASSERT_TRUE(maximum) << maximum.error().message;
  EXPECT_EQ(maximum->provisioning_state, "Successful");
  EXPECT_TRUE(maximum->tags.empty());
  ASSERT_EQ(maximum->restore_points.size(), 1u);
  const auto& point = maximum->restore_points[0];
  EXPECT_EQ(point.provisioning_state, ProvisioningState::Unknown);
  EXPECT_EQ(point.provisioning_state_text, "aaaaaaaaaaaaaaaaa");
  EXPECT_EQ(point.consistency_mode, ConsistencyMode::Crash);
  EXPECT_EQ(point.time_created, at("2021-11-30T12:58:26Z"));

  const auto minimum_file = examples_2025_04 / "RestorePointCollection_Update_MinimumSet_Gen.json";
  auto minimum = parse_restore_point_collection(example_body(minimum_file));
  ASSERT_TRUE(minimum);
  EXPECT_EQ(minimum->location, "norwayeast");
  EXPECT_EQ(minimum->id, "");
}

TEST(SpecExamples, ListsAndNextLink) {
  SKIP_WITHOUT_SPEC();
  auto page = parse_restore_point_collection_page(
      example_body(examples_2025_04 / "RestorePointCollection_ListByResourceGroup.json"));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->value.size(), 2u);
  EXPECT_EQ(page->value[0].name, "restorePointCollection1");
  EXPECT_EQ(page->value[1].name, "restorePointCollection2");
  EXPECT_EQ(page->value[1].provisioning_state, "Deleting");
  EXPECT_EQ(page->value[1].instant_access, std::nullopt);
  EXPECT_EQ(page->next_link, std::nullopt);

  auto with_next = example_body(examples_2025_04 / "RestorePointCollection_ListBySubscription.json");
  const std::string next = "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/"
                           "restorePointCollections?api-version=2025-04-01&$skiptoken=abc";
  with_next.as_object()["nextLink"] = next;
  auto second = parse_page<RestorePointCollection>(with_next);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->next_link, next);
  EXPECT_EQ(second->value.size(), 2u);

  with_next.as_object()["nextLink"] = nullptr;
  EXPECT_EQ(parse_page<RestorePointCollection>(with_next)->next_link, std::nullopt);
  EXPECT_TRUE(parse_page<RestorePointCollection>(json::parse(R"({"value": []})"))->value.empty());
}

TEST(Models, AcceptsEnumValuesInAnyCase) {
  auto point = parse_restore_point(json::parse(R"({"properties": {
    "provisioningState": "succeeded", "consistencyMode": "FILESYSTEMCONSISTENT", "instantAccessStatus": "pending",
    "instanceView": {"diskRestorePoints": [{"id": "d", "snapshotAccessState": "availablewithinstantaccess"},
                                           {"id": "e", "snapshotAccessState": "SomethingNew"}]}}})"));
  ASSERT_TRUE(point) << point.error().message;
  EXPECT_EQ(point->provisioning_state, ProvisioningState::Succeeded);
  EXPECT_EQ(point->provisioning_state_text, "succeeded");
  EXPECT_EQ(point->consistency_mode, ConsistencyMode::FileSystem);
  EXPECT_EQ(point->instant_access_status, AccessState::Pending);
  EXPECT_EQ(point->disks[0].snapshot_access_state, AccessState::AvailableWithInstantAccess);
  EXPECT_EQ(point->disks[1].snapshot_access_state, AccessState::Unknown);

  auto unknown = parse_restore_point(json::parse(R"({"properties": {"provisioningState": "Updating",
    "consistencyMode": "QuantumConsistent"}})"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->provisioning_state, ProvisioningState::Unknown);
  EXPECT_EQ(unknown->provisioning_state_text, "Updating");
  EXPECT_EQ(unknown->consistency_mode, std::nullopt);
  EXPECT_EQ(unknown->consistency_mode_text, "QuantumConsistent");
}

TEST(Models, NamesTheFieldOfTheWrongType) {
  const auto error_of = [](std::string_view body) {
    auto point = parse_restore_point(json::parse(body));
    return point ? std::string("parsed") : point.error().message;
  };
  EXPECT_EQ(error_of(R"({"properties": {"provisioningState": 5}})"),
            "properties.provisioningState: expected a string, got a number");
  EXPECT_EQ(error_of(R"({"properties": "x"})"), "properties: expected an object, got a string");
  EXPECT_EQ(error_of(R"({"properties": {"excludeDisks": [{"id": "a"}, 7]}})"),
            "properties.excludeDisks[1]: expected an object, got a number");
  EXPECT_EQ(error_of(R"({"properties": {"instanceView": {"diskRestorePoints": [{}, {"replicationStatus":
            {"completionPercent": "100"}}]}}})"),
            "properties.instanceView.diskRestorePoints[1].replicationStatus.completionPercent: expected an integer, "
            "got a string");
  EXPECT_EQ(error_of(R"({"properties": {"instantAccessDurationMinutes": 1.5}})"),
            "properties.instantAccessDurationMinutes: expected an integer, got a fraction");
  EXPECT_EQ(error_of(R"({"properties": {"instantAccessDurationMinutes": 1e12}})"),
            "properties.instantAccessDurationMinutes: expected an integer, got a number out of range");
  EXPECT_EQ(error_of(R"({"properties": {"instantAccessDurationMinutes": 120.0}})"), "parsed");
  EXPECT_EQ(error_of(R"({"properties": {"timeCreated": "yesterday"}})"),
            "properties.timeCreated: 'yesterday' is not an ISO 8601 timestamp such as 2026-03-29T01:00:00Z");
  EXPECT_EQ(error_of("[]"), "response body: expected an object, got an array");

  auto page = parse_restore_point_collection_page(json::parse(R"({"value": [{"name": "a"},
    {"properties": {"instantAccess": "true"}}]})"));
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().message, "value[1].properties.instantAccess: expected a boolean, got a string");
  auto tags = parse_restore_point_collection(json::parse(R"({"tags": {"owner": 3}})"));
  EXPECT_EQ(tags.error().message, "tags.owner: expected a string, got a number");
  auto vm = parse_virtual_machine(json::parse(R"({"properties": {"storageProfile": {"dataDisks": [{"lun": "0"}]}}})"));
  EXPECT_EQ(vm.error().message, "properties.storageProfile.dataDisks[0].lun: expected an integer, got a string");
}

TEST(Models, IgnoresUnknownFieldsAndNulls) {
  auto collection = parse_restore_point_collection(json::parse(R"({
    "name": "rpc", "futureTopLevel": {"deep": [1, 2, 3]}, "tags": null, "systemData": {"createdAt": 5},
    "properties": {"source": {"id": "/s", "futureSourceField": true}, "instantAccess": null,
                   "futureProperty": "x", "restorePoints": [{"name": "rp", "properties": {"newThing": []}}]}})"));
  ASSERT_TRUE(collection) << collection.error().message;
  EXPECT_EQ(collection->name, "rpc");
  EXPECT_EQ(collection->source_id, "/s");
  EXPECT_EQ(collection->instant_access, std::nullopt);
  EXPECT_TRUE(collection->tags.empty());
  ASSERT_EQ(collection->restore_points.size(), 1u);
  EXPECT_EQ(collection->restore_points[0].time_created, std::nullopt);
}

// A VM as GET .../virtualMachines/{name} answers (api-version 2024-07-01), trimmed of fields nobody reads.
const char* vm_json = R"({
  "name": "sql01",
  "id": "/subscriptions/3f2b6a7c/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/sql01",
  "type": "Microsoft.Compute/virtualMachines",
  "location": "westeurope",
  "tags": {"backup": "daily"},
  "zones": ["1"],
  "properties": {
    "vmId": "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1",
    "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
    "storageProfile": {
      "imageReference": {"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"},
      "osDisk": {
        "osType": "Linux", "name": "sql01_OsDisk_1", "createOption": "FromImage", "caching": "ReadWrite",
        "managedDisk": {"storageAccountType": "Premium_LRS",
          "id": "/subscriptions/3f2b6a7c/resourceGroups/PROD/providers/Microsoft.Compute/disks/sql01_OsDisk_1"},
        "deleteOption": "Delete", "diskSizeGB": 30
      },
      "dataDisks": [
        {"lun": 0, "name": "sql01-data", "createOption": "Attach", "caching": "ReadOnly",
         "managedDisk": {"storageAccountType": "PremiumV2_LRS",
           "id": "/subscriptions/3f2b6a7c/resourceGroups/prod/providers/Microsoft.Compute/disks/sql01-data"},
         "diskSizeGB": 1024, "toBeDetached": false},
        {"lun": 1, "name": "legacy.vhd", "createOption": "Attach",
         "vhd": {"uri": "https://x.blob.core.windows.net/v/legacy.vhd"}}
      ],
      "diskControllerType": "SCSI"
    },
    "provisioningState": "Succeeded",
    "timeCreated": "2025-06-01T08:00:00.1234567+00:00"
  }
})";

TEST(Models, VirtualMachine) {
  auto vm = parse_virtual_machine(json::parse(vm_json));
  ASSERT_TRUE(vm) << vm.error().message;
  EXPECT_EQ(vm->name, "sql01");
  EXPECT_TRUE(vm->id.ends_with("/virtualMachines/sql01"));
  EXPECT_EQ(vm->location, "westeurope");
  EXPECT_EQ(vm->tags, (Tags{{"backup", "daily"}}));
  EXPECT_EQ(vm->vm_id, "0f47b100-583c-48e3-a4c0-aefc2c9bbcc1");
  EXPECT_EQ(vm->os_type, "Linux");
  EXPECT_EQ(vm->os_disk.name, "sql01_OsDisk_1");
  EXPECT_TRUE(vm->os_disk.id.ends_with("/disks/sql01_OsDisk_1"));
  EXPECT_EQ(vm->os_disk.sku, "Premium_LRS");
  EXPECT_EQ(vm->os_disk.lun, std::nullopt);
  ASSERT_EQ(vm->data_disks.size(), 2u);
  EXPECT_EQ(vm->data_disks[0].lun, 0);
  EXPECT_EQ(vm->data_disks[0].name, "sql01-data");
  EXPECT_EQ(vm->data_disks[0].sku, "PremiumV2_LRS");
  EXPECT_EQ(vm->data_disks[1].lun, 1);
  EXPECT_EQ(vm->data_disks[1].id, "");  // unmanaged: no restore point for it

  json::object page{{"value", json::array{json::parse(vm_json), json::parse(vm_json)}},
                    {"nextLink", "https://management.azure.com/next"}};
  auto vms = parse_page<VirtualMachine>(page);
  ASSERT_TRUE(vms);
  EXPECT_EQ(vms->value.size(), 2u);
  EXPECT_EQ(vms->next_link, "https://management.azure.com/next");
}

TEST(Models, OperationStatus) {
  auto running = parse_operation_status(json::parse(
      R"({"startTime": "2026-03-29T01:00:00.1234567+00:00", "status": "InProgress", "name": "6a1f0000-aaaa"})"));
  ASSERT_TRUE(running) << running.error().message;
  EXPECT_EQ(running->status, OperationState::InProgress);
  EXPECT_FALSE(running->terminal());
  EXPECT_EQ(running->start_time, at("2026-03-29T01:00:00Z"));
  EXPECT_EQ(running->end_time, std::nullopt);
  EXPECT_EQ(running->name, "6a1f0000-aaaa");

  auto done = parse_operation_status(json::parse(
      R"({"startTime": "2026-03-29T01:00:00+00:00", "endTime": "2026-03-29T01:00:36.5+00:00",
          "status": "succeeded"})"));
  EXPECT_EQ(done->status, OperationState::Succeeded);
  EXPECT_TRUE(done->terminal());
  EXPECT_EQ(done->end_time, at("2026-03-29T01:00:36Z"));

  auto failed = parse_operation_status(json::parse(R"({"status": "Failed", "error": {
    "code": "VMAgentStatusCommunicationError",
    "message": "VM has reported a failure when processing extension.", "details": [{"code": "Inner"}]}})"));
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, OperationState::Failed);
  ASSERT_TRUE(failed->error);
  EXPECT_EQ(failed->error->code, "VMAgentStatusCommunicationError");
  EXPECT_EQ(failed->error->message, "VM has reported a failure when processing extension.");
  EXPECT_EQ(failed->error->details.size(), 1u);
  EXPECT_EQ(failed->error->describe(),
            "VMAgentStatusCommunicationError: VM has reported a failure when processing extension. (details: Inner)");

  EXPECT_EQ(parse_operation_status(json::parse(R"({"status": "CANCELED"})"))->status, OperationState::Canceled);
  auto odd = parse_operation_status(json::parse(R"({"status": "Paused"})"));
  EXPECT_EQ(odd->status, OperationState::Unknown);
  EXPECT_EQ(odd->status_text, "Paused");
  EXPECT_FALSE(odd->terminal());
  EXPECT_EQ(parse_operation_status(json::parse(R"({"status": 1})")).error().message,
            "status: expected a string, got a number");
}

TEST(RequestBodies, MatchTheSpecificationExamples) {
  SKIP_WITHOUT_SPEC();
  const std::string vm = "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/"
                         "Microsoft.Compute/virtualMachines/myVM";
  EXPECT_EQ(json::parse(collection_body("norwayeast", vm, {{"myTag1", "tagValue1"}}, true)),
            example_request(examples_2025_04 / "RestorePointCollection_CreateOrUpdate.json"));
  EXPECT_EQ(json::parse(collection_body("norwayeast",
                                        "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/"
                                        "Microsoft.Compute/restorePointCollections/sourceRpcName",
                                        {{"myTag1", "tagValue1"}}, std::nullopt)),
            example_request(examples_2025_04 / "RestorePointCollection_CreateOrUpdate_ForCrossRegionCopy.json"));
  EXPECT_EQ(json::parse(collection_body("norwayeast", vm, {{"myTag1", "tagValue1"}}, std::nullopt)),
            example_request(spec_dir / "ComputeRP/stable/2021-03-01/examples/"
                                       "CreateOrUpdateARestorePointCollection.json"));

  const std::string disk = "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/"
                           "Microsoft.Compute/disks/disk123";
  EXPECT_EQ(json::parse(restore_point_body(std::nullopt, {disk}, 120, std::nullopt)),
            example_request(examples_2025_04 / "RestorePoint_Create.json"));
  EXPECT_EQ(json::parse(restore_point_body(std::nullopt, {disk}, std::nullopt, std::nullopt)),
            example_request(spec_dir / "ComputeRP/stable/2021-03-01/examples/CreateARestorePoint.json"));
  EXPECT_EQ(json::parse(restore_point_body(std::nullopt, {}, std::nullopt,
                                           "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/"
                                           "Microsoft.Compute/restorePointCollections/sourceRpcName/restorePoints/"
                                           "sourceRpName")),
            example_request(examples_2025_04 / "RestorePoint_Copy_BetweenRegions.json"));
  EXPECT_EQ(json::parse(restore_point_body(ConsistencyMode::Application, {}, std::nullopt, std::nullopt)),
            json::parse(R"({"properties": {"consistencyMode": "ApplicationConsistent"}})"));

  EXPECT_EQ(json::parse(patch_collection_body(std::nullopt, std::nullopt)),
            example_request(examples_2025_04 / "RestorePointCollection_Update_MinimumSet_Gen.json"));
  // The generated maximum example also sends properties.source, which cannot change: the daemon leaves it out.
  auto maximum = example_request(examples_2025_04 / "RestorePointCollection_Update_MaximumSet_Gen.json");
  maximum.at("properties").as_object().erase("source");
  EXPECT_EQ(json::parse(patch_collection_body(Tags{{"key8536", "aaaaaaaaaaaaaaaaaaa"}}, true)), maximum);
  EXPECT_EQ(json::parse(patch_collection_body(Tags{}, std::nullopt)), json::parse(R"({"tags": {}})"));
}

TEST(RequestBodies, EnumNames) {
  EXPECT_EQ(to_string(ConsistencyMode::Crash), "CrashConsistent");
  EXPECT_EQ(to_string(ConsistencyMode::FileSystem), "FileSystemConsistent");
  EXPECT_EQ(to_string(ProvisioningState::Deleting), "Deleting");
  EXPECT_EQ(to_string(AccessState::InstantAccess), "InstantAccess");
  EXPECT_EQ(to_string(OperationState::InProgress), "InProgress");
}

}  // namespace
}  // namespace rpd::azure
