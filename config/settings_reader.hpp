#pragma once
// The daemon settings document into the Settings model.

#include <optional>

#include "config/yaml_reader.hpp"
#include "core/settings.hpp"

namespace rpd {

struct SettingsDocument {
  Settings settings;
  YAML::Mark policies_mark;  // where `policies` was set (null when defaulted)
};

// `settings_dir` resolves a relative `policies` path. Empty only when the document is not a mapping; otherwise
// the settings as far as they could be read, with defaults where a value was wrong (the caller looks at the
// error count: the policies are still checked, so that one run reports every problem).
std::optional<SettingsDocument> read_settings(const YAML::Node& document, const std::string& settings_dir,
                                              const LoadOptions& options, Diagnostics& diagnostics);

}  // namespace rpd
