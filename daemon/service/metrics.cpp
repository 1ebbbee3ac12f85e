#include "daemon/service/metrics.hpp"

namespace rpd::service {
namespace {

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const char* name, const std::string& labels, double value) {
  std::string number = std::to_string(value);
  // Integers without the trailing ".000000".
  if (const auto dot = number.find('.'); dot != std::string::npos && number.find_first_not_of('0', dot + 1) == std::string::npos) {
    number.erase(dot);
  }
  out += std::string(name) + (labels.empty() ? "" : "{" + labels + "}") + " " + number + "\n";
}

std::string vm_labels(const store::VmStatusRow& row) {
  return "policy=\"" + label_value(row.policy) + "\",vm=\"" + label_value(row.vm) + "\"";
}

}  // namespace

std::string label_value(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_metrics(const DaemonCounters& counters, const reconciler::ReconcilerStats& reconciler,
                           const azure::ArmClientStats& arm, const std::vector<store::VmStatusRow>& vms, Instant now) {
  std::string out;
  family(out, "restorepointd_actions_total", "counter", "Actions ended since the start, by policy, action and result.");
  for (const auto& [key, count] : counters.actions) {
    const auto& [policy, action, result] = key;
    sample(out, "restorepointd_actions_total",
           "policy=\"" + label_value(policy) + "\",action=\"" + label_value(action) + "\",result=\"" + result + "\"",
           static_cast<double>(count));
  }
  family(out, "restorepointd_actions_in_flight", "gauge", "Actions under way.");
  sample(out, "restorepointd_actions_in_flight", "", reconciler.in_flight);
  family(out, "restorepointd_arm_requests_total", "counter", "HTTP requests sent to Resource Manager, retries included.");
  sample(out, "restorepointd_arm_requests_total", "", static_cast<double>(arm.requests));
  family(out, "restorepointd_arm_retries_total", "counter", "Resource Manager requests sent again.");
  sample(out, "restorepointd_arm_retries_total", "", static_cast<double>(arm.retries));
  family(out, "restorepointd_arm_throttled_total", "counter", "Resource Manager answers 429 (each pauses the subscription).");
  sample(out, "restorepointd_arm_throttled_total", "", static_cast<double>(arm.throttled));
  family(out, "restorepointd_reloads_total", "counter", "SIGHUP reloads, by result.");
  sample(out, "restorepointd_reloads_total", "result=\"applied\"", static_cast<double>(counters.reloads_applied));
  sample(out, "restorepointd_reloads_total", "result=\"refused\"", static_cast<double>(counters.reloads_refused));
  family(out, "restorepointd_points_kept", "gauge", "Succeeded local restore points per policy and VM.");
  for (const auto& row : vms) sample(out, "restorepointd_points_kept", vm_labels(row), row.points_kept);
  family(out, "restorepointd_copies_in_flight", "gauge", "Cross-region copies not yet replicated to 100 %.");
  for (const auto& row : vms) sample(out, "restorepointd_copies_in_flight", vm_labels(row), row.copies_in_flight);
  family(out, "restorepointd_seconds_since_last_good_point", "gauge",
         "Seconds since the VM's newest succeeded restore point of the policy (absent before the first).");
  for (const auto& row : vms) {
    if (row.last_success_at) {
      sample(out, "restorepointd_seconds_since_last_good_point", vm_labels(row),
             static_cast<double>((now - *row.last_success_at).count()));
    }
  }
  return out;
}

}  // namespace rpd::service
