// The test CONNECT proxy: tunnels to a loopback echo server, credentials, refusals, limits and the records it
// keeps. Every blocking step has a deadline (step_timeout), so a fault fails a test instead of hanging it.
#include "tests/azure/connect_proxy.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/completion_condition.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace rpd::testing {
namespace {

using namespace std::string_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr auto step_timeout = std::chrono::seconds(5);
constexpr auto nothrow_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
// What the echo server sends after the client's FIN, before its own: it arrives only through a tunnel that passed
// the FIN on as a half-close and kept the other direction open.
constexpr std::string_view echo_farewell = "farewell\n";
constexpr std::string_view aladdin = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==";  // RFC 7617: Aladdin, open sesame

// ---- A loopback server standing for the tunnel's target ----

enum class ServerMode {
  echo,             // sends back what it gets; once the client has closed its side, sends echo_farewell and closes
  greet_and_close,  // sends "bye\n" and closes its side at once, then takes in what comes until the client closes
};

struct ServerState {
  std::atomic<int> accepted{0};
  std::mutex mutex;
  std::string received;  // greet_and_close: what arrived after the greeting
};

asio::awaitable<void> serve_echo(tcp::socket socket) {
  std::array<char, 8192> chunk{};
  for (;;) {
    auto [read_error, size] = co_await socket.async_read_some(asio::buffer(chunk), nothrow_awaitable);
    if (read_error) break;
    auto [write_error, written] =
        co_await asio::async_write(socket, asio::buffer(chunk.data(), size), nothrow_awaitable);
    if (write_error) co_return;
  }
  auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(echo_farewell), nothrow_awaitable);
  if (write_error) co_return;
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> serve_greeting(tcp::socket socket, std::shared_ptr<ServerState> state) {
  const std::string greeting = "bye\n";
  auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(greeting), nothrow_awaitable);
  if (write_error) co_return;
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 8192> chunk{};
  for (;;) {
    auto [read_error, size] = co_await socket.async_read_some(asio::buffer(chunk), nothrow_awaitable);
    if (read_error) co_return;
    const std::lock_guard lock(state->mutex);
    state->received.append(chunk.data(), size);
  }
}

asio::awaitable<void> accept_targets(tcp::acceptor acceptor, ServerMode mode, std::shared_ptr<ServerState> state) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(nothrow_awaitable);
    if (error) co_return;
    ++state->accepted;
    if (mode == ServerMode::echo) {
      asio::co_spawn(acceptor.get_executor(), serve_echo(std::move(socket)), asio::detached);
    } else {
      asio::co_spawn(acceptor.get_executor(), serve_greeting(std::move(socket), state), asio::detached);
    }
  }
}

class TargetServer {
 public:
  explicit TargetServer(ServerMode mode = ServerMode::echo) : state_(std::make_shared<ServerState>()) {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    port_ = acceptor.local_endpoint().port();
    asio::co_spawn(io_, accept_targets(std::move(acceptor), mode, state_), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TargetServer() {
    io_.stop();
    thread_.join();
  }
  TargetServer(const TargetServer&) = delete;
  TargetServer& operator=(const TargetServer&) = delete;

  unsigned short port() const { return port_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return state_->accepted.load(); }
  std::string received() const {
    const std::lock_guard lock(state_->mutex);
    return state_->received;
  }

 private:
  asio::io_context io_{1};
  std::shared_ptr<ServerState> state_;
  unsigned short port_ = 0;
  std::thread thread_;
};

// A loopback port nobody listens on (as long as nobody takes it in the moment between).
unsigned short unused_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

// ---- A synchronous client with a deadline on every step ----

class Client {
 public:
  Client() = default;

  error_code connect(unsigned short port) {
    error_code result;
    int pending = 1;
    socket_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&](error_code error) {
      result = error;
      --pending;
    });
    return finish(pending, result);
  }

  error_code write(std::string_view bytes) {
    error_code result;
    int pending = 1;
    asio::async_write(socket_, asio::buffer(bytes), [&](error_code error, std::size_t) {
      result = error;
      --pending;
    });
    return finish(pending, result);
  }

  // The response head, through the blank line; what came behind it stays for the reads below. nullopt: failed.
  std::optional<std::string> read_head() {
    error_code result;
    std::size_t size = 0;
    int pending = 1;
    asio::async_read_until(socket_, asio::dynamic_buffer(received_, 64 * 1024), "\r\n\r\n",
                           [&](error_code error, std::size_t head_size) {
                             result = error;
                             size = head_size;
                             --pending;
                           });
    if (finish(pending, result)) return std::nullopt;
    return take(size);
  }

