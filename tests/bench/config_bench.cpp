// How long `restorepointd validate` takes on a settings file with 200 policies (the yardstick):
// load_configuration over a generated folder, with every check (schedule sampling, peaks, cross-policy).

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "config/configuration.hpp"

namespace {

namespace fs = std::filesystem;

// 200 policies in 20 files, each with 5 VMs, a mix of cron and interval schedules and full calendar retention.
fs::path write_configuration(int policies) {
  std::string pattern = (fs::temp_directory_path() / "rpd-bench-XXXXXX").string();
  const fs::path folder = ::mkdtemp(pattern.data());
  fs::create_directories(folder / "policies.d");
  std::ofstream(folder / "restorepointd.yaml") << "policies: policies.d\n";
  for (int file = 0; file < policies / 10; ++file) {
    std::ofstream out(folder / "policies.d" / ("team-" + std::to_string(file) + ".yaml"));
    for (int i = 0; i < 10; ++i) {
      const int n = file * 10 + i;
      out << "---\nname: policy-" << n << "\ntargets:\n  vms:\n";
      for (int vm = 0; vm < 5; ++vm) {
        out << "    - /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/rg-" << n
            << "/providers/Microsoft.Compute/virtualMachines/vm-" << vm << "\n";
      }
      out << "schedule:\n"
          << (n % 2 == 0 ? "  cron: \"0 */4 * * *\"\n  timezone: Europe/Berlin\n" : "  every: 6h\n")
          << "  jitter: 10m\nretention:\n  keep_last: 3\n  keep_hourly: 24\n  keep_daily: 7\n  keep_weekly: 4\n"
          << "  keep_monthly: 12\n  keep_yearly: 2\n  keep_within: 48h\n  min_keep: 2\n"
          << "copies:\n  - region: westeurope\n    every: 2\n    retention: {keep_daily: 14}\n";
    }
  }
  return folder;
}

void BM_Validate200Policies(benchmark::State& state) {
  const fs::path folder = write_configuration(200);
  rpd::LoadOptions options;
  options.now = rpd::parse_timestamp("2026-11-25T10:30:00Z").value();
  for (auto _ : state) {
    const auto result = rpd::load_configuration((folder / "restorepointd.yaml").string(), options);
    if (!result.ok() || result.configuration->policies.size() != 200) state.SkipWithError("the configuration did not load");
    benchmark::DoNotOptimize(result);
  }
  fs::remove_all(folder);
}

BENCHMARK(BM_Validate200Policies)->Unit(benchmark::kMillisecond);

}  // namespace
