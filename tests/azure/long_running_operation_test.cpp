// The long-running operation decisions: which URL to follow after the first answer (in the order of AZURE.md
// section 2), what each poll answer means, and the wait between polls.

#include "daemon/azure/long_running_operation.hpp"

#include <gtest/gtest.h>

namespace rpd::azure {
namespace {

using std::chrono::milliseconds;

const std::string point = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/restorePointCollections/c/restorePoints/p";
const std::string async_url = "https://management.azure.com/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/1?api-version=2025-04-01";
const std::string creating = R"({"properties":{"provisioningState":"Creating"}})";

OperationHandle handle(PollMethod method, bool is_delete = false) {
  return OperationHandle{method, method == PollMethod::provisioning_state ? point : async_url, point, is_delete};
}

TEST(FirstAnswer, AzureAsyncOperationWinsOverLocation) {
  const auto answer = operation_from_first_answer(
      201, {{"location", async_url + "&monitor=true"}, {"azure-asyncoperation", async_url}}, creating, point, false);
  ASSERT_TRUE(answer.ok());
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ(**answer, (OperationHandle{PollMethod::azure_async_operation, async_url, point, false}));
}

TEST(FirstAnswer, LocationWhenThereIsNoAzureAsyncOperation) {
  const auto answer = operation_from_first_answer(202, {{"Location", async_url}}, "", point, true);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(**answer, (OperationHandle{PollMethod::location, async_url, point, true}));
}

TEST(FirstAnswer, ProvisioningStateWhenNoHeaderAndTheResourceIsStillCreating) {
  const auto answer = operation_from_first_answer(201, {}, creating, point, false);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(**answer, (OperationHandle{PollMethod::provisioning_state, point, point, false}));
}

TEST(FirstAnswer, DoneAtOnceWhenTheAnswerSaysSo) {
  EXPECT_FALSE(operation_from_first_answer(200, {}, R"({"properties":{"provisioningState":"succeeded"}})", point, false)->has_value());
  EXPECT_FALSE(operation_from_first_answer(200, {}, R"({"name":"no state"})", point, false)->has_value());
  EXPECT_FALSE(operation_from_first_answer(204, {}, "", point, true)->has_value());
  EXPECT_FALSE(operation_from_first_answer(200, {}, "", point, true)->has_value());
}

TEST(FirstAnswer, ADeleteStillDeletingIsFollowedOnTheResource) {
  const auto answer = operation_from_first_answer(200, {}, R"({"properties":{"provisioningState":"Deleting"}})", point, true);
  EXPECT_EQ(**answer, (OperationHandle{PollMethod::provisioning_state, point, point, true}));
}

TEST(FirstAnswer, A202WithoutAPollingHeaderIsAnError) {
  const auto answer = operation_from_first_answer(202, {{"Location", ""}}, "", point, true);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, "MissingPollingHeader");
  EXPECT_EQ(answer.error().message,
            "Azure accepted the request (202) without an Azure-AsyncOperation or Location header to follow");
}

TEST(PollAnswer, OperationStatesInAnyCase) {
  const auto op = handle(PollMethod::azure_async_operation);
  EXPECT_EQ(read_poll_answer(op, 200, {}, R"({"status":"InProgress"})")->state, PollState::running);
  EXPECT_EQ(read_poll_answer(op, 200, {}, R"({"status":"SUCCEEDED"})")->state, PollState::succeeded);
  EXPECT_EQ(read_poll_answer(op, 200, {}, R"({"status":"Replicating"})")->state, PollState::running)
      << "a state this build does not know is not an end";
  const auto canceled = read_poll_answer(op, 200, {}, R"({"status":"canceled"})");
  EXPECT_EQ(canceled->state, PollState::failed);
  EXPECT_EQ(canceled->error->code, "OperationCanceled");
  EXPECT_EQ(canceled->error->message, "the operation ended canceled without an error");
}

TEST(PollAnswer, AFailedOperationCarriesAzuresError) {
  const auto failed = read_poll_answer(handle(PollMethod::azure_async_operation), 200, {},
                                       R"({"status":"Failed","error":{"code":"VMRestorePointClientError","message":"a concurrent 'Create RestorePoint' operation was triggered"}})");
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->state, PollState::failed);
  EXPECT_EQ(failed->error->code, "VMRestorePointClientError");
  EXPECT_EQ(failed->error->message, "a concurrent 'Create RestorePoint' operation was triggered");
}

