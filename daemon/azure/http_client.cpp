#include "daemon/azure/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <list>
#include <optional>
#include <vector>

#include "daemon/azure/url.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using SteadyClock = std::chrono::steady_clock;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using std::chrono::milliseconds;

auto awaitable_with(error_code& error) { return asio::redirect_error(asio::use_awaitable, error); }

struct Connection {
  std::optional<beast::tcp_stream> plain;  // http, a proxy tunnel before its handshake, or TCP before TLS
  std::optional<TlsStream> tls;
  beast::flat_buffer buffer;
  bool has_served = false;  // a response came over it: a failure now may be a close while it was idle
  SteadyClock::time_point idle_since{};

  bool open() const { return plain.has_value() || tls.has_value(); }
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

struct Waiter {
  asio::steady_timer* timer;
  bool woken = false;
};

struct HostPool {
  std::vector<std::unique_ptr<Connection>> idle;  // most recently used last
  std::size_t leased = 0;                         // handed out to requests now
  std::list<Waiter*> waiters;                     // requests waiting for a free connection, in arrival order
};

// Cancels a name resolution when its timer fires; owns the resolver so a late timer never touches a dead one.
struct CancelResolution {
  std::shared_ptr<tcp::resolver> resolver;
  void operator()(error_code error) const {
    if (!error) resolver->cancel();
  }
};

// The step's expiry: its own timeout, but never past the request's deadline.
SteadyClock::time_point step_expiry(milliseconds step, SteadyClock::time_point deadline) {
  return std::min(SteadyClock::now() + step, deadline);
}

std::string timeout_message(const char* step, milliseconds timeout, SteadyClock::time_point expiry,
                            SteadyClock::time_point deadline, milliseconds request_deadline) {
  if (expiry == deadline) {
    return "the request deadline of " + std::to_string(request_deadline.count()) + " ms passed during " + step;
  }
  return std::string(step) + " timed out after " + std::to_string(timeout.count()) + " ms";
}

bool is_connection_end(const error_code& error) {
  return error == http::error::end_of_stream || error == asio::error::eof ||
         error == asio::error::connection_reset || error == asio::error::broken_pipe ||
         error == ssl::error::stream_truncated || error == http::error::partial_message;
}

// Why an exchange failed in one of retry_policy's terms. `any_byte`: part of a response had arrived.
TransportError read_failure(const error_code& error, bool any_byte, const HttpClientOptions& options) {
  if (error == http::error::header_limit) {
    return {TransportFailure::too_large,
            "response headers larger than " + std::to_string(options.max_header_bytes) + " bytes"};
  }
  if (error == http::error::body_limit) {
    return {TransportFailure::too_large,
            "response body larger than " + std::to_string(options.max_body_bytes) + " bytes"};
  }
  if (!any_byte && is_connection_end(error)) {
    return {TransportFailure::reset_before_response, "connection closed before any response byte"};
  }
  if (is_connection_end(error)) return {TransportFailure::truncated_response, "response cut off: " + error.message()};
  if (error.category() == http::make_error_code(http::error::bad_version).category()) {
    return {TransportFailure::malformed_response, "not a valid HTTP response: " + error.message()};
  }
  return {any_byte ? TransportFailure::truncated_response : TransportFailure::reset_before_response,
          "read failed: " + error.message()};
}

}  // namespace

struct HttpClient::Impl {
  Impl(asio::any_io_executor ex, HttpClientOptions opts) : executor(std::move(ex)), options(std::move(opts)) {}

  asio::any_io_executor executor;
  HttpClientOptions options;
  ssl::context tls{ssl::context::tls_client};
  std::map<std::string, HostPool> pools;  // by origin; std::map keeps references stable
  HttpClientStats stats;

  void close(Connection& connection) {
    if (connection.open()) {
      error_code ignored;
      connection.lowest().socket().close(ignored);
      --stats.open;
    }
    connection.tls.reset();
    connection.plain.reset();
    connection.buffer.clear();
    connection.has_served = false;
  }

