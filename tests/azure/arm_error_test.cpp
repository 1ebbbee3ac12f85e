#include "daemon/azure/arm_error.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace rpd::azure {
namespace {

const Headers arm_headers{
    {"Cache-Control", "no-cache"},
    {"X-Ms-Request-Id", "a1b2c3d4-0000-4000-8000-000000000001"},
    {"x-ms-correlation-request-id", "c0ffee00-0000-4000-8000-000000000002"},
    {"X-MS-CLIENT-REQUEST-ID", "5eed0000-0000-4000-8000-000000000003"},
};

TEST(ArmError, ReadsTheCloudErrorShape) {
  const auto error = parse_arm_error(409, arm_headers, R"({
    "error": {
      "code": "VMRestorePointClientError",
      "message": "Restore point creation is not allowed because another operation is in progress.",
      "target": "restorePoints",
      "details": [
        {"code": "OperationNotAllowed", "message": "Another restore point is being created.", "target": "rp1"},
        {"code": "Conflict", "message": "Retry later."}
      ],
      "innererror": {"exceptiontype": "System.Exception", "errordetail": "stack dump"}
    }
  })");
  EXPECT_EQ(error.http_status, 409);
  EXPECT_EQ(error.code, "VMRestorePointClientError");
  EXPECT_EQ(error.message, "Restore point creation is not allowed because another operation is in progress.");
  EXPECT_EQ(error.target, "restorePoints");
  ASSERT_EQ(error.details.size(), 2u);
  EXPECT_EQ(error.details[0].code, "OperationNotAllowed");
  EXPECT_EQ(error.details[0].message, "Another restore point is being created.");
  EXPECT_EQ(error.details[0].target, "rp1");
  EXPECT_EQ(error.details[1].code, "Conflict");
  EXPECT_EQ(error.details[1].target, "");
  EXPECT_EQ(error.request_id, "a1b2c3d4-0000-4000-8000-000000000001");
  EXPECT_EQ(error.correlation_id, "c0ffee00-0000-4000-8000-000000000002");
  EXPECT_EQ(error.client_request_id, "5eed0000-0000-4000-8000-000000000003");
  EXPECT_EQ(error.describe(),
            "409 VMRestorePointClientError: Restore point creation is not allowed because another operation is in "
            "progress. (target restorePoints; details: OperationNotAllowed, Conflict; "
            "request a1b2c3d4-0000-4000-8000-000000000001, correlation c0ffee00-0000-4000-8000-000000000002, "
            "client request 5eed0000-0000-4000-8000-000000000003)");
}

TEST(ArmError, ReadsAdditionalInfoAndMissingFields) {
  const auto error = parse_arm_error(400, {}, R"({"error": {"code": "InvalidParameter", "message": "Bad.",
    "additionalInfo": [{"type": "PolicyViolation", "info": {"policyDefinitionId": "x"}}]}})");
  EXPECT_EQ(error.code, "InvalidParameter");
  EXPECT_EQ(error.message, "Bad.");
  EXPECT_TRUE(error.details.empty());
  EXPECT_EQ(error.describe(), "400 InvalidParameter: Bad.");
}

TEST(ArmError, PrefersTheErrorCodeHeader) {
  const auto error = parse_arm_error(
      404, {{"x-ms-error-code", "ResourceNotFound"}},
      R"({"error": {"code": "NotFound",
                    "message": "The Resource 'Microsoft.Compute/restorePointCollections/rpc' under resource group )"
      R"('rg' was not found."}})");
  EXPECT_EQ(error.code, "ResourceNotFound");
  EXPECT_EQ(error.message,
            "The Resource 'Microsoft.Compute/restorePointCollections/rpc' under resource group 'rg' was not found.");
}

TEST(ArmError, ReadsTheUnwrappedComputeThrottle) {
  const auto error = parse_arm_error(429, {{"x-ms-request-id", "r1"}}, R"({
    "code": "OperationNotAllowed",
    "message": "The server rejected the request because too many requests have been received for this subscription.",
    "details": [{
      "code": "TooManyRequests",
      "target": "PutVMRestorePoint3Min",
      "message": "{\"operationGroup\":\"PutVMRestorePoint3Min\",\"startTime\":\"2026-03-29T01:00:00+00:00\",)"
      R"(\"endTime\":\"2026-03-29T01:03:00+00:00\",\"allowedRequestCount\":60,\"measuredRequestCount\":61}"
    }]
  })");
  EXPECT_EQ(error.code, "OperationNotAllowed");
  EXPECT_EQ(error.message,
            "The server rejected the request because too many requests have been received for this subscription.");
  ASSERT_EQ(error.details.size(), 1u);
  EXPECT_EQ(error.details[0].code, "TooManyRequests");
  EXPECT_EQ(error.details[0].target, "PutVMRestorePoint3Min");
  EXPECT_EQ(error.details[0].message,
            "{\"operationGroup\":\"PutVMRestorePoint3Min\",\"startTime\":\"2026-03-29T01:00:00+00:00\","
            "\"endTime\":\"2026-03-29T01:03:00+00:00\",\"allowedRequestCount\":60,\"measuredRequestCount\":61}");
  EXPECT_EQ(error.describe(),
            "429 OperationNotAllowed: The server rejected the request because too many requests have been received "
            "for this subscription. (details: TooManyRequests; request r1)");
}

