#pragma once
// The metrics endpoint: plain HTTP on metrics.listen (meant for loopback or a private network), one answer
// per connection: GET /metrics -> 200 text/plain; version=0.0.4; any other path 404, any other method 405.
// Requests are bounded (8 KB of headers, no body) and every connection has 10 s to say what it wants.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>

#include "core/result.hpp"

namespace rpd::service {

// "127.0.0.1:9465" or "[::1]:9465" (an IP address: the daemon does not resolve names to listen on).
Result<boost::asio::ip::tcp::endpoint> parse_listen_address(const std::string& text);

// Accepts connections until the acceptor is closed. `render` is called for each GET /metrics. Both must
// outlive the coroutine.
boost::asio::awaitable<void> serve_metrics(boost::asio::ip::tcp::acceptor& acceptor, std::function<std::string()>& render);

}  // namespace rpd::service
