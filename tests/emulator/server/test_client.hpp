#pragma once
// A small synchronous HTTP(S) client for tests that talk to the emulator: one kept-alive connection, real
// certificate and host-name verification against the emulator's CA, and a timeout on every step so that a test
// never hangs. It only ever connects to loopback addresses.

#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpd::emulator {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct TestResponse {
  int status = 0;
  TestHeaders headers;
  std::string body;

  // The first header of that name (compared case-insensitively), or "" when there is none.
  std::string header(std::string_view name) const;
};

struct TestClientOptions {
  std::string address = "127.0.0.1";  // where to connect: a loopback address, anything else is refused
  std::string host = "127.0.0.1";     // the Host header, SNI, and the name the certificate must carry
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // for each step: connect, handshake, write, read
};

class HttpsTestClient {
 public:
  // HTTPS to `port`, trusting `ca_pem` and nothing else.
  HttpsTestClient(std::string ca_pem, unsigned short port, TestClientOptions options = {});
  // Plain HTTP to `port` (the managed identity endpoint).
  static HttpsTestClient plain_http(unsigned short port, TestClientOptions options = {});

  HttpsTestClient(HttpsTestClient&&) noexcept;
  HttpsTestClient& operator=(HttpsTestClient&&) noexcept;
  ~HttpsTestClient();

  // One exchange on the kept-alive connection, connecting first when there is none. Interim 1xx answers are
  // skipped. A failure (TLS verification, timeout, reset, truncated body) closes the connection and is returned;
  // the next call connects again.
  boost::system::result<TestResponse> try_request(std::string_view method, std::string_view target,
                                                  std::string_view body = {}, const TestHeaders& headers = {});
  // The same, but a failure throws boost::system::system_error naming the request.
  TestResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const TestHeaders& headers = {});
  // Sends `bytes` as they are (a malformed request, say) on the connection and reads one response.
  boost::system::result<TestResponse> try_raw_request(std::string_view bytes);

  void set_timeout(std::chrono::milliseconds timeout);
  // Drops the connection; the next request opens a new one.
  void close();
  bool connected() const;
  // How many connections this client has opened: 1 after any number of kept-alive requests.
  int connections_opened() const;

 private:
  struct State;
  explicit HttpsTestClient(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rpd::emulator
