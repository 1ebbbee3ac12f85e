// Every restore point example of the published specification (api-versions 2025-04-01 and 2025-11-01) sent
// to the emulator: its answer must have the example response's shape, that is the same property paths with
// the same JSON kinds. Values may differ (ids, names, times, regions): the examples describe other VMs than
// the fixture's, so each example is mapped onto the small fixture's VM sql01 first.

#include "tests/emulator/arm/emulator.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

// The build sets it; this default keeps a standalone compile working from the same checkout layout.
#ifndef RESTOREPOINTD_SHARED_DIR
#define RESTOREPOINTD_SHARED_DIR RESTOREPOINTD_SOURCE_DIR "/../shared"
#endif

namespace rpd::emulator {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

const std::vector<std::string> walked_versions = {"2025-04-01", "2025-11-01"};

// The fixture's side of every example: sql01 (Windows, Premium SSD v2 data disks, so Instant Access works) in
// prod, westeurope; cross-region copies go to the dr group in northeurope.
const std::string sub = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string prod = "/subscriptions/" + sub + "/resourceGroups/prod/providers/Microsoft.Compute";
const std::string dr = "/subscriptions/" + sub + "/resourceGroups/dr/providers/Microsoft.Compute";
const std::string vm = prod + "/virtualMachines/sql01";
const std::string excluded_disk = prod + "/disks/sql01-log";
const std::string collection = prod + "/restorePointCollections/rpc-sql01";
const std::string point = collection + "/restorePoints/rp1";
const std::string copies = dr + "/restorePointCollections/rpc-sql01-dr";

// Shapes the emulator does not give, on purpose; each entry says why. Keep this list tiny.
struct AllowedMismatch {
  const char* example;  // file name without .json, any api-version
  const char* path;     // the path and everything below it
  const char* reason;
};
const AllowedMismatch allowed_mismatches[] = {
    {"RestorePointCollection_Update_MaximumSet_Gen", "properties.restorePoints",
     "a generated example that fills in every property of the schema (a Windows and a Linux configuration at "
     "once, disk encryption, a security profile); the collection's restore points are only listed with "
     "$expand=restorePoints, which the PATCH operation does not take"},
};

struct Example {
  std::string name;  // the test's name: api-version and file name, v2025_04_01_RestorePoint_Create
  fs::path file;     // empty when the specification folder is missing
};

void PrintTo(const Example& example, std::ostream* out) { *out << example.file.generic_string(); }

fs::path shared_dir() {
  if (const char* dir = std::getenv("RESTOREPOINTD_SHARED_DIR"); dir && *dir) return dir;
  return RESTOREPOINTD_SHARED_DIR;
}

fs::path compute_spec_dir() {
  return shared_dir() / "azure-spec/specification/compute/resource-manager/Microsoft.Compute";
}

std::string test_name_part(std::string text) {
  for (char& c : text) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return text;
}

// Every restorePointExamples/*.json below Microsoft.Compute whose path names a walked api-version, wherever
// the specification keeps it (swagger's stable/<version>/examples or TypeSpec's examples/<version>).
std::vector<Example> find_examples() {
  const fs::path root = compute_spec_dir();
  std::error_code error;
  if (!fs::is_directory(root, error)) return {Example{"SpecificationMissing", {}}};
  std::vector<Example> examples;
  for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    const fs::path& path = it->path();
    if (path.extension() != ".json" || path.parent_path().filename() != "restorePointExamples") continue;
    const std::string text = path.generic_string();
    for (const std::string& version : walked_versions) {
      if (text.find("/" + version + "/") == std::string::npos) continue;
      examples.push_back({"v" + test_name_part(version) + "_" + test_name_part(path.stem().string()), path});
    }
  }
  std::sort(examples.begin(), examples.end(), [](const Example& a, const Example& b) { return a.name < b.name; });
  // Two folders of one version could hold the same file name: test names must stay unique.
  for (std::size_t i = 1; i < examples.size(); ++i) {
    if (examples[i].name == examples[i - 1].name) examples[i].name += "_" + std::to_string(i);
  }
  return examples;
}

const std::vector<Example>& all_examples() {
  static const std::vector<Example> examples = find_examples();
  return examples;
}

