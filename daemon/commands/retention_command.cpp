#include "daemon/commands/retention_command.hpp"

#include <algorithm>
#include <istream>
#include <numeric>
#include <ostream>
#include <vector>

#include "core/duration.hpp"

namespace rpd {
namespace {

bool is_blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

int run_retention(const RetentionOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  RetentionRules rules = options.rules;
  if (options.keep_within) {
    auto within = parse_duration(*options.keep_within);
    if (!within) {
      err << "restorepointd retention: --keep-within: " << within.error().message << "\n";
      return 1;
    }
    rules.keep_within = *within;
  }
  auto zone = find_time_zone(options.timezone);
  if (!zone) {
    err << "restorepointd retention: --timezone: " << zone.error().message << "\n";
    return 1;
  }

  std::vector<RetentionPoint> points;
  bool input_ok = true;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (is_blank(line)) continue;
    auto time = parse_timestamp(line);
    if (!time) {
      err << "restorepointd retention: line " << number << ": " << time.error().message << "\n";
      input_ok = false;
      continue;
    }
    points.push_back(RetentionPoint{*time, true, false});
  }
  if (!input_ok) return 1;

  const auto decisions = apply_retention(points, rules, *zone);

  // Newest first; equal times keep their input order.
  std::vector<std::size_t> order(points.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return points[a].time > points[b].time; });
  for (const std::size_t i : order) {
    out << format_utc(points[i].time);
    if (decisions[i].keep) {
      out << " keep " << describe(decisions[i].reasons) << "\n";
    } else {
      out << " prune\n";
    }
  }
  return 0;
}

}  // namespace rpd
