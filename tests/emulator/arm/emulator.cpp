#include "tests/emulator/arm/emulator.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "tests/emulator/arm/arm_response.hpp"
#include "tests/emulator/arm/compute.hpp"
#include "tests/emulator/arm/token_service.hpp"

namespace rpd::emulator {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// Every stable Microsoft.Compute api-version from the first with restore points to the newest the SDKs send.
const std::vector<std::string> api_versions = {
    "2021-03-01", "2021-04-01", "2021-07-01", "2021-11-01", "2022-03-01", "2022-08-01", "2022-11-01", "2023-03-01",
    "2023-07-01", "2023-09-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01", "2025-11-01", "2026-04-01"};

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

struct Target {
  std::string path;
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};

// Entra ID's POST /{tenant}/oauth2/v2.0/token.
bool is_token_path(const Target& target) {
  return target.segments.size() == 4 && target.segments[1] == "oauth2" && target.segments[2] == "v2.0" &&
         target.segments[3] == "token";
}

Target parse_target(const std::string& target) {
  Target out;
  const auto question = target.find('?');
  out.path = target.substr(0, question);
  if (question != std::string::npos) {
    std::string_view rest = std::string_view(target).substr(question + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      out.query[percent_decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  std::size_t start = 1;
  while (start < out.path.size()) {
    const auto end = std::min(out.path.find('/', start), out.path.size());
    out.segments.push_back(percent_decode(std::string_view(out.path).substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

// Resource Manager's token buckets, per subscription and principal (AZURE.md section 4).
struct Bucket {
  double tokens = 0;
  EmulatorTime refilled;
};

}  // namespace

struct Emulator::State {
  State(Fixture f, Clock& c, EmulatorOptions o)
      : fixture(std::move(f)),
        clock(c),
        options(o),
        random(o.seed),
        tokens(fixture, clock, "emulator-signing-key-" + std::to_string(o.seed), o.state_dir),
        compute(fixture, clock, o.seed),
        faults(fixture.faults) {}

  Fixture fixture;
  Clock& clock;
  EmulatorOptions options;
  std::mt19937_64 random;
  TokenService tokens;
  ComputeService compute;
  std::vector<FaultRule> faults;
  std::map<std::string, Bucket> buckets;
  json::array request_log;
  std::string resource_manager_url;

  Response admin(const Request& request, const Target& target);
  Response arm(const Request& request, const Target& target);
  std::optional<FaultRule> matching_fault(const Request& request, const Target& target);
  // The answer an injected status, reset or stall rule gives instead of the real one.
  static std::optional<Response> injected_failure(const std::optional<FaultRule>& fault);
  // Refills the bucket for the time passed and, with `draw`, takes one token; false when it is empty.
  bool take_token(const std::string& key, double capacity, double refill, bool draw, int& remaining,
                  int& wait_seconds);
  bool authorized(const Principal& principal, const std::string& path) const;
  std::string guid();
};

std::string Emulator::State::guid() {
  std::uniform_int_distribution<int> hex(0, 15);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 36; ++i) out += (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : digits[hex(random)];
  return out;
}

Emulator::Emulator(Fixture fixture, Clock& clock, EmulatorOptions options)
    : state_(std::make_unique<State>(std::move(fixture), clock, options)) {}

Emulator::~Emulator() = default;

void Emulator::set_endpoints(std::string resource_manager_url, std::string managed_identity_url) {
  (void)managed_identity_url;  // tokens name Resource Manager as audience; the identity endpoints need no URL
  state_->resource_manager_url = resource_manager_url;
  state_->tokens.set_resource_manager(resource_manager_url);
  state_->compute.set_base_url(resource_manager_url);
}

Response Emulator::handle(const Request& request) {
  State& s = *state_;
  const EmulatorTime started = s.clock.now();
  const Target target = parse_target(request.target);
  Response response;
  if (target.path.starts_with("/_emulator/")) {
    response = s.admin(request, target);
  } else if (auto failure = !request.https || is_token_path(target)
                                 ? s.injected_failure(s.matching_fault(request, target))
                                 : std::nullopt) {
    // Faults on the identity endpoints (IMDS's 410 while it restarts, Entra's 503); Resource Manager's own
    // requests meet theirs in arm(), where the rest of the rule (fail_operation) applies.
    response = std::move(*failure);
  } else if (!request.https) {
    // The plain HTTP listener carries the managed identity endpoints and nothing else.
    if (target.path == "/metadata/identity/oauth2/token") {
      response = s.tokens.handle_imds_request(request);
    } else if (TokenService::is_app_service_path(target.path)) {
      response = s.tokens.handle_app_service_request(request);
    } else {
      response = json_response(404, json::object{{"error", "not_found"}});
    }
  } else if (is_token_path(target)) {
    response = request.method == "POST" ? s.tokens.handle_token_request(request, target.segments[0])
                                        : json_response(405, json::object{{"error", "invalid_request"}});
  } else {
    response = s.arm(request, target);
  }

  // The request log, for tests to count calls by: credentials and bodies are left out (they may hold secrets).
  json::object entry{{"time", operation_time(started)},
                     {"method", request.method},
                     {"path", target.path},
                     {"api_version", target.query.contains("api-version") ? target.query.at("api-version") : ""},
                     {"status", response.status},
                     {"delivery", static_cast<int>(response.delivery)},
                     {"client_request_id", request.header("x-ms-client-request-id")},
                     {"user_agent", request.header("User-Agent")}};
  if (!target.path.starts_with("/_emulator/")) s.request_log.push_back(std::move(entry));
  return response;
}

Response Emulator::State::admin(const Request& request, const Target& target) {
  const std::string& path = target.path;
  if (path == "/_emulator/requests") {
    if (request.method == "DELETE") request_log.clear();
    return json_response(200, json::object{{"requests", request_log}});
  }
  if (path == "/_emulator/state" && request.method == "GET") return json_response(200, compute.dump());
  if (path == "/_emulator/clock" && request.method == "POST") {
    boost::system::error_code ec;
    const json::value body = json::parse(request.body, ec);
    const json::value* seconds = !ec && body.is_object() ? body.as_object().if_contains("advance_seconds") : nullptr;
    if (!seconds || !seconds->is_number()) return json_response(400, json::object{{"error", "advance_seconds needed"}});
    clock.advance(std::chrono::milliseconds(static_cast<long long>(seconds->to_number<double>() * 1000)));
    return json_response(200, json::object{{"now", operation_time(clock.now())}});
  }
  if (path == "/_emulator/clock" && request.method == "GET") {
    return json_response(200, json::object{{"now", operation_time(clock.now())}});
  }
  if (path == "/_emulator/faults") {
    if (request.method == "DELETE") faults.clear();
    if (request.method == "POST") {
      boost::system::error_code ec;
      const json::value body = json::parse(request.body, ec);
      if (ec || !body.is_object()) return json_response(400, json::object{{"error", "a JSON object is needed"}});
      const json::object& o = body.as_object();
      FaultRule rule;
      const auto text = [&](const char* key, std::string& to) {
        if (const auto* v = o.if_contains(key); v && v->is_string()) to = std::string(v->as_string());
      };
      const auto integer = [&](const char* key, int& to) {
        if (const auto* v = o.if_contains(key); v && v->is_number()) to = static_cast<int>(v->to_number<double>());
      };
      text("method", rule.method);
      text("path_contains", rule.path_contains);
      text("code", rule.code);
      text("delivery", rule.delivery);
      integer("count", rule.count);
      integer("status", rule.status);
      integer("retry_after_seconds", rule.retry_after_seconds);
      integer("delay_ms", rule.delay_ms);
      if (const auto* v = o.if_contains("probability"); v && v->is_number()) rule.probability = v->to_number<double>();
      if (const auto* v = o.if_contains("fail_operation"); v && v->is_bool()) rule.fail_operation = v->as_bool();
      if (const auto* v = o.if_contains("headers"); v && v->is_object()) {
        for (const auto& [name, value] : v->as_object()) {
          if (value.is_string()) rule.headers.emplace_back(std::string(name), std::string(value.as_string()));
        }
      }
      faults.push_back(rule);
    }
    return json_response(200, json::object{{"faults", static_cast<std::int64_t>(faults.size())}});
  }
  if (path == "/_emulator/token" && request.method == "POST") {
    // A token for a principal of the fixture without going through Entra: the SDK check uses this.
    boost::system::error_code ec;
    const json::value body = json::parse(request.body, ec);
    const json::value* client = !ec && body.is_object() ? body.as_object().if_contains("client_id") : nullptr;
    if (!client || !client->is_string()) return json_response(400, json::object{{"error", "client_id needed"}});
    Principal principal{std::string(client->as_string()), std::string(client->as_string()),
                        fixture.tenants.empty() ? "" : fixture.tenants.front()};
    for (const ServicePrincipal& sp : fixture.service_principals) {
      if (sp.client_id == principal.client_id) principal = {sp.client_id, sp.object_id, sp.tenant_id};
    }
    return json_response(200, json::object{{"access_token", tokens.issue(principal, fixture.token_lifetime_seconds)}});
  }
  return json_response(404, json::object{{"error", "unknown admin endpoint"}});
}

std::optional<FaultRule> Emulator::State::matching_fault(const Request& request, const Target& target) {
  const std::string path = lower_ascii(target.path);
  for (FaultRule& rule : faults) {
    if (rule.count == 0) continue;
    if (!rule.method.empty() && !iequals_ascii(rule.method, request.method)) continue;
    if (!rule.path_contains.empty() && path.find(lower_ascii(rule.path_contains)) == std::string::npos) continue;
    if (rule.probability < 1.0 && std::uniform_real_distribution<double>(0, 1)(random) >= rule.probability) continue;
    if (rule.count > 0) --rule.count;
    return rule;
  }
  return std::nullopt;
}

bool Emulator::State::take_token(const std::string& key, double capacity, double refill, bool draw, int& remaining,
                                 int& wait_seconds) {
  const EmulatorTime now = clock.now();
  auto [it, inserted] = buckets.try_emplace(key, Bucket{capacity, now});
  Bucket& bucket = it->second;
  bucket.tokens = std::min(capacity, bucket.tokens + refill * std::chrono::duration<double>(now - bucket.refilled).count());
  bucket.refilled = now;
  if (bucket.tokens < 1) {
    wait_seconds = static_cast<int>(std::ceil((1 - bucket.tokens) / refill));
    remaining = 0;
    return false;
  }
  if (draw) bucket.tokens -= 1;
  remaining = static_cast<int>(bucket.tokens);
  return true;
}

bool Emulator::State::authorized(const Principal& principal, const std::string& path) const {
  const std::string target = lower_ascii(path) + "/";
  return std::any_of(fixture.grants.begin(), fixture.grants.end(), [&](const Grant& grant) {
    return (grant.principal == principal.client_id || grant.principal == principal.object_id) &&
           target.starts_with(lower_ascii(grant.scope) + "/");
  });
}

std::optional<Response> Emulator::State::injected_failure(const std::optional<FaultRule>& fault) {
  if (fault && fault->status > 0) {
    Response response = arm_error(fault->status, fault->code, "Injected fault: " + fault->code + ".");
    if (fault->retry_after_seconds >= 0) response.headers.emplace_back("Retry-After", std::to_string(fault->retry_after_seconds));
    for (const auto& header : fault->headers) response.headers.push_back(header);
    if (fault->delivery == "slow") {
      response.delivery = Delivery::slow;
      response.delay = std::chrono::milliseconds(fault->delay_ms);
    }
    return response;
  }
  if (fault && (fault->delivery == "reset" || fault->delivery == "stall")) {
    // The request never reached the service: nothing changes.
    Response response;
    response.delivery = fault->delivery == "reset" ? Delivery::reset : Delivery::stall;
    return response;
  }
  return std::nullopt;
}

Response Emulator::State::arm(const Request& request, const Target& target) {
  const auto fault = matching_fault(request, target);
  if (auto failure = injected_failure(fault)) return std::move(*failure);

  Response failure;
  const auto principal = tokens.authenticate(request, failure);
  if (!principal) return failure;

  Response response;
  // Resource Manager's throttle, per subscription and principal: every answer past authentication says what is
  // left in the bucket its kind of request draws from.
  const std::string kind = request.method == "GET" ? "reads" : request.method == "DELETE" ? "deletes" : "writes";
  const double capacity = kind == "reads" ? fixture.read_bucket : kind == "deletes" ? fixture.delete_bucket : fixture.write_bucket;
  const double refill = kind == "reads" ? fixture.read_refill : kind == "deletes" ? fixture.delete_refill : fixture.write_refill;
  const std::string subscription = target.segments.size() > 1 ? lower_ascii(target.segments[1]) : "";
  const std::string bucket = subscription + "|" + principal->object_id + "|" + kind;
  int remaining = 0;
  bool drawn = false;
  const auto version = target.query.find("api-version");
  const bool is_operation = target.segments.size() == 8 && iequals_ascii(target.segments[4], "locations");
  if (version == target.query.end() || version->second.empty()) {
    response = arm_error(400, "MissingApiVersionParameter",
                         "The api-version query parameter (?api-version=) is required for all requests.");
  } else if (std::find(api_versions.begin(), api_versions.end(), version->second) == api_versions.end()) {
    std::string supported;
    for (const std::string& v : api_versions) supported += (supported.empty() ? "" : ", ") + v;
    response = arm_error(400, "InvalidApiVersionParameter",
                         "The api-version '" + version->second + "' is invalid. The supported versions are '" +
                             supported + "'.");
  } else if (!is_operation && !authorized(*principal, target.path)) {
    response = arm_error(403, "AuthorizationFailed",
                         "The client '" + principal->client_id + "' with object id '" + principal->object_id +
                             "' does not have authorization to perform action 'Microsoft.Compute/" +
                             (target.segments.size() > 6 ? target.segments[6] : std::string("*")) + "/" +
                             (request.method == "GET" ? "read" : request.method == "DELETE" ? "delete" : "write") +
                             "' over scope '" + target.path + "' or the scope is invalid.");
  } else {
    int wait = 0;
    drawn = true;
    if (!take_token(bucket, capacity, refill, true, remaining, wait)) {
      response = arm_error(429, "SubscriptionRequestsThrottled",
                           "Number of '" + kind + "' requests for subscription '" + subscription +
                               "' exceeded the limit. Please try again after '" + std::to_string(wait) + "' seconds.");
      response.headers.emplace_back("Retry-After", std::to_string(wait));
    } else {
      response = compute.handle(ArmRequest{request.method, target.segments, target.query, version->second, request.body});
      if (fault && fault->fail_operation) compute.fail_last_operation(fault->code, "Injected failure: " + fault->code + ".");
    }
  }
  if (!drawn) {
    int wait = 0;
    take_token(bucket, capacity, refill, false, remaining, wait);  // refused before the throttle: nothing is drawn
  }
  response.headers.emplace_back("x-ms-ratelimit-remaining-subscription-" + kind, std::to_string(remaining));
  response.headers.emplace_back("x-ms-request-id", guid());
  response.headers.emplace_back("x-ms-correlation-request-id", guid());
  if (const std::string id = request.header("x-ms-client-request-id"); !id.empty()) {
    response.headers.emplace_back("x-ms-client-request-id", id);
  }

  if (fault && fault->delivery == "truncated_body") response.delivery = Delivery::truncated_body;
  if (fault && fault->delivery == "slow") {
    response.delivery = Delivery::slow;
    response.delay = std::chrono::milliseconds(fault->delay_ms);
  }
  if (fault && fault->delivery == "malformed_body") response.body = response.body.substr(0, response.body.size() / 2) + "}{";
  return response;
}

}  // namespace rpd::emulator