  std::optional<std::string> read_exactly(std::size_t size) {
    if (received_.size() < size) {
      error_code result;
      int pending = 1;
      asio::async_read(socket_, asio::dynamic_buffer(received_), asio::transfer_at_least(size - received_.size()),
                       [&](error_code error, std::size_t) {
                         result = error;
                         --pending;
                       });
      if (finish(pending, result)) return std::nullopt;
    }
    return take(size);
  }

  // Sends `bytes` and reads as many back at the same time, so that no amount can fill the buffers on the way.
  std::optional<std::string> exchange(std::string_view bytes) {
    error_code write_result;
    error_code read_result;
    int pending = 1;
    asio::async_write(socket_, asio::buffer(bytes), [&](error_code error, std::size_t) {
      write_result = error;
      --pending;
    });
    if (received_.size() < bytes.size()) {
      ++pending;
      asio::async_read(socket_, asio::dynamic_buffer(received_),
                       asio::transfer_at_least(bytes.size() - received_.size()), [&](error_code error, std::size_t) {
                         read_result = error;
                         --pending;
                       });
    }
    const error_code result = finish(pending, write_result);
    if (result || read_result) return std::nullopt;
    return take(bytes.size());
  }

  struct End {
    std::string data;  // everything that arrived before the end
    error_code error;  // eof for a proper close; connection_reset; timed_out
  };
  // Reads until the peer closes.
  End read_to_end() {
    End end;
    int pending = 1;
    asio::async_read(socket_, asio::dynamic_buffer(received_), [&](error_code error, std::size_t) {
      end.error = error;
      --pending;
    });
    end.error = finish(pending, end.error);
    end.data = take(received_.size());
    return end;
  }

  void shutdown_send() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  // Closes with a TCP reset instead of a FIN.
  void reset() {
    error_code ignored;
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

 private:
  // Runs the operations started until none is pending, or closes the socket at the deadline (timed_out).
  // `pending` and `result` are the handlers' own variables, read once the handlers have run.
  error_code finish(const int& pending, const error_code& result) {
    io_.restart();
    io_.run_for(step_timeout);
    if (pending == 0) return result;
    error_code ignored;
    socket_.close(ignored);
    io_.restart();
    io_.run();  // the aborted handlers
    return asio::error::timed_out;
  }
  std::string take(std::size_t size) {
    std::string taken = received_.substr(0, size);
    received_.erase(0, size);
    return taken;
  }

  asio::io_context io_{1};
  tcp::socket socket_{io_};
  std::string received_;
};

std::string connect_request(std::string_view target, std::string_view extra_headers = "") {
  return "CONNECT " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(target) + "\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string authorization(std::string_view credentials) {
  return "Proxy-Authorization: " + std::string(credentials) + "\r\n";
}

int status_of(std::string_view head) {
  if (head.size() < 12 || head.substr(0, 9) != "HTTP/1.1 ") return -1;
  return std::stoi(std::string(head.substr(9, 3)));
}

// The value of the first header `name` (as spelled), or nullopt.
std::optional<std::string> header_of(std::string_view head, std::string_view name) {
  const std::string key = "\r\n" + std::string(name) + ": ";
  const auto at = head.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  const auto start = at + key.size();
  return std::string(head.substr(start, head.find("\r\n", start) - start));
}

// Sends `request` on a new connection and reads the answer's head; -1 when none came.
struct Answer {
  int status = -1;
  std::string head;
};
Answer ask(const ConnectProxy& proxy, std::string_view request) {
  Client client;
  if (client.connect(proxy.port())) return {};
  if (client.write(request)) return {};
  auto head = client.read_head();
  if (!head) return {};
  // A refusal ends the connection: its body, then the proxy's close.
  if (status_of(*head) != 200) {
    EXPECT_EQ(client.read_to_end().error, asio::error::eof) << *head;
  }
  return Answer{.status = status_of(*head), .head = std::move(*head)};
}

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + step_timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();  // the proxy's thread does the work; polled until the deadline
  }
  return true;
}

std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7 + i / 251) % 256);
  return bytes;
}

// A client with an open tunnel to `target`, or a failed assertion.
void open_tunnel(Client& client, const ConnectProxy& proxy, std::string_view target,
                 std::string_view extra_headers = "") {
  ASSERT_FALSE(client.connect(proxy.port()));
  ASSERT_FALSE(client.write(connect_request(target, extra_headers)));
  const auto head = client.read_head();
  ASSERT_TRUE(head.has_value());
  ASSERT_EQ(*head, established);
}

