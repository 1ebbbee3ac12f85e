#pragma once
// Telling systemd how the daemon is (sd_notify(3)): READY=1 once the database is open and the first pass is
// planned, STATUS= a one-line summary, RELOADING=1 and READY=1 around a reload, STOPPING=1, and WATCHDOG=1
// from the loop when the unit sets WatchdogSec=. Outside systemd (no NOTIFY_SOCKET) every call does nothing.

#include <chrono>
#include <optional>
#include <string>

namespace rpd::service {

class SystemdNotifier {
 public:
  void ready(const std::string& status);
  void reloading();
  void status(const std::string& status);
  void stopping();
  void watchdog();
  // Half the unit's WatchdogSec= (how often to ping), or nullopt when the watchdog is off.
  std::optional<std::chrono::milliseconds> watchdog_interval() const;

 private:
  void send(const std::string& state);
};

}  // namespace rpd::service
