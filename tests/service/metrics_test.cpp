// The metrics text, word for word, and the listen address.

#include "daemon/service/metrics.hpp"

#include <gtest/gtest.h>

#include "daemon/service/metrics_server.hpp"

namespace rpd::service {
namespace {

TEST(Metrics, ThePrometheusText) {
  DaemonCounters counters;
  counters.actions[{"sql", "create", "succeeded"}] = 3;
  counters.actions[{"sql", "delete", "failed"}] = 1;
  counters.reloads_applied = 2;
  reconciler::ReconcilerStats reconciler;
  reconciler.in_flight = 4;
  azure::ArmClientStats arm;
  arm.requests = 120;
  arm.retries = 7;
  arm.throttled = 2;
  store::VmStatusRow row;
  row.policy = "sql";
  row.vm = "sql01";
  row.points_kept = 5;
  row.copies_in_flight = 1;
  row.last_success_at = parse_timestamp("2026-12-04T08:00:00Z").value();
  store::VmStatusRow fresh;
  fresh.policy = "web \"x\"";
  fresh.vm = "web01";
  EXPECT_EQ(render_metrics(counters, reconciler, arm, {row, fresh}, parse_timestamp("2026-12-04T09:00:00Z").value()),
            "# HELP restorepointd_actions_total Actions ended since the start, by policy, action and result.\n"
            "# TYPE restorepointd_actions_total counter\n"
            "restorepointd_actions_total{policy=\"sql\",action=\"create\",result=\"succeeded\"} 3\n"
            "restorepointd_actions_total{policy=\"sql\",action=\"delete\",result=\"failed\"} 1\n"
            "# HELP restorepointd_actions_in_flight Actions under way.\n"
            "# TYPE restorepointd_actions_in_flight gauge\n"
            "restorepointd_actions_in_flight 4\n"
            "# HELP restorepointd_arm_requests_total HTTP requests sent to Resource Manager, retries included.\n"
            "# TYPE restorepointd_arm_requests_total counter\n"
            "restorepointd_arm_requests_total 120\n"
            "# HELP restorepointd_arm_retries_total Resource Manager requests sent again.\n"
            "# TYPE restorepointd_arm_retries_total counter\n"
            "restorepointd_arm_retries_total 7\n"
            "# HELP restorepointd_arm_throttled_total Resource Manager answers 429 (each pauses the subscription).\n"
            "# TYPE restorepointd_arm_throttled_total counter\n"
            "restorepointd_arm_throttled_total 2\n"
            "# HELP restorepointd_reloads_total SIGHUP reloads, by result.\n"
            "# TYPE restorepointd_reloads_total counter\n"
            "restorepointd_reloads_total{result=\"applied\"} 2\n"
            "restorepointd_reloads_total{result=\"refused\"} 0\n"
            "# HELP restorepointd_points_kept Succeeded local restore points per policy and VM.\n"
            "# TYPE restorepointd_points_kept gauge\n"
            "restorepointd_points_kept{policy=\"sql\",vm=\"sql01\"} 5\n"
            "restorepointd_points_kept{policy=\"web \\\"x\\\"\",vm=\"web01\"} 0\n"
            "# HELP restorepointd_copies_in_flight Cross-region copies not yet replicated to 100 %.\n"
            "# TYPE restorepointd_copies_in_flight gauge\n"
            "restorepointd_copies_in_flight{policy=\"sql\",vm=\"sql01\"} 1\n"
            "restorepointd_copies_in_flight{policy=\"web \\\"x\\\"\",vm=\"web01\"} 0\n"
            "# HELP restorepointd_seconds_since_last_good_point Seconds since the VM's newest succeeded restore point of the policy (absent before the first).\n"
            "# TYPE restorepointd_seconds_since_last_good_point gauge\n"
            "restorepointd_seconds_since_last_good_point{policy=\"sql\",vm=\"sql01\"} 3600\n");
}

TEST(MetricsListen, AnIpAddressAndAPort) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:9465")->port(), 9465);
  EXPECT_TRUE(parse_listen_address("[::1]:9465")->address().is_v6());
  EXPECT_EQ(parse_listen_address("localhost:9465").error().message,
            "metrics.listen: 'localhost' is not an IP address (names are not resolved to listen on)");
  EXPECT_EQ(parse_listen_address("127.0.0.1:99999").error().message, "metrics.listen: bad port '99999'");
  EXPECT_EQ(parse_listen_address("127.0.0.1").error().message, "metrics.listen: expected host:port, got '127.0.0.1'");
}

}  // namespace
}  // namespace rpd::service
