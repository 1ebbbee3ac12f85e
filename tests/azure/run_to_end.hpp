#pragma once
// Runs one coroutine on an io_context until it, and everything it started, have finished, and returns what it
// returned. co_spawn's completion cannot carry a Result (it has no default value), so the value goes through
// an optional.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <stdexcept>

namespace rpd::azure {

template <class T>
boost::asio::awaitable<void> store_result(boost::asio::awaitable<T> work, std::optional<T>* out) {
  *out = co_await std::move(work);
}

template <class T>
T run_to_end(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  boost::asio::co_spawn(io, store_result(std::move(work), &out), boost::asio::detached);
  io.restart();
  io.run();
  if (!out) throw std::logic_error("the coroutine did not finish");
  return *std::move(out);
}

}  // namespace rpd::azure
