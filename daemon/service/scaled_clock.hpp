#pragma once
// The system clock sped up: for the demo and the end-to-end tests, where the daemon and the emulator run at
// the same --time-scale so that hours of schedule pass in a minute. now() runs `scale` times faster from the
// moment the clock was made; wait_for(d) sleeps d / scale. Scale 1 is the system clock.

#include "daemon/azure/clock.hpp"

namespace rpd::service {

class ScaledClock final : public azure::Clock {
 public:
  explicit ScaledClock(double scale);

  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  boost::asio::awaitable<void> wait_for(std::chrono::milliseconds duration) override;

  // The real time until the clock shows `at` (for timers of the daemon's own loop).
  std::chrono::milliseconds real_time_until(std::chrono::system_clock::time_point at) const;

 private:
  double scale_;
  std::chrono::system_clock::time_point wall_start_;
  std::chrono::steady_clock::time_point steady_start_;
};

}  // namespace rpd::service
