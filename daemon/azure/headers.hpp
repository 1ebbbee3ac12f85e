#pragma once
// HTTP headers as the Azure client passes them around: name and value pairs in the order received.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpd::azure {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The first header of that name, compared case-insensitively as HTTP says.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

}  // namespace rpd::azure
