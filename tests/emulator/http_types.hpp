#pragma once
// What the emulator's servers hand to its logic and get back: plain values, no sockets. The logic
// (arm/) decides what Azure would answer and how the answer should be spoiled (fault injection); the
// servers (server/) only carry it over HTTPS or HTTP.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpd::emulator {

// The emulator's own time, to the millisecond: it may run faster than the wall clock (--time-scale).
using EmulatorTime = std::chrono::sys_time<std::chrono::milliseconds>;

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query, as received: "/subscriptions/...?api-version=2025-04-01"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool https = true;  // false on the plain HTTP listener (the managed identity endpoint)

  // The first header of that name (compared case-insensitively), or "" when there is none.
  std::string header(std::string_view name) const;
};

// How a response is to be delivered. Anything but `none` is an injected fault.
enum class Delivery {
  normal,
  reset,           // close the connection without answering
  stall,           // read the request, then answer nothing until the client gives up
  truncated_body,  // send the headers and half the body, then close
  slow,            // wait `delay` (real time) before answering
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Type, Azure-AsyncOperation, ...
  std::string body;
  Delivery delivery = Delivery::normal;
  std::chrono::milliseconds delay{0};  // with Delivery::slow
};

// The emulator's logic as the servers see it. handle() is called on the server's one thread.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Response handle(const Request& request) = 0;
};

}  // namespace rpd::emulator
