#include "tests/azure/connect_proxy.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

namespace rpd::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// Every operation's error comes back as a value: a peer that goes away is expected, not exceptional.
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);

constexpr std::uint32_t header_limit = 16 * 1024;  // request line and headers
// How long a refused client may go on sending what we will not read before we close anyway.
constexpr auto drain_limit = std::chrono::seconds(2);
constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";

// What the proxy's coroutines share with the ConnectProxy; they hold it by shared_ptr, so it outlives them
// whichever goes first.
struct State {
  explicit State(ConnectProxyOptions proxy_options) : options(std::move(proxy_options)) {}

  void record(std::string target, bool authorized, int status) {
    const std::lock_guard lock(mutex);
    records.push_back(ConnectRecord{.target = std::move(target), .authorized = authorized, .status = status});
  }

  const ConnectProxyOptions options;
  mutable std::mutex mutex;
  std::vector<ConnectRecord> records;  // guarded by mutex
  std::atomic<int> tunnels_open{0};
  std::atomic<int> connect_attempts{0};
};

// Both ends of an open tunnel, shared by its two relay directions: the last one to finish closes the sockets.
struct Tunnel {
  Tunnel(std::shared_ptr<State> proxy_state, const asio::any_io_executor& executor)
      : state(std::move(proxy_state)), client(executor), upstream(executor) {
    ++state->tunnels_open;
  }
  ~Tunnel() { --state->tunnels_open; }
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  // Ends both directions at once: a reset or a failed write on one side leaves nothing to relay.
  void close() {
    error_code ignored;
    client.close(ignored);
    upstream.close(ignored);
  }

  std::shared_ptr<State> state;
  tcp::socket client;
  tcp::socket upstream;
};

// ---- Decisions, without I/O ----

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lowercase(std::string_view text) {
  std::string lowered(text);
  for (char& c : lowered) c = ascii_lower(c);
  return lowered;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') return host.substr(1, host.size() - 2);
  return host;
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with its padding (RFC 4648 section 4), as RFC 7617 asks for; nullopt when it is not that.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string decoded;
  std::uint32_t bits = 0;
  int bit_count = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      if (i + 2 < text.size()) return std::nullopt;  // padding only in the last two places
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;  // data after padding
    const int value = base64_value(text[i]);
    if (value < 0) return std::nullopt;
    bits = ((bits << 6) | static_cast<std::uint32_t>(value)) & 0xFFFFFFu;
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      decoded.push_back(static_cast<char>((bits >> bit_count) & 0xFFu));
    }
  }
  return decoded;
}

// Proxy-Authorization: Basic base64(user:password), the scheme in any case (RFC 9110 section 11.1).
bool credentials_match(std::string_view header, const ConnectProxyOptions& options) {
  header = trim(header);
  const auto space = header.find(' ');
  if (space == std::string_view::npos || !iequal(header.substr(0, space), "Basic")) return false;
  const auto decoded = base64_decode(trim(header.substr(space + 1)));
  return decoded && *decoded == options.required_user + ":" + options.required_password;
}

struct Target {
  std::string host;  // without brackets
  unsigned short port = 0;
  bool bracketed = false;  // an IPv6 literal
};

bool is_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// The authority form of RFC 9110 section 9.3.6, host:port, with an IPv6 literal in brackets.
std::optional<Target> parse_target(std::string_view text) {
  Target target;
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    error_code error;
    asio::ip::make_address_v6(std::string(host), error);
    if (error) return std::nullopt;
    target.bracketed = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty()) return std::nullopt;
    for (const char c : host) {
      if (!is_name_character(c)) return std::nullopt;
    }
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  target.host = std::string(host);
  target.port = static_cast<unsigned short>(value);
  return target;
}

// Where a tunnel to `target` may go: only ever a loopback address, and never through DNS. nullopt: 403.
std::optional<tcp::endpoint> allowed_endpoint(const Target& target, const ConnectProxyOptions& options) {
  if (!options.allowed_hosts.empty()) {
    bool listed = false;
    for (const auto& allowed : options.allowed_hosts) listed = listed || iequal(strip_brackets(allowed), target.host);
    if (!listed) return std::nullopt;
  }
  error_code error;
  const auto address = asio::ip::make_address(target.host, error);
  if (!error) {  // an IP literal: as it is, when it is loopback
    if (!address.is_loopback()) return std::nullopt;
    return tcp::endpoint(address, target.port);
  }
  // A name: "localhost", or one the test listed, stands for 127.0.0.1.
  if (options.allowed_hosts.empty() && lowercase(target.host) != "localhost") return std::nullopt;
  return tcp::endpoint(asio::ip::address_v4::loopback(), target.port);
}

