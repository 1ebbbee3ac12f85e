#pragma once
// Every key the two file kinds accept, as dotted paths ("retention.keep_daily"; list items as "copies[]").
// The readers take their allowed keys from here, and a test checks the JSON Schemas list exactly these.

#include <string_view>
#include <vector>

namespace rpd {

const std::vector<std::string_view>& settings_key_paths();
const std::vector<std::string_view>& policy_key_paths();

// The keys directly under `parent` ("" for the top level; "copies[]" for a copy's keys).
std::vector<std::string_view> child_keys(const std::vector<std::string_view>& paths, std::string_view parent);

}  // namespace rpd