TEST(PollAnswer, AnUnreadableStatusIsAnErrorNotAVerdict) {
  const auto op = handle(PollMethod::azure_async_operation);
  const auto not_json = read_poll_answer(op, 200, {}, R"({"status":"InPro)");
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code, "MalformedOperationStatus");
  const auto wrong_type = read_poll_answer(op, 200, {}, R"({"status":7})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_EQ(wrong_type.error().message, "the operation status: status: expected a string, got a number");
}

TEST(PollAnswer, LocationIs202WhileRunningAndMayMove) {
  const auto op = handle(PollMethod::location);
  const auto running = read_poll_answer(op, 202, {{"Location", async_url + "&next=2"}}, "");
  EXPECT_EQ(running->state, PollState::running);
  EXPECT_EQ(running->next_poll_url, async_url + "&next=2");
  EXPECT_EQ(read_poll_answer(op, 200, {}, "")->state, PollState::succeeded);
  EXPECT_EQ(read_poll_answer(op, 204, {}, "")->state, PollState::succeeded);
}

TEST(PollAnswer, ProvisioningStateOfTheResource) {
  const auto op = handle(PollMethod::provisioning_state);
  EXPECT_EQ(read_poll_answer(op, 200, {}, creating)->state, PollState::running);
  EXPECT_EQ(read_poll_answer(op, 200, {}, R"({"properties":{"provisioningState":"Succeeded"}})")->state, PollState::succeeded);
  const auto failed = read_poll_answer(op, 200, {}, R"({"properties":{"provisioningState":"Failed"}})");
  EXPECT_EQ(failed->error->code, "OperationFailed");
  EXPECT_FALSE(read_poll_answer(op, 200, {}, R"({"properties":{}})").ok());
}

TEST(PollError, LocationFailsWithA4xxAndADeletedResourceIsDeleted) {
  ArmError conflict;
  conflict.http_status = 409;
  conflict.code = "Conflict";
  const auto failed = read_poll_error(handle(PollMethod::location), conflict);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->state, PollState::failed);
  EXPECT_EQ(failed->error->code, "Conflict");

  ArmError not_found;
  not_found.http_status = 404;
  EXPECT_EQ(read_poll_error(handle(PollMethod::provisioning_state, true), not_found)->state, PollState::succeeded);
  EXPECT_FALSE(read_poll_error(handle(PollMethod::azure_async_operation), not_found).has_value())
      << "an operation URL that is gone says nothing about the operation";
  ArmError unavailable;
  unavailable.http_status = 503;
  EXPECT_FALSE(read_poll_error(handle(PollMethod::location), unavailable).has_value());
}

TEST(PollInterval, RetryAfterBoundedElseTheDefault) {
  const auto now = std::chrono::system_clock::now();
  const PollTiming timing;
  EXPECT_EQ(next_poll_interval({}, now, timing), milliseconds(30'000));
  EXPECT_EQ(next_poll_interval({{"Retry-After", "7"}}, now, timing), milliseconds(7'000));
  EXPECT_EQ(next_poll_interval({{"retry-after-ms", "2500"}}, now, timing), milliseconds(2'500));
  EXPECT_EQ(next_poll_interval({{"Retry-After", "0"}}, now, timing), milliseconds(1'000));
  EXPECT_EQ(next_poll_interval({{"Retry-After", "86400"}}, now, timing), milliseconds(600'000));
  EXPECT_EQ(next_poll_interval({{"Retry-After", "soon"}}, now, timing), milliseconds(30'000));
}

TEST(PollMethodNames, RoundTrip) {
  for (const PollMethod method : {PollMethod::azure_async_operation, PollMethod::location, PollMethod::provisioning_state}) {
    EXPECT_EQ(poll_method_from(to_string(method)), method);
  }
  EXPECT_EQ(poll_method_from("Location"), std::nullopt);
}

}  // namespace
}  // namespace rpd::azure
