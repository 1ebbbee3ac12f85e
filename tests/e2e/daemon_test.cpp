// The real binary, `restorepointd run`, against the emulator binary, both at a time scale of 600 (a 2-hour
// schedule slot every 12 s): points are made on both VMs of a tagged resource group, a reload with a broken
// policy keeps the old one running, SIGTERM stops it with exit 0, and a database deleted between two runs is
// rebuilt from Azure without a second point for any slot.

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <cstring>

#include "core/policy.hpp"
#include "daemon/store/state_store.hpp"
#include "tests/e2e/local_process.hpp"
#include "tests/emulator/emulator_process.hpp"
#include "tests/emulator/server/test_client.hpp"

namespace rpd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using e2e::eventually;
using e2e::free_port;
using e2e::http_get;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    emulator_ = std::make_unique<emulator::EmulatorProcess>(
        AZURE_EMULATOR_BINARY, std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml", "--time-scale 600");
    directory_ = emulator_->state_dir() + "/daemon";
    fs::create_directories(directory_ + "/policies.d");
    std::ofstream(directory_ + "/secret") << "test-secret-not-for-production\n";
    fs::permissions(directory_ + "/secret", fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(directory_ + "/ca.pem") << emulator_->ca_pem();
    std::ofstream(directory_ + "/restorepointd.yaml")
        << "azure:\n"
           "  cloud: custom\n"
           "  endpoints:\n"
           "    resource_manager: " << emulator_->base_url() << "\n"
           "    authority: " << emulator_->base_url() << "\n"
           "  credential:\n"
           "    type: client_secret\n"
           "    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"
           "    client_id: 11111111-1111-4111-8111-111111111111\n"
           "    client_secret_file: " << directory_ << "/secret\n"
           "  ca_file: " << directory_ << "/ca.pem\n"
           "state:\n"
           "  database: " << directory_ << "/state.db\n"
           "policies: policies.d\n"
           "metrics:\n"
           "  listen: 127.0.0.1:" << metrics_port_ << "\n";
    std::ofstream(directory_ + "/policies.d/web.yaml")
        << "name: web\n"
           "targets:\n"
           "  resource_groups:\n"
           "    - id: /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod\n"
           "      tags: { restore-points: daily }\n"
           "schedule:\n"
           "  every: 2h\n"
           "retention:\n"
           "  keep_last: 3\n";
  }
  void TearDown() override {
    if (daemon_ > 0) {
      ::kill(daemon_, SIGKILL);
      ::waitpid(daemon_, nullptr, 0);
    }
  }

  void start_daemon(std::vector<std::string> environment = {}) {
    const std::string binary = RESTOREPOINTD_BINARY;
    const std::string config = directory_ + "/restorepointd.yaml";
    const std::string log = directory_ + "/daemon.log";
    daemon_ = e2e::spawn_logged({binary, "--config", config, "run", "--time-scale", "600"}, log, std::move(environment));
    ASSERT_GT(daemon_, 0);
  }

  // The exit status after SIGTERM, or -1 when it did not end in time.
  int stop_daemon() {
    ::kill(daemon_, SIGTERM);
    int status = 0;
    const bool ended = eventually([&] { return ::waitpid(daemon_, &status, WNOHANG) == daemon_; }, 30s);
    daemon_ = -1;
    if (!ended) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::vector<store::VmStatusRow> status() {
    auto state = store::StateStore::open_read_only(directory_ + "/state.db");
    if (!state) return {};
    auto rows = state.value().vm_status();
    return rows ? std::move(rows).value() : std::vector<store::VmStatusRow>{};
  }

  bool every_vm_has(int points) {
    const auto rows = status();
    return rows.size() == 2 && std::all_of(rows.begin(), rows.end(), [&](const auto& r) { return r.points_kept >= points; });
  }

  // Azure's view: per collection, the names of its points.
  std::map<std::string, std::vector<std::string>> points_in_azure() {
    emulator::HttpsTestClient admin(emulator_->ca_pem(), emulator_->https_port());
    const auto state = boost::json::parse(admin.request("GET", "/_emulator/state", "").body);
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& collection : state.at("collections").as_array()) {
      auto& names = out[std::string(collection.at("name").as_string())];
      const auto* points = collection.at("properties").as_object().if_contains("restorePoints");
      if (points == nullptr) continue;
      for (const auto& point : points->as_array()) names.push_back(std::string(point.at("name").as_string()));
    }
    return out;
  }

  long requests_seen() {
    emulator::HttpsTestClient admin(emulator_->ca_pem(), emulator_->https_port());
    return static_cast<long>(boost::json::parse(admin.request("GET", "/_emulator/requests", "").body).at("requests").as_array().size());
  }

  void kill_daemon() {
    ::kill(daemon_, SIGKILL);
    ::waitpid(daemon_, nullptr, 0);
    daemon_ = -1;
  }

  std::unique_ptr<emulator::EmulatorProcess> emulator_;
  std::string directory_;
  pid_t daemon_ = -1;
  unsigned short metrics_port_ = free_port();
};