TEST(ArmError, ReadsCapitalisedKeys) {
  const auto error = parse_arm_error(
      400, {}, R"({"Code": "InvalidApiVersionParameter", "Message": "The api-version '1999-01-01' is invalid."})");
  EXPECT_EQ(error.code, "InvalidApiVersionParameter");
  EXPECT_EQ(error.message, "The api-version '1999-01-01' is invalid.");
}

TEST(ArmError, ReadsEntraErrors) {
  const std::string description =
      "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client "
      "secret value, not the client secret ID.\r\nTrace ID: 0a1b\r\nCorrelation ID: 9f8e\r\nTimestamp: "
      "2026-03-29 01:00:00Z";
  boost::json::object body{{"error", "invalid_client"},
                           {"error_description", description},
                           {"error_codes", boost::json::array{7000215}},
                           {"trace_id", "0a1b"},
                           {"correlation_id", "9f8e"}};
  const auto error = parse_arm_error(401, {{"x-ms-request-id", "0a1b"}}, boost::json::serialize(body));
  EXPECT_EQ(error.code, "invalid_client");
  EXPECT_EQ(error.message, description);
  EXPECT_EQ(error.request_id, "0a1b");
  EXPECT_EQ(error.correlation_id, "9f8e");
  EXPECT_EQ(error.describe(),
            "401 invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID. Trace ID: 0a1b Correlation ID: 9f8e "
            "Timestamp: 2026-03-29 01:00:00Z (request 0a1b, correlation 9f8e)");
}

TEST(ArmError, FallsBackToTheStatusForAnEmptyBody) {
  const auto error = parse_arm_error(503, {{"x-ms-request-id", "r2"}}, "");
  EXPECT_EQ(error.code, "HttpStatus503");
  EXPECT_EQ(error.message, "");
  EXPECT_EQ(error.describe(), "503 HttpStatus503 (request r2)");
}

TEST(ArmError, KeepsTheStartOfANonJsonBodyOnOneLine) {
  std::string html = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\t<body>";
  html += std::string(300, 'x') + "</body></html>";
  const auto error = parse_arm_error(502, {}, html);
  EXPECT_EQ(error.code, "HttpStatus502");
  EXPECT_EQ(error.message, "<html> <head><title>502 Bad Gateway</title></head> <body>" + std::string(140, 'x'));

  const auto with_header = parse_arm_error(500, {{"X-Ms-Error-Code", "InternalServerError"}}, "oops\x01\x7f!");
  EXPECT_EQ(with_header.code, "InternalServerError");
  EXPECT_EQ(with_header.message, "oops !");
}

TEST(ArmError, DoesNotCutAUtf8CharacterInTwo) {
  const std::string body = std::string(199, 'a') + "\xC3\xA9" + "b";  // 'é' straddles byte 200
  EXPECT_EQ(parse_arm_error(500, {}, body).message, std::string(199, 'a'));
}

TEST(ArmError, UnderstoodJsonWithoutAShapeIsKeptAsText) {
  EXPECT_EQ(parse_arm_error(500, {}, R"({"unexpected": true})").message, R"({"unexpected": true})");
  EXPECT_EQ(parse_arm_error(500, {}, "[1, 2]").code, "HttpStatus500");
  EXPECT_EQ(parse_arm_error(500, {}, R"({"error": {"code": 42, "message": "numeric"}})").code, "42");
}

TEST(ArmError, NeverCarriesAuthorizationOrTokens) {
  const std::string jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.c2lnbmF0dXJl";
  const Headers headers{{"Authorization", "Bearer " + jwt}, {"x-ms-request-id", "r3"}};
  const auto echoed = parse_arm_error(400, headers, "request had Authorization: Bearer " + jwt + " and " + jwt);
  EXPECT_EQ(echoed.message, "request had Authorization: Bearer [redacted] and [redacted]");
  const auto json_echo =
      parse_arm_error(401, headers, R"({"error": {"code": "InvalidAuthenticationToken", "message": "bad token )" +
                                        jwt + R"("}})");
  EXPECT_EQ(json_echo.message, "bad token [redacted]");
  for (const auto& error : {echoed, json_echo}) {
    EXPECT_EQ(error.describe().find("eyJ"), std::string::npos) << error.describe();
    EXPECT_EQ(error.request_id, "r3");
  }
}

TEST(ArmError, FindsHeadersInAnyCase) {
  EXPECT_EQ(find_header(arm_headers, "x-ms-request-id"), "a1b2c3d4-0000-4000-8000-000000000001");
  EXPECT_EQ(find_header(arm_headers, "Retry-After"), std::nullopt);
}

}  // namespace
}  // namespace rpd::azure
