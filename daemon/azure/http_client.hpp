#pragma once
// HTTP/1.1 exchanges for the Azure client: HTTPS to Resource Manager and Entra ID, plain HTTP only to the
// managed identity endpoint. One coroutine per exchange on the caller's io_context.
//
//   - TLS 1.2 or later, the peer's certificate verified against the system store plus an optional extra CA,
//     its name checked against the URL's host, SNI for host names. Nothing turns verification off.
//   - Keep-alive connections pooled per origin, at most max_connections_per_host open at once; more
//     requests wait for a free connection. A reused connection that fails before the first response byte
//     (the server closed it while it was idle) is retried once on a fresh one: nothing was answered, so the
//     request cannot have been half-processed as far as the answer goes.
//   - A timeout on each step (connect, handshake, write, read) and an overall deadline per request.
//   - Limits on the response's header and body size: a hostile server cannot exhaust memory.
//   - HTTPS_PROXY with CONNECT, Basic credentials from the proxy URL; NO_PROXY. Plain-HTTP requests (the
//     managed identity endpoint) never go through the proxy.
//
// Failures are values: a TransportError with the kind retry_policy decides on and a message for people that
// never contains a header value, a body or a query string.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "daemon/azure/headers.hpp"
#include "daemon/azure/proxy_rules.hpp"
#include "daemon/azure/retry_policy.hpp"

namespace rpd::azure {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string url;     // absolute; https, or http for the managed identity endpoint
  Headers headers;     // Host, Content-Length and Connection are the client's
  std::string body;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

struct TransportError {
  TransportFailure failure = TransportFailure::connect_failed;
  std::string message;  // "GET https://127.0.0.1:4443: read timed out after 2000 ms"
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds read_timeout{90'000};  // Resource Manager gives a provider 60 s before its 504
  std::chrono::milliseconds request_deadline{120'000};
  std::size_t max_header_bytes = 64 * 1024;        // operation URLs in headers run to 4 KB and more
  std::size_t max_body_bytes = 16 * 1024 * 1024;   // a page of 1,000 collections with their points fits
  std::size_t max_connections_per_host = 8;
  std::chrono::milliseconds idle_timeout{50'000};  // pooled connections unused this long are closed
  std::string extra_ca_pem;                        // azure.ca_file's content, trusted besides the system store
  bool use_system_store = true;                    // tests trust only the emulator's CA
  ProxySettings proxy;
  // host name -> IP literal, used instead of DNS (like curl --resolve): lets tests present the emulator under
  // another name to check that a certificate for the wrong host is refused.
  std::map<std::string, std::string> host_addresses;
};

struct HttpClientStats {
  long connections_opened = 0;  // TCP connections, including those to a proxy
  long requests = 0;
  long reused = 0;              // requests sent on a pooled connection
  long retried_on_fresh = 0;    // reused connections that failed before any byte and were retried
  long open = 0;                // connections open now, idle or busy
};

class HttpClient {
 public:
  // Fails when extra_ca_pem is not a PEM certificate or the TLS context cannot be set up.
  static Result<std::shared_ptr<HttpClient>> create(boost::asio::any_io_executor executor, HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<Result<HttpResponse, TransportError>> send(HttpRequest request);

  HttpClientStats stats() const;
  // Closes the idle connections (on reload, and at shutdown).
  void close_idle();

  struct Impl;

 private:
  explicit HttpClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace rpd::azure
