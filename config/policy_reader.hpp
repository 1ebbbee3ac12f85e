#pragma once
// One policy document (a YAML mapping) into the Policy model, with every check that needs only this
// document and the settings. Checks across policies are in cross_checks.hpp.

#include <optional>

#include "config/yaml_reader.hpp"
#include "core/policy.hpp"
#include "core/settings.hpp"

namespace rpd {

struct PolicyDocument {
  std::string file;
  int line_offset = 0;  // where the document starts in its file: its marks count from there
  Policy policy;
  YAML::Mark name_mark;
  std::vector<YAML::Mark> vm_marks;  // one per targets.vms entry
  std::vector<Instant> fire_sample;  // sample_fire_times() from LoadOptions::now, for the checks across policies
  int peak_points = 0;               // per VM, at the retention's peak (0 when not computed: within limits)
};

// Empty when the document has an error (every error is in `diagnostics`); warnings do not empty it.
std::optional<PolicyDocument> read_policy(const YAML::Node& document, const Settings& settings,
                                          const LoadOptions& options, Diagnostics& diagnostics);

}  // namespace rpd
