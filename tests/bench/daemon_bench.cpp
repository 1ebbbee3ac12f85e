// The daemon at scale: `restorepointd run` (the real binary) against the emulator with many VMs and Azure's
// throttling (writes: bucket 200, 10 per second; reads: bucket 250, 25 per second), both sped up by the same
// time scale. One slot is due for every VM at once. Printed:
//   - the time until every VM has its point, against the floor that the write rate sets (two writes per VM:
//     the collection and the point), in emulated and wall seconds;
//   - Resource Manager requests per point, retries and 429s (from the daemon's metrics);
//   - the daemon's peak RSS and CPU seconds;
//   - then, with nothing due, its RSS and wake-ups (context switches) per emulated minute.
//
//   daemon_bench --fixture F --vms N [--scale 20] [--idle-seconds 30] [--max-in-flight 500]
//
// The figures are printed, never judged: CTest runs it once on 100 VMs as a smoke test.

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "tests/bench/process_stats.hpp"
#include "tests/e2e/local_process.hpp"
#include "tests/emulator/emulator_process.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string subscription = "/subscriptions/00000001-0000-4000-8000-000000000001";

struct Options {
  std::string fixture;
  int vms = 0;
  double scale = 20;
  int idle_seconds = 30;
  int max_in_flight = 500;
  int per_group = 500;  // generate.py's default
};

