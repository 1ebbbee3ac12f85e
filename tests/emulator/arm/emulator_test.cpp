// The emulated Resource Manager with a manual clock, every test twice: once through Emulator::handle() in
// process, and once from the client's side over real HTTPS (the emulator behind its TLS listener on a thread).

#include "tests/emulator/arm/emulator.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <memory>
#include <optional>
#include <thread>

#include "tests/emulator/arm/arm_response.hpp"
#include "tests/emulator/server/http_server.hpp"
#include "tests/emulator/server/test_client.hpp"
#include "tests/emulator/server/tls_identity.hpp"

namespace rpd::emulator {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string sub = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string other_sub = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const std::string prod = "/subscriptions/" + sub + "/resourceGroups/prod";
const std::string rpcs = prod + "/providers/Microsoft.Compute/restorePointCollections";
const std::string vms = prod + "/providers/Microsoft.Compute/virtualMachines";
const std::string dr_rpcs = "/subscriptions/" + sub + "/resourceGroups/dr/providers/Microsoft.Compute/restorePointCollections";
const std::string v = "?api-version=2025-04-01";

Fixture small_fixture() {
  return load_fixture(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml").value();
}

enum class Transport { in_process, https };

std::string transport_name(const ::testing::TestParamInfo<Transport>& info) {
  return info.param == Transport::https ? "Https" : "InProcess";
}

// The emulator behind a real HTTPS listener on a thread of its own, and a client that verifies its certificate.
// Requests and answers alternate, so the test thread and the server thread never touch the emulator at once.
class HttpsFront {
 public:
  explicit HttpsFront(Handler& handler) : identity_(generate_tls_identity().value()) {
    const boost::asio::ip::tcp::endpoint loopback{boost::asio::ip::make_address("127.0.0.1"), 0};
    listener_.emplace(HttpsListener::start(io_, loopback, make_server_tls_context(identity_).value(), handler).value());
    thread_ = std::thread([this] { io_.run(); });
    client_.emplace(identity_.ca_certificate_pem, listener_->local_endpoint().port());
  }
  ~HttpsFront() {
    io_.stop();
    thread_.join();
  }
  HttpsFront(const HttpsFront&) = delete;
  HttpsFront& operator=(const HttpsFront&) = delete;

  std::string base_url() const { return "https://127.0.0.1:" + std::to_string(listener_->local_endpoint().port()); }

  // A transport failure (an injected reset) comes back as Delivery::reset, as Emulator::handle() says it.
  Response send(const Request& request) {
    auto answer = client_->try_request(request.method, request.target, request.body, request.headers);
    if (!answer) return Response{0, {}, "", Delivery::reset, {}};
    return Response{answer->status, answer->headers, answer->body, Delivery::normal, {}};
  }

 private:
  TlsIdentity identity_;
  boost::asio::io_context io_;
  std::optional<HttpsListener> listener_;
  std::thread thread_;
  std::optional<HttpsTestClient> client_;
};

class EmulatorTest : public ::testing::TestWithParam<Transport> {
 protected:
  explicit EmulatorTest(Fixture fixture = small_fixture())
      : clock_(EmulatorTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}} + 10h),
        emulator_(std::move(fixture), clock_, {}) {
    if (GetParam() == Transport::https) front_ = std::make_unique<HttpsFront>(emulator_);
    const std::string base = front_ ? front_->base_url() : "https://127.0.0.1:8443";
    emulator_.set_endpoints(base, "http://127.0.0.1:8080");
    token_ = token_for("11111111-1111-4111-8111-111111111111");
  }

  Response send(const Request& request) { return front_ ? front_->send(request) : emulator_.handle(request); }

  std::string token_for(const std::string& client_id) {
    Request request{"POST", "/_emulator/token", {}, json::serialize(json::object{{"client_id", client_id}}), true};
    return std::string(json::parse(send(request).body).at("access_token").as_string());
  }

  Response call(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& token = "") {
    Request request{method, target, {{"Authorization", "Bearer " + (token.empty() ? token_ : token)}}, body, true};
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    return send(request);
  }

