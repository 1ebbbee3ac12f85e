#pragma once
// The emulated Azure: Resource Manager (VMs, restore point collections, restore points, long-running
// operations, limits, throttling), Entra ID's token endpoint and the managed identity endpoint, as one
// Handler. Behaviour follows ../shared/AZURE.md and the published specification.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "tests/emulator/arm/clock.hpp"
#include "tests/emulator/arm/fixture.hpp"
#include "tests/emulator/http_types.hpp"

namespace rpd::emulator {

struct EmulatorOptions {
  std::uint64_t seed = 1;  // for fault rules with a probability
  // --state-dir: where Azure Arc's challenge key files are written (settings.managed_identity_flavour: arc).
  std::filesystem::path state_dir{};
};

class Emulator final : public Handler {
 public:
  Emulator(Fixture fixture, Clock& clock, EmulatorOptions options);
  ~Emulator() override;

  // Where clients reach it: operation URLs (Azure-AsyncOperation, Location, nextLink) and token
  // audiences are built from these. Call once the servers listen, before the first request.
  void set_endpoints(std::string resource_manager_url, std::string managed_identity_url);

  Response handle(const Request& request) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace rpd::emulator
