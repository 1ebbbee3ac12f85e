#include "config/policy_reader.hpp"

#include <cctype>

#include "config/keys.hpp"
#include "core/duration.hpp"
#include "core/limits.hpp"

namespace rpd {
namespace {

using namespace std::chrono_literals;

constexpr long long max_count = 10000;

bool is_name_character(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; }

// Reads one mapping of the policy; each method reads one key and its checks, and records any error in
// `diagnostics` (the caller looks at the error count once the whole document has been read).
class PolicyReader {
 public:
  PolicyReader(const Settings& settings, const LoadOptions& options, Diagnostics& diagnostics)
      : settings_(settings), options_(options), diagnostics_(diagnostics) {}

  std::optional<PolicyDocument> read(const YAML::Node& document) {
    const std::size_t errors_before = diagnostics_.error_count();
    MappingReader top(document, "", "", policy_key_paths(), diagnostics_);
    if (!top.is_mapping()) return std::nullopt;

    PolicyDocument out;
    out.file = diagnostics_.file();
    out.line_offset = diagnostics_.line_offset();
    out.policy.origin = diagnostics_.file() + ":" + std::to_string(document.Mark().line + 1 + out.line_offset) + ":" +
                        std::to_string(document.Mark().column + 1);
    read_name(top, out);
    read_targets(top, out);
    const bool schedule_ok = read_schedule(top, out.policy.schedule);
    read_restore_point(top, out.policy.restore_point);
    read_collection(top, out);
    read_instant_access(top, out.policy);
    if (auto field = top.require("retention")) read_retention(*field, "retention", out.policy.retention, true);
    read_copies(top, out.policy);
    if (auto field = top.get("safety")) {
      MappingReader safety(field->value, "safety", "safety", policy_key_paths(), diagnostics_);
      if (auto f = safety.get("max_deletes_per_run")) {
        if (auto n = read_integer(*f, 0, max_count, diagnostics_)) out.policy.safety.max_deletes_per_run = int(*n);
      }
    }
    if (schedule_ok) check_against_azure(top, out);
    if (diagnostics_.error_count() != errors_before) return std::nullopt;
    return out;
  }

 private:
  void read_name(const MappingReader& top, PolicyDocument& out) {
    auto field = top.require("name");
    if (!field) return;
    auto name = read_string(*field, diagnostics_);
    if (!name) return;
    out.name_mark = field->mark();
    if (name->empty() || name->size() > 63 || !std::isalnum(static_cast<unsigned char>(name->front())) ||
        !std::all_of(name->begin(), name->end(), is_name_character)) {
      diagnostics_.error(field->mark(), "name",
                         "'" + *name +
                             "' is not a valid policy name: 1 to 63 letters, digits, '-' or '_', starting with a "
                             "letter or digit");
      return;
    }
    out.policy.name = *name;
  }

  void read_targets(const MappingReader& top, PolicyDocument& out) {
    auto field = top.require("targets");
    if (!field) return;
    MappingReader targets(field->value, "targets", "targets", policy_key_paths(), diagnostics_);
    if (!targets.is_mapping()) return;
    const std::size_t errors_before = diagnostics_.error_count();
    Targets& model = out.policy.targets;
    if (auto vms = targets.get("vms")) {
      for (const Field& item : read_list(*vms, diagnostics_).value_or(std::vector<Field>{})) {
        auto text = read_string(item, diagnostics_);
        if (!text) continue;
        auto id = parse_vm_id(*text);
        if (!id) {
          diagnostics_.error(item.mark(), item.path, id.error().message);
          continue;
        }
        model.vms.push_back(*id);
        out.vm_marks.push_back(item.mark());
      }
    }
    if (auto groups = targets.get("resource_groups")) {
      for (const Field& item : read_list(*groups, diagnostics_).value_or(std::vector<Field>{})) {
        read_resource_group_target(item, model);
      }
    }
    if (model.vms.empty() && model.resource_groups.empty() && diagnostics_.error_count() == errors_before) {
      diagnostics_.error(field->mark(), "targets", "names no VM and no resource group: add targets.vms or "
                                                   "targets.resource_groups");
    }
  }

