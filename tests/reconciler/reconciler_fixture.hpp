#pragma once
// The reconciler's integration tests: the emulator (EmulatorArmTest) with a ComputeClient whose waits move
// the emulator's clock, each test an hour after the last (Azure allows 3 creates per VM per hour and the
// tests share the fixture's VMs), and a state database of its own in a fresh folder.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "daemon/azure/compute_client.hpp"
#include "daemon/store/state_store.hpp"
#include "tests/azure/emulator_arm_test.hpp"

namespace rpd::reconciler {

class ReconcilerFixture : public azure::EmulatorArmTest {
 protected:
  void SetUp() override {
    EmulatorArmTest::SetUp();
    admin("POST", "/_emulator/clock", R"({"advance_seconds":3600})");
    follow_client_time();
    arm_ = make_client_minting();
    compute_ = std::make_unique<azure::ComputeClient>(*arm_);
    char pattern[] = "/tmp/rpd-reconciler-XXXXXX";
    directory_ = mkdtemp(pattern);
    state_ = std::make_unique<store::StateStore>(store::StateStore::open(directory_ + "/state.db").value());
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(directory_);
    EmulatorArmTest::TearDown();
  }

  std::string directory_;
  std::unique_ptr<azure::ArmClient> arm_;
  std::unique_ptr<azure::ComputeClient> compute_;
  std::unique_ptr<store::StateStore> state_;
};

}  // namespace rpd::reconciler
