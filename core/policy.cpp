#include "core/policy.hpp"

#include <date/date.h>

namespace rpd {
namespace {

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

}  // namespace

std::string collection_name_for(const Policy& policy, std::string_view vm_name) {
  std::string name = policy.collection_name;
  replace_all(name, "{vm}", vm_name);
  replace_all(name, "{policy}", policy.name);
  return name;
}

std::string restore_point_name(std::string_view policy_name, Instant slot) {
  return std::string(policy_name) + "-" + date::format("%Y%m%dT%H%MZ", slot);
}

std::optional<Instant> slot_of_restore_point(std::string_view policy_name, std::string_view point_name) {
  constexpr std::size_t stamp_size = std::string_view("20261125T1000Z").size();
  if (point_name.size() != policy_name.size() + 1 + stamp_size || !point_name.starts_with(policy_name) ||
      point_name[policy_name.size()] != '-') {
    return std::nullopt;
  }
  const std::string_view stamp = point_name.substr(policy_name.size() + 1);
  const auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
    int value = 0;
    for (std::size_t i = at; i < at + length; ++i) {
      if (stamp[i] < '0' || stamp[i] > '9') return std::nullopt;
      value = value * 10 + (stamp[i] - '0');
    }
    return value;
  };
  const auto year = number(0, 4), month = number(4, 2), day = number(6, 2), hour = number(9, 2), minute = number(11, 2);
  if (!year || !month || !day || !hour || !minute || stamp[8] != 'T' || stamp[13] != 'Z') return std::nullopt;
  const date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                                 date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok() || *hour > 23 || *minute > 59) return std::nullopt;
  return Instant{date::sys_days{ymd}} + std::chrono::hours{*hour} + std::chrono::minutes{*minute};
}

std::string describe_every(int every) {
  if (every <= 1) return "every point";
  const int last_two = every % 100;
  const int last = every % 10;
  const char* suffix = (last_two >= 11 && last_two <= 13) ? "th"
                       : last == 1                        ? "st"
                       : last == 2                        ? "nd"
                       : last == 3                        ? "rd"
                                                          : "th";
  return "every " + std::to_string(every) + suffix + " point";
}

bool instant_access_at(const InstantAccessPolicy& instant_access, Instant t) {
  if (!instant_access.enabled) return false;
  if (!instant_access.window) return true;
  const auto opened = instant_access.window->start.slot_at(t);
  return opened && t < *opened + instant_access.window->duration;
}

const char* to_string(Consistency consistency) {
  switch (consistency) {
    case Consistency::application: return "application";
    case Consistency::filesystem: return "filesystem";
    case Consistency::crash: return "crash";
  }
  return "?";
}

}  // namespace rpd
