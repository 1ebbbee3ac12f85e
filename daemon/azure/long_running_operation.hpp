#pragma once
// Long-running operations (AZURE.md section 2), as pure decisions: which URL to poll after the first answer,
// what one poll answer means, and how long to wait before the next. operation_poller.hpp does the I/O.
//
//   first answer                                   how the operation is followed
//   Azure-AsyncOperation header                    GET it: {"status": "InProgress" | "Succeeded" | ...}
//   else Location header                           GET it: 202 while running, 200/201/204 when done
//   else 200/201 whose provisioningState is not    GET the resource until its provisioningState ends
//        terminal ("Creating"), or a delete's 200   (a delete: until the GET answers 404)
//        whose state is "Deleting"
//   else 200/201/204                               done at once
//   202 without a polling header                   an error: there is nothing to follow
//
// Terminal states compare case-insensitively; a state this build does not know counts as still running.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "daemon/azure/arm_error.hpp"
#include "daemon/azure/headers.hpp"

namespace rpd::azure {

enum class PollMethod { azure_async_operation, location, provisioning_state };

// Everything needed to follow an operation, also in another process after a restart: store the three
// strings, and give them back to wait_for_operation.
struct OperationHandle {
  PollMethod method = PollMethod::azure_async_operation;
  std::string poll_url;      // absolute (from a header), or the resource's path for provisioning_state
  std::string resource_url;  // the resource the operation is about, for the final GET
  bool is_delete = false;    // a delete ends with nothing to GET

  bool operator==(const OperationHandle&) const = default;
};

std::string_view to_string(PollMethod method);  // "azure-async-operation", "location", "provisioning-state"
std::optional<PollMethod> poll_method_from(std::string_view text);

// From the first answer to a PUT, PATCH, DELETE or POST on `resource_url`: the operation to follow, or
// nullopt when the answer is already the end. A 202 without a polling header is an ArmError
// (code "MissingPollingHeader").
Result<std::optional<OperationHandle>, ArmError> operation_from_first_answer(int status, const Headers& headers,
                                                                             std::string_view body,
                                                                             std::string_view resource_url,
                                                                             bool is_delete);

enum class PollState { running, succeeded, failed };

struct PollVerdict {
  PollState state = PollState::running;
  std::optional<std::string> next_poll_url;  // a Location poll may name a new URL
  std::optional<ArmError> error;             // with failed: Azure's error, or one naming the state
};

// What one successful (status < 400) poll answer says. A body that cannot be read is an error value, not a
// verdict: the operation's state is then unknown.
Result<PollVerdict, ArmError> read_poll_answer(const OperationHandle& operation, int status, const Headers& headers,
                                               std::string_view body);

// Azure answered the poll with an error status (after the client's retries). For a Location poll a 4xx is
// the operation's failure; a deleted resource's 404 is a delete's success; otherwise (5xx, a 404 for the
// operation itself) the state is unknown: nullopt.
std::optional<PollVerdict> read_poll_error(const OperationHandle& operation, const ArmError& error);

struct PollTiming {
  std::chrono::milliseconds default_interval{30'000};  // what the SDKs wait without Retry-After
  std::chrono::milliseconds min_interval{1'000};       // a Retry-After of 0 must not become a tight loop
  std::chrono::milliseconds max_interval{600'000};     // nor one of a day a stuck job
};

// The wait before the next poll: the answer's Retry-After (any form), bounded, else the default.
std::chrono::milliseconds next_poll_interval(const Headers& headers, std::chrono::system_clock::time_point now,
                                             const PollTiming& timing);

}  // namespace rpd::azure
