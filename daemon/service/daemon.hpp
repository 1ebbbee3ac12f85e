#pragma once
// `restorepointd run`: the daemon. It loads the configuration, opens the state database, connects to Azure
// as the settings say, and runs the reconciler's steps on one io_context until SIGTERM or SIGINT:
//
//   - SIGHUP reloads: the new configuration is checked in full and applied only when valid; otherwise every
//     error is logged and the running policies stay. (Settings other than the policies apply at restart.)
//   - SIGTERM, SIGINT: no new action starts; those under way get `stop_within` to finish; the database is
//     consistent at any moment, so what is still running is resumed at the next start. Exit 0.
//   - systemd hears READY=1 after the first pass, STATUS= after each, RELOADING=1 around a reload,
//     STOPPING=1, and WATCHDOG=1 when the unit sets WatchdogSec=.
//   - The log goes to stderr, one line per event (journald keeps it under systemd); never a token or secret.
//
// Exit codes: 0 after a stop by signal; 1 when the configuration, the database or the credential cannot be
// used at start (the reason is logged).

#include <chrono>
#include <string>

#include "config/configuration.hpp"

namespace rpd::service {

struct RunOptions {
  std::string config_path;
  LoadOptions load;
  std::string version = "0";
  double time_scale = 1;  // the demo's and the end-to-end tests' speed-up; 1 in production
  std::chrono::seconds stop_within{30};
};

int run_daemon(RunOptions options);

}  // namespace rpd::service
