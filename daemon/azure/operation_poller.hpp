#pragma once
// Following a long-running operation to its end (AZURE.md section 2), with the decisions of
// long_running_operation.hpp: poll at Retry-After or the default interval, stop at a terminal state, and
// after a create or update GET the resource for its final state.

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "core/result.hpp"
#include "daemon/azure/arm_client.hpp"
#include "daemon/azure/long_running_operation.hpp"

namespace rpd::azure {

struct PollOptions {
  PollTiming timing;
  // How long one wait may follow an operation before it gives up (a create takes 36 s to over 3 minutes):
  // the operation may still run, and can be followed again from its handle.
  std::chrono::milliseconds max_wait{std::chrono::hours(2)};
};

struct OperationFailure {
  enum class Kind {
    failed,   // Azure said the operation failed or was canceled: `error` is why
    unknown,  // following it failed (a poll error, a body that cannot be read, max_wait): it may still run
  };
  Kind kind = Kind::unknown;
  ArmError error;

  bool outcome_known() const { return kind == Kind::failed; }
  std::string describe() const;  // "operation failed: <error>" or "operation state unknown: <error>"
};

// Waits `first_wait`, then polls until the operation ends. The answer is, for a create or update, the
// final GET of the resource (its body is the resource); for a delete, the last poll's.
boost::asio::awaitable<Result<ArmResponse, OperationFailure>> wait_for_operation(ArmClient& client,
                                                                                 OperationHandle operation,
                                                                                 std::chrono::milliseconds first_wait,
                                                                                 PollOptions options);

}  // namespace rpd::azure
