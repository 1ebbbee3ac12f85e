#pragma once
// When a policy fires: a cron expression in an IANA time zone, or a fixed interval from an anchor.
//
// Cron schedules follow wall-clock time across DST: a local time skipped by a spring-forward fires once,
// at the first instant after the gap; a local time repeated by a fall-back fires once, at its first
// occurrence. Interval schedules are fixed spans of real time and ignore the time zone.
//
// A slot is a fire time: the instant a restore point is for. Its UTC form names the point.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/cron.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace rpd {

struct IntervalSchedule {
  Seconds period;  // > 0
  Instant anchor;  // one of the fire times; by default 1970-01-01T00:00:00Z
};

class Schedule {
 public:
  // Daily at midnight UTC. Only a placeholder for models filled in step by step: the configuration
  // loader always sets a schedule of its own.
  Schedule() : kind_(IntervalSchedule{std::chrono::hours{24}, Instant{}}) {}
  static Schedule cron(CronExpr expr, TimeZone zone);
  static Result<Schedule> every(Seconds period, Instant anchor = Instant{});

  // The first fire time strictly after `after`.
  std::optional<Instant> next(Instant after) const;
  // The `count` fire times strictly after `after`, in order.
  std::vector<Instant> next_n(Instant after, std::size_t count) const;
  // The slot that `t` belongs to: the latest fire time at or before `t`.
  std::optional<Instant> slot_at(Instant t) const;

  // "cron '0 */4 * * *' in Europe/Berlin" or "every 4h".
  std::string describe() const;

 private:
  struct CronInZone {
    CronExpr expr;
    TimeZone zone;
  };
  explicit Schedule(std::variant<CronInZone, IntervalSchedule> kind) : kind_(std::move(kind)) {}

  std::variant<CronInZone, IntervalSchedule> kind_;
};

// `EXPR` as the calendar command takes it: a cron expression, or `every <duration>`.
Result<Schedule> parse_schedule_expression(std::string_view text, TimeZone zone);

// A VM's deterministic offset inside [0, jitter): a stable hash of its ARM id (case-insensitive, as Azure
// compares ids), so the same VM fires at the same offset on every host and after every restart.
Seconds jitter_offset(std::string_view arm_id, Seconds jitter);

enum class CatchUp { latest, none };

// Which slot, if any, should run now. `last_handled` is the newest slot already run (or deliberately
// skipped); `grace` is how late a slot may start and still count as on time.
// - A slot at or before `last_handled` is never run again.
// - On time (now - slot <= grace): the slot runs, whatever the mode.
// - Late: `latest` runs the most recent missed slot once (older missed slots are not replayed);
//   `none` runs nothing and waits for the next slot.
std::optional<Instant> due_slot(const Schedule& schedule, std::optional<Instant> last_handled, Instant now,
                                CatchUp mode, Seconds grace);

}  // namespace rpd
