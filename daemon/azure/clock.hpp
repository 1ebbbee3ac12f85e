#pragma once
// Time for the Azure client, as an interface: the real one reads the system clocks and sleeps on a timer; the
// tests' one moves on only when told to, so that backoffs of a minute take no time and every wait is seen.

#include <boost/asio/awaitable.hpp>
#include <chrono>

namespace rpd::azure {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: token expiry, HTTP dates.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time: rate limits and deadlines.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
  // Suspends the calling coroutine for `duration` (0 or less: resumes at once, still through the executor).
  virtual boost::asio::awaitable<void> wait_for(std::chrono::milliseconds duration) = 0;
};

// The system clocks and a steady_timer on the calling coroutine's executor.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
  boost::asio::awaitable<void> wait_for(std::chrono::milliseconds duration) override;
};

}  // namespace rpd::azure
