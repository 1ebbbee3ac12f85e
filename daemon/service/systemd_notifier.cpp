#include "daemon/service/systemd_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>

namespace rpd::service {

void SystemdNotifier::send(const std::string& state) {
  // A failure to notify is not the daemon's failure: systemd then acts on its own timeouts.
  (void)sd_notify(0, state.c_str());
}

void SystemdNotifier::ready(const std::string& status) { send("READY=1\nSTATUS=" + status); }
void SystemdNotifier::reloading() { send("RELOADING=1"); }
void SystemdNotifier::status(const std::string& status) { send("STATUS=" + status); }
void SystemdNotifier::stopping() { send("STOPPING=1"); }
void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::milliseconds> SystemdNotifier::watchdog_interval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(usec / 2000));
}

}  // namespace rpd::service