void expect_records(const ConnectProxy& proxy, const std::vector<ConnectRecord>& expected) {
  const auto actual = proxy.records();
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].target, expected[i].target) << "record " << i;
    EXPECT_EQ(actual[i].authorized, expected[i].authorized) << "record " << i;
    EXPECT_EQ(actual[i].status, expected[i].status) << "record " << i;
  }
}

// ---- Tests ----

TEST(ConnectProxy, ListensOnLoopback) {
  ConnectProxy proxy;
  EXPECT_NE(proxy.port(), 0);
  EXPECT_EQ(proxy.url(), "http://127.0.0.1:" + std::to_string(proxy.port()));
  EXPECT_TRUE(proxy.records().empty());
  EXPECT_EQ(proxy.tunnels_open(), 0);
  EXPECT_EQ(proxy.connect_attempts(), 0);
}

TEST(ConnectProxy, TunnelCarriesBytesBothWaysAndHalfCloses) {
  TargetServer echo;
  ConnectProxy proxy;
  Client client;
  open_tunnel(client, proxy, echo.target());
  if (HasFatalFailure()) return;
  EXPECT_EQ(proxy.tunnels_open(), 1);
  // The proxy's connect completes with the handshake, maybe before the server's accept has run: poll.
  EXPECT_TRUE(eventually([&] { return echo.accepted() == 1; }));

  EXPECT_EQ(client.exchange("hello"), "hello"s);
  const std::string large = pattern(1024 * 1024);  // more than the socket buffers on the way hold
  EXPECT_TRUE(client.exchange(large) == large);    // not EXPECT_EQ: a failure would print a megabyte

  // The client's FIN reaches the server, whose answer, farewell and FIN still come back through the half-open
  // tunnel.
  ASSERT_FALSE(client.write("tail"));
  client.shutdown_send();
  const auto end = client.read_to_end();
  EXPECT_EQ(end.error, asio::error::eof);
  EXPECT_EQ(end.data, "tail" + std::string(echo_farewell));

  EXPECT_TRUE(eventually([&] { return proxy.tunnels_open() == 0; }));
  expect_records(proxy, {{echo.target(), true, 200}});
  EXPECT_EQ(proxy.connect_attempts(), 1);
}

TEST(ConnectProxy, ForwardsBytesSentTogetherWithTheHead) {
  TargetServer echo;
  ConnectProxy proxy;
  Client client;
  ASSERT_FALSE(client.connect(proxy.port()));
  // A client that does not wait for the 200 (a TLS ClientHello, typically): one write, so one read at the proxy.
  ASSERT_FALSE(client.write(connect_request(echo.target()) + "early bytes"));
  const auto head = client.read_head();
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(*head, established);
  EXPECT_EQ(client.read_exactly(11), "early bytes"s);
  EXPECT_EQ(client.exchange("and later ones"), "and later ones"s);
}

TEST(ConnectProxy, ServerHalfCloseReachesTheClient) {
  TargetServer greeter(ServerMode::greet_and_close);
  ConnectProxy proxy;
  Client client;
  open_tunnel(client, proxy, greeter.target());
  if (HasFatalFailure()) return;

  const auto end = client.read_to_end();  // the greeting, then the server's FIN passed on
  EXPECT_EQ(end.error, asio::error::eof);
  EXPECT_EQ(end.data, "bye\n");
  EXPECT_EQ(proxy.tunnels_open(), 1);  // the client's direction is still open
  ASSERT_FALSE(client.write("still here"));
  EXPECT_TRUE(eventually([&] { return greeter.received() == "still here"; }));

  client.shutdown_send();
  EXPECT_TRUE(eventually([&] { return proxy.tunnels_open() == 0; }));
}

TEST(ConnectProxy, ClientResetClosesTheTunnel) {
  TargetServer echo;
  ConnectProxy proxy;
  Client client;
  open_tunnel(client, proxy, echo.target());
  if (HasFatalFailure()) return;
  EXPECT_EQ(client.exchange("x"), "x"s);
  client.reset();
  EXPECT_TRUE(eventually([&] { return proxy.tunnels_open() == 0; }));
}

