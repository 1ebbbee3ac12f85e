#include "daemon/azure/token_requests.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

namespace rpd::azure {
namespace {

namespace json = boost::json;
using std::chrono::seconds;

constexpr std::int64_t max_seconds = std::int64_t{1} << 40;  // far beyond any real token, no overflow

std::string with_trailing_slash(std::string_view resource) {
  while (!resource.empty() && resource.back() == '/') resource.remove_suffix(1);
  return std::string(resource) + "/";
}

std::string without_trailing_slash(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

std::string identity_parameter(const ManagedIdentityId& id, std::string_view object_name,
                               std::string_view resource_name) {
  switch (id.kind) {
    case ManagedIdentityId::Kind::system_assigned: return "";
    case ManagedIdentityId::Kind::client_id: return "&client_id=" + url_encode(id.value);
    case ManagedIdentityId::Kind::object_id: return "&" + std::string(object_name) + "=" + url_encode(id.value);
    case ManagedIdentityId::Kind::resource_id: return "&" + std::string(resource_name) + "=" + url_encode(id.value);
  }
  return "";
}

Error field_error(std::string_view what, std::string_view field, std::string_view problem) {
  return make_error(std::string(what) + ": field \"" + std::string(field) + "\" " + std::string(problem));
}

// A whole number of seconds from a JSON number or a string of digits; nullopt otherwise.
std::optional<std::int64_t> seconds_value(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    if (value.get_uint64() > static_cast<std::uint64_t>(max_seconds)) return std::nullopt;
    return static_cast<std::int64_t>(value.get_uint64());
  }
  if (value.is_string()) {
    const json::string& text = value.get_string();
    if (text.empty() || text.size() > 15) return std::nullopt;
    std::int64_t result = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      result = result * 10 + (c - '0');
    }
    return result;
  }
  return std::nullopt;
}

Result<json::object> parse_object(std::string_view what, std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return make_error(std::string(what) + ": the answer is not JSON (" + ec.message() + ")");
  if (!value.is_object()) return make_error(std::string(what) + ": the answer is not a JSON object");
  return std::move(value.as_object());
}

Result<std::string> token_text(std::string_view what, const json::object& object, std::string_view field) {
  const json::value* value = object.if_contains(field);
  if (!value) return field_error(what, field, "is missing");
  if (!value->is_string()) return field_error(what, field, "is not a string");
  if (value->get_string().empty()) return field_error(what, field, "is empty");
  return std::string(value->get_string());
}

// The field as seconds, or an error; nullopt inside the Result when absent and not required.
Result<std::optional<std::int64_t>> seconds_field(std::string_view what, const json::object& object,
                                                  std::string_view field) {
  const json::value* value = object.if_contains(field);
  if (!value) return std::optional<std::int64_t>();
  auto result = seconds_value(*value);
  if (!result || *result < 0 || *result > max_seconds)
    return field_error(what, field, "is not a whole number of seconds");
  return result;
}

TimePoint from_epoch_seconds(std::int64_t value) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(seconds(value)));
}

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 15];
    }
  }
  return out;
}

std::string default_scope(std::string_view resource_manager) {
  return without_trailing_slash(resource_manager) + "/.default";
}

std::string entra_token_url(std::string_view authority, std::string_view tenant) {
  return without_trailing_slash(authority) + "/" + std::string(tenant) + "/oauth2/v2.0/token";
}

std::string client_secret_form(std::string_view client_id, std::string_view client_secret, std::string_view scope) {
  return "grant_type=client_credentials&client_id=" + url_encode(client_id) +
         "&client_secret=" + url_encode(client_secret) + "&scope=" + url_encode(scope);
}

std::string client_assertion_form(std::string_view client_id, std::string_view assertion, std::string_view scope) {
  return "grant_type=client_credentials&client_id=" + url_encode(client_id) +
         "&client_assertion_type=" + url_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
         "&client_assertion=" + url_encode(assertion) + "&scope=" + url_encode(scope);
}

TokenGet imds_request(std::string_view resource, const ManagedIdentityId& id) {
  std::string target = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
                       url_encode(with_trailing_slash(resource)) + identity_parameter(id, "object_id", "msi_res_id");
  return TokenGet{std::move(target), Headers{{"Metadata", "true"}}};
}

TokenGet app_service_request(std::string_view identity_endpoint, std::string_view identity_header,
                             std::string_view resource, const ManagedIdentityId& id) {
  std::string target = std::string(identity_endpoint) + "?api-version=2019-08-01&resource=" +
                       url_encode(with_trailing_slash(resource)) + identity_parameter(id, "principal_id", "mi_res_id");
  return TokenGet{std::move(target), Headers{{"X-IDENTITY-HEADER", std::string(identity_header)}}};
}

