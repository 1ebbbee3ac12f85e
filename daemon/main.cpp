// restorepointd: one binary, one subcommand per task. This file only wires the command line to the
// commands in daemon/commands/; everything it calls is tested without it.

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "core/time.hpp"
#include "daemon/commands/calendar_command.hpp"
#include "daemon/commands/demo_command.hpp"
#include "daemon/commands/plan_command.hpp"
#include "daemon/commands/retention_command.hpp"
#include "daemon/commands/status_command.hpp"
#include "daemon/commands/validate_command.hpp"
#include "daemon/service/daemon.hpp"

namespace {

rpd::Instant now() { return std::chrono::floor<rpd::Seconds>(std::chrono::system_clock::now()); }

rpd::LoadOptions load_options() {
  rpd::LoadOptions options;
  options.now = now();
  if (const char* directory = std::getenv("CREDENTIALS_DIRECTORY")) options.credentials_directory = directory;
  return options;
}

void add_retention_rule_options(CLI::App& command, rpd::RetentionOptions& options) {
  auto& rules = options.rules;
  const auto count = CLI::Range(0, 10000);
  command.add_option("--keep-last", rules.keep_last, "keep the N newest points")->check(count);
  command.add_option("--keep-hourly", rules.keep_hourly, "keep the newest point of each of the last N hours")
      ->check(count);
  command.add_option("--keep-daily", rules.keep_daily, "keep the newest point of each of the last N days")
      ->check(count);
  command.add_option("--keep-weekly", rules.keep_weekly, "keep the newest point of each of the last N ISO weeks")
      ->check(count);
  command.add_option("--keep-monthly", rules.keep_monthly, "keep the newest point of each of the last N months")
      ->check(count);
  command.add_option("--keep-yearly", rules.keep_yearly, "keep the newest point of each of the last N years")
      ->check(count);
  command.add_option("--keep-within", options.keep_within, "keep every point this close to the newest (e.g. 48h)");
  command.add_option("--min-keep", rules.min_keep, "never keep fewer than N points")->check(count);
  command.add_option("--timezone", options.timezone, "IANA time zone of the calendar buckets")->capture_default_str();
}

// plan needs a valid configuration; its problems are printed as validate prints them.
int run_plan(const std::string& config_path, const rpd::PlanOptions& options) {
  const rpd::LoadResult loaded = rpd::load_configuration(config_path, load_options());
  if (!loaded.ok()) {
    for (const rpd::Diagnostic& diagnostic : loaded.diagnostics) std::cerr << diagnostic.format() << "\n";
    std::cerr << "restorepointd plan: " << config_path << " has errors; nothing to plan\n";
    return 1;
  }
  return rpd::run_plan(*loaded.configuration, options, now(), std::cout, std::cerr);
}

// status and jobs read the database the settings name, unless --database names one.
std::optional<std::string> database_path(const std::string& config_path, const std::string& database,
                                         const char* command) {
  if (!database.empty()) return database;
  const rpd::LoadResult loaded = rpd::load_configuration(config_path, load_options());
  if (!loaded.ok()) {
    for (const rpd::Diagnostic& diagnostic : loaded.diagnostics) std::cerr << diagnostic.format() << "\n";
    std::cerr << "restorepointd " << command << ": " << config_path
              << " has errors; name the database with --database PATH to read it anyway\n";
    return std::nullopt;
  }
  return loaded.configuration->settings.state.database;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"restorepointd: keeps Azure VM restore points as YAML policies say"};
  app.set_version_flag("--version", std::string("restorepointd ") + RESTOREPOINTD_VERSION);
  app.require_subcommand(1);

  std::string config_path = "/etc/restorepointd/restorepointd.yaml";
  app.add_option("--config", config_path, "daemon settings file")->capture_default_str();
  app.fallthrough();  // --config may also follow the subcommand

  auto* run = app.add_subcommand("run", "the daemon: keep the restore points as the policies say (systemd's ExecStart)");
  rpd::service::RunOptions run_options;
  // For the demo and the end-to-end tests only, with the emulator at the same scale: not for Azure.
  run->add_option("--time-scale", run_options.time_scale, "run the clock this many times faster")
      ->check(CLI::Range(1.0, 100000.0))
      ->group("");

  auto* validate = app.add_subcommand("validate", "check the settings and every policy; print every problem");
  rpd::ValidateOptions validate_options;
  validate->add_flag("--strict", validate_options.strict, "fail on warnings too");