TEST(ConnectProxy, SeveralTunnelsAtOnce) {
  TargetServer echo;
  ConnectProxy proxy;
  {
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 3; ++i) {
      clients.push_back(std::make_unique<Client>());
      open_tunnel(*clients.back(), proxy, echo.target());
      if (HasFatalFailure()) return;
    }
    EXPECT_EQ(proxy.tunnels_open(), 3);
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const std::string message = "client " + std::to_string(i);
      EXPECT_EQ(clients[i]->exchange(message), message);
    }
  }  // the clients close
  EXPECT_TRUE(eventually([&] { return proxy.tunnels_open() == 0; }));
  EXPECT_EQ(proxy.records().size(), 3u);
}

TEST(ConnectProxy, DestructorClosesOpenTunnels) {
  TargetServer echo;
  auto proxy = std::make_unique<ConnectProxy>();
  Client client;
  open_tunnel(client, *proxy, echo.target());
  if (HasFatalFailure()) return;
  EXPECT_EQ(client.exchange("x"), "x"s);
  proxy.reset();
  const auto end = client.read_to_end();
  EXPECT_NE(end.error, asio::error::timed_out);  // a FIN or a reset, but at once
  EXPECT_EQ(end.data, "");
}

TEST(ConnectProxy, LocalhostAndOtherLoopbackLiteralsAreTargets) {
  TargetServer echo;
  ConnectProxy proxy;
  const std::string port = std::to_string(echo.port());
  {
    Client client;
    open_tunnel(client, proxy, "localhost:" + port);
    if (HasFatalFailure()) return;
    EXPECT_EQ(client.exchange("via localhost"), "via localhost"s);
  }
  {
    Client client;
    open_tunnel(client, proxy, "LocalHost:" + port);
    if (HasFatalFailure()) return;
    EXPECT_EQ(client.exchange("in any case"), "in any case"s);
  }
  // Allowed, but nothing listens there (the server has 127.0.0.1 only): tried, and refused by the system.
  EXPECT_EQ(ask(proxy, connect_request("[::1]:" + port)).status, 502);
  EXPECT_EQ(ask(proxy, connect_request("127.0.0.2:" + port)).status, 502);
  EXPECT_EQ(proxy.connect_attempts(), 4);
  EXPECT_EQ(echo.accepted(), 2);
}

TEST(ConnectProxy, RequiresBasicCredentialsWhenConfigured) {
  TargetServer echo;
  ConnectProxy proxy(ConnectProxyOptions{.required_user = "Aladdin", .required_password = "open sesame"});

  const auto missing = ask(proxy, connect_request(echo.target()));
  EXPECT_EQ(missing.status, 407);
  EXPECT_EQ(header_of(missing.head, "Proxy-Authenticate"), "Basic realm=\"test\""s);
  EXPECT_EQ(ask(proxy, connect_request(echo.target(), authorization("Basic QWxhZGRpbjpvcGVuIHNlc2FtRQ=="))).status,
            407);  // open sesamE
  EXPECT_EQ(ask(proxy, connect_request(echo.target(), authorization("Basic QWxhZGRpbjo="))).status, 407);  // empty
  EXPECT_EQ(ask(proxy, connect_request(echo.target(), authorization("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ=="))).status,
            407);
  EXPECT_EQ(ask(proxy, connect_request(echo.target(), authorization("Basic !!!!"))).status, 407);
  EXPECT_EQ(proxy.connect_attempts(), 0);

  {
    Client client;
    open_tunnel(client, proxy, echo.target(), authorization(aladdin));
    if (HasFatalFailure()) return;
    EXPECT_EQ(client.exchange("open"), "open"s);
  }
  {
    Client client;  // the scheme in any case
    open_tunnel(client, proxy, echo.target(), authorization("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="));
    if (HasFatalFailure()) return;
  }
  const std::string target = echo.target();
  expect_records(proxy, {{target, false, 407},
                         {target, false, 407},
                         {target, false, 407},
                         {target, false, 407},
                         {target, false, 407},
                         {target, true, 200},
                         {target, true, 200}});
}

TEST(ConnectProxy, RefusesTargetsOffLoopbackWithoutConnecting) {
  ConnectProxy proxy;
  const std::vector<std::string> targets = {
      "example.com:443",   "10.0.0.1:443", "169.254.169.254:80",   "0.0.0.0:443",
      "[2001:db8::1]:443", "[::]:443",     "127.0.0.1.nip.io:443", "management.azure.com:443",
  };
  std::vector<ConnectRecord> expected;
  for (const auto& target : targets) {
    const auto answer = ask(proxy, connect_request(target));
    EXPECT_EQ(answer.status, 403) << target;
    expected.push_back({target, true, 403});
  }
  EXPECT_EQ(proxy.connect_attempts(), 0);  // not one connection tried
  expect_records(proxy, expected);
}

