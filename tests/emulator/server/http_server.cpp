#include "tests/emulator/server/http_server.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace rpd::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Every operation's error comes back as a value: a peer that goes away is expected, not exceptional.
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using PlainStream = beast::tcp_stream;
template <class Stream>
constexpr bool uses_tls = std::is_same_v<Stream, TlsStream>;

using HttpResponse = http::response<http::string_body>;
using RequestParser = http::request_parser<http::string_body>;

// How long a TLS close may wait for the peer's close_notify, and how long a refused client may go on sending
// the request we will not read before we close anyway.
constexpr auto close_timeout = std::chrono::seconds(5);
constexpr auto drain_timeout = std::chrono::seconds(5);

std::string to_string(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

std::string json_escape(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      escaped += '\\';
      escaped += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      escaped += ' ';  // only diagnostics go through here: a control character is not worth a \u escape
    } else {
      escaped += c;
    }
  }
  return escaped;
}

// An answer in Resource Manager's error shape, for what the server refuses before the logic sees it.
HttpResponse error_response(http::status status, std::string_view code, std::string_view message) {
  HttpResponse response{status, 11};
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.body() = R"({"error":{"code":")" + json_escape(code) + R"(","message":")" + json_escape(message) + R"("}})";
  response.keep_alive(false);
  response.prepare_payload();
  return response;
}

Request to_request(http::request<http::string_body> message, bool https) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) request.headers.emplace_back(field.name_string(), field.value());
  request.body = std::move(message.body());
  request.https = https;
  return request;
}

Response call_handler(Handler& handler, const Request& request) {
  try {
    return handler.handle(request);
  } catch (const std::exception& error) {
    // A bug in the emulator's logic: answer 500 with the reason, so that the failing test shows it, and go on
    // serving the other requests.
    std::cerr << "azure-emulator: handling " << request.method << ' ' << request.target << " failed: " << error.what()
              << std::endl;
    return Response{.status = 500,
                    .headers = {{"Content-Type", "application/json; charset=utf-8"}},
                    .body = R"({"error":{"code":"EmulatorFailure","message":")" + json_escape(error.what()) + R"("}})"};
  }
}

HttpResponse to_http_response(Response response, bool keep_alive) {
  if (response.status < 200 || response.status > 599) {
    return error_response(http::status::internal_server_error, "EmulatorFailure",
                          "the emulator's logic answered with status " + std::to_string(response.status));
  }
  HttpResponse message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  for (auto& [name, value] : response.headers) {
    // The server frames the message itself; a length or transfer coding from the logic could only contradict it.
    if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding")) continue;
    message.insert(name, value);
  }
  message.keep_alive(keep_alive && message.keep_alive());  // the logic may ask for Connection: close too
  const unsigned status = message.result_int();
  if (status != 204 && status != 304) {  // these have no body, and a 204 must not even announce a length
    message.body() = std::move(response.body);
    message.prepare_payload();
  }
  return message;
}

// Helpers below take the stream by reference: each is awaited at once by serve_connection, whose frame owns it.

// Closes with a TLS close_notify (so the client can tell the end from a cut) and a TCP FIN.
template <class Stream>
asio::awaitable<void> close_gracefully(Stream& stream) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  if constexpr (uses_tls<Stream>) {
    tcp_layer.expires_after(close_timeout);
    co_await stream.async_shutdown(nothrow_awaitable);  // a client that just drops the connection is fine too
  }
  error_code ignored;
  tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
  tcp_layer.close();
}

