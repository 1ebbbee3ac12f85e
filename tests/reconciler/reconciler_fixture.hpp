#pragma once
// The reconciler's integration tests: the emulator and a ComputeClient (EmulatorComputeTest), and a state
// database of each test's own in a fresh folder.

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "daemon/azure/compute_client.hpp"
#include "daemon/store/state_store.hpp"
#include "tests/azure/emulator_arm_test.hpp"

namespace rpd::reconciler {

class ReconcilerFixture : public azure::EmulatorComputeTest {
 protected:
  void SetUp() override {
    EmulatorComputeTest::SetUp();
    char pattern[] = "/tmp/rpd-reconciler-XXXXXX";
    directory_ = mkdtemp(pattern);
    state_ = std::make_unique<store::StateStore>(store::StateStore::open(directory_ + "/state.db").value());
  }
  void TearDown() override {
    state_.reset();
    std::filesystem::remove_all(directory_);
    EmulatorComputeTest::TearDown();
  }

  std::string directory_;
  std::unique_ptr<store::StateStore> state_;
};

}  // namespace rpd::reconciler
