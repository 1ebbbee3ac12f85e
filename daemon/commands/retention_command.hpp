#pragma once
// `restorepointd retention`: a retention dry run over timestamps read from stdin, like `restic forget --dry-run`.

#include <iosfwd>
#include <optional>
#include <string>

#include "core/retention.hpp"

namespace rpd {

struct RetentionOptions {
  RetentionRules rules;                    // everything but keep_within
  std::optional<std::string> keep_within;  // a duration, e.g. 48h
  std::string timezone = "UTC";            // the zone calendar buckets are evaluated in
};

// Reads ISO 8601 timestamps, one per line (blank lines are skipped), and prints one line per point,
// newest first: `<timestamp> keep <reasons>` or `<timestamp> prune`. Any bad line is reported with its
// line number and nothing else is printed; the exit code is then 1.
int run_retention(const RetentionOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace rpd
