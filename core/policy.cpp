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

const char* to_string(Consistency consistency) {
  switch (consistency) {
    case Consistency::application: return "application";
    case Consistency::filesystem: return "filesystem";
    case Consistency::crash: return "crash";
  }
  return "?";
}

}  // namespace rpd
