#pragma once
// A Clock for tests: time moves only when a coroutine waits (by exactly what it asked) or the test says so,
// and every wait is recorded, so that a backoff of two minutes takes no time and can be checked exactly.
//
// With hold_waits, a wait does not move time: the coroutine stays suspended until the test's advance()
// reaches its end. That is how a test sees which requests wait and which go on meanwhile.

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <list>
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
    const auto executor = co_await boost::asio::this_coro::executor;
    if (hold_waits && duration > std::chrono::milliseconds::zero()) {
      // A timer that never fires by itself: advance() cancels it when the wait is over.
      auto held = held_.insert(held_.end(), Held{now_ + duration, boost::asio::steady_timer(executor)});
      held->timer.expires_at(std::chrono::steady_clock::time_point::max());
      boost::system::error_code ignored;
      co_await held->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
      held_.erase(held);
      co_return;
    }
    if (duration > std::chrono::milliseconds::zero()) now_ += duration;
    if (on_wait) on_wait(duration);
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
  }

  void advance(std::chrono::system_clock::duration by) {
    now_ += by;
    for (Held& held : held_) {
      if (held.until <= now_) held.timer.cancel();
    }
  }
  std::size_t held_waits() const { return held_.size(); }

  std::vector<std::chrono::milliseconds> waits;
  bool hold_waits = false;
  // Called after each wait has moved the clock (not with hold_waits): a test moves the emulator's clock by
  // as much, so that the operations there progress with the client's time.
  std::function<void(std::chrono::milliseconds)> on_wait;

 private:
  struct Held {
    std::chrono::system_clock::time_point until;
    boost::asio::steady_timer timer;
  };
  std::chrono::system_clock::time_point now_;
  std::list<Held> held_;
};

}  // namespace rpd::azure
