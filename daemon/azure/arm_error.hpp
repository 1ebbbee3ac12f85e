#pragma once
// Errors from Azure Resource Manager, Entra ID and the managed identity endpoints, as values.
// parse_arm_error understands every error body shape Azure is known to send (AZURE.md section 4) and falls back
// to the HTTP status for bodies it does not understand. Nothing here ever reads or keeps an Authorization header,
// and bearer tokens that a body might echo are redacted from messages.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::json {
class object;
}

#include "daemon/azure/headers.hpp"

namespace rpd::azure {

// Response headers as received; names compare case-insensitively.


struct ArmError {
  int http_status = 0;  // 0 when the error came inside a 200 answer (a failed long-running operation)
  std::string code;     // "VMRestorePointClientError"; "HttpStatus503" when the body named none
  std::string message;
  std::string target;
  std::vector<ArmError> details;  // code, message and target only
  std::string request_id;         // x-ms-request-id
  std::string correlation_id;     // x-ms-correlation-request-id (Entra: the body's correlation_id)
  std::string client_request_id;  // x-ms-client-request-id, echoed from the request

  // One line for logs:
  // "409 VMRestorePointClientError: <message> (target x; details: A, B; request <id>, correlation <id>)".
  std::string describe() const;
};

// Any error answer: {"error":{code,message,target,details,innererror|additionalInfo}}, the unwrapped
// {code,message,details} of Compute throttling, Entra's {"error":"invalid_client","error_description":...},
// or anything else (code from x-ms-error-code or "HttpStatus<status>", message = the start of the body).
// The x-ms-error-code header, when present, wins over the body's code.
ArmError parse_arm_error(int status, const Headers& headers, std::string_view body);

// The fields of one ARM error object ({code, message, target, details}), e.g. a failed operation's "error".
ArmError arm_error_from_json(const boost::json::object& error);

}  // namespace rpd::azure
