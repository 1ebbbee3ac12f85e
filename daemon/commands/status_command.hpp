#pragma once
// `restorepointd status [--json]` and `restorepointd jobs [--failed] [--since 24h] [--policy P] [--limit N]
// [--json]`: what the state database says, read-only, also while the daemon runs (WAL). The views vm_status
// and job_log are the source; the README documents their columns.
//
// Text for people (aligned columns, "-" for nothing), or with --json one JSON array of objects whose keys are
// the views' column names. Exit code 0; 1 with "restorepointd status: ..." on `err` when the database cannot
// be read (missing, or a schema this build does not know) or an option is wrong.

#include <iosfwd>
#include <optional>
#include <string>

#include "core/time.hpp"

namespace rpd {

struct StatusOptions {
  std::string database;  // the settings' state.database
  bool json = false;
};

struct JobsOptions {
  std::string database;
  bool failed = false;
  std::optional<std::string> since;   // a duration back from now: "24h"
  std::optional<std::string> policy;
  int limit = 50;                     // the newest lines; 0: all
  bool json = false;
};

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err);
int run_jobs(const JobsOptions& options, Instant now, std::ostream& out, std::ostream& err);

}  // namespace rpd
