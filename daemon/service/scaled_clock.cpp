#include "daemon/service/scaled_clock.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rpd::service {

namespace asio = boost::asio;
using std::chrono::milliseconds;

ScaledClock::ScaledClock(double scale)
    : scale_(scale), wall_start_(std::chrono::system_clock::now()), steady_start_(std::chrono::steady_clock::now()) {}

std::chrono::system_clock::time_point ScaledClock::now() const {
  const auto real = std::chrono::steady_clock::now() - steady_start_;
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(real * scale_);
}

std::chrono::steady_clock::time_point ScaledClock::steady_now() const {
  const auto real = std::chrono::steady_clock::now() - steady_start_;
  return steady_start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(real * scale_);
}

milliseconds ScaledClock::real_time_until(std::chrono::system_clock::time_point at) const {
  const auto left = std::chrono::duration_cast<milliseconds>(at - now());
  if (left.count() <= 0) return milliseconds(0);
  return milliseconds(static_cast<long long>(static_cast<double>(left.count()) / scale_) + 1);
}

asio::awaitable<void> ScaledClock::wait_for(milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto real = duration.count() > 0 ? milliseconds(static_cast<long long>(static_cast<double>(duration.count()) / scale_))
                                         : milliseconds(0);
  timer.expires_after(real);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace rpd::service