  static json::object body_of(const Response& response) { return json::parse(response.body).as_object(); }
  static std::string header(const Response& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (iequals_ascii(key, name)) return value;
    }
    return "";
  }
  static std::string error_code(const Response& response) {
    return std::string(body_of(response).at("error").at("code").as_string());
  }
  // The path and query of an absolute URL from a header.
  static std::string target_of(const std::string& url) { return url.substr(url.find('/', std::string("https://").size())); }

  Response create_collection(const std::string& name, const std::string& vm, const std::string& extra = "") {
    return call("PUT", rpcs + "/" + name + v,
                R"({"location":"westeurope","properties":{"source":{"id":")" + vms + "/" + vm + "\"}" + extra + "}}");
  }

  ManualClock clock_;
  Emulator emulator_;
  std::unique_ptr<HttpsFront> front_;  // declared after the emulator: stopped before it goes
  std::string token_;
};

TEST_P(EmulatorTest, VirtualMachinesWithDisksAndPaging) {
  const Response vm = call("GET", vms + "/sql01" + v);
  ASSERT_EQ(vm.status, 200) << vm.body;
  const auto body = body_of(vm);
  EXPECT_EQ(body.at("location"), "westeurope");
  EXPECT_EQ(body.at("properties").at("storageProfile").at("dataDisks").as_array().size(), 2u);
  EXPECT_EQ(body.at("properties").at("storageProfile").at("dataDisks").at(0).at("managedDisk").at("storageAccountType"),
            "PremiumV2_LRS");

  const Response first = call("GET", vms + v);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(body_of(first).at("value").as_array().size(), 2u);
  const std::string next(body_of(first).at("nextLink").as_string());
  const Response second = call("GET", target_of(next));
  EXPECT_EQ(body_of(second).at("value").as_array().size(), 1u);
  EXPECT_FALSE(body_of(second).contains("nextLink"));

  EXPECT_EQ(error_code(call("GET", vms + "/nope" + v)), "ResourceNotFound");
  EXPECT_EQ(error_code(call("GET", "/subscriptions/" + sub + "/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines" + v)),
            "ResourceGroupNotFound");
}

TEST_P(EmulatorTest, ApiVersionsAreCheckedAsResourceManagerDoes) {
  EXPECT_EQ(call("GET", vms + "/sql01?api-version=2021-03-01").status, 200);
  EXPECT_EQ(call("GET", vms + "/sql01?api-version=2026-04-01").status, 200);
  const Response unknown = call("GET", vms + "/sql01?api-version=2020-01-01");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_code(unknown), "InvalidApiVersionParameter");
  EXPECT_EQ(error_code(call("GET", vms + "/sql01")), "MissingApiVersionParameter");
}

TEST_P(EmulatorTest, TokensAndGrants) {
  Request anonymous{"GET", vms + "/sql01" + v, {}, "", true};
  const Response unauthenticated = send(anonymous);
  EXPECT_EQ(unauthenticated.status, 401);
  EXPECT_NE(header(unauthenticated, "WWW-Authenticate"), "");
  // The workload identity principal may only use the prod group.
  const std::string scoped = token_for("33333333-3333-4333-8333-333333333333");
  EXPECT_EQ(call("GET", vms + "/sql01" + v, "", scoped).status, 200);
  const Response forbidden =
      call("GET", "/subscriptions/" + sub + "/resourceGroups/dr/providers/Microsoft.Compute/restorePointCollections" + v,
           "", scoped);
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(error_code(forbidden), "AuthorizationFailed");
}

TEST_P(EmulatorTest, CollectionsAreCreatedUpdatedListedAndDeleted) {
  const Response created = create_collection("rpc-sql01", "sql01");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created).at("properties").at("provisioningState"), "Succeeded");
  EXPECT_EQ(create_collection("rpc-sql01", "sql01").status, 200);
  EXPECT_EQ(error_code(create_collection("rpc-sql01", "web01")), "PropertyChangeNotAllowed");

  const Response patched = call("PATCH", rpcs + "/rpc-sql01" + v, R"({"tags":{"managed-by":"restorepointd"}})");
  ASSERT_EQ(patched.status, 200);
  EXPECT_EQ(body_of(patched).at("tags").at("managed-by"), "restorepointd");
  EXPECT_EQ(body_of(call("GET", rpcs + v)).at("value").as_array().size(), 1u);

  const Response deleted = call("DELETE", rpcs + "/rpc-sql01" + v);
  EXPECT_EQ(deleted.status, 202);
  EXPECT_NE(header(deleted, "Azure-AsyncOperation"), "");
  EXPECT_NE(header(deleted, "Location"), "");
  clock_.advance(6s);
  EXPECT_EQ(call("GET", rpcs + "/rpc-sql01" + v).status, 404);
  EXPECT_EQ(call("DELETE", rpcs + "/rpc-sql01" + v).status, 204);
}

