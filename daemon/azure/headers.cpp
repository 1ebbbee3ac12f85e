#include "daemon/azure/headers.hpp"

#include "core/arm_id.hpp"

namespace rpd::azure {

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [header_name, value] : headers) {
    if (iequals(header_name, name)) return std::string_view(value);
  }
  return std::nullopt;
}

}  // namespace rpd::azure
