#pragma once
// What a benchmark reads of a process from /proc: CPU time and resident memory.

#include <sys/types.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace rpd::bench {

// User plus system CPU time of a process (this one: "self"), in seconds.
inline double cpu_seconds(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string field;
  for (int i = 1; i <= 13 && stat >> field; ++i) {
  }
  long long user = 0, system = 0;
  stat >> user >> system;
  return static_cast<double>(user + system) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}
inline double cpu_seconds(pid_t pid) { return cpu_seconds(std::to_string(pid)); }

// This process's resident memory, in KiB.
inline long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace rpd::bench
