#include "core/arm_id.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace rpd {
namespace {

std::vector<std::string_view> split_path(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 1;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('/', start), text.size());
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

constexpr std::string_view rg_shape = "/subscriptions/{subscription-guid}/resourceGroups/{group}";

Result<ArmId> parse_arm_id(std::string_view text, std::string_view type, std::string_view what) {
  const std::string shape = type.empty() ? std::string(rg_shape)
                                         : std::string(rg_shape) + "/providers/Microsoft.Compute/" +
                                               std::string(type) + "/{name}";
  auto wrong_shape = [&] {
    return make_error("'" + std::string(text) + "' is not " + std::string(what) + " id: expected " + shape);
  };
  if (text.empty() || text.front() != '/' || text.back() == '/') return wrong_shape();
  const auto parts = split_path(text);
  const std::size_t expected = type.empty() ? 4 : 8;
  if (parts.size() != expected) return wrong_shape();
  if (!iequals(parts[0], "subscriptions") || !iequals(parts[2], "resourceGroups")) return wrong_shape();
  if (std::any_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); })) return wrong_shape();
  if (!is_guid(parts[1])) {
    return make_error("'" + std::string(text) + "': subscription '" + std::string(parts[1]) +
                      "' is not a GUID such as 00000000-0000-0000-0000-000000000000");
  }
  ArmId id;
  id.text = std::string(text);
  id.subscription = std::string(parts[1]);
  id.resource_group = std::string(parts[3]);
  if (!type.empty()) {
    if (!iequals(parts[4], "providers") || !iequals(parts[5], "Microsoft.Compute") || !iequals(parts[6], type)) {
      return wrong_shape();
    }
    id.provider = std::string(parts[5]);
    id.resource_type = std::string(parts[6]);
    id.name = std::string(parts[7]);
  }
  return id;
}

}  // namespace

std::string ArmId::resource_group_id() const {
  return "/subscriptions/" + subscription + "/resourceGroups/" + resource_group;
}

Result<ArmId> parse_resource_group_id(std::string_view text) { return parse_arm_id(text, "", "a resource group"); }
Result<ArmId> parse_vm_id(std::string_view text) { return parse_arm_id(text, "virtualMachines", "a virtual machine"); }
Result<ArmId> parse_disk_id(std::string_view text) { return parse_arm_id(text, "disks", "a disk"); }

bool is_guid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_position ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool same_arm_id(std::string_view a, std::string_view b) { return iequals(a, b); }

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace rpd
