#include "daemon/azure/compute_client.hpp"

#include <boost/json.hpp>
#include <set>

#include "core/arm_id.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

// A hostile or broken service could hand out nextLinks without end; no real listing here comes near this.
constexpr int max_pages = 10'000;

// An error this client found in an answer, with the answer's status and ids.
ArmError about(ArmError error, const ArmResponse& answer) {
  error.http_status = answer.status;
  error.client_request_id = answer.client_request_id;
  if (const auto id = find_header(answer.headers, "x-ms-request-id")) error.request_id = std::string(*id);
  if (const auto id = find_header(answer.headers, "x-ms-correlation-request-id")) error.correlation_id = std::string(*id);
  return error;
}

ArmError malformed(const ArmResponse& answer, std::string what, std::string why) {
  ArmError error;
  error.code = "MalformedResponse";
  error.message = std::move(what) + ": " + std::move(why);
  return about(std::move(error), answer);
}

// The answer's body through one of the models' parsers; a failure names what was being read.
template <class T>
Result<T, ArmError> read_body(const ArmResponse& answer, Result<T> (*parse)(const json::value&), const std::string& what) {
  boost::system::error_code ec;
  const json::value body = json::parse(answer.body, ec);
  if (ec) return malformed(answer, what, "not JSON (" + ec.message() + ")");
  Result<T> parsed = parse(body);
  if (!parsed) return malformed(answer, what, parsed.error().message);
  return std::move(parsed).value();
}

StartedOperation started_from(const ArmResponse& answer, std::optional<OperationHandle> operation, Clock& clock,
                              const PollTiming& timing) {
  return StartedOperation{std::move(operation), next_poll_interval(answer.headers, clock.now(), timing)};
}

// Every item of a paged list, following nextLink; a link seen twice or too many pages is an error, not a
// loop without end.
template <class T>
asio::awaitable<Result<std::vector<T>, ArmError>> list_all(ArmClient& arm, std::string url, std::string what) {
  std::vector<T> items;
  std::set<std::string> seen;
  for (int page = 0;; ++page) {
    ArmRequest request{"GET", url, ""};
    Result<ArmResponse, ArmError> answer = co_await arm.send(std::move(request));
    if (!answer) co_return answer.error();
    Result<Page<T>, ArmError> read = read_body<Page<T>>(*answer, &parse_page<T>, what + " page " + std::to_string(page + 1));
    if (!read) co_return read.error();
    Page<T> parsed = std::move(read).value();
    for (T& item : parsed.value) items.push_back(std::move(item));
    if (!parsed.next_link) co_return items;
    if (!seen.insert(*parsed.next_link).second || page + 1 >= max_pages) {
      co_return malformed(*answer, what, "the nextLink chain does not end (" + std::to_string(page + 1) + " pages)");
    }
    url = *parsed.next_link;
  }
}

}  // namespace

std::string collection_of(std::string_view restore_point_id) {
  const std::string lower = to_lower(restore_point_id);
  const auto at = lower.rfind("/restorepoints/");
  return std::string(restore_point_id.substr(0, at == std::string::npos ? restore_point_id.size() : at));
}

asio::awaitable<Result<VirtualMachine, ArmError>> ComputeClient::get_vm(std::string vm_id) {
  ArmRequest request{"GET", vm_id, ""};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  co_return read_body<VirtualMachine>(*answer, &parse_virtual_machine, "virtual machine " + vm_id);
}

asio::awaitable<Result<std::vector<VirtualMachine>, ArmError>> ComputeClient::list_vms(std::string resource_group_id) {
  return list_all<VirtualMachine>(arm_, resource_group_id + "/providers/Microsoft.Compute/virtualMachines",
                                  "virtual machines of " + resource_group_id);
}

asio::awaitable<Result<RestorePointCollection, ArmError>> ComputeClient::get_collection(std::string collection_id,
                                                                                        bool with_restore_points) {
  ArmRequest request{"GET", collection_id + (with_restore_points ? "?$expand=restorePoints" : ""), ""};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  co_return read_body<RestorePointCollection>(*answer, &parse_restore_point_collection,
                                              "restore point collection " + collection_id);
}