TEST_F(DaemonTest, MakesPointsKeepsThePolicyOnABrokenReloadAndStopsCleanly) {
  start_daemon();
  ASSERT_TRUE(eventually([&] { return every_vm_has(2); }, 60s)) << read_file(directory_ + "/daemon.log");

  std::ofstream(directory_ + "/policies.d/zz-broken.yaml") << "name: broken\nschedule: { every: soon }\n";
  ::kill(daemon_, SIGHUP);
  ASSERT_TRUE(eventually([&] { return read_file(directory_ + "/daemon.log").find("keeping the running configuration") != std::string::npos; }, 30s))
      << read_file(directory_ + "/daemon.log");
  const int kept = status()[0].points_kept;
  ASSERT_TRUE(eventually([&] { return status()[0].points_kept > kept || status()[0].points_kept == 3; }, 60s))
      << "the old policy goes on";
  EXPECT_EQ(::kill(daemon_, 0), 0) << "still running";

  const std::string metrics = http_get(metrics_port_, "/metrics");
  EXPECT_TRUE(metrics.starts_with("HTTP/1.1 200 OK")) << metrics;
  EXPECT_NE(metrics.find("restorepointd_actions_total{policy=\"web\",action=\"create\",result=\"succeeded\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("restorepointd_reloads_total{result=\"refused\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("restorepointd_points_kept{policy=\"web\",vm=\"web01\"}"), std::string::npos) << metrics;
  EXPECT_TRUE(http_get(metrics_port_, "/other").starts_with("HTTP/1.1 404"));

  EXPECT_EQ(stop_daemon(), 0) << read_file(directory_ + "/daemon.log");
  const std::string log = read_file(directory_ + "/daemon.log");
  EXPECT_NE(log.find("stopped:"), std::string::npos) << log;
  EXPECT_EQ(log.find("Bearer"), std::string::npos) << "never a token in the log";
  auto state = store::StateStore::open_read_only(directory_ + "/state.db");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value().integrity_check().value(), "ok");
}

TEST_F(DaemonTest, ADeletedDatabaseIsRebuiltFromAzureWithoutASecondPointForASlot) {
  start_daemon();
  ASSERT_TRUE(eventually([&] { return every_vm_has(1); }, 60s)) << read_file(directory_ + "/daemon.log");
  ASSERT_EQ(stop_daemon(), 0);
  for (const char* file : {"/state.db", "/state.db-wal", "/state.db-shm"}) fs::remove(directory_ + file);

  start_daemon();
  ASSERT_TRUE(eventually([&] { return every_vm_has(2); }, 60s)) << read_file(directory_ + "/daemon.log");
  EXPECT_EQ(stop_daemon(), 0);
  for (const auto& [collection, names] : points_in_azure()) {
    const std::set<std::string> unique(names.begin(), names.end());
    EXPECT_EQ(unique.size(), names.size()) << collection << ": a slot has two points";
  }
}


TEST_F(DaemonTest, APointDeletedBehindItsBackIsNoticedAndForgotten) {
  start_daemon();
  ASSERT_TRUE(eventually([&] { return every_vm_has(2); }, 60s)) << read_file(directory_ + "/daemon.log");
  // Someone deletes web01's oldest point with the Azure CLI, say.
  const std::string collection = "rpc-web01-web";
  std::vector<std::string> names = points_in_azure()[collection];
  ASSERT_FALSE(names.empty());
  std::sort(names.begin(), names.end());
  const std::string gone = names.front();
  emulator::HttpsTestClient admin(emulator_->ca_pem(), emulator_->https_port());
  const auto token = boost::json::parse(admin.request("POST", "/_emulator/token", R"({"client_id":"11111111-1111-4111-8111-111111111111"})").body);
  const std::string path = "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/"
                           "Microsoft.Compute/restorePointCollections/" + collection + "/restorePoints/" + gone +
                           "?api-version=2025-04-01";
  const auto deleted = admin.request("DELETE", path, "", {{"Authorization", "Bearer " + std::string(token.at("access_token").as_string())}});
  ASSERT_LT(deleted.status, 300) << deleted.body;

  const auto known = [&] {
    auto state = store::StateStore::open_read_only(directory_ + "/state.db");
    if (!state) return true;
    const auto points = state.value().points("web", "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/"
                                                    "providers/Microsoft.Compute/virtualMachines/web01");
    return !points || std::any_of(points->begin(), points->end(), [&](const auto& p) { return p.name == gone; });
  };
  ASSERT_TRUE(eventually([&] { return !known(); }, 60s)) << gone << " is still in the database";
  EXPECT_EQ(stop_daemon(), 0);
  auto state = store::StateStore::open_read_only(directory_ + "/state.db");
  ASSERT_TRUE(state.ok());
  store::JobLogFilter failed;
  failed.failed_only = true;
  EXPECT_TRUE(state.value().job_log(failed)->empty()) << "nothing tried on the point that is gone";
}

TEST_F(DaemonTest, KilledAtManyMomentsItNeitherLosesNorRepeatsAPoint) {
  // Kill -9 after the 1st, 2nd, ... 12th request of each run: during inventories, PUTs, polls and deletes.
  for (int round = 1; round <= 12; ++round) {
    const long before = requests_seen();
    start_daemon();
    ASSERT_TRUE(eventually([&] { return requests_seen() >= before + round; }, 30s)) << read_file(directory_ + "/daemon.log");
    kill_daemon();
  }
  start_daemon();
  ASSERT_TRUE(eventually([&] { return every_vm_has(3); }, 90s)) << read_file(directory_ + "/daemon.log");
  ASSERT_EQ(stop_daemon(), 0);

  auto state = store::StateStore::open_read_only(directory_ + "/state.db");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state.value().integrity_check().value(), "ok");
  EXPECT_TRUE(state.value().running_jobs()->empty()) << "every interrupted job was settled";
  std::set<std::string> known;
  for (const auto& vm : state.value().all_vms().value()) {
    for (const auto& point : state.value().points(vm.policy, vm.vm_id).value()) known.insert(point.name + " " + vm.vm_name);
  }
  for (const auto& [collection, names] : points_in_azure()) {
    const std::set<std::string> unique(names.begin(), names.end());
    EXPECT_EQ(unique.size(), names.size()) << collection;
    const std::string vm = collection.substr(4, 5);  // rpc-web01-web
    for (const std::string& name : names) EXPECT_TRUE(known.contains(name + " " + vm)) << name << " in " << collection << " is not in the database";
  }
}

