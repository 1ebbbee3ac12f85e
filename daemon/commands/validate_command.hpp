#pragma once
// `restorepointd validate [--strict]`: checks the settings and every policy, prints every problem.

#include <iosfwd>
#include <string>

#include "config/configuration.hpp"

namespace rpd {

struct ValidateOptions {
  std::string config_path;
  bool strict = false;  // warnings fail too
};

// Problems go to `err` as file:line:col: message; on success `out` gets one line per policy (what it
// targets, its schedule, its next slot) and a summary. Exit code 0, or 1 on errors (or warnings with --strict).
int run_validate(const ValidateOptions& options, const LoadOptions& load_options, std::ostream& out,
                 std::ostream& err);

// "1 VM (sql01), resource group prod (restore-points=tier1)": what a policy's targets select.
std::string describe_targets(const Targets& targets);

}  // namespace rpd
