#pragma once
// The daemon's metrics in the Prometheus text format (version 0.0.4), served at GET /metrics when
// metrics.listen is set. Rendering is pure: the counters, the client's and the reconciler's figures and the
// database's vm_status rows go in, the text comes out.

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/time.hpp"
#include "daemon/azure/arm_client.hpp"
#include "daemon/reconciler/reconciler.hpp"
#include "daemon/store/state_store.hpp"

namespace rpd::service {

struct DaemonCounters {
  // (policy, action, "succeeded" | "failed") -> count; actions as the job log names them.
  std::map<std::tuple<std::string, std::string, std::string>, long> actions;
  long reloads_applied = 0;
  long reloads_refused = 0;
};

std::string render_metrics(const DaemonCounters& counters, const reconciler::ReconcilerStats& reconciler,
                           const azure::ArmClientStats& arm, const std::vector<store::VmStatusRow>& vms, Instant now);

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string label_value(const std::string& text);

}  // namespace rpd::service
