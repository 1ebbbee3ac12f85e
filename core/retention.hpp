#pragma once
// Which restore points to keep: restic's `forget` semantics plus the daemon's safety floors.
//
// Bucket rules (keep_hourly ... keep_yearly) keep the newest point of each of the N most recent calendar
// buckets that hold a point, in the policy's time zone (weeks are ISO 8601 weeks). keep_last keeps the N
// newest points, keep_within every point newer than `newest - within`. Rules are OR-ed. As in restic, a
// bucket rule whose count is not used up also keeps the oldest point. On top of restic: the newest good
// point is always kept, the `min_keep` newest good points are always kept, and pinned points (a copy is
// replicating from them, or they are next in line to be copied) are always kept.
//
// Only good (succeeded) points fill buckets; a point that is not good is pruned unless pinned.
// With no keep_* rule at all, everything is kept (an empty policy never deletes).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace rpd {

struct RetentionRules {
  int keep_last = 0;
  int keep_hourly = 0;
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;
  std::optional<Seconds> keep_within;
  int min_keep = 0;

  // True when no keep_* rule is set (min_keep alone does not count as a rule).
  bool empty() const;
};

struct RetentionPoint {
  Instant time;
  bool good = true;
  bool pinned = false;
};

// Why a point is kept. A point may have several reasons; they form a bit set.
enum class KeepReason : std::uint32_t {
  last = 1u << 0,
  hourly = 1u << 1,
  daily = 1u << 2,
  weekly = 1u << 3,
  monthly = 1u << 4,
  yearly = 1u << 5,
  oldest_last = 1u << 6,  // the oldest point, kept because keep_last's count was not used up
  oldest_hourly = 1u << 7,
  oldest_daily = 1u << 8,
  oldest_weekly = 1u << 9,
  oldest_monthly = 1u << 10,
  oldest_yearly = 1u << 11,
  within = 1u << 12,
  min_keep = 1u << 13,
  newest = 1u << 14,
  pinned = 1u << 15,
  no_rules = 1u << 16,  // the rules are empty: nothing is ever pruned
};

class KeepReasons {
 public:
  KeepReasons() = default;
  void add(KeepReason reason) { bits_ |= static_cast<std::uint32_t>(reason); }
  bool has(KeepReason reason) const { return (bits_ & static_cast<std::uint32_t>(reason)) != 0; }
  bool empty() const { return bits_ == 0; }
  std::uint32_t bits() const { return bits_; }
  friend bool operator==(KeepReasons, KeepReasons) = default;

 private:
  std::uint32_t bits_ = 0;
};

struct RetentionDecision {
  bool keep = false;
  KeepReasons reasons;  // empty exactly when keep is false
};

// One decision per input point, in input order. Deterministic (ties in time are broken by input order:
// the earlier input counts as newer) and O(n log n).
std::vector<RetentionDecision> apply_retention(std::span<const RetentionPoint> points, const RetentionRules& rules,
                                               TimeZone zone);

// The reasons as the policy's words, comma-separated, in a fixed order:
// "keep_last,keep_daily,keep_within,min_keep,newest,pinned"; a bucket rule's oldest-point keep reads
// "keep_daily:oldest"; the empty rule set reads "no_rules".
std::string describe(KeepReasons reasons);

}  // namespace rpd