TEST_P(EmulatorTest, CollectionValidation) {
  EXPECT_EQ(error_code(call("PUT", rpcs + "/x" + v, "{not json")), "InvalidRequestContent");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/x" + v, R"({"properties":{"source":{"id":"x"}}})")), "LocationRequired");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/x" + v, R"({"location":"northeurope","properties":{"source":{"id":")" +
                                                        vms + "/sql01\"}}}")),
            "InvalidParameter");
  // Instant Access: only from 2025-04-01, and only for VMs with Premium SSD v2 or Ultra data disks.
  const Response old = call("PUT", rpcs + "/x?api-version=2024-11-01",
                            R"({"location":"westeurope","properties":{"source":{"id":")" + vms +
                                "/sql01\"},\"instantAccess\":true}}");
  EXPECT_EQ(error_code(old), "InvalidRequestContent");
  EXPECT_EQ(error_code(create_collection("rpc-web01", "web01", R"(,"instantAccess":true)")), "OperationNotAllowed");
  EXPECT_EQ(create_collection("rpc-sql01", "sql01", R"(,"instantAccess":true)").status, 201);
}

TEST_P(EmulatorTest, ARestorePointIsCreatedThroughALongRunningOperation) {
  ASSERT_EQ(create_collection("rpc-sql01", "sql01").status, 201);
  const Response created = call("PUT", rpcs + "/rpc-sql01/restorePoints/rp1" + v,
                                R"({"properties":{"consistencyMode":"applicationconsistent"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(body_of(created).at("properties").at("provisioningState"), "Creating");
  EXPECT_EQ(body_of(created).at("properties").at("consistencyMode"), "ApplicationConsistent");
  const std::string operation = header(created, "Azure-AsyncOperation");
  ASSERT_NE(operation, "");
  EXPECT_EQ(header(created, "Location"), "");  // as recorded from the live service

  EXPECT_EQ(body_of(call("GET", target_of(operation))).at("status"), "InProgress");
  clock_.advance(41s);
  const auto done = body_of(call("GET", target_of(operation)));
  EXPECT_EQ(done.at("status"), "Succeeded");
  EXPECT_TRUE(done.contains("endTime"));
  EXPECT_EQ(body_of(call("GET", rpcs + "/rpc-sql01/restorePoints/rp1" + v)).at("properties").at("provisioningState"),
            "Succeeded");
  const auto expanded = body_of(call("GET", rpcs + "/rpc-sql01" + v + "&$expand=restorePoints"));
  EXPECT_EQ(expanded.at("properties").at("restorePoints").as_array().size(), 1u);
  EXPECT_FALSE(body_of(call("GET", rpcs + "/rpc-sql01" + v)).at("properties").as_object().contains("restorePoints"));
  EXPECT_EQ(error_code(call("PUT", rpcs + "/rpc-sql01/restorePoints/rp1" + v, "{}")), "OperationNotAllowed");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/nope/restorePoints/rp1" + v, "{}")), "ParentResourceNotFound");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/rpc-sql01/restorePoints/rp2" + v,
                            R"({"properties":{"consistencyMode":"Sometimes"}})")),
            "InvalidParameter");
}

TEST_P(EmulatorTest, AzuresPerVmLimits) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/a" + v, "{}").status, 201);
  const Response concurrent = call("PUT", rpcs + "/rpc-web01/restorePoints/b" + v, "{}");
  EXPECT_EQ(concurrent.status, 409);
  EXPECT_EQ(error_code(concurrent), "VMRestorePointClientError");
  clock_.advance(41s);
  ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/b" + v, "{}").status, 201);
  clock_.advance(41s);
  ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/c" + v, "{}").status, 201);
  clock_.advance(41s);
  const Response fourth = call("PUT", rpcs + "/rpc-web01/restorePoints/d" + v, "{}");
  EXPECT_EQ(fourth.status, 429);
  EXPECT_EQ(body_of(fourth).at("error").at("details").at(0).at("code"), "TooManyRequests");
  EXPECT_NE(header(fourth, "Retry-After"), "");
  clock_.advance(1h);
  token_ = token_for("11111111-1111-4111-8111-111111111111");  // the old one has expired
  EXPECT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/d" + v, "{}").status, 201);
}