// systemd's side of the notify protocol: a datagram socket named by NOTIFY_SOCKET, WatchdogSec= as
// WATCHDOG_USEC. The daemon says READY=1 with a STATUS= once it has planned, pings the watchdog every half
// of the interval from its own timer, says RELOADING=1 then READY=1 around a SIGHUP, and STOPPING=1.
TEST_F(DaemonTest, TellsSystemdWhenItIsReadyReloadsAndStopsAndFeedsTheWatchdog) {
  const std::string path = directory_ + "/notify";
  const int socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  ASSERT_LT(path.size(), sizeof address.sun_path);
  std::strcpy(address.sun_path, path.c_str());
  ASSERT_EQ(::bind(socket, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::vector<std::string> said;
  const auto heard = [&](const std::string& what) {
    char datagram[4096];
    for (ssize_t n; (n = ::recv(socket, datagram, sizeof datagram, 0)) > 0;) said.emplace_back(datagram, static_cast<std::size_t>(n));
    return std::count_if(said.begin(), said.end(), [&](const std::string& s) { return s.find(what) != std::string::npos; });
  };

  start_daemon({"NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=400000"});
  ASSERT_TRUE(eventually([&] { return heard("READY=1\nSTATUS=1 policies, ") == 1; }, 30s)) << read_file(directory_ + "/daemon.log");
  ASSERT_TRUE(eventually([&] { return heard("WATCHDOG=1") >= 5; }, 30s)) << "every 200 ms";

  ::kill(daemon_, SIGHUP);
  ASSERT_TRUE(eventually([&] { return heard("READY=1") == 2; }, 30s));
  const auto reloading = std::find(said.begin(), said.end(), "RELOADING=1");
  ASSERT_NE(reloading, said.end());
  EXPECT_TRUE(std::find_if(reloading, said.end(), [](const std::string& s) { return s.starts_with("READY=1"); }) != said.end())
      << "READY=1 after RELOADING=1";

  EXPECT_EQ(stop_daemon(), 0);
  EXPECT_EQ(heard("STOPPING=1"), 1);
  ::close(socket);
}

TEST_F(DaemonTest, SigtermDuringCreatesLetsThemFinish) {
  // Slow creates: each poll of an operation takes 2 s of real time.
  emulator::HttpsTestClient admin(emulator_->ca_pem(), emulator_->https_port());
  admin.request("POST", "/_emulator/faults", R"({"path_contains":"/operations/","delivery":"slow","delay_ms":2000})");
  start_daemon();
  const auto creates_sent = [&] {
    const auto log = boost::json::parse(admin.request("GET", "/_emulator/requests", "").body);
    for (const auto& entry : log.at("requests").as_array()) {
      if (entry.at("method").as_string() == "PUT" && std::string(entry.at("path").as_string()).find("/restorePoints/") != std::string::npos) return true;
    }
    return false;
  };
  ASSERT_TRUE(eventually(creates_sent, 60s)) << read_file(directory_ + "/daemon.log");
  EXPECT_EQ(stop_daemon(), 0) << read_file(directory_ + "/daemon.log");
  auto state = store::StateStore::open_read_only(directory_ + "/state.db");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state.value().running_jobs()->empty()) << "the creates under way finished before the exit";
  EXPECT_TRUE(every_vm_has(1));
}

TEST_F(DaemonTest, UnderInjectedFaultsEverySlotEndsWithExactlyOnePointPerVm) {
  emulator::HttpsTestClient admin(emulator_->ca_pem(), emulator_->https_port());
  admin.request("POST", "/_emulator/faults", R"({"probability":0.10,"status":503,"code":"ServiceUnavailable"})");
  admin.request("POST", "/_emulator/faults", R"({"probability":0.05,"status":429,"code":"TooManyRequests","retry_after_seconds":2})");
  admin.request("POST", "/_emulator/faults", R"({"probability":0.02,"delivery":"reset"})");
  start_daemon();
  // Four 2-hour slots pass in 48 s; the last three of each VM's are kept.
  ASSERT_TRUE(eventually([&] { return every_vm_has(3); }, 120s)) << read_file(directory_ + "/daemon.log");
  ASSERT_EQ(stop_daemon(), 0);
  admin.request("DELETE", "/_emulator/faults", "");
  std::map<std::int64_t, int> statuses;
  const auto log = boost::json::parse(admin.request("GET", "/_emulator/requests", "").body);
  for (const auto& entry : log.at("requests").as_array()) ++statuses[entry.at("status").to_number<std::int64_t>()];
  EXPECT_GT(statuses[503], 0) << "the faults were injected";
  EXPECT_GT(statuses[429], 0);

  for (const auto& [collection, names] : points_in_azure()) {
    const std::set<std::string> unique(names.begin(), names.end());
    EXPECT_EQ(unique.size(), names.size()) << collection << ": a slot has two points";
    // The points kept are consecutive slots: none was lost to a fault.
    std::vector<Instant> slots;
    for (const std::string& name : unique) slots.push_back(slot_of_restore_point("web", name).value());
    std::sort(slots.begin(), slots.end());
    for (std::size_t i = 1; i < slots.size(); ++i) EXPECT_EQ(slots[i] - slots[i - 1], std::chrono::seconds(2h)) << collection;
  }
  EXPECT_NE(read_file(directory_ + "/daemon.log").find("succeeded"), std::string::npos);
}

}  // namespace
}  // namespace rpd