  void wake_one(HostPool& pool) {
    if (pool.waiters.empty()) return;
    Waiter* waiter = pool.waiters.front();
    pool.waiters.pop_front();
    waiter->woken = true;
    waiter->timer->cancel();
  }

  // Gives a leased connection back: to the idle list when it may carry another request, closed otherwise.
  void release(const std::string& origin, std::unique_ptr<Connection> connection, bool keep) {
    HostPool& pool = pools[origin];
    --pool.leased;
    if (keep && connection->open()) {
      connection->idle_since = SteadyClock::now();
      pool.idle.push_back(std::move(connection));
    } else {
      close(*connection);
    }
    wake_one(pool);
  }
};

namespace {

using Impl = HttpClient::Impl;

// A connection for `origin`: a recent idle one, a new unconnected one while under the limit, or, at the limit,
// the next one given back. nullptr when none became free before the deadline.
asio::awaitable<std::unique_ptr<Connection>> acquire(std::shared_ptr<Impl> impl, std::string origin,
                                                     SteadyClock::time_point deadline) {
  HostPool& pool = impl->pools[origin];
  for (;;) {
    while (!pool.idle.empty()) {
      std::unique_ptr<Connection> connection = std::move(pool.idle.back());
      pool.idle.pop_back();
      if (SteadyClock::now() - connection->idle_since < impl->options.idle_timeout) {
        ++pool.leased;
        co_return connection;
      }
      impl->close(*connection);  // the server has likely closed it already
    }
    if (pool.leased + pool.idle.size() < impl->options.max_connections_per_host) {
      ++pool.leased;
      co_return std::make_unique<Connection>();
    }
    if (SteadyClock::now() >= deadline) co_return nullptr;
    asio::steady_timer timer(impl->executor);
    timer.expires_at(deadline);
    Waiter waiter{&timer};
    const auto position = pool.waiters.insert(pool.waiters.end(), &waiter);
    error_code error;
    co_await timer.async_wait(awaitable_with(error));
    if (!waiter.woken) pool.waiters.erase(position);
    if (waiter.woken && SteadyClock::now() >= deadline) impl->wake_one(pool);  // pass on a wake we cannot use
  }
}

// TCP to host:port within the connect timeout: IP literals directly, names through host_addresses or DNS.
asio::awaitable<std::optional<TransportError>> connect_tcp(std::shared_ptr<Impl> impl, beast::tcp_stream& stream,
                                                           std::string host, std::uint16_t port,
                                                           SteadyClock::time_point deadline) {
  const HttpClientOptions& options = impl->options;
  const SteadyClock::time_point expiry = step_expiry(options.connect_timeout, deadline);
  std::vector<tcp::endpoint> endpoints;
  error_code error;
  const auto override_address = options.host_addresses.find(host);
  const auto literal = asio::ip::make_address(
      override_address != options.host_addresses.end() ? override_address->second : host, error);
  if (!error) {
    endpoints.emplace_back(literal, port);
  } else {
    auto resolver = std::make_shared<tcp::resolver>(impl->executor);
    asio::steady_timer timer(impl->executor);
    timer.expires_at(expiry);
    timer.async_wait(CancelResolution{resolver});
    error = {};
    const auto results = co_await resolver->async_resolve(host, std::to_string(port), awaitable_with(error));
    timer.cancel();
    if (error == asio::error::operation_aborted) {
      co_return TransportError{TransportFailure::timeout, timeout_message("name resolution", options.connect_timeout,
                                                                        expiry, deadline, options.request_deadline)};
    }
    if (error) {
      co_return TransportError{TransportFailure::connect_failed, "cannot resolve " + host + ": " + error.message()};
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  ++impl->stats.connections_opened;
  stream.expires_at(expiry);
  error = {};
  co_await stream.async_connect(endpoints, awaitable_with(error));
  if (error == beast::error::timeout) {
    co_return TransportError{TransportFailure::timeout, timeout_message("connect", options.connect_timeout, expiry,
                                                                        deadline, options.request_deadline)};
  }
  if (error) {
    co_return TransportError{TransportFailure::connect_failed,
                             "connect to " + host + ":" + std::to_string(port) + ": " + error.message()};
  }
  ++impl->stats.open;
  co_return std::nullopt;
}

// Asks the proxy on `stream` for a tunnel to the URL's host and port.
asio::awaitable<std::optional<TransportError>> open_tunnel(std::shared_ptr<Impl> impl, beast::tcp_stream& stream,
                                                           beast::flat_buffer& buffer, HttpUrl url, ProxyUrl proxy,
                                                           SteadyClock::time_point deadline) {
  const HttpClientOptions& options = impl->options;
  const std::string authority =
      (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  const std::string proxy_name = "proxy " + proxy.host + ":" + std::to_string(proxy.port);
  http::request<http::empty_body> request{http::verb::connect, authority, 11};
  request.set(http::field::host, authority);
  if (proxy.has_credentials()) request.set(http::field::proxy_authorization, proxy.basic_authorization());
  error_code error;
  SteadyClock::time_point expiry = step_expiry(options.write_timeout, deadline);
  stream.expires_at(expiry);
  co_await http::async_write(stream, request, awaitable_with(error));
  if (error == beast::error::timeout) {
    co_return TransportError{TransportFailure::timeout, timeout_message("CONNECT", options.write_timeout, expiry,
                                                                        deadline, options.request_deadline)};
  }
  if (error) co_return TransportError{TransportFailure::connect_failed, proxy_name + ": " + error.message()};

  http::response_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.skip(true);  // a 2xx to CONNECT has no body: the tunnel starts right after the head
  expiry = step_expiry(options.read_timeout, deadline);
  stream.expires_at(expiry);
  co_await http::async_read_header(stream, buffer, parser, awaitable_with(error));
  if (error == beast::error::timeout) {
    co_return TransportError{TransportFailure::timeout, timeout_message("CONNECT", options.read_timeout, expiry,
                                                                        deadline, options.request_deadline)};
  }
  if (error) {
    co_return TransportError{TransportFailure::connect_failed, proxy_name + " answered CONNECT badly: " +
                                                                   error.message()};
  }
  const unsigned status = parser.get().result_int();
  buffer.clear();
  if (status >= 200 && status < 300) co_return std::nullopt;
  const std::string answer = proxy_name + " answered CONNECT " + authority + " with " + std::to_string(status);
  if (status >= 400 && status < 500) co_return TransportError{TransportFailure::proxy_refused, answer};
  co_return TransportError{TransportFailure::connect_failed, answer};
}

// TLS over the connection's TCP stream: TLS 1.2+, the peer verified, its name checked, SNI for names.
asio::awaitable<std::optional<TransportError>> handshake(std::shared_ptr<Impl> impl, Connection& connection,
                                                         HttpUrl url, SteadyClock::time_point deadline) {
  const HttpClientOptions& options = impl->options;
  connection.tls.emplace(std::move(*connection.plain), impl->tls);
  connection.plain.reset();
  TlsStream& stream = *connection.tls;
  // RFC 6066 forbids IP literals in SNI; the certificate's IP SAN is checked instead.
  if (!url.host_is_ip_literal() && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    co_return TransportError{TransportFailure::tls_failed, "cannot set the TLS server name " + url.host};
  }
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  const SteadyClock::time_point expiry = step_expiry(options.handshake_timeout, deadline);
  beast::get_lowest_layer(stream).expires_at(expiry);
  error_code error;
  co_await stream.async_handshake(ssl::stream_base::client, awaitable_with(error));
  if (error == beast::error::timeout) {
    co_return TransportError{TransportFailure::timeout, timeout_message("TLS handshake", options.handshake_timeout,
                                                                        expiry, deadline, options.request_deadline)};
  }
  if (error) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    std::string why = verify != X509_V_OK ? std::string("certificate of ") + url.host + " not accepted: " +
                                                X509_verify_cert_error_string(verify)
                                          : "TLS handshake with " + url.host + " failed: " + error.message();
    co_return TransportError{TransportFailure::tls_failed, std::move(why)};
  }
  co_return std::nullopt;
}

// Opens the leased connection: directly, or through the proxy for https origins it does not bypass.
asio::awaitable<std::optional<TransportError>> open_connection(std::shared_ptr<Impl> impl, Connection& connection,
                                                               HttpUrl url, SteadyClock::time_point deadline) {
  const ProxySettings& proxy = impl->options.proxy;
  const bool https = url.scheme == "https";
  const bool tunnel = https && proxy.https_proxy && !bypasses_proxy(proxy, url.host);
  if (tunnel && proxy.https_proxy->scheme != "http") {
    co_return TransportError{TransportFailure::proxy_refused,
                             "TLS to the proxy itself is not supported: use an http:// proxy URL"};
  }
  connection.plain.emplace(impl->executor);
  // Plain statements, not `tunnel ? co_await a : co_await b`: GCC 12 destroys such a temporary twice.
  std::optional<TransportError> failure;
  if (tunnel) {
    failure = co_await connect_tcp(impl, *connection.plain, proxy.https_proxy->host, proxy.https_proxy->port,
                                   deadline);
  } else {
    failure = co_await connect_tcp(impl, *connection.plain, url.host, url.port, deadline);
  }
  if (!failure && tunnel) {
    failure = co_await open_tunnel(impl, *connection.plain, connection.buffer, url, *proxy.https_proxy, deadline);
  }
  if (!failure && https) failure = co_await handshake(impl, connection, url, deadline);
  if (failure) impl->close(connection);
  co_return failure;
}

struct ExchangeOutcome {
  std::optional<HttpResponse> response;
  TransportError error;
  bool keep_alive = false;
};

// Writes the request and reads the final response (interim 1xx answers are skipped) on an open stream. The
// caller owns the connection and awaits this, so the references outlive it.
template <class Stream>
asio::awaitable<ExchangeOutcome> exchange(std::shared_ptr<Impl> impl, Stream& stream, beast::tcp_stream& lowest,
                                          beast::flat_buffer& buffer,
                                          const http::request<http::string_body>& request,
                                          SteadyClock::time_point deadline) {
  const HttpClientOptions& options = impl->options;
  ExchangeOutcome outcome;
  error_code error;
  SteadyClock::time_point expiry = step_expiry(options.write_timeout, deadline);
  lowest.expires_at(expiry);
  co_await http::async_write(stream, request, awaitable_with(error));
  if (error == beast::error::timeout) {
    outcome.error = {TransportFailure::timeout,
                     timeout_message("write", options.write_timeout, expiry, deadline, options.request_deadline)};
    co_return outcome;
  }
  if (error) {
    outcome.error = {TransportFailure::reset_before_response, "write failed: " + error.message()};
    co_return outcome;
  }
  bool any_byte = false;
  for (;;) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    parser.skip(request.method() == http::verb::head);  // a HEAD answer announces a length but has no body
    expiry = step_expiry(options.read_timeout, deadline);
    lowest.expires_at(expiry);
    co_await http::async_read(stream, buffer, parser, awaitable_with(error));
    any_byte = any_byte || parser.got_some();
    if (error == beast::error::timeout) {
      outcome.error = {TransportFailure::timeout,
                       timeout_message("read", options.read_timeout, expiry, deadline, options.request_deadline)};
      co_return outcome;
    }
    if (error) {
      outcome.error = read_failure(error, any_byte, options);
      co_return outcome;
    }
    http::response<http::string_body> message = parser.release();
    if (message.result_int() >= 100 && message.result_int() < 200) continue;
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) response.headers.emplace_back(field.name_string(), field.value());
    response.body = std::move(message.body());
    outcome.keep_alive = message.keep_alive();
    outcome.response = std::move(response);
    co_return outcome;
  }
}

// Method, origin and path, for messages: never the query, where operation URLs carry their signatures.
std::string describe(const std::string& method, const HttpUrl& url) {
  const auto query = url.target.find('?');
  return method + " " + url.scheme + "://" + url.host_header() + url.target.substr(0, query);
}

asio::awaitable<Result<HttpResponse, TransportError>> send_request(std::shared_ptr<Impl> impl, HttpRequest request) {
  auto parsed = parse_http_url(request.url);
  if (!parsed) co_return TransportError{TransportFailure::invalid_url, request.method + ": " + parsed.error().message};
  const HttpUrl url = *parsed;
  const std::string what = describe(request.method, url);
  const SteadyClock::time_point deadline = SteadyClock::now() + impl->options.request_deadline;

  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(url.target);
  message.set(http::field::host, url.host_header());
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  message.body() = std::move(request.body);
  message.keep_alive(true);
  message.prepare_payload();

  const std::string origin = url.origin();
  std::unique_ptr<Connection> connection = co_await acquire(impl, origin, deadline);
  if (!connection) {
    co_return TransportError{TransportFailure::timeout,
                             what + ": no connection became free before the request deadline of " +
                                 std::to_string(impl->options.request_deadline.count()) + " ms"};
  }
  ++impl->stats.requests;
  if (connection->open()) ++impl->stats.reused;
  for (int attempt = 0;; ++attempt) {
    if (!connection->open()) {
      if (auto failure = co_await open_connection(impl, *connection, url, deadline)) {
        impl->release(origin, std::move(connection), false);
        failure->message = what + ": " + failure->message;
        co_return *std::move(failure);
      }
    }
    ExchangeOutcome outcome;
    if (connection->tls) {
      outcome = co_await exchange(impl, *connection->tls, connection->lowest(), connection->buffer, message, deadline);
    } else {
      outcome = co_await exchange(impl, *connection->plain, connection->lowest(), connection->buffer, message, deadline);
    }
    if (outcome.response) {
      connection->has_served = true;
      impl->release(origin, std::move(connection), outcome.keep_alive);
      co_return *std::move(outcome.response);
    }
    const bool was_idle = connection->has_served;
    impl->close(*connection);
    if (was_idle && attempt == 0 && outcome.error.failure == TransportFailure::reset_before_response) {
      ++impl->stats.retried_on_fresh;
      continue;
    }
    impl->release(origin, std::move(connection), false);
    outcome.error.message = what + ": " + outcome.error.message;
    co_return outcome.error;
  }
}

}  // namespace

Result<std::shared_ptr<HttpClient>> HttpClient::create(asio::any_io_executor executor, HttpClientOptions options) {
  auto impl = std::make_shared<Impl>(std::move(executor), std::move(options));
  SSL_CTX* context = impl->tls.native_handle();
  if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1) {
    return make_error("cannot require TLS 1.2 or later");
  }
  error_code error;
  if (impl->options.use_system_store) {
    impl->tls.set_default_verify_paths(error);
    if (error) return make_error("cannot load the system's CA certificates: " + error.message());
  }
  if (!impl->options.extra_ca_pem.empty()) {
    impl->tls.add_certificate_authority(asio::buffer(impl->options.extra_ca_pem), error);
    if (error) return make_error("the extra CA is not a PEM certificate: " + error.message());
  }
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() { close_idle(); }

asio::awaitable<Result<HttpResponse, TransportError>> HttpClient::send(HttpRequest request) {
  return send_request(impl_, std::move(request));
}

HttpClientStats HttpClient::stats() const { return impl_->stats; }

void HttpClient::close_idle() {
  for (auto& [origin, pool] : impl_->pools) {
    for (auto& connection : pool.idle) impl_->close(*connection);
    pool.idle.clear();
  }
}

}  // namespace rpd::azure