json::object read_json(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The operation, from the file name: RestorePoint_Create, RestorePointCollection_Update_MinimumSet_Gen, ...
// (the 2025-04-01 examples carry no operationId).
std::string method_of(const std::string& stem) {
  const std::string operation = stem.substr(stem.find('_') + 1);
  if (operation.starts_with("Create") || operation.starts_with("Copy")) return "PUT";
  if (operation.starts_with("Update")) return "PATCH";
  if (operation.starts_with("Delete")) return "DELETE";
  if (operation.starts_with("Get") || operation.starts_with("List")) return "GET";
  return "";
}

// The one parameter that is an object is the request body.
std::optional<json::object> body_parameter(const json::object& parameters) {
  for (const json::key_value_pair& parameter : parameters) {
    if (parameter.value().is_object()) return parameter.value().as_object();
  }
  return std::nullopt;
}

bool is_cross_region(const json::object& body) {
  const json::value* source = body.contains("properties") && body.at("properties").is_object()
                                  ? body.at("properties").as_object().if_contains("source")
                                  : nullptr;
  const json::value* id = source && source->is_object() ? source->as_object().if_contains("id") : nullptr;
  return id && id->is_string() &&
         lower(std::string(id->as_string())).find("/restorepointcollections/") != std::string::npos;
}

// The example's body with its ids and regions replaced by the fixture's: the emulator checks them.
json::object fixture_body(json::object body) {
  const bool cross_region = is_cross_region(body);
  if (body.contains("location")) body["location"] = cross_region ? "northeurope" : "westeurope";
  json::value* properties = body.if_contains("properties");
  if (!properties || !properties->is_object()) return body;
  json::object& p = properties->as_object();
  if (json::value* source = p.if_contains("source"); source && source->is_object()) {
    source->as_object()["id"] = cross_region ? collection : vm;
  }
  if (json::value* disks = p.if_contains("excludeDisks"); disks && disks->is_array()) {
    for (json::value& disk : disks->as_array()) {
      if (disk.is_object()) disk.as_object()["id"] = excluded_disk;
    }
  }
  if (json::value* source_point = p.if_contains("sourceRestorePoint"); source_point && source_point->is_object()) {
    source_point->as_object()["id"] = point;
  }
  return body;
}

// Where the example's request goes in the fixture's world (see SpecExampleTest::SetUp).
std::string fixture_path(const json::object& parameters, const std::string& method,
                         const std::optional<json::object>& body) {
  const bool names_point = parameters.contains("restorePointName") || parameters.contains("vmRestorePointName");
  if (names_point && method == "PUT") {
    const bool copy = body && body->contains("properties") && body->at("properties").is_object() &&
                      body->at("properties").as_object().contains("sourceRestorePoint");
    return copy ? copies + "/restorePoints/rp1" : collection + "/restorePoints/rp2";
  }
  if (names_point) return point;
  if (parameters.contains("restorePointCollectionName")) {
    if (method != "PUT") return collection;
    // New collections, so that the create answers 201 as for a collection that did not exist.
    return body && is_cross_region(*body) ? dr + "/restorePointCollections/rpc-sql01-dr2"
                                          : prod + "/restorePointCollections/rpc-sql01-new";
  }
  if (parameters.contains("resourceGroupName")) return prod + "/restorePointCollections";
  return "/subscriptions/" + sub + "/providers/Microsoft.Compute/restorePointCollections";
}

std::string kind_of(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "unknown";
}

// Every path of `expected` must be in `actual` with the same kind. Arrays: the first elements' shapes, and an
// array the example fills must not be empty in the answer (its element paths would be missing).
void compare_shape(const json::value& expected, const json::value& actual, const std::string& path,
                   std::vector<std::string>& mismatches) {
  if (kind_of(expected) != kind_of(actual)) {
    mismatches.push_back((path.empty() ? "the body" : path) + ": the example has " + kind_of(expected) +
                         ", the answer " + kind_of(actual));
    return;
  }
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.as_object()) {
      const std::string child = path.empty() ? std::string(key) : path + "." + std::string(key);
      if (const json::value* answer = actual.as_object().if_contains(key)) {
        // Tags are the user's own keys, not the schema's: of them only the kind (object) is shape.
        compare_shape(key == "tags" ? json::value(json::object{}) : value, *answer, child, mismatches);
      } else {
        mismatches.push_back(child + ": missing");
      }
    }
  } else if (expected.is_array() && !expected.as_array().empty()) {
    if (actual.as_array().empty()) {
      mismatches.push_back(path + ": empty, the example has elements");
    } else {
      compare_shape(expected.as_array().front(), actual.as_array().front(), path + "[0]", mismatches);
    }
  }
}

bool allowed(const std::string& example, const std::string& mismatch) {
  const std::string path = mismatch.substr(0, mismatch.find(':'));
  return std::any_of(std::begin(allowed_mismatches), std::end(allowed_mismatches), [&](const AllowedMismatch& a) {
    const std::string prefix = a.path;
    return example == a.example && (path == prefix || path.starts_with(prefix + ".") || path.starts_with(prefix + "["));
  });
}

