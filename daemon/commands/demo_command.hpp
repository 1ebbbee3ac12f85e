#pragma once
// `restorepointd demo`: the whole lifecycle in about a minute, against the bundled Azure emulator, with no
// Azure account. It starts the emulator with the demo's fixture and this binary's `run` with the demo's
// policies, both at the same time scale (600: an hour of schedule every 6 s), in a fresh folder under /tmp;
// the daemon's log shows, live, points created on two VMs, Instant Access turned on and off by its window,
// a cross-region copy (its replication progress printed as it moves) and retention deleting with reasons.
// At the end it prints `restorepointd status`, stops both processes and removes the folder.
//
// Exit code 0 when the daemon ran and stopped cleanly; 1 with the reason otherwise.

#include <iosfwd>
#include <string>

namespace rpd {

struct DemoOptions {
  std::string emulator;       // the azure-emulator binary
  std::string demo_directory;  // config/examples/demo: emulator-fixture.yaml and policies.d/
  std::string restorepointd;   // this binary, for `run`
  int seconds = 60;            // how long the daemon runs, in real seconds
  double time_scale = 600;
};

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err);

}  // namespace rpd
