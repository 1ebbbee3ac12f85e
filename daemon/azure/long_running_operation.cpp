#include "daemon/azure/long_running_operation.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "core/arm_id.hpp"
#include "daemon/azure/models.hpp"
#include "daemon/azure/retry_policy.hpp"

namespace rpd::azure {
namespace {

namespace json = boost::json;

ArmError operation_error(std::string code, std::string message) {
  ArmError error;
  error.code = std::move(code);
  error.message = std::move(message);
  return error;
}

// properties.provisioningState of a resource body: nullopt when the body is not JSON or has none, which the
// callers treat as "nothing says it is still running".
std::optional<std::string> provisioning_state_of(std::string_view body) {
  boost::system::error_code ec;
  const json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto* properties = value.as_object().if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return std::nullopt;
  const auto* state = properties->as_object().if_contains("provisioningState");
  if (state == nullptr || !state->is_string()) return std::nullopt;
  return std::string(state->as_string());
}

bool is_terminal_state(std::string_view state) {
  return iequals(state, "Succeeded") || iequals(state, "Failed") ||
         iequals(state, "Canceled");
}

PollVerdict verdict_for_state(std::string_view state, std::optional<ArmError> error) {
  if (iequals(state, "Succeeded")) return PollVerdict{PollState::succeeded, std::nullopt, std::nullopt};
  if (iequals(state, "Failed") || iequals(state, "Canceled")) {
    ArmError failure = error ? std::move(*error)
                             : operation_error(iequals(state, "Failed") ? "OperationFailed" : "OperationCanceled",
                                               "the operation ended " + std::string(state) + " without an error");
    return PollVerdict{PollState::failed, std::nullopt, std::move(failure)};
  }
  return PollVerdict{};
}

}  // namespace

std::string_view to_string(PollMethod method) {
  switch (method) {
    case PollMethod::azure_async_operation: return "azure-async-operation";
    case PollMethod::location: return "location";
    case PollMethod::provisioning_state: return "provisioning-state";
  }
  return "azure-async-operation";
}

std::optional<PollMethod> poll_method_from(std::string_view text) {
  for (const PollMethod method : {PollMethod::azure_async_operation, PollMethod::location, PollMethod::provisioning_state}) {
    if (text == to_string(method)) return method;
  }
  return std::nullopt;
}

Result<std::optional<OperationHandle>, ArmError> operation_from_first_answer(int status, const Headers& headers,
                                                                             std::string_view body,
                                                                             std::string_view resource_url,
                                                                             bool is_delete) {
  const auto async_operation = find_header(headers, "Azure-AsyncOperation");
  const auto location = find_header(headers, "Location");
  if (async_operation && !async_operation->empty()) {
    return std::optional<OperationHandle>(
        OperationHandle{PollMethod::azure_async_operation, std::string(*async_operation), std::string(resource_url), is_delete});
  }
  if (location && !location->empty()) {
    return std::optional<OperationHandle>(
        OperationHandle{PollMethod::location, std::string(*location), std::string(resource_url), is_delete});
  }
  if (status == 202) {
    return operation_error("MissingPollingHeader",
                           "Azure accepted the request (202) without an Azure-AsyncOperation or Location header to follow");
  }
  if (status == 204) return std::optional<OperationHandle>();
  const auto state = provisioning_state_of(body);
  // A delete that answers 200 "Deleting" is followed until the resource is gone (404).
  const bool still_running = state && (is_delete ? iequals(*state, "Deleting") : !is_terminal_state(*state));
  if (!still_running) return std::optional<OperationHandle>();
  return std::optional<OperationHandle>(
      OperationHandle{PollMethod::provisioning_state, std::string(resource_url), std::string(resource_url), is_delete});
}

Result<PollVerdict, ArmError> read_poll_answer(const OperationHandle& operation, int status, const Headers& headers,
                                               std::string_view body) {
  switch (operation.method) {
    case PollMethod::azure_async_operation: {
      boost::system::error_code ec;
      const json::value value = json::parse(body, ec);
      if (ec) return operation_error("MalformedOperationStatus", "the operation status is not JSON: " + ec.message());
      auto parsed = parse_operation_status(value);
      if (!parsed) return operation_error("MalformedOperationStatus", "the operation status: " + parsed.error().message);
      return verdict_for_state(parsed->status_text, parsed->error);
    }
    case PollMethod::location: {
      if (status == 202) {
        PollVerdict running;
        if (const auto next = find_header(headers, "Location"); next && !next->empty()) running.next_poll_url = std::string(*next);
        return running;
      }
      return PollVerdict{PollState::succeeded, std::nullopt, std::nullopt};
    }
    case PollMethod::provisioning_state: {
      const auto state = provisioning_state_of(body);
      if (!state) {
        return operation_error("MalformedResource", "the resource has no properties.provisioningState to follow");
      }
      return verdict_for_state(*state, std::nullopt);
    }
  }
  return operation_error("MalformedOperationStatus", "unknown poll method");
}

std::optional<PollVerdict> read_poll_error(const OperationHandle& operation, const ArmError& error) {
  if (operation.method == PollMethod::location && error.http_status >= 400 && error.http_status < 500) {
    return PollVerdict{PollState::failed, std::nullopt, error};
  }
  if (operation.method == PollMethod::provisioning_state && operation.is_delete && error.http_status == 404) {
    return PollVerdict{PollState::succeeded, std::nullopt, std::nullopt};
  }
  return std::nullopt;
}

std::chrono::milliseconds next_poll_interval(const Headers& headers, std::chrono::system_clock::time_point now,
                                             const PollTiming& timing) {
  const auto asked = retry_after(headers, now);
  if (!asked) return timing.default_interval;
  return std::clamp(*asked, timing.min_interval, timing.max_interval);
}

}  // namespace rpd::azure