  void read_resource_group_target(const Field& item, Targets& model) {
    MappingReader group(item.value, item.path, "targets.resource_groups[]", policy_key_paths(), diagnostics_);
    if (!group.is_mapping()) return;
    ResourceGroupTarget target;
    auto id_field = group.require("id");
    if (!id_field) return;
    auto text = read_string(*id_field, diagnostics_);
    if (!text) return;
    auto id = parse_resource_group_id(*text);
    if (!id) {
      diagnostics_.error(id_field->mark(), id_field->path, id.error().message);
      return;
    }
    target.group = *id;
    if (auto tags = group.get("tags")) {
      if (!tags->value.IsMap()) {
        diagnostics_.error(tags->mark(), tags->path, "expected a mapping of tag names to values, got " +
                                                         describe_node(tags->value));
        return;
      }
      for (const auto& entry : tags->value) {
        const Field tag{entry.first, entry.second, tags->path + "." + entry.first.Scalar()};
        auto value = read_string(tag, diagnostics_);
        if (value) target.tags[entry.first.Scalar()] = *value;
      }
    }
    model.resource_groups.push_back(std::move(target));
  }

  bool read_schedule(const MappingReader& top, SchedulePolicy& model) {
    auto field = top.require("schedule");
    if (!field) return false;
    MappingReader schedule(field->value, "schedule", "schedule", policy_key_paths(), diagnostics_);
    if (!schedule.is_mapping()) return false;
    const std::size_t errors_before = diagnostics_.error_count();

    TimeZone zone = utc_zone();
    if (auto f = schedule.get("timezone")) {
      if (auto name = read_string(*f, diagnostics_)) {
        auto found = find_time_zone(*name);
        if (found) {
          zone = *found;
          model.timezone = *name;
        } else {
          diagnostics_.error(f->mark(), f->path, found.error().message);
        }
      }
    }
    auto cron = schedule.get("cron");
    auto every = schedule.get("every");
    auto anchor = schedule.get("anchor");
    if (cron && every) {
      diagnostics_.error(every->key.Mark(), "schedule", "has both cron and every; keep one");
    } else if (!cron && !every) {
      diagnostics_.error(schedule.mark(), "schedule", "needs cron or every");
    } else if (cron) {
      if (anchor) diagnostics_.error(anchor->key.Mark(), anchor->path, "only goes with every, not with cron");
      if (auto text = read_string(*cron, diagnostics_)) {
        auto expr = CronExpr::parse(*text);
        if (expr) {
          model.schedule = Schedule::cron(std::move(*expr), zone);
        } else {
          diagnostics_.error(cron->mark(), cron->path, "invalid cron expression '" + *text + "': " + expr.error().message);
        }
      }
    } else {
      auto period = read_duration(*every, 1min, 52 * 7 * 24h, diagnostics_);
      Instant start{};
      if (anchor) start = read_timestamp(*anchor, diagnostics_).value_or(Instant{});
      if (period) model.schedule = Schedule::every(*period, start).value();
    }
    if (auto f = schedule.get("jitter")) model.jitter = read_duration(*f, 0s, 52 * 7 * 24h, diagnostics_).value_or(0s);
    if (auto f = schedule.get("catch_up")) {
      if (auto choice = read_choice(*f, {"latest", "none"}, diagnostics_)) {
        model.catch_up = *choice == 0 ? CatchUp::latest : CatchUp::none;
      }
    }
    if (diagnostics_.error_count() != errors_before) return false;

    model.shortest_gap = shortest_gap(sample_fire_times(model.schedule, options_.now));
    if (auto f = schedule.get("jitter"); f && model.jitter >= model.shortest_gap) {
      diagnostics_.error(f->mark(), f->path,
                         format_duration(model.jitter) + " must be shorter than the schedule's period (" +
                             format_duration(model.shortest_gap) + ")");
    }
    return true;
  }

  void read_restore_point(const MappingReader& top, RestorePointSpec& model) {
    auto field = top.get("restore_point");
    if (!field) return;
    MappingReader spec(field->value, "restore_point", "restore_point", policy_key_paths(), diagnostics_);
    if (auto f = spec.get("consistency")) {
      if (auto choice = read_choice(*f, {"application", "filesystem", "crash"}, diagnostics_)) {
        model.consistency = static_cast<Consistency>(*choice);
      }
    }
    if (auto f = spec.get("exclude_disks")) {
      for (const Field& item : read_list(*f, diagnostics_).value_or(std::vector<Field>{})) {
        if (auto disk = read_disk_selector(item)) model.exclude_disks.push_back(*disk);
      }
    }
  }

