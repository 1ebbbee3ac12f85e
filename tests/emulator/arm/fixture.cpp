#include "tests/emulator/arm/fixture.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace rpd::emulator {
namespace {

// A fixture is test data written by hand: a typo must fail loudly, not give a world without the VM.
class FixtureReader {
 public:
  explicit FixtureReader(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  Result<Fixture> read(const YAML::Node& root) {
    Fixture fixture;
    expect_keys(root, "fixture",
                {"tenants", "service_principals", "managed_identities", "subscriptions", "grants", "settings", "faults"});
    for (const auto& node : list(root, "faults")) {
      if (auto rule = fault_rule(node)) fixture.faults.push_back(*rule);
    }
    for (const auto& tenant : list(root, "tenants")) fixture.tenants.push_back(text(tenant, "tenants[]"));
    for (const auto& node : list(root, "service_principals")) fixture.service_principals.push_back(principal(node));
    for (const auto& node : list(root, "managed_identities")) {
      expect_keys(node, "managed_identities[]", {"client_id", "object_id", "resource_id", "system_assigned"});
      ManagedIdentity identity;
      identity.client_id = required(node, "client_id");
      identity.object_id = optional(node, "object_id").value_or(identity.client_id);
      identity.resource_id = optional(node, "resource_id").value_or("");
      identity.system_assigned = node["system_assigned"] && node["system_assigned"].as<bool>();
      fixture.managed_identities.push_back(identity);
    }
    for (const auto& node : list(root, "subscriptions")) subscription(node, fixture);
    for (const auto& node : list(root, "grants")) {
      expect_keys(node, "grants[]", {"principal", "scope"});
      fixture.grants.push_back({required(node, "principal"), required(node, "scope")});
    }
    if (const auto settings = root["settings"]) read_settings(settings, fixture);
    if (!errors_.empty()) return make_error(errors_);
    return fixture;
  }

 private:
  void fail(const std::string& message) { errors_ += (errors_.empty() ? "" : "; ") + message; }

  void expect_keys(const YAML::Node& node, const std::string& where, std::set<std::string> allowed) {
    if (!node.IsMap()) {
      fail(where + ": expected a mapping");
      return;
    }
    for (const auto& entry : node) {
      if (!allowed.contains(entry.first.Scalar())) fail(where + ": unknown key '" + entry.first.Scalar() + "'");
    }
  }

  std::vector<YAML::Node> list(const YAML::Node& node, const std::string& key) {
    std::vector<YAML::Node> items;
    if (!node.IsMap() || !node[key]) return items;
    if (!node[key].IsSequence()) {
      fail(key + ": expected a list");
      return items;
    }
    for (const auto& item : node[key]) items.push_back(item);
    return items;
  }

  std::string text(const YAML::Node& node, const std::string& where) {
    if (!node.IsScalar()) {
      fail(where + ": expected a string");
      return "";
    }
    return node.Scalar();
  }

  std::string required(const YAML::Node& node, const std::string& key) {
    if (!node.IsMap() || !node[key]) {
      fail("missing '" + key + "'");
      return "";
    }
    return text(node[key], key);
  }

  std::optional<std::string> optional(const YAML::Node& node, const std::string& key) {
    if (!node.IsMap() || !node[key]) return std::nullopt;
    return text(node[key], key);
  }

  std::optional<FaultRule> fault_rule(const YAML::Node& node) {
    expect_keys(node, "faults[]",
                {"method", "path_contains", "probability", "count", "status", "code", "retry_after_seconds", "delivery",
                 "delay_ms", "fail_operation", "headers"});
    FaultRule rule;
    rule.method = optional(node, "method").value_or("");
    rule.path_contains = optional(node, "path_contains").value_or("");
    if (node["probability"]) rule.probability = node["probability"].as<double>();
    if (node["count"]) rule.count = node["count"].as<int>();
    if (node["status"]) rule.status = node["status"].as<int>();
    rule.code = optional(node, "code").value_or(rule.code);
    if (node["retry_after_seconds"]) rule.retry_after_seconds = node["retry_after_seconds"].as<int>();
    rule.delivery = optional(node, "delivery").value_or("normal");
    if (node["delay_ms"]) rule.delay_ms = node["delay_ms"].as<int>();
    if (node["fail_operation"]) rule.fail_operation = node["fail_operation"].as<bool>();
    if (const auto headers = node["headers"]) {
      if (!headers.IsMap()) fail("faults[].headers: expected a map of header names to values");
      for (const auto& header : headers) rule.headers.emplace_back(header.first.as<std::string>(), header.second.as<std::string>());
    }
    static const std::set<std::string> deliveries = {"normal", "reset", "stall", "truncated_body", "slow",
                                                     "malformed_body"};
    if (!deliveries.contains(rule.delivery)) fail("faults[].delivery: unknown '" + rule.delivery + "'");
    return rule;
  }

  // A file named in the fixture, relative to the fixture's directory.
  std::string file_text(const std::string& key, const std::string& file) {
    const auto path = std::filesystem::path(file).is_absolute() ? std::filesystem::path(file)
                                                                : std::filesystem::path(base_dir_) / file;
    std::ifstream in(path);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) fail(key + ": cannot read " + path.string());
    return content.str();
  }