TEST_P(EmulatorTest, DeletesAreLongRunningAndIdempotent) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/a" + v, "{}").status, 201);
  clock_.advance(41s);
  const Response deleted = call("DELETE", rpcs + "/rpc-web01/restorePoints/a" + v);
  EXPECT_EQ(deleted.status, 202);
  EXPECT_EQ(deleted.body, "");
  const std::string location = header(deleted, "Location");
  ASSERT_NE(location, "");
  EXPECT_NE(location.find("monitor=true"), std::string::npos);
  EXPECT_EQ(call("GET", target_of(location)).status, 202);
  clock_.advance(6s);
  EXPECT_EQ(call("GET", target_of(location)).status, 200);
  EXPECT_EQ(call("GET", rpcs + "/rpc-web01/restorePoints/a" + v).status, 404);
  EXPECT_EQ(call("DELETE", rpcs + "/rpc-web01/restorePoints/a" + v).status, 204);
}

TEST_P(EmulatorTest, CrossRegionCopiesReplicateInOrderOneAtATime) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  for (const char* name : {"p1", "p2"}) {
    ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/" + name + v, "{}").status, 201);
    clock_.advance(41s);
  }
  const Response target = call("PUT", dr_rpcs + "/rpc-web01-copy" + v,
                               R"({"location":"northeurope","properties":{"source":{"id":")" + rpcs + "/rpc-web01\"}}}");
  ASSERT_EQ(target.status, 201) << target.body;
  const auto copy_of = [&](const std::string& name, const std::string& source) {
    return call("PUT", dr_rpcs + "/rpc-web01-copy/restorePoints/" + name + v,
                R"({"properties":{"sourceRestorePoint":{"id":")" + rpcs + "/rpc-web01/restorePoints/" + source + "\"}}}");
  };
  ASSERT_EQ(copy_of("p2", "p2").status, 201);
  EXPECT_EQ(error_code(copy_of("p1", "p1")), "OperationNotAllowed");  // one at a time
  // The source must stay while its copy replicates: 64 GB at 2 s per GB.
  EXPECT_EQ(call("DELETE", rpcs + "/rpc-web01/restorePoints/p2" + v).status, 409);

  const auto percent = [&] {
    return body_of(call("GET", dr_rpcs + "/rpc-web01-copy/restorePoints/p2" + v + "&$expand=instanceView"))
        .at("properties").at("instanceView").at("diskRestorePoints").at(0).at("replicationStatus")
        .at("completionPercent").as_int64();
  };
  EXPECT_EQ(percent(), 0);
  clock_.advance(2min + 20s);
  EXPECT_EQ(percent(), 100);
  const auto copy = body_of(call("GET", dr_rpcs + "/rpc-web01-copy/restorePoints/p2" + v));
  EXPECT_EQ(copy.at("properties").at("timeCreated"),
            body_of(call("GET", rpcs + "/rpc-web01/restorePoints/p2" + v)).at("properties").at("timeCreated"));
  EXPECT_EQ(call("DELETE", rpcs + "/rpc-web01/restorePoints/p2" + v).status, 202);
  // Copying an older point after a newer one was copied is refused; so is a second copy in the region.
  EXPECT_EQ(error_code(copy_of("p1", "p1")), "OperationNotAllowed");
}

TEST_P(EmulatorTest, InstantAccessStatesFollowTheDuration) {
  ASSERT_EQ(create_collection("rpc-sql01", "sql01", R"(,"instantAccess":true)").status, 201);
  const Response created = call("PUT", rpcs + "/rpc-sql01/restorePoints/ia" + "?api-version=2025-11-01",
                                R"({"properties":{"instantAccessDurationMinutes":60}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto state = [&] {
    return std::string(body_of(call("GET", rpcs + "/rpc-sql01/restorePoints/ia?api-version=2025-11-01"))
                           .at("properties").at("instantAccessStatus").as_string());
  };
  EXPECT_EQ(state(), "Pending");
  clock_.advance(41s);
  EXPECT_EQ(state(), "AvailableWithInstantAccess");
  clock_.advance(61min);
  token_ = token_for("11111111-1111-4111-8111-111111111111");  // the old one has expired
  EXPECT_EQ(state(), "Available");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/rpc-sql01/restorePoints/x" + v,
                            R"({"properties":{"instantAccessDurationMinutes":400}})")),
            "InvalidParameter");
}