  std::optional<DiskSelector> read_disk_selector(const Field& item) {
    auto text = read_string(item, diagnostics_);
    if (!text) return std::nullopt;
    if (text->starts_with("/")) {
      auto id = parse_disk_id(*text);
      if (!id) {
        diagnostics_.error(item.mark(), item.path, id.error().message);
        return std::nullopt;
      }
      return DiskSelector{DiskSelector::Kind::id, *text};
    }
    if (text->starts_with("lun:")) {
      const std::string digits = text->substr(4);
      const bool numeric = !digits.empty() && digits.size() <= 2 &&
                           std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(c) != 0; });
      if (!numeric || std::stoi(digits) > 63) {
        diagnostics_.error(item.mark(), item.path, "'" + *text + "': a LUN is lun:N with N from 0 to 63");
        return std::nullopt;
      }
      return DiskSelector{DiskSelector::Kind::lun, std::to_string(std::stoi(digits))};
    }
    if (text->empty() || text->size() > 80 || !std::all_of(text->begin(), text->end(), [](char c) {
          return is_name_character(c) || c == '.';
        })) {
      diagnostics_.error(item.mark(), item.path,
                         "'" + *text + "' is not a disk name, lun:N or a disk id (/subscriptions/...)");
      return std::nullopt;
    }
    return DiskSelector{DiskSelector::Kind::name, *text};
  }

  void read_collection(const MappingReader& top, PolicyDocument& out) {
    auto field = top.get("collection");
    if (!field) return;
    MappingReader collection(field->value, "collection", "collection", policy_key_paths(), diagnostics_);
    auto f = collection.get("name");
    if (!f) return;
    auto text = read_string(*f, diagnostics_);
    if (!text) return;
    // Check the characters with the placeholders taken out; the placeholders' values are checked elsewhere.
    std::string rest = *text;
    for (std::string_view placeholder : {"{vm}", "{policy}"}) {
      for (auto at = rest.find(placeholder); at != std::string::npos; at = rest.find(placeholder)) rest.erase(at, placeholder.size());
    }
    if (text->empty() || !std::all_of(rest.begin(), rest.end(), is_name_character)) {
      diagnostics_.error(f->mark(), f->path,
                         "'" + *text + "': use letters, digits, '-', '_' and the placeholders {vm} and {policy}");
      return;
    }
    out.policy.collection_name = *text;
    const auto& targets = out.policy.targets;
    const bool single_vm = targets.vms.size() == 1 && targets.resource_groups.empty();
    if (text->find("{vm}") == std::string::npos && !single_vm) {
      diagnostics_.error(f->mark(), f->path,
                         "must contain {vm}: a collection belongs to one VM, and this policy targets several");
    }
  }

  void read_instant_access(const MappingReader& top, Policy& policy) {
    auto field = top.get("instant_access");
    if (!field) return;
    MappingReader access(field->value, "instant_access", "instant_access", policy_key_paths(), diagnostics_);
    InstantAccessPolicy& model = policy.instant_access;
    if (auto f = access.get("enabled")) model.enabled = read_bool(*f, diagnostics_).value_or(false);
    if (auto f = access.get("duration")) {
      // Azure counts this in minutes (instantAccessDurationMinutes), so the message does too.
      if (auto d = read_duration(*f, 0s, 520 * 7 * 24h, diagnostics_)) {
        if (*d < 60min || *d > 300min || *d % 60s != 0s) {
          diagnostics_.error(f->mark(), f->path,
                             "must be whole minutes from 60 to 300 (1h to 5h), got " + f->value.Scalar());
        } else {
          model.duration = *d;
        }
      }
    }
    if (auto f = access.get("window")) {
      MappingReader window(f->value, "instant_access.window", "instant_access.window", policy_key_paths(),
                           diagnostics_);
      auto cron = window.require("cron");
      auto duration = window.require("duration");
      if (!cron || !duration) return;
      auto text = read_string(*cron, diagnostics_);
      auto length = read_duration(*duration, 1min, 52 * 7 * 24h, diagnostics_);
      if (!text || !length) return;
      auto expr = CronExpr::parse(*text);
      if (!expr) {
        diagnostics_.error(cron->mark(), cron->path, "invalid cron expression '" + *text + "': " + expr.error().message);
        return;
      }
      auto zone = find_time_zone(policy.schedule.timezone);
      InstantAccessWindow model_window{Schedule::cron(std::move(*expr), zone ? *zone : utc_zone()), *length};
      const Seconds period = shortest_gap(sample_fire_times(model_window.start, options_.now));
      if (*length > period) {
        diagnostics_.error(duration->mark(), duration->path,
                           format_duration(*length) + " is longer than the time between two windows (" +
                               format_duration(period) + ")");
        return;
      }
      model.window = std::move(model_window);
    }
  }

