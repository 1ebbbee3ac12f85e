#include "tests/emulator/server/test_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/system/system_error.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace rpd::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::uint64_t response_body_limit = 64 * 1024 * 1024;

// Runs one asynchronous operation to its end on the client's own io_context. The client is synchronous, but it
// works with asynchronous operations underneath because tcp_stream's timeouts only apply to those.
template <class StartOperation>
error_code run_to_completion(asio::io_context& io, StartOperation start_operation) {
  error_code result;
  start_operation([&result](error_code error, auto&&...) { result = error; });
  io.restart();
  io.run();
  return result;
}

bool is_ip_literal(const std::string& host) {
  error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

tcp::endpoint loopback_endpoint(const std::string& address_text, unsigned short port) {
  const auto address = asio::ip::make_address(address_text);
  if (!address.is_loopback()) {
    throw std::invalid_argument("HttpsTestClient connects to loopback addresses only, not " + address_text);
  }
  return {address, port};
}

}  // namespace

std::string TestResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return "";
}

struct HttpsTestClient::State {
  State(std::optional<std::string> ca_pem, unsigned short port, TestClientOptions client_options)
      : endpoint(loopback_endpoint(client_options.address, port)), options(std::move(client_options)) {
    if (ca_pem) {
      tls.emplace(ssl::context::tls_client);
      tls->add_certificate_authority(asio::buffer(*ca_pem));  // and no system store: only the emulator's CA
    }
  }

  std::optional<ssl::context> tls;  // empty: plain HTTP
  tcp::endpoint endpoint;
  TestClientOptions options;
  asio::io_context io;
  std::optional<beast::tcp_stream> plain;  // one of these two is the open connection
  std::optional<TlsStream> secure;
  beast::flat_buffer buffer;
  int connections_opened = 0;

  bool connected() const { return plain.has_value() || secure.has_value(); }
  beast::tcp_stream& tcp_layer() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // Runs `operation(stream, handler)` on whichever stream is open, with a fresh timeout.
  template <class Operation>
  error_code run_on_stream(Operation operation) {
    tcp_layer().expires_after(options.timeout);
    return run_to_completion(io, [&](auto handler) {
      if (secure) {
        operation(*secure, std::move(handler));
      } else {
        operation(*plain, std::move(handler));
      }
    });
  }

  error_code connect() {
    ++connections_opened;
    if (tls) {
      secure.emplace(io, *tls);
      if (!is_ip_literal(options.host)) {  // SNI carries host names only (RFC 6066 forbids IP literals there)
        if (SSL_set_tlsext_host_name(secure->native_handle(), options.host.c_str()) != 1) {
          close();
          return asio::error::invalid_argument;
        }
      }
      secure->set_verify_mode(ssl::verify_peer);
      secure->set_verify_callback(ssl::host_name_verification(options.host));
    } else {
      plain.emplace(io);
    }
    tcp_layer().expires_after(options.timeout);
    error_code error =
        run_to_completion(io, [&](auto handler) { tcp_layer().async_connect(endpoint, std::move(handler)); });
    if (!error && secure) {
      tcp_layer().expires_after(options.timeout);
      error = run_to_completion(
          io, [&](auto handler) { secure->async_handshake(ssl::stream_base::client, std::move(handler)); });
    }
    if (error) close();
    return error;
  }

  void close() {
    if (connected()) {
      error_code ignored;
      tcp_layer().socket().close(ignored);
    }
    secure.reset();
    plain.reset();
    buffer.clear();
  }

  // Sends a request (connecting first when there is no connection) and reads the answer. Requests go out as bytes:
  // one write operation serves well-formed and raw requests alike, and Beast's write machinery is slow to compile.
  boost::system::result<TestResponse> exchange(std::string_view request_bytes, bool head_request) {
    if (!connected()) {
      if (const error_code error = connect()) return error;
    }
    const error_code error = run_on_stream([&](auto& stream, auto handler) {
      asio::async_write(stream, asio::buffer(request_bytes), std::move(handler));
    });
    if (error) {
      close();
      return error;
    }
    return read_response(head_request);
  }

  // Reads the final response to the request just written, skipping interim 1xx answers (100 Continue).
  boost::system::result<TestResponse> read_response(bool head_request) {
    for (;;) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(response_body_limit);
      parser.skip(head_request);  // a HEAD answer announces a length but has no body
      const error_code error = run_on_stream(
          [&](auto& stream, auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
      if (error) {
        close();
        return error;
      }
      http::response<http::string_body> message = parser.release();
      if (message.result_int() >= 100 && message.result_int() < 200) continue;

      TestResponse response;
      response.status = static_cast<int>(message.result_int());
      for (const auto& field : message) response.headers.emplace_back(field.name_string(), field.value());
      response.body = std::move(message.body());
      if (!message.keep_alive()) close();
      return response;
    }
  }
};

HttpsTestClient::HttpsTestClient(std::string ca_pem, unsigned short port, TestClientOptions options)
    : state_(std::make_unique<State>(std::move(ca_pem), port, std::move(options))) {}

HttpsTestClient::HttpsTestClient(std::unique_ptr<State> state) : state_(std::move(state)) {}

HttpsTestClient HttpsTestClient::plain_http(unsigned short port, TestClientOptions options) {
  return HttpsTestClient(std::make_unique<State>(std::nullopt, port, std::move(options)));
}

HttpsTestClient::HttpsTestClient(HttpsTestClient&&) noexcept = default;
HttpsTestClient& HttpsTestClient::operator=(HttpsTestClient&&) noexcept = default;
HttpsTestClient::~HttpsTestClient() = default;

boost::system::result<TestResponse> HttpsTestClient::try_request(std::string_view method, std::string_view target,
                                                                 std::string_view body, const TestHeaders& headers) {
  State& state = *state_;
  http::request<http::string_body> message;
  message.version(11);
  message.method_string(method);
  message.target(target);
  message.set(http::field::host, state.options.host + ":" + std::to_string(state.endpoint.port()));
  message.set(http::field::user_agent, "restorepointd-emulator-tests");
  for (const auto& [name, value] : headers) message.insert(name, value);
  message.body() = std::string(body);
  message.prepare_payload();
  std::ostringstream request_bytes;
  request_bytes << message;
  return state.exchange(request_bytes.str(), message.method() == http::verb::head);
}

TestResponse HttpsTestClient::request(std::string_view method, std::string_view target, std::string_view body,
                                      const TestHeaders& headers) {
  auto response = try_request(method, target, body, headers);
  if (!response) {
    throw boost::system::system_error(response.error(), std::string(method) + " " + std::string(target));
  }
  return *std::move(response);
}

boost::system::result<TestResponse> HttpsTestClient::try_raw_request(std::string_view bytes) {
  return state_->exchange(bytes, false);
}

void HttpsTestClient::set_timeout(std::chrono::milliseconds timeout) { state_->options.timeout = timeout; }
void HttpsTestClient::close() { state_->close(); }
bool HttpsTestClient::connected() const { return state_->connected(); }
int HttpsTestClient::connections_opened() const { return state_->connections_opened; }

}  // namespace rpd::emulator
