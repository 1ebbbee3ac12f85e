#pragma once
// `restorepointd plan [--days N] [--policy P] [--from TIME] [--json]`: what the next N days will do, offline.
//
// Prints the simulation of core/plan.hpp: every create, copy, Instant Access change and deletion with its
// reason, the peak number of points per VM against Azure's limit, the ARM writes per day per subscription, and
// the assumptions made. As text for people (aligned columns) or, with --json, as one JSON object with the keys
// from, until, days, events, peaks, arm_writes_per_day and notes.
//
// Exit code: 0; 1 with "restorepointd plan: ..." on `err` for a bad option (nothing is printed on `out`);
// also 1 when some VM would exceed Azure's points-per-VM limit — the report is printed in full first and
// `err` names each such VM, so that scripts and CI notice a policy that cannot work.

#include <iosfwd>
#include <optional>
#include <string>

#include "config/configuration.hpp"
#include "core/time.hpp"

namespace rpd {

struct PlanOptions {
  int days = 7;                       // 1..366
  std::optional<std::string> policy;  // one policy by name; unset: all
  std::optional<std::string> from;    // ISO 8601; the plan starts here (default: now)
  bool json = false;
};

int run_plan(const Configuration& configuration, const PlanOptions& options, Instant now, std::ostream& out,
             std::ostream& err);

}  // namespace rpd