  // `require_rule`: the policy's own retention needs a keep_* rule; a copy's may be left to default.
  void read_retention(const Field& field, const std::string& path, RetentionRules& rules, bool require_rule) {
    const std::string schema_path = path.starts_with("copies[") ? "copies[].retention" : "retention";
    // Counted from before the keys are checked: a misspelt rule is reported once, as an unknown key.
    const std::size_t errors_before = diagnostics_.error_count();
    MappingReader retention(field.value, path, schema_path, policy_key_paths(), diagnostics_);
    if (!retention.is_mapping()) return;
    rules = RetentionRules{};
    rules.min_keep = 1;
    const std::pair<const char*, int RetentionRules::*> counts[] = {
        {"keep_last", &RetentionRules::keep_last},       {"keep_hourly", &RetentionRules::keep_hourly},
        {"keep_daily", &RetentionRules::keep_daily},     {"keep_weekly", &RetentionRules::keep_weekly},
        {"keep_monthly", &RetentionRules::keep_monthly}, {"keep_yearly", &RetentionRules::keep_yearly},
        {"min_keep", &RetentionRules::min_keep}};
    for (const auto& [key, member] : counts) {
      if (auto f = retention.get(key)) {
        if (auto n = read_integer(*f, 0, max_count, diagnostics_)) rules.*member = static_cast<int>(*n);
      }
    }
    if (auto f = retention.get("keep_within")) rules.keep_within = read_duration(*f, 1min, 520 * 7 * 24h, diagnostics_);
    if (require_rule && rules.empty() && diagnostics_.error_count() == errors_before) {
      diagnostics_.error(retention.mark(), path,
                         "needs at least one keep_* rule (without one, points pile up to Azure's limit of " +
                             std::to_string(settings_.azure.quotas.points_per_vm) + " per VM)");
    }
  }

