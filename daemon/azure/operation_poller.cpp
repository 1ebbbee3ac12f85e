#include "daemon/azure/operation_poller.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

OperationFailure unknown(ArmError error) { return OperationFailure{OperationFailure::Kind::unknown, std::move(error)}; }

}  // namespace

std::string OperationFailure::describe() const {
  return (kind == Kind::failed ? "operation failed: " : "operation state unknown: ") + error.describe();
}

asio::awaitable<Result<ArmResponse, OperationFailure>> wait_for_operation(ArmClient& client, OperationHandle operation,
                                                                          milliseconds first_wait, PollOptions options) {
  Clock& clock = client.clock();
  const auto give_up_at = clock.steady_now() + options.max_wait;
  milliseconds wait = first_wait;
  ArmResponse last;
  for (;;) {
    if (clock.steady_now() + wait > give_up_at) {
      ArmError error;
      error.code = "OperationTimeout";
      error.message = "still running after " +
                      std::to_string(std::chrono::duration_cast<std::chrono::minutes>(options.max_wait).count()) +
                      " min of polling " + operation.poll_url;
      co_return unknown(std::move(error));
    }
    co_await clock.wait_for(wait);

    ArmRequest poll{"GET", operation.poll_url, ""};
    Result<ArmResponse, ArmError> answer = co_await client.send(std::move(poll));
    PollVerdict verdict;
    if (!answer) {
      const auto ended = read_poll_error(operation, answer.error());
      if (!ended) co_return unknown(answer.error());
      verdict = *ended;
    } else {
      auto read = read_poll_answer(operation, answer->status, answer->headers, answer->body);
      if (!read) {
        ArmError error = read.error();
        error.http_status = answer->status;
        error.client_request_id = answer->client_request_id;
        co_return unknown(std::move(error));
      }
      verdict = std::move(read).value();
      last = std::move(answer).value();
    }

    if (verdict.state == PollState::failed) {
      co_return OperationFailure{OperationFailure::Kind::failed, std::move(*verdict.error)};
    }
    if (verdict.state == PollState::succeeded) break;
    if (verdict.next_poll_url) operation.poll_url = *verdict.next_poll_url;
    wait = next_poll_interval(last.headers, clock.now(), options.timing);
  }

  // The resource's own poll already is its final state; a delete has none to read.
  if (operation.is_delete || operation.method == PollMethod::provisioning_state) co_return last;
  ArmRequest final_get{"GET", operation.resource_url, ""};
  Result<ArmResponse, ArmError> resource = co_await client.send(std::move(final_get));
  if (!resource) co_return unknown(resource.error());
  co_return std::move(resource).value();
}

}  // namespace rpd::azure
