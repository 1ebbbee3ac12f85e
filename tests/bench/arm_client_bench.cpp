// The Azure client against the emulator over TLS with keep-alive:
//   - requests per second and CPU time per request, this process's (the client) and the emulator's,
//     one request at a time and 64 at once;
//   - 1,000 restore point creates in flight at once, each followed to its end: the client's memory per
//     thousand operations while they all wait for their first poll, and the requests it took.
// Client-side throttling is raised out of the way (as is the emulator's), so the figures are the client's.

#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "daemon/azure/arm_client.hpp"
#include "daemon/azure/compute_client.hpp"
#include "tests/azure/manual_clock.hpp"
#include "tests/azure/run_to_end.hpp"
#include "tests/azure/test_token_sources.hpp"
#include "tests/bench/process_stats.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace {

namespace asio = boost::asio;
using namespace rpd;
using namespace rpd::azure;
using emulator::EmulatorProcess;
using emulator::HttpsTestClient;

const std::string subscription = "/subscriptions/00000001-0000-4000-8000-000000000001";
const std::string vm0 = subscription + "/resourceGroups/rg-0000/providers/Microsoft.Compute/virtualMachines/vm-00000";

double own_cpu_seconds() { return rpd::bench::cpu_seconds("self"); }
using rpd::bench::rss_kib;

// One emulator with 1,000 VMs and no throttling, and a client for it.
struct Bench {
  Bench() : emulator(AZURE_EMULATOR_BINARY, BENCH_FIXTURE) {
    HttpsTestClient admin(emulator.ca_pem(), emulator.https_port());
    const auto token = boost::json::parse(
        admin.request("POST", "/_emulator/token", R"({"client_id":"11111111-1111-4111-8111-111111111111"})").body);
    HttpClientOptions http_options;
    http_options.use_system_store = false;
    http_options.extra_ca_pem = emulator.ca_pem();
    http = *HttpClient::create(io.get_executor(), http_options);
    credential = std::make_shared<Credential>(
        io.get_executor(), std::make_unique<ScriptedTokens>(std::deque<std::string>{std::string(token.at("access_token").as_string())}),
        clock);
    ArmClientOptions options;
    options.resource_manager = emulator.base_url();
    options.throttle.reads = {1e9, 1e9};
    options.throttle.writes = {1e9, 1e9};
    options.throttle.deletes = {1e9, 1e9};
    options.throttle.writes_per_second = 1e9;
    arm = std::make_unique<ArmClient>(http, credential, clock, options);
  }

  void advance_emulator(std::chrono::seconds by) {
    HttpsTestClient admin(emulator.ca_pem(), emulator.https_port());
    admin.request("POST", "/_emulator/clock", R"({"advance_seconds":)" + std::to_string(by.count()) + "}");
  }

  EmulatorProcess emulator;
  asio::io_context io;
  ManualClock clock{std::chrono::system_clock::now()};
  std::shared_ptr<HttpClient> http;
  std::shared_ptr<Credential> credential;
  std::unique_ptr<ArmClient> arm;
};

asio::awaitable<void> get_vm(ArmClient& arm, std::string url, int count, long* failures) {
  for (int i = 0; i < count; ++i) {
    ArmRequest request{"GET", url, ""};
    Result<ArmResponse, ArmError> answer = co_await arm.send(std::move(request));
    if (!answer) ++*failures;
  }
}

void requests(benchmark::State& state) {
  Bench bench;
  const int concurrency = static_cast<int>(state.range(0));
  constexpr int per_coroutine = 20;
  long failures = 0;
  const double client_before = own_cpu_seconds();
  const double server_before = rpd::bench::cpu_seconds(bench.emulator.pid());
  for (auto _ : state) {
    for (int i = 0; i < concurrency; ++i) asio::co_spawn(bench.io, get_vm(*bench.arm, vm0, per_coroutine, &failures), asio::detached);
    bench.io.restart();
    bench.io.run();
  }
  if (failures > 0) state.SkipWithError("some requests failed");
  const double count = static_cast<double>(state.iterations()) * concurrency * per_coroutine;
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
  state.counters["client_cpu_us_per_request"] = 1e6 * (own_cpu_seconds() - client_before) / count;
  state.counters["server_cpu_us_per_request"] = 1e6 * (rpd::bench::cpu_seconds(bench.emulator.pid()) - server_before) / count;
  state.counters["connections"] = static_cast<double>(bench.http->stats().connections_opened);
}

asio::awaitable<void> create_and_follow(ComputeClient& compute, std::string vm, std::string name, long* done, long* failures) {
  const std::string collection = vm.substr(0, vm.find("/providers/")) + "/providers/Microsoft.Compute/restorePointCollections/rpc-" + name;
  // Named arguments, not braced temporaries: GCC 12 destroys a temporary inside a co_await expression twice.
  CollectionSpec spec{"westeurope", vm, {}, std::nullopt};
  Result<RestorePointCollection, ArmError> made = co_await compute.put_collection(collection, std::move(spec));
  if (!made) {
    ++*failures;
    co_return;
  }
  RestorePointSpec point_spec;
  Result<StartedRestorePoint, ArmError> started = co_await compute.begin_create_restore_point(collection + "/restorePoints/rp-1", std::move(point_spec));
  if (!started || !started->started.operation) {
    ++*failures;
    co_return;
  }
  const OperationHandle operation = *started->started.operation;
  Result<RestorePoint, OperationFailure> point = co_await compute.finish_create_restore_point(operation, std::chrono::seconds(30));
  if (!point) ++*failures;
  else ++*done;
}

void operations_in_flight(benchmark::State& state) {
  const int operations = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Bench bench;
    bench.clock.hold_waits = true;  // every operation stops at its first poll's wait until the clock moves
    ComputeClient compute(*bench.arm);
    long done = 0, failures = 0;
    const long rss_before = rss_kib();
    for (int i = 0; i < operations; ++i) {
      char vm[16];
      std::snprintf(vm, sizeof vm, "vm-%05d", i);
      const std::string group = "rg-" + std::string(4 - std::to_string(i / 500).size(), '0') + std::to_string(i / 500);
      asio::co_spawn(bench.io,
                     create_and_follow(compute, subscription + "/resourceGroups/" + group + "/providers/Microsoft.Compute/virtualMachines/" + vm,
                                       vm, &done, &failures),
                     asio::detached);
    }
    while (bench.clock.held_waits() + static_cast<std::size_t>(failures) < static_cast<std::size_t>(operations)) {
      bench.io.run_one();
    }
    const long rss_waiting = rss_kib();
    const long requests_to_start = bench.arm->stats().requests;
    bench.advance_emulator(std::chrono::seconds(60));
    bench.clock.advance(std::chrono::seconds(60));
    bench.io.restart();
    bench.io.run();
    state.counters["operations"] = static_cast<double>(done);
    state.counters["failed"] = static_cast<double>(failures);
    state.counters["rss_kib_per_1000_waiting"] = static_cast<double>(rss_waiting - rss_before) * 1000.0 / operations;
    state.counters["requests_per_operation"] = static_cast<double>(bench.arm->stats().requests) / operations;
    state.counters["requests_to_start_per_operation"] = static_cast<double>(requests_to_start) / operations;
    state.counters["connections"] = static_cast<double>(bench.http->stats().connections_opened);
    if (failures > 0) state.SkipWithError("some operations failed");
  }
}

BENCHMARK(requests)->Name("ArmClient/GetVm/concurrent")->Arg(1)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(operations_in_flight)->Name("ComputeClient/CreateAndFollow/in_flight")->Arg(1000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
