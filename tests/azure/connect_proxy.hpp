#pragma once
// A small HTTP CONNECT proxy for tests of the daemon's HTTPS client (HTTPS_PROXY, CONNECT tunnelling, Basic
// proxy credentials). It listens on 127.0.0.1 on a port the system chooses and serves each connection once: one
// request head (at most 16 KiB, read within read_timeout), then either an error answer and a close, or
// "HTTP/1.1 200 Connection established" and a byte relay both ways until both sides have closed.
//
// It only ever connects to loopback: a target is a loopback IP literal (127.0.0.0/8, [::1]) or a host name that
// the proxy maps to 127.0.0.1 without any DNS look-up ("localhost", or a name in allowed_hosts). Anything else is
// answered 403 before any connection is attempted.
//
// The answers, checked in this order:
//   405  the method is not CONNECT (Allow: CONNECT)
//   407  credentials are required and Proxy-Authorization is missing, not Basic, or wrong
//        (Proxy-Authenticate: Basic realm="test")
//   400  the target is not host:port (IPv6 in brackets, port 1-65535), or the CONNECT announces a body
//   403  the target is not allowed (see ConnectProxyOptions::allowed_hosts)
//   502  connecting to the target failed (refused, unreachable); 504 when it timed out
//   200  the tunnel is open
// and, before any of those, 431 for a request head over 16 KiB and 400 for one that does not parse. Every answer
// but 200 carries Connection: close: a client retries (with credentials, say) on a new connection.
//
// Everything runs on an io_context of the proxy's own, on a thread of its own; the accessors may be called from
// any thread. The destructor stops that thread and closes every connection, open tunnels included.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace rpd::testing {

struct ConnectProxyOptions {
  // Empty: no authentication. Otherwise every CONNECT needs Proxy-Authorization: Basic base64(user:password).
  std::string required_user{};
  std::string required_password{};
  // Empty: the targets allowed are loopback IP literals and "localhost". Otherwise exactly the hosts listed
  // (compared case-insensitively, without port; an IPv6 literal without brackets): a listed loopback literal is
  // connected to as it is, a listed name is mapped to 127.0.0.1, and a listed non-loopback literal is still
  // refused with 403. This lets a test CONNECT to "management.azure.com:<port>" and reach 127.0.0.1:<port>.
  std::vector<std::string> allowed_hosts{};
  // How long a client has to send its whole request head; how long connecting to the target may take.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
};

// One request head the proxy answered, in arrival order.
struct ConnectRecord {
  std::string target{};     // the request target as sent: "127.0.0.1:4443"; "" when the head did not parse
  bool authorized = false;  // no credentials required, or the right ones given
  int status = 0;           // the status answered: 200, 403, 407, ...
};

class ConnectProxy {
 public:
  // Listens on 127.0.0.1:0 and starts serving; throws std::system_error when it cannot listen.
  explicit ConnectProxy(ConnectProxyOptions options = {});
  // Stops the thread and closes the listener and every connection.
  ~ConnectProxy();
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;

  unsigned short port() const;
  std::string url() const;  // "http://127.0.0.1:<port>", for HTTPS_PROXY

  std::vector<ConnectRecord> records() const;  // a copy, taken under a lock
  int tunnels_open() const;                    // tunnels answered 200 and not yet closed on both sides
  int connect_attempts() const;                // connections the proxy tried to open to targets, ever

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rpd::testing