TEST_P(EmulatorTest, InjectedFaultsAndFailedOperations) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  Request add{"POST", "/_emulator/faults", {},
              R"({"method":"GET","path_contains":"/virtualMachines/","status":503,"code":"ServiceUnavailable","retry_after_seconds":7,"count":1})",
              true};
  send(add);
  const Response faulted = call("GET", vms + "/web01" + v);
  EXPECT_EQ(faulted.status, 503);
  EXPECT_EQ(header(faulted, "Retry-After"), "7");
  EXPECT_EQ(call("GET", vms + "/web01" + v).status, 200);  // count 1: once

  send({"POST", "/_emulator/faults", {}, R"({"method":"PUT","path_contains":"/restorePoints/","fail_operation":true,"code":"VMAgentStatusCommunicationError","count":1})", true});
  const Response created = call("PUT", rpcs + "/rpc-web01/restorePoints/f" + v, "{}");
  ASSERT_EQ(created.status, 201);
  clock_.advance(41s);
  const auto operation = body_of(call("GET", target_of(header(created, "Azure-AsyncOperation"))));
  EXPECT_EQ(operation.at("status"), "Failed");
  EXPECT_EQ(operation.at("error").at("code"), "VMAgentStatusCommunicationError");
  EXPECT_EQ(body_of(call("GET", rpcs + "/rpc-web01/restorePoints/f" + v)).at("properties").at("provisioningState"),
            "Failed");

  send({"POST", "/_emulator/faults", {}, R"({"delivery":"reset","count":1})", true});
  EXPECT_EQ(call("GET", vms + "/web01" + v).delivery, Delivery::reset);
}

TEST_P(EmulatorTest, TheRequestLogNamesEveryCallWithoutSecrets) {
  send({"DELETE", "/_emulator/requests", {}, "", true});
  call("GET", vms + "/sql01" + v);
  call("GET", vms + "/nope" + v);
  const Response log = send({"GET", "/_emulator/requests", {}, "", true});
  const auto requests = body_of(log).at("requests").as_array();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests.at(1).at("status"), 404);
  EXPECT_EQ(requests.at(0).at("api_version"), "2025-04-01");
  EXPECT_EQ(log.body.find(token_), std::string::npos);
}

class ThrottledEmulatorTest : public EmulatorTest {
 protected:
  static Fixture throttled() {
    Fixture fixture = small_fixture();
    fixture.read_bucket = 3;
    fixture.read_refill = 1;
    return fixture;
  }
  ThrottledEmulatorTest() : EmulatorTest(throttled()) {}
};

TEST_P(ThrottledEmulatorTest, ATokenBucketPerSubscription) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call("GET", vms + "/sql01" + v).status, 200);
  const Response throttled = call("GET", vms + "/sql01" + v);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(error_code(throttled), "SubscriptionRequestsThrottled");
  EXPECT_EQ(header(throttled, "Retry-After"), "1");
  // Another subscription has a bucket of its own.
  EXPECT_EQ(call("GET", "/subscriptions/" + other_sub + "/resourceGroups/batch/providers/Microsoft.Compute/virtualMachines/batch01" + v).status, 200);
  clock_.advance(1s);
  EXPECT_EQ(call("GET", vms + "/sql01" + v).status, 200);
}

}  // namespace
}  // namespace rpd::emulator

namespace rpd::emulator {
namespace {

// The limits are the fixture's: a test may tighten them to reach them quickly.
class TightLimitsTest : public EmulatorTest {
 protected:
  static Fixture tight() {
    Fixture fixture = small_fixture();
    fixture.points_per_vm = 2;
    fixture.creates_per_vm_per_hour = 100;
    fixture.instant_access_in_flight = 1;
    VirtualMachine second = fixture.vms.front();  // sql01, with Premium SSD v2 data disks
    second.name = "sql02";
    fixture.vms.push_back(second);
    return fixture;
  }
  TightLimitsTest() : EmulatorTest(tight()) {}
};

TEST_P(TightLimitsTest, PointsPerVm) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/" + name + v, "{}").status, 201);
    clock_.advance(41s);
  }
  const Response full = call("PUT", rpcs + "/rpc-web01/restorePoints/c" + v, "{}");
  EXPECT_EQ(full.status, 409);
  EXPECT_EQ(body_of(full).at("error").at("message"),
            "The maximum number of restore points (2) for the virtual machine has been reached.");
  EXPECT_EQ(header(call("GET", rpcs + "/rpc-web01" + v), "x-ms-ratelimit-remaining-subscription-reads").empty(), false);
}

