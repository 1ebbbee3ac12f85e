#include "daemon/service/daemon.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>

#include "daemon/azure/azure_connection.hpp"
#include "daemon/reconciler/reconciler.hpp"
#include "daemon/service/journal.hpp"
#include "daemon/service/metrics.hpp"
#include "daemon/service/metrics_server.hpp"
#include "daemon/service/scaled_clock.hpp"
#include "daemon/service/systemd_notifier.hpp"
#include "daemon/store/state_store.hpp"

namespace rpd::service {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// Without an event, the loop still looks around this often (a reload, a wall clock that jumped).
constexpr milliseconds longest_sleep{60'000};

// Everything the loop and the signal handler share; it outlives both (run_daemon owns it).
struct Daemon {
  asio::io_context& io;
  ScaledClock& clock;
  reconciler::Reconciler& reconciler;
  azure::HttpClient& http;
  store::StateStore& state;
  SystemdNotifier notifier;
  RunOptions options;
  std::shared_ptr<const Configuration> configuration;
  asio::steady_timer wake;
  bool stopping = false;
  bool reload_requested = false;
  std::optional<Instant> trimmed_at;
  DaemonCounters counters;
  std::optional<asio::ip::tcp::acceptor> metrics;
};

// The job log keeps state.keep_job_log; trimmed once an hour.
void trim_job_log(Daemon& daemon) {
  const Instant now = std::chrono::floor<std::chrono::seconds>(daemon.clock.now());
  if (daemon.trimmed_at && now < *daemon.trimmed_at + std::chrono::hours(1)) return;
  daemon.trimmed_at = now;
  const auto trimmed = daemon.state.trim_job_log(now - daemon.configuration->settings.state.keep_job_log);
  if (!trimmed) spdlog::warn("{}", trimmed.error().message);
  else if (*trimmed > 0) spdlog::info("job log: {} lines older than {} removed", *trimmed, format_utc(now - daemon.configuration->settings.state.keep_job_log));
}

std::string summary(const Daemon& daemon) {
  const auto& stats = daemon.reconciler.stats();
  return std::to_string(daemon.configuration->policies.size()) + " policies, " + std::to_string(stats.in_flight) +
         " actions in flight, " + std::to_string(stats.actions_succeeded) + " done and " +
         std::to_string(stats.actions_failed) + " failed since start";
}

void log_diagnostics(const LoadResult& loaded) {
  for (const Diagnostic& diagnostic : loaded.diagnostics) {
    if (diagnostic.severity == Diagnostic::Severity::error) spdlog::error("{}", diagnostic.format());
    else spdlog::warn("{}", diagnostic.format());
  }
}

void reload(Daemon& daemon) {
  daemon.reload_requested = false;
  daemon.notifier.reloading();
  LoadOptions load = daemon.options.load;
  load.now = std::chrono::floor<std::chrono::seconds>(daemon.clock.now());
  const LoadResult loaded = load_configuration(daemon.options.config_path, load);
  log_diagnostics(loaded);
  if (!loaded.ok()) {
    spdlog::error("reload: {} has {} errors: keeping the running configuration", daemon.options.config_path,
                  loaded.error_count());
    ++daemon.counters.reloads_refused;
  } else if (loaded.configuration->content_hash == daemon.configuration->content_hash) {
    spdlog::info("reload: nothing changed");
  } else {
    daemon.configuration = loaded.configuration;
    daemon.reconciler.set_policies(daemon.configuration->policies);
    spdlog::info("reload: {} policies applied", daemon.configuration->policies.size());
    ++daemon.counters.reloads_applied;
  }
  daemon.notifier.ready(summary(daemon));
}

void on_signal(Daemon* daemon, asio::signal_set* signals, const boost::system::error_code& error, int number) {
  if (error) return;
  if (number == SIGHUP) {
    daemon->reload_requested = true;
  } else {
    spdlog::info("signal {}: stopping; no new actions, those under way may take {} s", number,
                 daemon->options.stop_within.count());
    daemon->stopping = true;
    daemon->reconciler.stop_starting();
  }
  daemon->wake.cancel();
  signals->async_wait([daemon, signals](const boost::system::error_code& e, int n) { on_signal(daemon, signals, e, n); });
}

asio::awaitable<void> sleep_until_woken(Daemon* daemon, milliseconds at_most) {
  daemon->wake.expires_after(at_most);
  boost::system::error_code cancelled;
  co_await daemon->wake.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
}

// WATCHDOG=1 from a timer of its own, every half of WatchdogSec: it shows that the event loop runs. A step
// may rightly wait minutes for Azure (a 429 pause, a slow long-running operation), which is not a hang.
asio::awaitable<void> watchdog_loop(Daemon* daemon, milliseconds every) {
  asio::steady_timer timer(daemon->io);
  while (true) {
    daemon->notifier.watchdog();
    timer.expires_after(every);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

asio::awaitable<void> daemon_loop(Daemon* daemon) {
  bool ready = false;
  while (!daemon->stopping) {
    if (daemon->reload_requested) reload(*daemon);
    const Instant next = co_await daemon->reconciler.step();
    trim_job_log(*daemon);
    for (const std::string& note : daemon->reconciler.take_new_notes()) spdlog::warn("{}", note);
    if (!ready) {
      daemon->notifier.ready(summary(*daemon));
      spdlog::info("ready: {}", summary(*daemon));
      ready = true;
    } else {
      daemon->notifier.status(summary(*daemon));
    }
    if (daemon->stopping || daemon->reload_requested) continue;
    const milliseconds sleep = std::min(daemon->clock.real_time_until(std::chrono::system_clock::time_point(next)), longest_sleep);
    co_await sleep_until_woken(daemon, sleep);
  }

  daemon->notifier.stopping();
  const auto deadline = std::chrono::steady_clock::now() + daemon->options.stop_within;
  while (daemon->reconciler.stats().in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await sleep_until_woken(daemon, std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now()));
  }
  if (const int left = daemon->reconciler.stats().in_flight; left > 0) {
    spdlog::warn("stopping with {} actions under way: they are resumed at the next start", left);
  }
  daemon->http.close_idle();
  if (daemon->metrics) {
    boost::system::error_code ignored;
    daemon->metrics->close(ignored);
  }
  spdlog::info("stopped: {}", summary(*daemon));
  daemon->io.stop();
}

}  // namespace

int run_daemon(RunOptions options) {
  set_up_logging(spdlog::level::info);
  const azure::ConnectionEnvironment environment = azure::process_environment();
  ScaledClock clock(options.time_scale);
  options.load.now = std::chrono::floor<std::chrono::seconds>(clock.now());
  const LoadResult loaded = load_configuration(options.config_path, options.load);
  log_diagnostics(loaded);
  if (!loaded.ok()) {
    spdlog::error("{} has {} errors: not starting", options.config_path, loaded.error_count());
    return 1;
  }
  const Settings& settings = loaded.configuration->settings;
  spdlog::default_logger()->set_level(spdlog::level::from_str(settings.log.level));
  if (options.time_scale != 1) spdlog::warn("time runs {} times faster than the wall clock (--time-scale)", options.time_scale);

  auto state = store::StateStore::open(settings.state.database);
  if (!state) {
    spdlog::error("{}", state.error().message);
    return 1;
  }
  asio::io_context io;
  auto connection = azure::connect_to_azure(io.get_executor(), settings, clock, options.version, environment);
  if (!connection) {
    spdlog::error("azure: {}", connection.error().message);
    return 1;
  }
  spdlog::info("restorepointd {} starting: {} policies, database {}, credential {}", options.version,
               loaded.configuration->policies.size(), settings.state.database, connection->credential->describe());

  azure::ComputeClient compute(*connection->arm);
  reconciler::ReconcilerOptions reconciler_options;
  reconciler_options.max_in_flight = settings.limits.max_in_flight;
  reconciler_options.creates_per_vm_per_hour = settings.azure.quotas.creates_per_vm_per_hour;
  reconciler_options.instant_access_in_flight = settings.azure.quotas.instant_access_in_flight;
  reconciler::Reconciler reconciler(compute, state.value(), clock, reconciler_options);
  reconciler.set_policies(loaded.configuration->policies);

  Daemon daemon{io,      clock, reconciler, *connection->http, state.value(), {}, options, loaded.configuration,
                asio::steady_timer(io), false, false, std::nullopt, {}, std::nullopt};
  reconciler.on_action_ended = [&daemon](const reconciler::EndedAction& ended) {
    const Action& action = ended.action;
    const std::string what = std::string(to_string(action.kind)) + (action.point_name.empty() ? "" : " " + action.point_name) +
                             (action.region.empty() ? "" : (action.kind == ActionKind::delete_copy ? " in " : " to ") + action.region);
    ++daemon.counters.actions[{ended.policy, std::string(to_string(action.kind)), ended.succeeded ? "succeeded" : "failed"}];
    const LogContext context{ended.policy, ended.vm_name, ended.job};
    if (ended.succeeded) log_action(spdlog::level::info, context, what + " succeeded (" + action.reason + ")");
    else log_action(spdlog::level::warn, context, what + " failed: " + ended.message);
    daemon.wake.cancel();
  };
  std::function<std::string()> render = [&daemon, &connection, &state, &clock] {
    auto rows = state.value().vm_status();
    return render_metrics(daemon.counters, daemon.reconciler.stats(), connection->arm->stats(),
                          rows ? std::move(rows).value() : std::vector<store::VmStatusRow>{},
                          std::chrono::floor<std::chrono::seconds>(clock.now()));
  };
  if (settings.metrics.listen) {
    const auto endpoint = parse_listen_address(*settings.metrics.listen);
    if (!endpoint) {
      spdlog::error("{}", endpoint.error().message);
      return 1;
    }
    boost::system::error_code error;
    daemon.metrics.emplace(io);
    daemon.metrics->open(endpoint->protocol(), error);
    if (!error) daemon.metrics->set_option(asio::socket_base::reuse_address(true), error);
    if (!error) daemon.metrics->bind(*endpoint, error);
    if (!error) daemon.metrics->listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      spdlog::error("metrics.listen {}: {}", *settings.metrics.listen, error.message());
      return 1;
    }
    spdlog::info("metrics at http://{}/metrics", *settings.metrics.listen);
    asio::co_spawn(io, serve_metrics(*daemon.metrics, render), asio::detached);
  }
  asio::signal_set signals(io, SIGHUP, SIGTERM, SIGINT);
  signals.async_wait([&daemon, &signals](const boost::system::error_code& e, int n) { on_signal(&daemon, &signals, e, n); });
  if (const auto watchdog = daemon.notifier.watchdog_interval()) asio::co_spawn(io, watchdog_loop(&daemon, *watchdog), asio::detached);
  asio::co_spawn(io, daemon_loop(&daemon), asio::detached);
  io.run();
  return 0;
}

}  // namespace rpd::service
