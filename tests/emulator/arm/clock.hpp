#pragma once
// The emulator's clock: the wall clock sped up by --time-scale, plus whatever the admin endpoint has
// moved it forward by. Tests use the manual clock and move it themselves.

#include <chrono>

#include "tests/emulator/http_types.hpp"

namespace rpd::emulator {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual EmulatorTime now() const = 0;
  virtual void advance(std::chrono::milliseconds by) = 0;
};

class ScaledClock final : public Clock {
 public:
  ScaledClock(double scale, EmulatorTime start)
      : scale_(scale), start_(start), real_start_(std::chrono::steady_clock::now()) {}

  EmulatorTime now() const override {
    const auto real = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - real_start_);
    return start_ + advanced_ + std::chrono::milliseconds(static_cast<long long>(real.count() * scale_));
  }
  void advance(std::chrono::milliseconds by) override { advanced_ += by; }
  double scale() const { return scale_; }

 private:
  double scale_;
  EmulatorTime start_;
  std::chrono::steady_clock::time_point real_start_;
  std::chrono::milliseconds advanced_{0};
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(EmulatorTime start) : now_(start) {}
  EmulatorTime now() const override { return now_; }
  void advance(std::chrono::milliseconds by) override { now_ += by; }

 private:
  EmulatorTime now_;
};

}  // namespace rpd::emulator
