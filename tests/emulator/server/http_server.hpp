#pragma once
// The emulator's servers: they carry Requests to a Handler and its Responses back, over HTTPS (Resource
// Manager, Entra ID) and plain HTTP (the managed identity endpoint), spoiling the answer as the Response's
// Delivery asks. Everything runs on one io_context driven by one thread, so Handler::handle() is never called
// concurrently. Beast stays in http_server.cpp: this header only needs Asio's socket types.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/result.hpp"
#include "tests/emulator/http_types.hpp"

namespace boost::asio::ssl {
class context;
}

namespace rpd::emulator {

struct ServerOptions {
  std::uint32_t header_limit = 16 * 1024;      // request line and headers; more is refused with 431
  std::uint64_t body_limit = 4 * 1024 * 1024;  // more is refused with 413
  // How long a connection may sit idle waiting for (the rest of) a request, or for the peer to take a response.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // How long Delivery::stall holds a connection that the client does not give up.
  std::chrono::milliseconds stall_limit = std::chrono::minutes(5);
};

// Accepts connections on one endpoint until close() or until the io_context is stopped or destroyed.
// close() and the destructor must not race with the io_context's thread: call them on it, or when it has stopped.
class Listener {
 public:
  // The address listened on, with the port the system chose when asked for port 0.
  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }
  // Stops accepting; connections already open carry on.
  void close();

 protected:
  Listener(std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor, boost::asio::ip::tcp::endpoint endpoint)
      : acceptor_(std::move(acceptor)), endpoint_(endpoint) {}

 private:
  std::shared_ptr<boost::asio::ip::tcp::acceptor> acceptor_;  // shared with the accepting coroutine
  boost::asio::ip::tcp::endpoint endpoint_;
};

// HTTPS: Requests arrive with https = true. The handler must outlive the io_context's last run.
class HttpsListener : public Listener {
 public:
  static Result<HttpsListener> start(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                                     std::shared_ptr<boost::asio::ssl::context> tls, Handler& handler,
                                     ServerOptions options = {});

 private:
  using Listener::Listener;
};

// Plain HTTP, for the managed identity endpoint (IMDS speaks nothing else): Requests arrive with https = false.
class HttpListener : public Listener {
 public:
  static Result<HttpListener> start(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                                    Handler& handler, ServerOptions options = {});

 private:
  using Listener::Listener;
};

}  // namespace rpd::emulator