TEST(ConnectProxy, AllowedHostsReplaceTheDefaultAndStillOnlyReachLoopback) {
  TargetServer echo;
  ConnectProxy proxy(ConnectProxyOptions{.allowed_hosts = {"management.azure.com", "10.0.0.1", "[::1]"}});
  const std::string port = std::to_string(echo.port());
  {
    Client client;  // a listed name goes to 127.0.0.1
    open_tunnel(client, proxy, "Management.Azure.Com:" + port);
    if (HasFatalFailure()) return;
    EXPECT_EQ(client.exchange("arm"), "arm"s);
  }
  EXPECT_EQ(ask(proxy, connect_request("localhost:" + port)).status, 403);  // not listed
  EXPECT_EQ(ask(proxy, connect_request("127.0.0.1:" + port)).status, 403);  // not listed
  EXPECT_EQ(ask(proxy, connect_request("login.microsoftonline.com:443")).status, 403);
  EXPECT_EQ(ask(proxy, connect_request("10.0.0.1:443")).status, 403);  // listed, but never off loopback
  EXPECT_EQ(proxy.connect_attempts(), 1);
  EXPECT_EQ(ask(proxy, connect_request("[::1]:" + port)).status, 502);  // listed, loopback, nobody there
  EXPECT_EQ(proxy.connect_attempts(), 2);
}

TEST(ConnectProxy, UnreachableLoopbackPortIs502) {
  ConnectProxy proxy;
  const std::string target = "127.0.0.1:" + std::to_string(unused_port());
  EXPECT_EQ(ask(proxy, connect_request(target)).status, 502);
  EXPECT_EQ(proxy.connect_attempts(), 1);
  EXPECT_EQ(proxy.tunnels_open(), 0);
  expect_records(proxy, {{target, true, 502}});
}

TEST(ConnectProxy, OnlyConnectIsServed) {
  ConnectProxy proxy;
  const auto get = ask(proxy, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(header_of(get.head, "Allow"), "CONNECT"s);
  EXPECT_EQ(ask(proxy, "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n").status, 405);
  EXPECT_EQ(ask(proxy, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi").status, 405);
  EXPECT_EQ(proxy.connect_attempts(), 0);
  expect_records(proxy, {{"/", true, 405}, {"http://example.com/", true, 405}, {"/", true, 405}});
}

TEST(ConnectProxy, MalformedTargetsAre400) {
  ConnectProxy proxy;
  for (const std::string target :
       {"127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:44x3", "127.0.0.1:+443", "::1:443",
        ":443", "[::1]443", "[::1]:", "[nonsense]:443", "user@127.0.0.1:443", "/index.html"}) {
    EXPECT_EQ(ask(proxy, connect_request(target)).status, 400) << target;
  }
  // A CONNECT announcing a body.
  EXPECT_EQ(ask(proxy, connect_request("127.0.0.1:443", "Content-Length: 3\r\n") + "abc").status, 400);
  EXPECT_EQ(proxy.connect_attempts(), 0);
}

TEST(ConnectProxy, MalformedHeadIs400) {
  ConnectProxy proxy;
  EXPECT_EQ(ask(proxy, "this is not HTTP\r\n\r\n").status, 400);
  expect_records(proxy, {{"", false, 400}});
}

TEST(ConnectProxy, OversizedHeadIs431) {
  ConnectProxy proxy;
  const std::string request = connect_request("127.0.0.1:443", "X-Filler: " + std::string(32 * 1024, 'a') + "\r\n");
  const auto answer = ask(proxy, request);
  EXPECT_EQ(answer.status, 431);
  EXPECT_EQ(proxy.connect_attempts(), 0);
  expect_records(proxy, {{"", false, 431}});
}

TEST(ConnectProxy, SilentClientIsDroppedAfterTheReadTimeout) {
  ConnectProxy proxy(ConnectProxyOptions{.read_timeout = std::chrono::milliseconds(200)});
  Client client;
  ASSERT_FALSE(client.connect(proxy.port()));
  ASSERT_FALSE(client.write("CONNECT 127.0.0.1:443 HTTP/1.1\r\n"));  // and never the rest
  const auto start = std::chrono::steady_clock::now();
  const auto end = client.read_to_end();
  EXPECT_NE(end.error, asio::error::timed_out);  // the proxy gave up first, without an answer
  EXPECT_EQ(end.data, "");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_TRUE(proxy.records().empty());
  EXPECT_EQ(proxy.connect_attempts(), 0);
}

}  // namespace
}  // namespace rpd::testing
