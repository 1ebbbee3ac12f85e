#pragma once
// Azure Resource Manager ids: /subscriptions/{guid}/resourceGroups/{group}[/providers/{namespace}/{type}/{name}].
// Azure returns ids with varying case, so ids compare case-insensitively everywhere.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace rpd {

struct ArmId {
  std::string text;            // as written
  std::string subscription;    // a GUID
  std::string resource_group;
  std::string provider;        // "Microsoft.Compute"; empty for a resource group id
  std::string resource_type;   // "virtualMachines"; empty for a resource group id
  std::string name;            // the resource's name; empty for a resource group id

  bool is_resource_group() const { return provider.empty(); }
  // The id of the resource group this resource is in.
  std::string resource_group_id() const;
};

// Parses and checks the shape; the messages say what was expected.
Result<ArmId> parse_resource_group_id(std::string_view text);
Result<ArmId> parse_vm_id(std::string_view text);    // .../providers/Microsoft.Compute/virtualMachines/{name}
Result<ArmId> parse_disk_id(std::string_view text);  // .../providers/Microsoft.Compute/disks/{name}

bool is_guid(std::string_view text);
bool iequals(std::string_view a, std::string_view b);
bool same_arm_id(std::string_view a, std::string_view b);
std::string to_lower(std::string_view text);

}  // namespace rpd
