#include "daemon/commands/plan_command.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "core/plan.hpp"

namespace rpd {
namespace {

using Row = std::vector<std::string>;

// Prints rows as columns two spaces apart, each as wide as its widest cell. A column empty in every row but the
// header is left out (no copies: no copies column), and trailing blanks are trimmed.
void print_table(std::ostream& out, const std::vector<Row>& rows, bool has_header) {
  if (rows.empty()) return;
  const std::size_t columns = rows.front().size();
  std::vector<std::size_t> widths(columns, 0);
  std::vector<bool> used(columns, false);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (std::size_t c = 0; c < columns; ++c) {
      widths[c] = std::max(widths[c], rows[r][c].size());
      if (!(has_header && r == 0) && !rows[r][c].empty()) used[c] = true;
    }
  }
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < columns; ++c) {
      if (!used[c]) continue;
      if (!line.empty()) line += "  ";
      line += row[c];
      line.append(widths[c] - row[c].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

std::string copies_text(const std::map<std::string, int>& copies) {
  std::string text;
  for (const auto& [region, count] : copies) {
    if (!text.empty()) text += ", ";
    text += region + " " + std::to_string(count);
  }
  return text;
}

std::string policy_names(const std::vector<Policy>& policies) {
  std::string names;
  for (const Policy& policy : policies) {
    if (!names.empty()) names += ", ";
    names += policy.name;
  }
  return names.empty() ? "none" : names;
}

void print_text(std::ostream& out, const Plan& plan, int days, const std::vector<Policy>& policies) {
  out << "Plan for " << days << (days == 1 ? " day" : " days") << " from " << format_utc(plan.from) << " to "
      << format_utc(plan.until) << ", policies: " << policy_names(policies) << "\n";

  out << "\nTimeline:\n";
  if (plan.events.empty()) out << "(nothing happens)\n";
  std::vector<Row> timeline;
  for (const PlanEvent& event : plan.events) {
    timeline.push_back({format_utc(event.at), to_string(event.kind), event.policy, event.vm_name, event.point_name,
                        event.region, event.reason});
  }
  print_table(out, timeline, false);

  out << "\nPeak points per VM:\n";
  if (plan.peaks.empty()) out << "(no VMs)\n";
  std::vector<Row> peaks{{"policy", "vm", "points", "at", "limit", "copies", ""}};
  for (const VmPeak& peak : plan.peaks) {
    peaks.push_back({peak.policy, peak.vm_name, std::to_string(peak.peak_points),
                     peak.peak_points > 0 ? format_utc(peak.peak_at) : "-", std::to_string(peak.limit),
                     copies_text(peak.peak_copies), peak.over_limit ? "OVER LIMIT" : ""});
  }
  if (!plan.peaks.empty()) print_table(out, peaks, true);

  out << "\nARM writes per day:\n";
  if (plan.arm_writes_per_day.empty()) out << "(none)\n";
  std::vector<Row> writes{{"subscription", "day", "writes"}};
  for (const auto& [subscription, per_day] : plan.arm_writes_per_day) {
    for (const auto& [day, count] : per_day) writes.push_back({subscription, day, std::to_string(count)});
  }
  if (!plan.arm_writes_per_day.empty()) print_table(out, writes, true);

  out << "\nNotes:\n";
  for (const std::string& note : plan.notes) out << "- " << note << "\n";
}

boost::json::value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return boost::json::string(text);
}

boost::json::object plan_to_json(const Plan& plan, int days) {
  boost::json::array events;
  for (const PlanEvent& event : plan.events) {
    events.push_back(boost::json::object{{"at", format_utc(event.at)},
                                         {"kind", to_string(event.kind)},
                                         {"policy", event.policy},
                                         {"vm", event.vm_name},
                                         {"point", text_or_null(event.point_name)},
                                         {"region", text_or_null(event.region)},
                                         {"reason", event.reason}});
  }
  boost::json::array peaks;
  for (const VmPeak& peak : plan.peaks) {
    boost::json::object copies;
    for (const auto& [region, count] : peak.peak_copies) copies[region] = count;
    peaks.push_back(boost::json::object{
        {"policy", peak.policy},
        {"vm", peak.vm_name},
        {"peak_points", peak.peak_points},
        {"peak_at", peak.peak_points > 0 ? boost::json::value(format_utc(peak.peak_at)) : boost::json::value(nullptr)},
        {"peak_copies", std::move(copies)},
        {"limit", peak.limit},
        {"over_limit", peak.over_limit}});
  }
  boost::json::object writes;
  for (const auto& [subscription, per_day] : plan.arm_writes_per_day) {
    boost::json::object days_of_subscription;
    for (const auto& [day, count] : per_day) days_of_subscription[day] = count;
    writes[subscription] = std::move(days_of_subscription);
  }
  boost::json::array notes;
  for (const std::string& note : plan.notes) notes.push_back(boost::json::string(note));

  return boost::json::object{
      {"from", format_utc(plan.from)}, {"until", format_utc(plan.until)}, {"days", days},
      {"events", std::move(events)},   {"peaks", std::move(peaks)},       {"arm_writes_per_day", std::move(writes)},
      {"notes", std::move(notes)}};
}

// "600 points" and/or "501 copies in westeurope": what exceeds the limit.
std::string over_limit_text(const VmPeak& peak) {
  std::string text;
  if (peak.peak_points > peak.limit) text = std::to_string(peak.peak_points) + " points";
  for (const auto& [region, count] : peak.peak_copies) {
    if (count <= peak.limit) continue;
    if (!text.empty()) text += ", ";
    text += std::to_string(count) + " copies in " + region;
  }
  return text;
}

}  // namespace

int run_plan(const Configuration& configuration, const PlanOptions& options, Instant now, std::ostream& out,
             std::ostream& err) {
  if (options.days < 1 || options.days > 366) {
    err << "restorepointd plan: --days: must be between 1 and 366, got " << options.days << "\n";
    return 1;
  }
  Instant from = now;
  if (options.from) {
    auto parsed = parse_timestamp(*options.from);
    if (!parsed) {
      err << "restorepointd plan: --from: " << parsed.error().message << "\n";
      return 1;
    }
    from = *parsed;
  }
  std::vector<Policy> selected;
  if (options.policy) {
    // Searched here rather than with Configuration::find_policy, which lives in the config library.
    const auto found = std::find_if(configuration.policies.begin(), configuration.policies.end(),
                                    [&](const Policy& policy) { return policy.name == *options.policy; });
    if (found == configuration.policies.end()) {
      err << "restorepointd plan: --policy: no policy named '" << *options.policy
          << "' (known: " << policy_names(configuration.policies) << ")\n";
      return 1;
    }
    selected.push_back(*found);
  } else {
    selected = configuration.policies;
  }

  const Plan plan = make_plan(selected, configuration.settings.azure.quotas, from, options.days);
  if (options.json) {
    out << boost::json::serialize(plan_to_json(plan, options.days)) << "\n";
  } else {
    print_text(out, plan, options.days, selected);
  }

  bool over_limit = false;
  for (const VmPeak& peak : plan.peaks) {
    if (!peak.over_limit) continue;
    over_limit = true;
    err << "restorepointd plan: " << peak.policy << ": " << peak.vm_name << " would hold " << over_limit_text(peak)
        << ", over Azure's limit of " << peak.limit << " per VM\n";
  }
  return over_limit ? 1 : 0;
}

}  // namespace rpd
