#include "daemon/commands/demo_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <ostream>
#include <vector>

#include "daemon/commands/status_command.hpp"
#include "daemon/store/state_store.hpp"

extern "C" char** environ;

namespace rpd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A child process: started with posix_spawn, stopped with SIGTERM (SIGKILL after 15 s) when it goes.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  // `output`: the child's stdout and stderr go there (a pipe's write end, or 1 for ours).
  bool start(std::vector<std::string> words, int output) {
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, output, 1);
    posix_spawn_file_actions_adddup2(&actions, output, 2);
    const int failed = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (failed != 0) pid_ = -1;
    return failed == 0;
  }

  // The exit code, 128 + the signal, or -1 when there was no process.
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      ::poll(nullptr, 0, 20);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

// Reads the emulator's "listening https://127.0.0.1:<port>" line (within 30 s).
std::optional<std::string> read_listening_url(int fd) {
  std::string text;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    char buffer[512];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return std::nullopt;
    text.append(buffer, static_cast<std::size_t>(n));
    const auto at = text.find("listening ");
    const auto end = at == std::string::npos ? std::string::npos : text.find('\n', at);
    if (end != std::string::npos) return text.substr(at + 10, end - at - 10);
  }
  return std::nullopt;
}

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path) << content;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

// The copies on their way, "web-20261204T2100Z in northeurope" -> percent, from the view people read.
std::map<std::string, int> copies_in_flight(const std::string& database) {
  std::map<std::string, int> copies;
  auto state = store::StateStore::open_read_only(database);
  if (!state) return copies;
  auto vms = state.value().all_vms();
  if (!vms) return copies;
  for (const store::VmRecord& vm : *vms) {
    auto points = state.value().points(vm.policy, vm.vm_id);
    if (!points) continue;
    for (const store::PointRecord& point : *points) {
      if (point.kind != store::PointKind::copy || point.state != store::PointState::succeeded) continue;
      copies[vm.vm_name + " " + point.name + " in " + point.region] = point.replication_percent.value_or(0);
    }
  }
  return copies;
}

}  // namespace

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err) {
  const fs::path demo = fs::absolute(options.demo_directory);
  if (!fs::exists(demo / "emulator-fixture.yaml") || !fs::is_directory(demo / "policies.d")) {
    err << "restorepointd demo: " << demo.string() << ": not the demo's folder (emulator-fixture.yaml, policies.d/)\n";
    return 1;
  }
  if (::access(options.emulator.c_str(), X_OK) != 0) {
    err << "restorepointd demo: " << options.emulator << ": the azure-emulator binary is not there (--emulator PATH)\n";
    return 1;
  }
  std::string pattern = (fs::temp_directory_path() / "restorepointd-demo-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    err << "restorepointd demo: cannot make a folder under " << fs::temp_directory_path().string() << "\n";
    return 1;
  }
  const fs::path work = pattern;
  const std::string scale = std::to_string(static_cast<int>(options.time_scale));

  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC) != 0) return 1;
  Child emulator;
  if (!emulator.start({options.emulator, "--fixture", (demo / "emulator-fixture.yaml").string(), "--listen", "127.0.0.1:0",
                       "--imds-listen", "127.0.0.1:0", "--state-dir", (work / "emulator").string(), "--time-scale", scale},
                      pipe_ends[1])) {
    err << "restorepointd demo: cannot start " << options.emulator << "\n";
    return 1;
  }
  ::close(pipe_ends[1]);
  const auto url = read_listening_url(pipe_ends[0]);
  if (!url) {
    err << "restorepointd demo: the emulator did not start\n";
    return 1;
  }

  write_file(work / "client-secret", "demo-secret-for-the-emulator-only\n");
  write_file(work / "restorepointd.yaml",
             "azure:\n"
             "  cloud: custom\n"
             "  endpoints:\n"
             "    resource_manager: " + *url + "\n"
             "    authority: " + *url + "\n"
             "  credential:\n"
             "    type: client_secret\n"
             "    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"
             "    client_id: 11111111-1111-4111-8111-111111111111\n"
             "    client_secret_file: " + (work / "client-secret").string() + "\n"
             "  ca_file: " + (work / "emulator" / "ca.pem").string() + "\n"
             "state:\n"
             "  database: " + (work / "state.db").string() + "\n"
             "policies: " + (demo / "policies.d").string() + "\n");

  out << "restorepointd demo: the Azure emulator at " << *url << " and the daemon, both " << scale
      << " times faster than the wall clock (an hour of schedule every " << 3600 / options.time_scale << " s).\n"
      << "Policies: " << (demo / "policies.d").string() << "\n"
      << "The daemon's log follows; copies on their way are shown as they progress.\n\n"
      << std::flush;

  Child daemon;
  if (!daemon.start({options.restorepointd, "--config", (work / "restorepointd.yaml").string(), "run", "--time-scale", scale}, 1)) {
    err << "restorepointd demo: cannot start " << options.restorepointd << " run\n";
    return 1;
  }
  std::map<std::string, int> shown;
  const auto until = Clock::now() + std::chrono::seconds(options.seconds);
  while (Clock::now() < until) {
    ::poll(nullptr, 0, 500);
    for (const auto& [copy, percent] : copies_in_flight((work / "state.db").string())) {
      const auto before = shown.find(copy);
      if (before != shown.end() && before->second == percent) continue;
      out << "    copy of " << copy << ": " << percent << " % replicated\n" << std::flush;
      shown[copy] = percent;
    }
  }
  const int stopped = daemon.stop();
  out << "\n$ restorepointd status\n";
  run_status({(work / "state.db").string(), false}, out, err);
  emulator.stop();
  ::close(pipe_ends[0]);
  std::error_code ignored;
  fs::remove_all(work, ignored);
  if (stopped != 0) {
    err << "restorepointd demo: the daemon ended with " << stopped << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rpd