class SpecExampleTest : public ::testing::TestWithParam<Example> {
 protected:
  SpecExampleTest()
      : clock_(EmulatorTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 25}} + 10h),
        emulator_(load_fixture(std::string(RESTOREPOINTD_SOURCE_DIR) + "/tests/emulator/fixtures/small.yaml").value(),
                  clock_, {}) {
    emulator_.set_endpoints("https://127.0.0.1:8443", "http://127.0.0.1:8080");
    Request request{"POST", "/_emulator/token", {}, R"({"client_id":"11111111-1111-4111-8111-111111111111"})", true};
    token_ = std::string(json::parse(emulator_.handle(request).body).at("access_token").as_string());
  }

  // What every example finds: a collection of sql01 with Instant Access, a finished restore point in it that
  // leaves out a data disk, and an empty collection in northeurope for copies of its points.
  void SetUp() override {
    if (GetParam().file.empty()) return;
    const std::string v = "?api-version=2025-04-01";
    const Response created =
        call("PUT", collection + v,
             json::serialize(json::object{{"location", "westeurope"},
                                          {"tags", {{"myTag1", "tagValue1"}}},
                                          {"properties", {{"source", {{"id", vm}}}, {"instantAccess", true}}}}));
    ASSERT_EQ(created.status, 201) << created.body;
    const Response point_created =
        call("PUT", point + v,
             json::serialize(json::object{{"properties",
                                           {{"excludeDisks", json::array{json::object{{"id", excluded_disk}}}},
                                            {"instantAccessDurationMinutes", 120}}}}));
    ASSERT_EQ(point_created.status, 201) << point_created.body;
    // Past the create (40 s in the small fixture), well within the 120 minutes of Instant Access.
    clock_.advance(5min);
    const Response target = call(
        "PUT", copies + v,
        json::serialize(json::object{{"location", "northeurope"}, {"properties", {{"source", {{"id", collection}}}}}}));
    ASSERT_EQ(target.status, 201) << target.body;
  }

  Response call(const std::string& method, const std::string& target, const std::string& body) {
    Request request{method, target, {{"Authorization", "Bearer " + token_}}, body, true};
    if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    return emulator_.handle(request);
  }

  ManualClock clock_;
  Emulator emulator_;
  std::string token_;
};

TEST_P(SpecExampleTest, AnswerHasTheExampleResponsesShape) {
  const Example& example = GetParam();
  if (example.file.empty()) {
    GTEST_SKIP() << "The Azure specification is not at " << compute_spec_dir().generic_string()
                 << ": set RESTOREPOINTD_SHARED_DIR to the folder that holds azure-spec/.";
  }
  const json::object spec = read_json(example.file);
  const json::object& parameters = spec.at("parameters").as_object();
  const std::string stem = example.file.stem().string();
  const std::string method = method_of(stem);
  ASSERT_NE(method, "") << "No operation known for " << stem;

  std::optional<json::object> body = body_parameter(parameters);
  if (body) body = fixture_body(*body);
  std::string target =
      fixture_path(parameters, method, body) + "?api-version=" + std::string(parameters.at("api-version").as_string());
  for (const char* expand : {"$expand", "expand"}) {
    if (parameters.contains(expand)) target += "&$expand=" + std::string(parameters.at(expand).as_string());
  }
  const Response answer = call(method, target, body ? json::serialize(*body) : "");
  const std::string request = method + " " + target;

  const json::object& responses = spec.at("responses").as_object();
  const json::value* expected = responses.if_contains(std::to_string(answer.status));
  ASSERT_NE(expected, nullptr) << request << " answered " << answer.status << ", which is not among the example's "
                               << json::serialize(responses) << "\n"
                               << answer.body;

  std::vector<std::string> mismatches;
  if (const json::value* headers = expected->as_object().if_contains("headers")) {
    for (const json::key_value_pair& wanted : headers->as_object()) {
      const std::string name = lower(std::string(wanted.key()));
      const bool present = std::any_of(answer.headers.begin(), answer.headers.end(),
                                       [&](const auto& header) { return lower(header.first) == name; });
      if (!present) mismatches.push_back("header " + name + ": missing");
    }
  }
  if (const json::value* expected_body = expected->as_object().if_contains("body")) {
    boost::system::error_code error;
    const json::value actual = json::parse(answer.body, error);
    ASSERT_FALSE(error) << request << " answered a body that is not JSON: " << answer.body;
    compare_shape(*expected_body, actual, "", mismatches);
  }
  std::erase_if(mismatches, [&](const std::string& mismatch) { return allowed(stem, mismatch); });
  if (!mismatches.empty()) {
    std::string list;
    for (const std::string& mismatch : mismatches) list += "\n  " + mismatch;
    ADD_FAILURE() << example.file.generic_string() << "\n"
                  << request << " answered " << answer.status
                  << " with a shape that differs from the example's at:" << list << "\nThe answer: " << answer.body;
  }
}

INSTANTIATE_TEST_SUITE_P(AzureSpecification, SpecExampleTest, ::testing::ValuesIn(all_examples()),
                         [](const ::testing::TestParamInfo<Example>& example) { return example.param.name; });

// The walk itself: an empty or half walk would pass without saying anything.
TEST(SpecExamples, BothApiVersionsAreWalked) {
  if (!all_examples().empty() && all_examples().front().file.empty()) {
    GTEST_SKIP() << "The Azure specification is missing (see SpecificationMissing).";
  }
  for (const std::string& version : walked_versions) {
    const auto count = std::count_if(all_examples().begin(), all_examples().end(), [&](const Example& example) {
      return example.file.generic_string().find("/" + version + "/") != std::string::npos;
    });
    EXPECT_GT(count, 0) << "No restore point examples for api-version " << version << " under "
                        << compute_spec_dir().generic_string();
  }
}

}  // namespace
}  // namespace rpd::emulator
