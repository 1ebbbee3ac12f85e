#pragma once
// A Clock for tests: time moves only when a coroutine waits (by exactly what it asked) or the test says so,
// and every wait is recorded, so that a backoff of two minutes takes no time and can be checked exactly.

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "daemon/azure/clock.hpp"

namespace rpd::azure {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start) : now_(start) {}

  std::chrono::system_clock::time_point now() const override { return now_; }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(now_.time_since_epoch());
  }
  boost::asio::awaitable<void> wait_for(std::chrono::milliseconds duration) override {
    waits.push_back(duration);
    if (duration > std::chrono::milliseconds::zero()) now_ += duration;
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
  }

  void advance(std::chrono::system_clock::duration by) { now_ += by; }

  std::vector<std::chrono::milliseconds> waits;

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace rpd::azure
