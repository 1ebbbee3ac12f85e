#include "daemon/azure/clock.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rpd::azure {

std::chrono::system_clock::time_point SystemClock::now() const { return std::chrono::system_clock::now(); }

std::chrono::steady_clock::time_point SystemClock::steady_now() const { return std::chrono::steady_clock::now(); }

boost::asio::awaitable<void> SystemClock::wait_for(std::chrono::milliseconds duration) {
  const auto executor = co_await boost::asio::this_coro::executor;
  if (duration <= std::chrono::milliseconds::zero()) {
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
    co_return;
  }
  boost::asio::steady_timer timer(executor, duration);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace rpd::azure
