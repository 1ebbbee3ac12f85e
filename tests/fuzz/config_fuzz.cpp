// libFuzzer target for the configuration loader: any bytes, read as a policy file and as a settings file,
// must give diagnostics or a model, never a crash, a hang, a leak or undefined behaviour.
// Built with clang in its own tree (make test-fuzz); seeds: the shipped examples and the broken files.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/configuration.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  rpd::LoadOptions options;
  options.now = rpd::parse_timestamp("2026-11-25T10:30:00Z").value();
  (void)rpd::check_policy_text(text, "fuzz.yaml", options);
  (void)rpd::check_settings_text(text, "fuzz.yaml", options);
  return 0;
}
