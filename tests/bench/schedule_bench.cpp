// How fast fire times are computed: 1,000,000 consecutive next() calls per run, for an interval, for cron
// in UTC and for cron in a zone with DST (Europe/Berlin), plus slot_at() which the daemon calls per VM per tick.

#include <benchmark/benchmark.h>

#include "core/schedule.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int fire_times_per_run = 1'000'000;

rpd::Schedule cron(const char* expr, const char* zone) {
  return rpd::Schedule::cron(rpd::CronExpr::parse(expr).value(), rpd::find_time_zone(zone).value());
}

void run_next(benchmark::State& state, const rpd::Schedule& schedule) {
  const rpd::Instant start = rpd::parse_timestamp("2026-01-01T00:00:00Z").value();
  for (auto _ : state) {
    rpd::Instant t = start;
    for (int i = 0; i < fire_times_per_run; ++i) t = *schedule.next(t);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * fire_times_per_run);
}

void BM_NextInterval(benchmark::State& state) { run_next(state, rpd::Schedule::every(4h).value()); }
void BM_NextCronUtc(benchmark::State& state) { run_next(state, cron("*/15 * * * *", "UTC")); }
void BM_NextCronBerlin(benchmark::State& state) { run_next(state, cron("*/15 * * * *", "Europe/Berlin")); }
void BM_NextCronBerlinWeekdays(benchmark::State& state) { run_next(state, cron("0 9 * * MON-FRI", "Europe/Berlin")); }

void BM_SlotAtCronBerlin(benchmark::State& state) {
  const auto schedule = cron("0 */4 * * *", "Europe/Berlin");
  rpd::Instant t = rpd::parse_timestamp("2026-01-01T00:00:00Z").value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(schedule.slot_at(t));
    t += 7min;
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_NextInterval)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NextCronUtc)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NextCronBerlin)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NextCronBerlinWeekdays)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SlotAtCronBerlin);

}  // namespace