// Closes with a TCP RST, as a connection dropped on the way to Azure looks to the client: no close_notify, no FIN.
template <class Stream>
void reset_connection(Stream& stream) {
  auto& socket = beast::get_lowest_layer(stream).socket();
  error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// Every answer goes out through this one call, serialized first and written as plain bytes: Beast's asynchronous
// write machinery, instantiated for both stream types, doubled the time this file takes to compile.
template <class Stream>
asio::awaitable<error_code> write_response(Stream& stream, const HttpResponse& response, ServerOptions options) {
  std::ostringstream wire;
  wire << response;
  const std::string bytes = std::move(wire).str();
  beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
  auto [error, size] = co_await asio::async_write(stream, asio::buffer(bytes), nothrow_awaitable);
  co_return error;
}

enum class ReadUntil { header, message };

// Reads into `parser` until it has the header, or the whole message, within one idle timeout. Beast's
// async_read_header and async_read are this loop; writing it once here keeps Beast's read machinery
// instantiated once per stream type.
template <class Stream>
asio::awaitable<error_code> read_request(Stream& stream, beast::flat_buffer& buffer, RequestParser& parser,
                                         ReadUntil until, ServerOptions options) {
  beast::get_lowest_layer(stream).expires_after(options.idle_timeout);
  while (until == ReadUntil::header ? !parser.is_header_done() : !parser.is_done()) {
    auto [error, size] = co_await http::async_read_some(stream, buffer, parser, nothrow_awaitable);
    if (error) co_return error;
  }
  co_return error_code{};
}

// Reads and throws away whatever the peer sends until it closes or `limit` passes.
template <class Stream>
asio::awaitable<void> discard_input(Stream& stream, std::chrono::milliseconds limit) {
  beast::get_lowest_layer(stream).expires_after(limit);  // one deadline for the whole wait, not per read
  std::array<char, 16 * 1024> scratch{};
  for (;;) {
    auto [error, size] = co_await stream.async_read_some(asio::buffer(scratch), nothrow_awaitable);
    if (error) co_return;
  }
}

// Answers a request the server will not pass on (too large, malformed), then closes. The client may still be
// sending the body; closing on unread data would reset the connection and could destroy our answer before the
// client reads it, so we take in what it sends for a while first.
template <class Stream>
asio::awaitable<void> refuse_request(Stream& stream, HttpResponse response, ServerOptions options) {
  const error_code error = co_await write_response(stream, response, options);
  if (!error) co_await discard_input(stream, drain_timeout);
  beast::get_lowest_layer(stream).close();
}

// What went wrong reading a request, as the answer to give: none when the peer is gone or silent.
std::optional<HttpResponse> answer_to_read_error(const error_code& error) {
  if (error == http::error::body_limit) {
    return error_response(http::status::payload_too_large, "RequestEntityTooLarge", "the request body is too large");
  }
  if (error == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large, "RequestHeaderFieldsTooLarge",
                          "the request line and headers are too large");
  }
  if (error.category() == http::make_error_code(http::error::bad_method).category() &&
      error != http::error::partial_message) {
    return error_response(http::status::bad_request, "BadRequest", "malformed HTTP request: " + error.message());
  }
  return std::nullopt;  // timeout, reset, TLS failure, or a request cut short: nobody to answer
}

// One connection, from the TLS handshake to the close: request after request until the client or a fault ends it.
template <class Stream>
asio::awaitable<void> serve_connection(Stream stream, std::shared_ptr<ssl::context> /*outlives the stream*/,
                                       Handler* handler, ServerOptions options) {
  auto& tcp_layer = beast::get_lowest_layer(stream);
  if constexpr (uses_tls<Stream>) {
    tcp_layer.expires_after(options.idle_timeout);
    auto [error] = co_await stream.async_handshake(ssl::stream_base::server, nothrow_awaitable);
    if (error) co_return;  // a client that does not trust us, or speaks plain HTTP to the HTTPS port
  }

  beast::flat_buffer buffer;  // outlives each exchange: it may already hold the start of the next request
  for (;;) {
    RequestParser parser;
    parser.header_limit(options.header_limit);
    parser.body_limit(options.body_limit);

    const error_code header_error = co_await read_request(stream, buffer, parser, ReadUntil::header, options);
    if (header_error == http::error::end_of_stream) {  // the client closed between requests: the normal end
      co_await close_gracefully(stream);
      co_return;
    }
    if (!header_error && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      // curl and others wait for this before sending a large body.
      HttpResponse go_on{http::status::continue_, 11};
      const error_code continue_error = co_await write_response(stream, go_on, options);
      if (continue_error) co_return;
    }
    error_code read_error = header_error;
    if (!read_error) read_error = co_await read_request(stream, buffer, parser, ReadUntil::message, options);
    if (read_error) {
      if (auto refusal = answer_to_read_error(read_error)) {
        co_await refuse_request(stream, std::move(*refusal), options);
      }
      co_return;
    }

    const bool keep_alive = parser.get().keep_alive();
    const bool head_request = parser.get().method() == http::verb::head;
    Response answer = call_handler(*handler, to_request(parser.release(), uses_tls<Stream>));

    switch (answer.delivery) {
      case Delivery::reset:
        reset_connection(stream);
        co_return;
      case Delivery::stall:
        co_await discard_input(stream, options.stall_limit);
        co_return;
      case Delivery::truncated_body: {
        // The full Content-Length but half the body, then a proper close: the client sees the message end early.
        HttpResponse response = to_http_response(std::move(answer), keep_alive);
        response.body().resize(response.body().size() / 2);
        const error_code write_error = co_await write_response(stream, response, options);
        if (!write_error) co_await close_gracefully(stream);
        co_return;
      }
      case Delivery::slow: {
        const auto executor = co_await asio::this_coro::executor;
        asio::steady_timer timer{executor, answer.delay};
        co_await timer.async_wait(nothrow_awaitable);
        break;
      }
      case Delivery::normal:
        break;
    }

    HttpResponse response = to_http_response(std::move(answer), keep_alive);
    if (head_request) response.body().clear();  // Content-Length stays: the length a GET would get
    const error_code write_error = co_await write_response(stream, response, options);
    if (write_error) co_return;
    if (!response.keep_alive()) {
      co_await close_gracefully(stream);
      co_return;
    }
  }
}

