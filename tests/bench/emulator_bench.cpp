// The emulator must not be the bottleneck of the daemon's benchmarks: requests per second it serves on one
// kept-alive HTTPS connection, and the CPU time it spends per request (read from /proc, so the client's own
// work does not count). Simple reads (GET of a VM) and the heavier restore point collection list.

#include <benchmark/benchmark.h>

#include <boost/json.hpp>

#include "tests/bench/process_stats.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace {

using namespace rpd::emulator;

const std::string prod = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod";

using rpd::bench::cpu_seconds;

void run(benchmark::State& state, const std::string& target) {
  EmulatorProcess emulator(AZURE_EMULATOR_BINARY, std::string(RESTOREPOINTD_SOURCE_DIR) +
                                                      "/tests/emulator/fixtures/bench.yaml");
  HttpsTestClient client(emulator.ca_pem(), emulator.https_port());
  const auto token = boost::json::parse(
      client.request("POST", "/_emulator/token", R"({"client_id":"11111111-1111-4111-8111-111111111111"})").body);
  const TestHeaders auth = {{"Authorization", "Bearer " + std::string(token.at("access_token").as_string())}};
  const double cpu_before = cpu_seconds(emulator.pid());
  for (auto _ : state) {
    if (client.request("GET", target, "", auth).status != 200) state.SkipWithError("the emulator did not answer 200");
  }
  const double cpu = cpu_seconds(emulator.pid()) - cpu_before;
  state.SetItemsProcessed(state.iterations());
  state.counters["server_cpu_us_per_request"] = 1e6 * cpu / static_cast<double>(state.iterations());
  state.counters["connections"] = client.connections_opened();
}

void BM_EmulatorGetVm(benchmark::State& state) {
  run(state, prod + "/providers/Microsoft.Compute/virtualMachines/sql01?api-version=2025-04-01");
}
void BM_EmulatorListVms(benchmark::State& state) {
  run(state, prod + "/providers/Microsoft.Compute/virtualMachines?api-version=2025-04-01");
}

BENCHMARK(BM_EmulatorGetVm)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_EmulatorListVms)->UseRealTime()->MinTime(2.0);

}  // namespace