std::string answer(int status, std::string_view reason, std::string_view extra_headers, std::string_view message) {
  std::string body(message);
  body += '\n';
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  text += extra_headers;
  text += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  text += "Connection: close\r\n\r\n";
  text += body;
  return text;
}

bool is_parse_error(const error_code& error) {
  // end_of_stream: closed before sending anything; partial_message: closed halfway. Neither is answered.
  return error.category() == http::make_error_code(http::error::bad_method).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message;
}

// ---- Coroutines. Each is a named function; the spawned ones take everything by value, the others are awaited
// at once by a caller whose frame owns what they get by reference. ----

// Reports a bug: every expected failure is handled as a value and ends just its connection.
void log_failure(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    std::cerr << "connect_proxy: a connection failed: " << error.what() << std::endl;
  } catch (...) {
    std::cerr << "connect_proxy: a connection failed with an unknown exception" << std::endl;
  }
}

// Sends an answer that ends the connection, then takes in what the client still sends (until it closes, or for
// drain_limit) before closing: closing on unread data would reset the connection and could destroy the answer
// before the client reads it.
asio::awaitable<void> refuse(beast::tcp_stream& stream, std::string text, std::chrono::milliseconds write_timeout) {
  stream.expires_after(write_timeout);
  auto [write_error, written] = co_await asio::async_write(stream, asio::buffer(text), nothrow_awaitable);
  if (!write_error) {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(drain_limit);  // one deadline for the whole drain
    std::array<char, 4096> scratch{};
    for (;;) {
      auto [read_error, size] = co_await stream.async_read_some(asio::buffer(scratch), nothrow_awaitable);
      if (read_error) break;
    }
  }
  stream.close();
}

// refuse(), with the answer recorded first: a client that has read it finds it in records().
asio::awaitable<void> refuse_recorded(State& state, beast::tcp_stream& stream, std::string target, bool authorized,
                                      int status, std::string_view reason, std::string_view headers,
                                      std::string message) {
  state.record(std::move(target), authorized, status);
  co_await refuse(stream, answer(status, reason, headers, message), state.options.read_timeout);
}

enum class Direction { to_upstream, to_client };

// One direction of a tunnel: what one side sends goes to the other, and its close (FIN) is passed on as a
// shutdown(send), so that the other direction carries on until its own side closes.
asio::awaitable<void> relay(std::shared_ptr<Tunnel> tunnel, Direction direction) {
  tcp::socket& from = direction == Direction::to_upstream ? tunnel->client : tunnel->upstream;
  tcp::socket& to = direction == Direction::to_upstream ? tunnel->upstream : tunnel->client;
  std::array<char, 16 * 1024> chunk{};
  for (;;) {
    auto [read_error, size] = co_await from.async_read_some(asio::buffer(chunk), nothrow_awaitable);
    if (read_error) {
      if (read_error == asio::error::eof) {
        error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
      } else {
        tunnel->close();  // reset, or closed by the other direction
      }
      co_return;
    }
    auto [write_error, written] = co_await asio::async_write(to, asio::buffer(chunk.data(), size), nothrow_awaitable);
    if (write_error) {
      tunnel->close();
      co_return;
    }
  }
}

