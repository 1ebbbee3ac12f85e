#include "daemon/service/metrics_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace rpd::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

asio::awaitable<void> answer_one(tcp::socket socket, std::function<std::string()>* render) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  boost::system::error_code error;
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return;
  const auto& request = parser.get();
  http::response<http::string_body> response;
  response.version(11);
  response.keep_alive(false);
  if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET");
    response.body() = "only GET\n";
  } else if (request.target() != "/metrics") {
    response.result(http::status::not_found);
    response.body() = "see /metrics\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = (*render)();
  }
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, error));
  stream.socket().shutdown(tcp::socket::shutdown_both, error);
}

}  // namespace

Result<tcp::endpoint> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return make_error("metrics.listen: expected host:port, got '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) return make_error("metrics.listen: '" + host + "' is not an IP address (names are not resolved to listen on)");
  const std::string port_text = text.substr(colon + 1);
  int port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) return make_error("metrics.listen: bad port '" + port_text + "'");
    port = port * 10 + (c - '0');
  }
  if (port_text.empty() || port > 65535) return make_error("metrics.listen: bad port '" + port_text + "'");
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

asio::awaitable<void> serve_metrics(tcp::acceptor& acceptor, std::function<std::string()>& render) {
  for (;;) {
    boost::system::error_code error;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) continue;
    asio::co_spawn(acceptor.get_executor(), answer_one(std::move(socket), &render), asio::detached);
  }
}

}  // namespace rpd::service