  ServicePrincipal principal(const YAML::Node& node) {
    expect_keys(node, "service_principals[]",
                {"tenant_id", "client_id", "object_id", "secret", "certificate_file", "certificate_pem",
                 "federated_token", "federated_issuer", "federated_subject", "federated_audience",
                 "federated_issuer_key_pem", "federated_issuer_key_file"});
    ServicePrincipal principal;
    principal.tenant_id = required(node, "tenant_id");
    principal.client_id = required(node, "client_id");
    principal.object_id = optional(node, "object_id").value_or(principal.client_id);
    principal.secret = optional(node, "secret");
    principal.certificate_pem = optional(node, "certificate_pem");
    principal.federated_token = optional(node, "federated_token");
    if (auto file = optional(node, "certificate_file")) {
      principal.certificate_pem = file_text("certificate_file", *file);
    }
    principal.federated_credential = federated_credential(node);
    return principal;
  }

  // federated_issuer and federated_subject declare the credential; the other federated_ keys refine it.
  std::optional<FederatedCredential> federated_credential(const YAML::Node& node) {
    const auto issuer = optional(node, "federated_issuer");
    const auto subject = optional(node, "federated_subject");
    const auto audience = optional(node, "federated_audience");
    const auto key_pem = optional(node, "federated_issuer_key_pem");
    const auto key_file = optional(node, "federated_issuer_key_file");
    if (!issuer && !subject) {
      if (audience || key_pem || key_file) fail("service_principals[]: federated_ keys without federated_issuer");
      return std::nullopt;
    }
    if (!issuer || !subject) {
      fail("service_principals[]: federated_issuer and federated_subject go together");
      return std::nullopt;
    }
    if (key_pem && key_file) {
      fail("service_principals[]: federated_issuer_key_pem or federated_issuer_key_file, not both");
    }

    FederatedCredential credential;
    credential.issuer = *issuer;
    credential.subject = *subject;
    if (audience) credential.audience = *audience;
    credential.issuer_key_pem = key_pem;
    if (key_file) credential.issuer_key_pem = file_text("federated_issuer_key_file", *key_file);
    return credential;
  }

  Disk disk(const YAML::Node& node, const std::string& where, int default_lun) {
    expect_keys(node, where, {"name", "sku", "size_gb", "lun"});
    Disk d;
    d.name = required(node, "name");
    d.sku = optional(node, "sku").value_or("Premium_LRS");
    d.size_gb = node["size_gb"] ? node["size_gb"].as<int>() : 128;
    d.lun = node["lun"] ? node["lun"].as<int>() : default_lun;
    return d;
  }

