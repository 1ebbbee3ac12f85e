#pragma once
// How a schedule and a retention measure up against Azure's per-VM limits (AZURE.md section 3):
// creates per VM per hour, minimum spacing, and points per VM. Pure: the sample starts at a given instant.

#include <vector>

#include "core/retention.hpp"
#include "core/schedule.hpp"

namespace rpd {

// Fire times from `from` on: up to 2000 of them, or as many as fall within 400 days, and at least 2.
// Enough to see the densest hour of any cron expression and the period of the sparsest.
std::vector<Instant> sample_fire_times(const Schedule& schedule, Instant from);

// The shortest gap between consecutive fire times (a sorted sample); zero when there are fewer than two.
Seconds shortest_gap(const std::vector<Instant>& fire_times);

struct DensestHour {
  int creates = 0;
  Instant starting_at;  // the first fire time of the densest 60-minute window
};
// The most fire times in any window of 60 minutes (a sorted sample, possibly merged from several schedules).
DensestHour densest_hour(const std::vector<Instant>& fire_times);

// The most points a VM holds at once when the schedule creates a point at every fire time and the retention
// prunes after each create (the new point counts before the prune: Azure refuses a create at its limit); found by simulation, stopping once another create cannot raise it any more
// (the rules' longest span has passed) or after `max_creates`. Once the peak exceeds `stop_above` the answer
// is known to be "too many" and the simulation ends early, returning stop_above + 1: each create costs a
// retention pass over every point held, so an unbounded run over a large keep_last is quadratic.
int peak_points(const Schedule& schedule, const RetentionRules& rules, TimeZone zone, Instant from,
                int max_creates = 20000, int stop_above = 1'000'000);

// A quick upper bound of peak_points: every rule's count plus its oldest point, plus what keep_within can
// hold at the schedule's shortest gap. When this is within a limit, the simulation is not needed.
long long peak_points_bound(const RetentionRules& rules, Seconds shortest_gap);

}  // namespace rpd