  void read_copies(const MappingReader& top, Policy& policy) {
    auto field = top.get("copies");
    if (!field) return;
    for (const Field& item : read_list(*field, diagnostics_).value_or(std::vector<Field>{})) {
      MappingReader copy(item.value, item.path, "copies[]", policy_key_paths(), diagnostics_);
      if (!copy.is_mapping()) continue;
      CopyRule rule;
      rule.retention = policy.retention;
      if (auto f = copy.require("region")) {
        if (auto region = read_string(*f, diagnostics_)) {
          const bool valid = !region->empty() && std::all_of(region->begin(), region->end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
          });
          if (valid) {
            rule.region = *region;
          } else {
            diagnostics_.error(f->mark(), f->path,
                               "'" + *region + "' is not a region name such as westeurope (lower-case letters and digits)");
          }
        }
      }
      if (auto f = copy.get("resource_group")) {
        if (auto text = read_string(*f, diagnostics_)) {
          auto id = parse_resource_group_id(*text);
          if (id) {
            rule.resource_group = *id;
          } else {
            diagnostics_.error(f->mark(), f->path, id.error().message);
          }
        }
      }
      if (auto f = copy.get("every")) rule.every = static_cast<int>(read_integer(*f, 1, 1000, diagnostics_).value_or(1));
      if (auto f = copy.get("retention")) read_retention(*f, item.path + ".retention", rule.retention, false);
      for (const CopyRule& earlier : policy.copies) {
        if (!rule.region.empty() && earlier.region == rule.region) {
          diagnostics_.error(item.mark(), item.path + ".region",
                             "a second copy to " + rule.region + ": Azure keeps one copy per point per region");
        }
      }
      policy.copies.push_back(std::move(rule));
    }
  }

  // Azure's limits that this policy alone can break (AZURE.md section 3).
  void check_against_azure(const MappingReader& top, PolicyDocument& out) {
    const Quotas& quotas = settings_.azure.quotas;
    const Policy& policy = out.policy;
    const YAML::Mark schedule_mark = top.get("schedule")->mark();
    out.fire_sample = sample_fire_times(policy.schedule.schedule, options_.now);

    const DensestHour densest = densest_hour(out.fire_sample);
    if (densest.creates > quotas.creates_per_vm_per_hour) {
      diagnostics_.error(schedule_mark, "schedule",
                         "fires " + std::to_string(densest.creates) + " times within one hour (from " +
                             format_utc(densest.starting_at) + "); Azure allows at most " +
                             std::to_string(quotas.creates_per_vm_per_hour) + " creates per VM per hour");
    }

    const auto consistency = policy.restore_point.consistency;
    const Seconds min_spacing = !consistency || *consistency == Consistency::application ? quotas.min_spacing_application
                                : *consistency == Consistency::filesystem               ? quotas.min_spacing_filesystem
                                                                                        : quotas.min_spacing_crash;
    const char* consistency_name = consistency ? to_string(*consistency) : "application";
    if (densest.creates <= quotas.creates_per_vm_per_hour && policy.schedule.shortest_gap < min_spacing) {
      diagnostics_.warning(schedule_mark, "schedule",
                           "fires every " + format_duration(policy.schedule.shortest_gap) + ", closer than Azure's " +
                               format_duration(min_spacing) + " minimum for " + consistency_name +
                               "-consistent restore points" + (consistency ? "" : " (the consistency Azure may choose)") +
                               "; Azure refuses such creates at run time");
    }

    if (policy.instant_access.enabled) {
      if (settings_.azure.api_version < "2025-04-01") {
        diagnostics_.error(top.get("instant_access")->mark(), "instant_access",
                           "needs azure.api_version 2025-04-01 or later, the settings say " +
                               settings_.azure.api_version);
      }
      if (consistency == Consistency::crash) {
        diagnostics_.warning(top.get("instant_access")->mark(), "instant_access",
                             "is enabled for crash-consistent restore points, which Azure does not document for "
                             "Instant Access; use application or filesystem consistency");
      }
    }

    check_peak(top, out, policy.retention, "retention");
    for (std::size_t i = 0; i < policy.copies.size(); ++i) {
      check_peak(top, out, policy.copies[i].retention, "copies[" + std::to_string(i) + "].retention");
    }
  }

  void check_peak(const MappingReader& top, PolicyDocument& out, const RetentionRules& rules, const std::string& path) {
    const Policy& policy = out.policy;
    const int limit = settings_.azure.quotas.points_per_vm;
    if (peak_points_bound(rules, policy.schedule.shortest_gap) <= limit) return;
    auto zone = find_time_zone(policy.schedule.timezone);
    const int peak =
        peak_points(policy.schedule.schedule, rules, zone ? *zone : utc_zone(), options_.now, 20000, limit);
    if (path == "retention") out.peak_points = peak;
    if (peak > limit) {
      const auto field = path == "retention" ? top.get("retention") : top.get("copies");
      diagnostics_.error(field ? field->mark() : top.mark(), path,
                         "keeps more than " + std::to_string(limit) +
                             " points per VM at its peak (a new point counts before retention prunes an old one); "
                             "Azure allows " + std::to_string(limit));
    }
  }

  const Settings& settings_;
  const LoadOptions& options_;
  Diagnostics& diagnostics_;
};

}  // namespace

std::optional<PolicyDocument> read_policy(const YAML::Node& document, const Settings& settings,
                                          const LoadOptions& options, Diagnostics& diagnostics) {
  return PolicyReader(settings, options, diagnostics).read(document);
}

}  // namespace rpd