TokenGet arc_request(std::string_view identity_endpoint, std::string_view resource) {
  std::string target = std::string(identity_endpoint) + "?api-version=2019-11-01&resource=" +
                       url_encode(with_trailing_slash(resource));
  return TokenGet{std::move(target), Headers{{"Metadata", "true"}}};
}

Result<std::string> arc_key_file(const Headers& headers, std::string_view key_directory) {
  const auto challenge = find_header(headers, "WWW-Authenticate");
  if (!challenge) return make_error("Azure Arc's answer has no WWW-Authenticate challenge");
  constexpr std::string_view prefix = "basic realm=";
  std::string lower_start;
  for (char c : challenge->substr(0, prefix.size())) lower_start += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower_start != prefix) return make_error("Azure Arc's challenge is not \"Basic realm=<file>\"");
  std::string_view file = challenge->substr(prefix.size());
  const std::string directory = without_trailing_slash(key_directory) + "/";
  const std::string_view name = file.substr(std::min(file.size(), directory.size()));
  const bool in_directory = file.starts_with(directory) && !name.empty() && name.find('/') == std::string_view::npos;
  if (!in_directory || !name.ends_with(".key") || name.starts_with(".")) {
    return make_error("Azure Arc's challenge names a file outside " + directory + " or not a .key file");
  }
  return std::string(file);
}

std::string describe_token_failure(int http_status, std::string_view body) {
  std::string text = "HTTP " + std::to_string(http_status);
  boost::system::error_code ec;
  const json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return text;
  const json::object& object = value.get_object();
  const auto field = [&](std::string_view name) -> std::string {
    const json::value* v = object.if_contains(name);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  std::string error = field("error");
  std::string description = field("error_description");
  if (const auto newline = description.find_first_of("\r\n"); newline != std::string::npos) description.resize(newline);
  if (description.size() > 300) description = description.substr(0, 300) + "...";
  if (error.size() > 100) error.resize(100);
  if (!error.empty()) text += " " + error;
  if (!description.empty()) text += ": " + description;
  return text;
}

Result<AccessToken> parse_entra_token(std::string_view body, TimePoint now) {
  constexpr std::string_view what = "token answer";
  auto object = parse_object(what, body);
  if (!object) return object.error();
  auto token = token_text(what, *object, "access_token");
  if (!token) return token.error();
  auto expires_in = seconds_field(what, *object, "expires_in");
  if (!expires_in) return expires_in.error();
  if (!*expires_in) return field_error(what, "expires_in", "is missing");
  if (const json::value* type = object->if_contains("token_type")) {
    if (!type->is_string()) return field_error(what, "token_type", "is not a string");
    std::string lower;
    for (char c : type->get_string()) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != "bearer") return field_error(what, "token_type", "is not Bearer");
  }
  auto expires_on = std::chrono::time_point_cast<seconds>(now) + seconds(**expires_in);
  return AccessToken{std::move(token).value(), expires_on, std::nullopt};
}

Result<AccessToken> parse_managed_identity_token(std::string_view body, TimePoint now) {
  constexpr std::string_view what = "managed identity token answer";
  auto object = parse_object(what, body);
  if (!object) return object.error();
  auto token = token_text(what, *object, "access_token");
  if (!token) return token.error();
  auto expires_on = seconds_field(what, *object, "expires_on");
  if (!expires_on) return expires_on.error();
  auto expires_in = seconds_field(what, *object, "expires_in");
  if (!expires_in) return expires_in.error();
  auto refresh_in = seconds_field(what, *object, "refresh_in");
  if (!refresh_in) return refresh_in.error();

  TimePoint now_seconds = std::chrono::time_point_cast<seconds>(now);
  TimePoint expiry;
  if (*expires_on) {
    expiry = from_epoch_seconds(**expires_on);
  } else if (*expires_in) {
    expiry = now_seconds + seconds(**expires_in);
  } else {
    return field_error(what, "expires_on", "is missing (and so is expires_in)");
  }
  std::optional<TimePoint> refresh_at;
  if (*refresh_in) refresh_at = now_seconds + seconds(**refresh_in);
  return AccessToken{std::move(token).value(), expiry, refresh_at};
}

Result<AccessToken> parse_azure_cli_token(std::string_view body) {
  constexpr std::string_view what = "az account get-access-token output";
  auto object = parse_object(what, body);
  if (!object) return object.error();
  auto token = token_text(what, *object, "accessToken");
  if (!token) return token.error();
  auto expires_on = seconds_field(what, *object, "expires_on");
  if (!expires_on) return expires_on.error();
  if (!*expires_on) return field_error(what, "expires_on", "is missing (Azure CLI 2.54 or later is needed)");
  return AccessToken{std::move(token).value(), from_epoch_seconds(**expires_on), std::nullopt};
}

}  // namespace rpd::azure
