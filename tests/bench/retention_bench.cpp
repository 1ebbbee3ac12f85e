// apply_retention over three years of points taken every 15 minutes, under a typical policy.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/retention.hpp"

namespace rpd {
namespace {

constexpr int point_count = 100'000;  // one every 15 minutes: about 2.85 years

std::vector<RetentionPoint> every_quarter_hour() {
  const Instant start = parse_timestamp("2022-01-01T00:00:00Z").value();
  std::vector<RetentionPoint> points;
  points.reserve(point_count);
  for (int i = 0; i < point_count; ++i) points.push_back({start + std::chrono::minutes{15 * i}});
  return points;
}

RetentionRules typical_rules() {
  RetentionRules rules;
  rules.keep_last = 3;
  rules.keep_hourly = 24;
  rules.keep_daily = 7;
  rules.keep_weekly = 4;
  rules.keep_monthly = 12;
  rules.keep_yearly = 2;
  rules.keep_within = std::chrono::hours{48};
  rules.min_keep = 2;
  return rules;
}

void run(benchmark::State& state, const std::vector<RetentionPoint>& points, const std::string& zone_name) {
  const RetentionRules rules = typical_rules();
  const TimeZone zone = find_time_zone(zone_name).value();
  for (auto _ : state) {
    std::vector<RetentionDecision> decisions = apply_retention(points, rules, zone);
    benchmark::DoNotOptimize(decisions.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(points.size()));
}

// Points as the daemon lists them: oldest first.
void BM_ApplyRetention(benchmark::State& state, const std::string& zone_name) {
  run(state, every_quarter_hour(), zone_name);
}

// The same points in random order, which takes the full sort instead of the already-in-order check.
void BM_ApplyRetentionShuffled(benchmark::State& state, const std::string& zone_name) {
  std::vector<RetentionPoint> points = every_quarter_hour();
  std::shuffle(points.begin(), points.end(), std::mt19937{42});
  run(state, points, zone_name);
}

BENCHMARK_CAPTURE(BM_ApplyRetention, utc, std::string("UTC"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ApplyRetention, berlin, std::string("Europe/Berlin"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ApplyRetentionShuffled, utc, std::string("UTC"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_ApplyRetentionShuffled, berlin, std::string("Europe/Berlin"))->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rpd