TEST_P(TightLimitsTest, InstantAccessCreationsInFlightPerSubscriptionAndRegion) {
  ASSERT_EQ(create_collection("rpc-sql01", "sql01", R"(,"instantAccess":true)").status, 201);
  ASSERT_EQ(create_collection("rpc-sql02", "sql02", R"(,"instantAccess":true)").status, 201);
  const Response first = call("PUT", rpcs + "/rpc-sql01/restorePoints/a" + v, "{}");
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(header(first, "x-ms-ratelimit-remaining-resource"), "Microsoft.Compute/PutRestorePointResource;99");
  EXPECT_EQ(error_code(call("PUT", rpcs + "/rpc-sql02/restorePoints/a" + v, "{}")), "OperationNotAllowed");
  clock_.advance(41s);
  EXPECT_EQ(call("PUT", rpcs + "/rpc-sql02/restorePoints/a" + v, "{}").status, 201);
}

class ConcurrentCreateFailsAsOperationTest : public EmulatorTest {
 protected:
  static Fixture switched() {
    Fixture fixture = small_fixture();
    fixture.concurrent_create_fails_as_operation = true;
    return fixture;
  }
  ConcurrentCreateFailsAsOperationTest() : EmulatorTest(switched()) {}
};

TEST_P(ConcurrentCreateFailsAsOperationTest, TheSecondCreateIsAcceptedAndItsOperationFails) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  ASSERT_EQ(call("PUT", rpcs + "/rpc-web01/restorePoints/a" + v, "{}").status, 201);
  const Response second = call("PUT", rpcs + "/rpc-web01/restorePoints/b" + v, "{}");
  ASSERT_EQ(second.status, 201);
  clock_.advance(6s);
  const auto operation = body_of(call("GET", target_of(header(second, "Azure-AsyncOperation"))));
  EXPECT_EQ(operation.at("status"), "Failed");
  EXPECT_EQ(operation.at("error").at("code"), "VMRestorePointClientError");
  EXPECT_EQ(body_of(call("GET", rpcs + "/rpc-web01/restorePoints/b" + v)).at("properties").at("provisioningState"),
            "Failed");
  // The first create goes on undisturbed.
  clock_.advance(35s);
  EXPECT_EQ(body_of(call("GET", rpcs + "/rpc-web01/restorePoints/a" + v)).at("properties").at("provisioningState"),
            "Succeeded");
}

TEST_P(EmulatorTest, ACopyOfACopyIsRefused) {
  ASSERT_EQ(create_collection("rpc-web01", "web01").status, 201);
  ASSERT_EQ(call("PUT", dr_rpcs + "/copies" + v,
                 R"({"location":"northeurope","properties":{"source":{"id":")" + rpcs + "/rpc-web01\"}}}")
                .status,
            201);
  const Response again = call("PUT", rpcs + "/copies-of-copies" + v,
                              R"({"location":"westeurope","properties":{"source":{"id":")" + dr_rpcs + "/copies\"}}}");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(error_code(again), "OperationNotAllowed");
}

}  // namespace
}  // namespace rpd::emulator

namespace rpd::emulator {
namespace {

INSTANTIATE_TEST_SUITE_P(Transports, EmulatorTest, ::testing::Values(Transport::in_process, Transport::https),
                         transport_name);
INSTANTIATE_TEST_SUITE_P(Transports, ThrottledEmulatorTest,
                         ::testing::Values(Transport::in_process, Transport::https), transport_name);
INSTANTIATE_TEST_SUITE_P(Transports, ConcurrentCreateFailsAsOperationTest,
                         ::testing::Values(Transport::in_process, Transport::https), transport_name);
INSTANTIATE_TEST_SUITE_P(Transports, TightLimitsTest, ::testing::Values(Transport::in_process, Transport::https),
                         transport_name);

}  // namespace
}  // namespace rpd::emulator
