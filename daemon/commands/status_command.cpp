#include "daemon/commands/status_command.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ostream>
#include <vector>

#include "core/duration.hpp"
#include "daemon/store/state_store.hpp"

namespace rpd {
namespace {

namespace json = boost::json;
using Row = std::vector<std::string>;

std::string or_dash(const std::optional<std::string>& text) { return text && !text->empty() ? *text : "-"; }
std::string time_or_dash(const std::optional<Instant>& t) { return t ? format_utc(*t) : "-"; }
json::value text_or_null(const std::optional<std::string>& text) {
  return text ? json::value(json::string(*text)) : json::value(nullptr);
}
json::value time_or_null(const std::optional<Instant>& t) {
  return t ? json::value(json::string(format_utc(*t))) : json::value(nullptr);
}

// Columns padded to their widest cell; the last column is not padded.
void print_table(std::ostream& out, const std::vector<Row>& rows) {
  std::vector<std::size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

}  // namespace

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  auto state = store::StateStore::open_read_only(options.database);
  if (!state) {
    err << "restorepointd status: " << state.error().message << "\n";
    return 1;
  }
  const auto rows = state.value().vm_status();
  if (!rows) {
    err << "restorepointd status: " << rows.error().message << "\n";
    return 1;
  }
  if (options.json) {
    json::array array;
    for (const store::VmStatusRow& row : *rows) {
      array.push_back(json::object{
          {"policy", row.policy},
          {"vm", row.vm},
          {"last_success_at", time_or_null(row.last_success_at)},
          {"last_restore_point", text_or_null(row.last_restore_point)},
          {"next_run_at", time_or_null(row.next_run_at)},
          {"points_kept", row.points_kept},
          {"copies_in_flight", row.copies_in_flight},
          {"instant_access", row.instant_access ? json::value(*row.instant_access ? "on" : "off") : json::value(nullptr)},
          {"last_error", text_or_null(row.last_error)},
          {"vm_id", row.vm_id},
      });
    }
    out << json::serialize(array) << "\n";
    return 0;
  }
  if (rows->empty()) {
    out << "no VMs yet: the daemon has not taken an inventory (" << options.database << ")\n";
    return 0;
  }
  std::vector<Row> table{{"POLICY", "VM", "LAST GOOD POINT", "AT", "NEXT RUN", "KEPT", "COPYING", "INSTANT ACCESS", "LAST ERROR"}};
  for (const store::VmStatusRow& row : *rows) {
    table.push_back({row.policy, row.vm, or_dash(row.last_restore_point), time_or_dash(row.last_success_at),
                     time_or_dash(row.next_run_at), std::to_string(row.points_kept), std::to_string(row.copies_in_flight),
                     row.instant_access ? (*row.instant_access ? "on" : "off") : "-", or_dash(row.last_error)});
  }
  print_table(out, table);
  return 0;
}

int run_jobs(const JobsOptions& options, Instant now, std::ostream& out, std::ostream& err) {
  store::JobLogFilter filter;
  filter.policy = options.policy;
  filter.failed_only = options.failed;
  filter.limit = options.limit;
  if (options.since) {
    const auto back = parse_duration(*options.since);
    if (!back) {
      err << "restorepointd jobs: --since: " << back.error().message << "\n";
      return 1;
    }
    filter.since = now - *back;
  }
  auto state = store::StateStore::open_read_only(options.database);
  if (!state) {
    err << "restorepointd jobs: " << state.error().message << "\n";
    return 1;
  }
  const auto rows = state.value().job_log(filter);
  if (!rows) {
    err << "restorepointd jobs: " << rows.error().message << "\n";
    return 1;
  }
  if (options.json) {
    json::array array;
    for (const store::JobLogRow& row : *rows) {
      json::object line{{"time", format_utc(row.time)},
                        {"job", row.job},
                        {"policy", row.policy},
                        {"vm", row.vm},
                        {"action", row.action},
                        {"state", std::string(store::to_string(row.state))},
                        {"attempt", row.attempt},
                        {"http_status", row.http_status ? json::value(*row.http_status) : json::value(nullptr)},
                        {"error_code", text_or_null(row.error_code)},
                        {"message", row.message},
                        {"request_id", text_or_null(row.request_id)}};
      array.push_back(std::move(line));
    }
    out << json::serialize(array) << "\n";
    return 0;
  }
  std::vector<Row> table{{"TIME", "JOB", "POLICY", "VM", "ACTION", "STATE", "TRY", "HTTP", "MESSAGE"}};
  for (const store::JobLogRow& row : *rows) {
    table.push_back({format_utc(row.time), std::to_string(row.job), row.policy, row.vm, row.action,
                     std::string(store::to_string(row.state)), std::to_string(row.attempt),
                     row.http_status ? std::to_string(*row.http_status) : "-", row.message});
  }
  print_table(out, table);
  return 0;
}

}  // namespace rpd