  void subscription(const YAML::Node& node, Fixture& fixture) {
    expect_keys(node, "subscriptions[]", {"id", "resource_groups"});
    const std::string id = required(node, "id");
    fixture.subscriptions.push_back(id);
    for (const auto& group : list(node, "resource_groups")) {
      expect_keys(group, "resource_groups[]", {"name", "location", "vms"});
      const std::string group_name = required(group, "name");
      const std::string group_location = optional(group, "location").value_or("westeurope");
      fixture.resource_groups.push_back("/subscriptions/" + id + "/resourceGroups/" + group_name);
      for (const auto& vm_node : list(group, "vms")) {
        expect_keys(vm_node, "vms[]", {"name", "location", "os_type", "tags", "os_disk", "data_disks"});
        VirtualMachine vm;
        vm.subscription = id;
        vm.resource_group = group_name;
        vm.name = required(vm_node, "name");
        vm.location = optional(vm_node, "location").value_or(group_location);
        vm.os_type = optional(vm_node, "os_type").value_or("Linux");
        if (vm_node["tags"]) {
          for (const auto& tag : vm_node["tags"]) vm.tags[tag.first.Scalar()] = text(tag.second, "tags");
        }
        vm.os_disk = vm_node["os_disk"] ? disk(vm_node["os_disk"], "os_disk", -1)
                                        : Disk{vm.name + "_OsDisk", "Premium_LRS", 128, -1};
        int lun = 0;
        for (const auto& data : list(vm_node, "data_disks")) vm.data_disks.push_back(disk(data, "data_disks[]", lun++));
        fixture.vms.push_back(std::move(vm));
      }
    }
  }

  void read_settings(const YAML::Node& node, Fixture& fixture) {
    expect_keys(node, "settings",
                {"page_size", "token_lifetime_seconds", "create_seconds", "delete_seconds",
                 "replication_seconds_per_gb", "lro_location_and_retry_after", "retry_after_seconds", "read_bucket",
                 "read_refill", "write_bucket", "write_refill", "delete_bucket", "delete_refill", "points_per_vm",
                 "creates_per_vm_per_hour", "copies_per_collection_per_hour", "instant_access_in_flight",
                 "concurrent_create_fails_as_operation", "managed_identity_flavour", "app_service_identity_header"});
    auto number = [&](const char* key, auto& target) {
      if (node[key]) target = node[key].as<std::remove_reference_t<decltype(target)>>();
    };
    number("page_size", fixture.page_size);
    number("token_lifetime_seconds", fixture.token_lifetime_seconds);
    number("create_seconds", fixture.create_seconds);
    number("delete_seconds", fixture.delete_seconds);
    number("replication_seconds_per_gb", fixture.replication_seconds_per_gb);
    number("lro_location_and_retry_after", fixture.lro_location_and_retry_after);
    number("retry_after_seconds", fixture.retry_after_seconds);
    number("read_bucket", fixture.read_bucket);
    number("read_refill", fixture.read_refill);
    number("write_bucket", fixture.write_bucket);
    number("write_refill", fixture.write_refill);
    number("delete_bucket", fixture.delete_bucket);
    number("delete_refill", fixture.delete_refill);
    number("points_per_vm", fixture.points_per_vm);
    number("creates_per_vm_per_hour", fixture.creates_per_vm_per_hour);
    number("copies_per_collection_per_hour", fixture.copies_per_collection_per_hour);
    number("instant_access_in_flight", fixture.instant_access_in_flight);
    number("concurrent_create_fails_as_operation", fixture.concurrent_create_fails_as_operation);
    if (const auto flavour = optional(node, "managed_identity_flavour")) {
      if (*flavour == "imds") {
        fixture.managed_identity_flavour = ManagedIdentityFlavour::imds;
      } else if (*flavour == "arc") {
        fixture.managed_identity_flavour = ManagedIdentityFlavour::arc;
      } else {
        fail("settings.managed_identity_flavour: expected imds or arc, got '" + *flavour + "'");
      }
    }
    fixture.app_service_identity_header = optional(node, "app_service_identity_header");
    // An empty secret would let a request without the header through.
    if (fixture.app_service_identity_header && fixture.app_service_identity_header->empty()) {
      fail("settings.app_service_identity_header: must not be empty");
    }
    if (fixture.page_size < 1) fail("settings.page_size: must be at least 1");
  }

  std::string base_dir_;
  std::string errors_;
};

}  // namespace

Result<Fixture> parse_fixture(const std::string& yaml_text, const std::string& base_dir) {
  try {
    return FixtureReader(base_dir).read(YAML::Load(yaml_text));
  } catch (const YAML::Exception& e) {
    return make_error("fixture: " + std::string(e.what()));
  }
}

Result<Fixture> parse_fixture(const std::string& yaml_text) { return parse_fixture(yaml_text, "."); }

Result<Fixture> load_fixture(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read fixture " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto fixture = parse_fixture(text.str(), std::filesystem::path(path).parent_path().string());
  if (!fixture) return make_error(path + ": " + fixture.error().message);
  return fixture;
}

}  // namespace rpd::emulator