// A field of /proc/<pid>/status, in its unit (kB, or a count).
long proc_status(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

long wake_ups(pid_t pid) { return proc_status(pid, "voluntary_ctxt_switches") + proc_status(pid, "nonvoluntary_ctxt_switches"); }

// A sample's value from the Prometheus text, or -1.
double metric(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

long points_made(const std::string& database) {
  try {
    SQLite::Database db(database, SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    return db.execAndGet("SELECT count(*) FROM restore_points WHERE kind = 'local' AND state = 'succeeded'").getInt64();
  } catch (const SQLite::Exception&) {
    return 0;  // not created yet
  }
}

void write_configuration(const Options& options, const rpd::emulator::EmulatorProcess& emulator, const std::string& dir,
                         unsigned short metrics_port) {
  fs::create_directories(dir + "/policies.d");
  std::ofstream(dir + "/secret") << "test-secret-not-for-production\n";
  fs::permissions(dir + "/secret", fs::perms::owner_read | fs::perms::owner_write);
  std::ofstream(dir + "/ca.pem") << emulator.ca_pem();
  std::ofstream(dir + "/restorepointd.yaml")
      << "azure:\n"
         "  cloud: custom\n"
         "  endpoints:\n"
         "    resource_manager: " << emulator.base_url() << "\n"
         "    authority: " << emulator.base_url() << "\n"
         "  credential:\n"
         "    type: client_secret\n"
         "    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"
         "    client_id: 11111111-1111-4111-8111-111111111111\n"
         "    client_secret_file: " << dir << "/secret\n"
         "  ca_file: " << dir << "/ca.pem\n"
         "state:\n"
         "  database: " << dir << "/state.db\n"
         "policies: policies.d\n"
         "limits:\n"
         "  max_in_flight: " << options.max_in_flight << "\n"
         "  writes_per_second: 10\n"
         "metrics:\n"
         "  listen: 127.0.0.1:" << metrics_port << "\n";
  std::ofstream policy(dir + "/policies.d/bench.yaml");
  policy << "name: bench\ntargets:\n  resource_groups:\n";
  const int groups = (options.vms + options.per_group - 1) / options.per_group;
  for (int group = 0; group < groups; ++group) {
    char name[16];
    std::snprintf(name, sizeof name, "rg-%04d", group);
    policy << "    - id: " << subscription << "/resourceGroups/" << name << "\n      tags: { restore-points: bench }\n";
  }
  // Once a day, twelve hours from now: the slot twelve hours ago is due at once (catch_up: latest), and the
  // next one stays out of the run (half a day of emulated time is 36 minutes of wall time at scale 20).
  const std::time_t wall_now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&wall_now, &utc);
  policy << "schedule:\n  cron: \"" << utc.tm_min << " " << (utc.tm_hour + 12) % 24 << " * * *\"\nretention:\n  keep_last: 3\n";
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--fixture") options.fixture = value;
    else if (flag == "--vms") options.vms = std::stoi(value);
    else if (flag == "--scale") options.scale = std::stod(value);
    else if (flag == "--idle-seconds") options.idle_seconds = std::stoi(value);
    else if (flag == "--max-in-flight") options.max_in_flight = std::stoi(value);
    else throw std::invalid_argument("unknown flag " + flag);
  }
  if (options.fixture.empty() || options.vms < 1) throw std::invalid_argument("--fixture and --vms are required");
  return options;
}

int run(const Options& options) {
  const std::string scale_text = std::to_string(options.scale);
  rpd::emulator::EmulatorProcess emulator(AZURE_EMULATOR_BINARY, options.fixture, "--time-scale " + scale_text, 120s);
  const std::string dir = emulator.state_dir() + "/daemon";
  const unsigned short metrics_port = rpd::e2e::free_port();
  write_configuration(options, emulator, dir, metrics_port);

  const auto started = Clock::now();
  const pid_t daemon = rpd::e2e::spawn_logged(
      {RESTOREPOINTD_BINARY, "--config", dir + "/restorepointd.yaml", "run", "--time-scale", scale_text}, dir + "/daemon.log");
  if (daemon < 0) throw std::runtime_error("restorepointd did not start");

  // Every VM's point; a minute of wall time per 100 VMs at most, then it is reported as it stands.
  const auto deadline = std::chrono::seconds(120 + options.vms * 60 / 100);
  long made = 0;
  // Read twice a second: the count must not take the cores the daemon and the emulator share.
  bool all = false;
  for (const auto until = Clock::now() + deadline; !all && Clock::now() < until; ::poll(nullptr, 0, 500)) {
    all = (made = points_made(dir + "/state.db")) >= options.vms;
  }
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  const double cpu = rpd::bench::cpu_seconds(daemon);
  const long peak_kib = proc_status(daemon, "VmHWM");
  const std::string scraped = rpd::e2e::http_get(metrics_port, "/metrics");
  const double requests = metric(scraped, "restorepointd_arm_requests_total");

  const double writes = 2.0 * options.vms;
  const double floor_emulated = std::max(0.0, (writes - 200) / 10);
  std::printf("daemon_bench: %d VMs, time scale %.0f, max_in_flight %d\n", options.vms, options.scale, options.max_in_flight);
  std::printf("  points made:          %ld of %d%s\n", made, options.vms, all ? "" : " (deadline passed)");
  std::printf("  time to the last:     %.1f s wall = %.0f s emulated; the write rate's floor %.0f s emulated "
              "(%.1f s wall): %.2f x the floor\n",
              wall, wall * options.scale, floor_emulated, floor_emulated / options.scale,
              floor_emulated > 0 ? wall * options.scale / floor_emulated : 0.0);
  // Every request but the two writes per VM is a read (no point is deleted: keep_last 3).
  const double read_floor = std::max(0.0, (requests - writes - 250) / 25);
  std::printf("  reads' floor:         %.0f reads at 25/s after the 250 of the bucket: %.0f s emulated (%.1f s wall): "
              "%.2f x that floor\n",
              requests - writes, read_floor, read_floor / options.scale, read_floor > 0 ? wall * options.scale / read_floor : 0.0);
  std::printf("  ARM requests:         %.0f, %.2f per point (retries %.0f, 429s %.0f)\n", requests,
              made > 0 ? requests / static_cast<double>(made) : 0.0, metric(scraped, "restorepointd_arm_retries_total"),
              metric(scraped, "restorepointd_arm_throttled_total"));
  std::printf("  daemon peak RSS:      %.1f MiB; CPU %.1f s (%.2f ms per point)\n", static_cast<double>(peak_kib) / 1024, cpu,
              made > 0 ? 1000 * cpu / static_cast<double>(made) : 0.0);

  // Nothing due now: the next slot is half a day away. Settle (nothing in flight), then count.
  rpd::e2e::eventually([&] { return metric(rpd::e2e::http_get(metrics_port, "/metrics"), "restorepointd_actions_in_flight") == 0; }, 120s);
  const double requests_before = metric(rpd::e2e::http_get(metrics_port, "/metrics"), "restorepointd_arm_requests_total");
  const long wakes_before = wake_ups(daemon);
  const double cpu_before = rpd::bench::cpu_seconds(daemon);
  const auto idle_from = Clock::now();
  rpd::e2e::eventually([] { return false; }, std::chrono::seconds(options.idle_seconds));  // the window itself
  const double idle_wall = std::chrono::duration<double>(Clock::now() - idle_from).count();
  const double idle_minutes = idle_wall * options.scale / 60;
  const long wakes = wake_ups(daemon) - wakes_before;
  const double idle_requests =
      metric(rpd::e2e::http_get(metrics_port, "/metrics"), "restorepointd_arm_requests_total") - requests_before;
  std::printf("  idle (%.0f emulated minutes): RSS %.1f MiB, %.1f wake-ups and %.1f ARM requests per emulated minute, "
              "CPU %.2f s\n",
              idle_minutes, static_cast<double>(proc_status(daemon, "VmRSS")) / 1024, static_cast<double>(wakes) / idle_minutes,
              idle_requests / idle_minutes, rpd::bench::cpu_seconds(daemon) - cpu_before);

  ::kill(daemon, SIGTERM);
  int status = 0;
  rpd::e2e::eventually([&] { return ::waitpid(daemon, &status, WNOHANG) == daemon; }, 60s);
  if (!all) {
    std::ifstream log(dir + "/daemon.log");
    std::cerr << log.rdbuf();
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& failure) {
    std::cerr << "daemon_bench: " << failure.what() << '\n';
    return 2;
  }
}