// One client connection: its request head, the decision, and either a refusal or the start of a tunnel.
asio::awaitable<void> serve_connection(tcp::socket socket, std::shared_ptr<State> state) {
  const ConnectProxyOptions& options = state->options;
  const auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;  // after the head, it may hold the first bytes for the tunnel
  http::request_parser<http::empty_body> parser;
  parser.header_limit(header_limit);

  stream.expires_after(options.read_timeout);  // one deadline for the whole head
  error_code read_error;
  while (!parser.is_header_done()) {
    auto [error, size] = co_await http::async_read_some(stream, buffer, parser, nothrow_awaitable);
    if (error) {
      read_error = error;
      break;
    }
  }
  if (read_error) {
    if (read_error == http::error::header_limit) {
      co_await refuse_recorded(*state, stream, "", false, 431, "Request Header Fields Too Large", "",
                               "the request head is over 16 KiB");
    } else if (is_parse_error(read_error)) {
      co_await refuse_recorded(*state, stream, "", false, 400, "Bad Request", "",
                               "malformed request: " + read_error.message());
    }
    co_return;  // timed out, or the client went away: nobody to answer
  }

  // Every answer is recorded before it is sent, so that a client that has read it finds it in records().
  const auto& request = parser.get();
  std::string target(request.target());
  const bool authorized =
      options.required_user.empty() || credentials_match(request[http::field::proxy_authorization], options);

  if (request.method() != http::verb::connect) {
    co_await refuse_recorded(*state, stream, target, authorized, 405, "Method Not Allowed", "Allow: CONNECT\r\n",
                             "this proxy only tunnels: use CONNECT");
    co_return;
  }
  if (!authorized) {
    co_await refuse_recorded(*state, stream, target, authorized, 407, "Proxy Authentication Required",
                             "Proxy-Authenticate: Basic realm=\"test\"\r\n", "proxy credentials required");
    co_return;
  }
  if (request.has_content_length() || request.chunked()) {
    co_await refuse_recorded(*state, stream, target, authorized, 400, "Bad Request", "",
                             "a CONNECT request has no body");
    co_return;
  }
  const auto parsed = parse_target(target);
  if (!parsed) {
    co_await refuse_recorded(*state, stream, target, authorized, 400, "Bad Request", "",
                             "the target must be host:port");
    co_return;
  }
  const auto endpoint = allowed_endpoint(*parsed, options);
  if (!endpoint) {
    co_await refuse_recorded(*state, stream, target, authorized, 403, "Forbidden", "",
                             "this proxy only connects to loopback: " + target);
    co_return;
  }

  ++state->connect_attempts;
  beast::tcp_stream upstream(executor);
  upstream.expires_after(options.connect_timeout);
  auto [connect_error] = co_await upstream.async_connect(*endpoint, nothrow_awaitable);
  if (connect_error) {
    if (connect_error == beast::error::timeout) {
      co_await refuse_recorded(*state, stream, target, authorized, 504, "Gateway Timeout", "",
                               "connecting to " + target + " timed out");
    } else {
      co_await refuse_recorded(*state, stream, target, authorized, 502, "Bad Gateway", "",
                               "cannot connect to " + target + ": " + connect_error.message());
    }
    co_return;
  }
  error_code ignored;
  upstream.socket().set_option(tcp::no_delay(true), ignored);

  state->record(target, true, 200);
  auto tunnel = std::make_shared<Tunnel>(state, executor);  // counted from here, before the client reads the 200
  stream.expires_after(options.read_timeout);
  auto [write_error, written] = co_await asio::async_write(stream, asio::buffer(established), nothrow_awaitable);
  if (write_error) co_return;
  if (buffer.size() > 0) {  // what the client sent right behind the head, in the same read
    upstream.expires_after(options.read_timeout);
    auto [early_error, early_size] = co_await asio::async_write(upstream, buffer.data(), nothrow_awaitable);
    if (early_error) co_return;
    buffer.consume(early_size);
  }
  tunnel->client = stream.release_socket();
  tunnel->upstream = upstream.release_socket();
  asio::co_spawn(executor, relay(tunnel, Direction::to_upstream), log_failure);
  asio::co_spawn(executor, relay(tunnel, Direction::to_client), log_failure);
}

asio::awaitable<void> accept_connections(tcp::acceptor acceptor, std::shared_ptr<State> state) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(nothrow_awaitable);
    if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (error) {
      // Out of file descriptors, most likely: give the open connections a moment instead of spinning.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(nothrow_awaitable);
      continue;
    }
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), state), log_failure);
  }
}

void run_io(asio::io_context& io) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& error) {  // not expected: every handler reports its failures as values
      std::cerr << "connect_proxy: " << error.what() << std::endl;
    } catch (...) {
      std::cerr << "connect_proxy: unknown exception" << std::endl;
    }
  }
}

}  // namespace

struct ConnectProxy::Impl {
  explicit Impl(ConnectProxyOptions options) : state(std::make_shared<State>(std::move(options))) {
    tcp::acceptor acceptor(io);
    const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    port = acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_connections(std::move(acceptor), state), log_failure);
    thread = std::thread(run_io, std::ref(io));
  }
  // Stopping the io_context ends the thread; destroying it (the last member to go) destroys every coroutine
  // still suspended, and with them the acceptor and every socket.
  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  asio::io_context io{1};
  std::shared_ptr<State> state;
  unsigned short port = 0;
  std::thread thread;
};

ConnectProxy::ConnectProxy(ConnectProxyOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

ConnectProxy::~ConnectProxy() = default;

unsigned short ConnectProxy::port() const { return impl_->port; }

std::string ConnectProxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

std::vector<ConnectRecord> ConnectProxy::records() const {
  const std::lock_guard lock(impl_->state->mutex);
  return impl_->state->records;
}

int ConnectProxy::tunnels_open() const { return impl_->state->tunnels_open.load(); }

int ConnectProxy::connect_attempts() const { return impl_->state->connect_attempts.load(); }

}  // namespace rpd::testing