// Bugs only: every expected failure inside a connection is handled as a value and ends just that connection.
void report_crash(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    std::cerr << "azure-emulator: a connection failed: " << error.what() << std::endl;
  } catch (...) {
    std::cerr << "azure-emulator: a connection failed with an unknown exception" << std::endl;
  }
}

template <class Stream>
asio::awaitable<void> accept_connections(std::shared_ptr<tcp::acceptor> acceptor, std::shared_ptr<ssl::context> tls,
                                         Handler* handler, ServerOptions options) {
  for (;;) {
    auto [error, socket] = co_await acceptor->async_accept(nothrow_awaitable);
    if (!acceptor->is_open()) co_return;
    if (error) {
      // Out of file descriptors, most likely: give the open connections a moment to end instead of spinning.
      asio::steady_timer pause{acceptor->get_executor(), std::chrono::milliseconds(100)};
      co_await pause.async_wait(nothrow_awaitable);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // answers are small; Nagle would hold them back
    if constexpr (uses_tls<Stream>) {
      asio::co_spawn(acceptor->get_executor(),
                     serve_connection(TlsStream(std::move(socket), *tls), tls, handler, options), report_crash);
    } else {
      asio::co_spawn(acceptor->get_executor(), serve_connection(PlainStream(std::move(socket)), tls, handler, options),
                     report_crash);
    }
  }
}

// An acceptor listening on `endpoint`; local_endpoint() then tells the port the system chose for port 0.
Result<std::shared_ptr<tcp::acceptor>> open_acceptor(asio::io_context& io, const tcp::endpoint& endpoint) {
  auto acceptor = std::make_shared<tcp::acceptor>(io);
  error_code error;
  acceptor->open(endpoint.protocol(), error);
  if (!error) acceptor->set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor->bind(endpoint, error);
  if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
  if (!error) acceptor->local_endpoint(error);
  if (error) return make_error("cannot listen on " + to_string(endpoint) + ": " + error.message());
  return acceptor;
}

}  // namespace

void Listener::close() {
  error_code ignored;
  acceptor_->close(ignored);
}

Result<HttpsListener> HttpsListener::start(asio::io_context& io, const tcp::endpoint& endpoint,
                                           std::shared_ptr<ssl::context> tls, Handler& handler, ServerOptions options) {
  auto acceptor = open_acceptor(io, endpoint);
  if (!acceptor) return acceptor.error();
  asio::co_spawn(io, accept_connections<TlsStream>(*acceptor, std::move(tls), &handler, options), report_crash);
  return HttpsListener(*acceptor, (*acceptor)->local_endpoint());
}

Result<HttpListener> HttpListener::start(asio::io_context& io, const tcp::endpoint& endpoint, Handler& handler,
                                         ServerOptions options) {
  auto acceptor = open_acceptor(io, endpoint);
  if (!acceptor) return acceptor.error();
  asio::co_spawn(io, accept_connections<PlainStream>(*acceptor, nullptr, &handler, options), report_crash);
  return HttpListener(*acceptor, (*acceptor)->local_endpoint());
}

}  // namespace rpd::emulator