asio::awaitable<Result<std::vector<RestorePointCollection>, ArmError>> ComputeClient::list_collections(std::string scope_id) {
  return list_all<RestorePointCollection>(arm_, scope_id + "/providers/Microsoft.Compute/restorePointCollections",
                                          "restore point collections of " + scope_id);
}

asio::awaitable<Result<RestorePointCollection, ArmError>> ComputeClient::put_collection(std::string collection_id,
                                                                                        CollectionSpec spec) {
  ArmRequest request{"PUT", collection_id, collection_body(spec.location, spec.source_id, spec.tags, spec.instant_access)};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  co_return read_body<RestorePointCollection>(*answer, &parse_restore_point_collection,
                                              "restore point collection " + collection_id);
}

asio::awaitable<Result<RestorePointCollection, ArmError>> ComputeClient::patch_collection(std::string collection_id,
                                                                                          std::optional<Tags> tags,
                                                                                          std::optional<bool> instant_access) {
  ArmRequest request{"PATCH", collection_id, patch_collection_body(tags, instant_access)};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  co_return read_body<RestorePointCollection>(*answer, &parse_restore_point_collection,
                                              "restore point collection " + collection_id);
}

asio::awaitable<Result<StartedOperation, ArmError>> ComputeClient::begin_delete_collection(std::string collection_id) {
  return begin_delete(std::move(collection_id));
}

asio::awaitable<Result<StartedRestorePoint, ArmError>> ComputeClient::begin_create_restore_point(std::string restore_point_id,
                                                                                                 RestorePointSpec spec) {
  ArmRequest request{"PUT", restore_point_id,
                     restore_point_body(spec.consistency, spec.excluded_disk_ids, spec.instant_access_minutes,
                                        spec.source_restore_point_id)};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  Result<RestorePoint, ArmError> accepted = read_body<RestorePoint>(*answer, &parse_restore_point, "restore point " + restore_point_id);
  if (!accepted) co_return accepted.error();
  auto operation = operation_from_first_answer(answer->status, answer->headers, answer->body, restore_point_id, false);
  if (!operation) co_return about(operation.error(), *answer);
  co_return StartedRestorePoint{std::move(accepted).value(), started_from(*answer, *operation, arm_.clock(), poll_.timing)};
}

asio::awaitable<Result<RestorePoint, OperationFailure>> ComputeClient::finish_create_restore_point(OperationHandle operation,
                                                                                                   milliseconds first_wait) {
  const std::string id = operation.resource_url;
  Result<ArmResponse, OperationFailure> end = co_await wait_for_operation(arm_, std::move(operation), first_wait, poll_);
  if (!end) co_return end.error();
  Result<RestorePoint, ArmError> point = read_body<RestorePoint>(*end, &parse_restore_point, "restore point " + id);
  if (!point) co_return OperationFailure{OperationFailure::Kind::unknown, point.error()};
  co_return std::move(point).value();
}

asio::awaitable<Result<RestorePoint, ArmError>> ComputeClient::get_restore_point(std::string restore_point_id,
                                                                                 bool with_instance_view) {
  ArmRequest request{"GET", restore_point_id + (with_instance_view ? "?$expand=instanceView" : ""), ""};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  co_return read_body<RestorePoint>(*answer, &parse_restore_point, "restore point " + restore_point_id);
}

asio::awaitable<Result<StartedOperation, ArmError>> ComputeClient::begin_delete_restore_point(std::string restore_point_id) {
  return begin_delete(std::move(restore_point_id));
}

asio::awaitable<Result<StartedOperation, ArmError>> ComputeClient::begin_delete(std::string resource_id) {
  ArmRequest request{"DELETE", resource_id, ""};
  Result<ArmResponse, ArmError> answer = co_await arm_.send(std::move(request));
  if (!answer) co_return answer.error();
  auto operation = operation_from_first_answer(answer->status, answer->headers, answer->body, resource_id, true);
  if (!operation) co_return about(operation.error(), *answer);
  co_return started_from(*answer, *operation, arm_.clock(), poll_.timing);
}

asio::awaitable<Result<Deleted, OperationFailure>> ComputeClient::finish_delete(OperationHandle operation,
                                                                                milliseconds first_wait) {
  Result<ArmResponse, OperationFailure> end = co_await wait_for_operation(arm_, std::move(operation), first_wait, poll_);
  if (!end) co_return end.error();
  co_return Deleted{};
}

}  // namespace rpd::azure