  auto* plan = app.add_subcommand("plan", "simulate the next days offline: creates, copies, Instant Access, deletions");
  rpd::PlanOptions plan_options;
  plan->add_option("--days", plan_options.days, "how many days to simulate")->capture_default_str();
  plan->add_option("--policy", plan_options.policy, "only this policy");
  plan->add_option("--from", plan_options.from, "start at this ISO 8601 time (default: now)");
  plan->add_flag("--json", plan_options.json, "print JSON instead of text");

  auto* calendar = app.add_subcommand("calendar", "print the next times a schedule fires, in UTC");
  rpd::CalendarOptions calendar_options;
  calendar->add_option("EXPR", calendar_options.expression, "a cron expression, or 'every <duration>'")->required();
  calendar->add_option("--timezone", calendar_options.timezone, "IANA time zone the cron fields are read in")
      ->capture_default_str();
  calendar->add_option("--from", calendar_options.from, "start after this ISO 8601 time (default: now)");
  calendar->add_option("--count", calendar_options.count, "how many fire times")->capture_default_str();

  auto* retention =
      app.add_subcommand("retention", "read timestamps on stdin, print which ones a retention policy keeps and why");
  rpd::RetentionOptions retention_options;
  add_retention_rule_options(*retention, retention_options);

  auto* demo = app.add_subcommand("demo", "the whole lifecycle in about a minute against the bundled Azure emulator");
  rpd::DemoOptions demo_options;
  demo_options.emulator = "/usr/lib/restorepointd/azure-emulator";
  demo_options.demo_directory = "/usr/share/doc/restorepointd/examples/demo";
  demo->add_option("--emulator", demo_options.emulator, "the azure-emulator binary")->capture_default_str();
  demo->add_option("--demo-dir", demo_options.demo_directory, "the demo's fixture and policies")->capture_default_str();
  demo->add_option("--seconds", demo_options.seconds, "how long the daemon runs")->capture_default_str()->check(CLI::Range(5, 3600));

  std::string database;
  auto* status = app.add_subcommand("status", "per policy and VM: last good point, next run, points kept, copies, errors");
  rpd::StatusOptions status_options;
  status->add_flag("--json", status_options.json, "print JSON instead of text");
  status->add_option("--database", database, "read this state database instead of the settings' state.database");

  auto* jobs = app.add_subcommand("jobs", "the job log: every action with its outcome");
  rpd::JobsOptions jobs_options;
  jobs->add_flag("--failed", jobs_options.failed, "only failed jobs");
  jobs->add_option("--since", jobs_options.since, "only this far back (e.g. 24h)");
  jobs->add_option("--policy", jobs_options.policy, "only this policy");
  jobs->add_option("--limit", jobs_options.limit, "the newest N lines (0: all)")->capture_default_str()->check(CLI::Range(0, 1000000));
  jobs->add_flag("--json", jobs_options.json, "print JSON instead of text");
  jobs->add_option("--database", database, "read this state database instead of the settings' state.database");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; every usage error exits 2, as for most Unix tools.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (const auto problem = rpd::time_zone_database_problem()) {
    std::cerr << "restorepointd: " << *problem << '\n';
    return 1;
  }
  if (*run) {
    run_options.config_path = config_path;
    run_options.load = load_options();
    run_options.version = RESTOREPOINTD_VERSION;
    return rpd::service::run_daemon(run_options);
  }
  if (*validate) {
    validate_options.config_path = config_path;
    return rpd::run_validate(validate_options, load_options(), std::cout, std::cerr);
  }
  if (*plan) return run_plan(config_path, plan_options);
  if (*calendar) return rpd::run_calendar(calendar_options, now(), std::cout, std::cerr);
  if (*retention) return rpd::run_retention(retention_options, std::cin, std::cout, std::cerr);
  if (*demo) {
    std::error_code error;
    demo_options.restorepointd = std::filesystem::read_symlink("/proc/self/exe", error).string();
    if (error) demo_options.restorepointd = argv[0];
    return rpd::run_demo(demo_options, std::cout, std::cerr);
  }
  if (*status) {
    const auto path = database_path(config_path, database, "status");
    if (!path) return 1;
    status_options.database = *path;
    return rpd::run_status(status_options, std::cout, std::cerr);
  }
  if (*jobs) {
    const auto path = database_path(config_path, database, "jobs");
    if (!path) return 1;
    jobs_options.database = *path;
    return rpd::run_jobs(jobs_options, now(), std::cout, std::cerr);
  }
  return 1;
}
