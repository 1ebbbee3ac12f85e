#include "daemon/azure/arm_error.hpp"

#include <boost/json.hpp>

#include "core/arm_id.hpp"

namespace rpd::azure {

namespace json = boost::json;

namespace {

constexpr std::size_t body_excerpt_limit = 200;
constexpr std::size_t describe_message_limit = 1000;

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Replaces JWTs ("eyJ...") and whatever follows "Bearer " with "[redacted]", in case a body echoes a token.
std::string redact_tokens(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const bool word_start = i == 0 || !is_token_char(text[i - 1]);
    std::size_t token_start = std::string_view::npos;
    if (word_start && text.substr(i, 3) == "eyJ") {
      token_start = i;
    } else if (word_start && i + 7 <= text.size() && iequals(text.substr(i, 7), "bearer ")) {
      out.append(text.substr(i, 7));
      i += 7;
      if (i < text.size() && is_token_char(text[i])) token_start = i;
    }
    if (token_start == std::string_view::npos) {
      out += text[i++];
      continue;
    }
    while (i < text.size() && is_token_char(text[i])) ++i;
    out += "[redacted]";
  }
  return out;
}

// Control characters become spaces, runs of spaces one space, no space at either end.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool space = u < 0x20 || u == 0x7f || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// At most `limit` bytes of `text`, not cutting a UTF-8 sequence in two.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// A member by name, exactly or else in any case ("Code", "Message" are seen too); null counts as absent.
const json::value* member(const json::object& object, std::string_view name) {
  if (const auto* found = object.if_contains(name); found && !found->is_null()) return found;
  for (const auto& entry : object) {
    if (iequals(entry.key(), name) && !entry.value().is_null()) return &entry.value();
  }
  return nullptr;
}

std::string string_member(const json::object& object, std::string_view name) {
  const auto* value = member(object, name);
  if (value == nullptr) return {};
  if (value->is_string()) return std::string(value->get_string());
  return json::serialize(*value);  // a number or an object where a string belongs: keep it readable
}

}  // namespace

ArmError arm_error_from_json(const json::object& error) {
  ArmError out;
  out.code = string_member(error, "code");
  out.message = redact_tokens(string_member(error, "message"));
  out.target = string_member(error, "target");
  if (const auto* details = member(error, "details"); details && details->is_array()) {
    for (const auto& detail : details->get_array()) {
      if (!detail.is_object()) continue;
      ArmError item;
      item.code = string_member(detail.get_object(), "code");
      item.message = redact_tokens(string_member(detail.get_object(), "message"));
      item.target = string_member(detail.get_object(), "target");
      out.details.push_back(std::move(item));
    }
  }
  return out;
}

ArmError parse_arm_error(int status, const Headers& headers, std::string_view body) {
  ArmError out;
  bool understood = false;
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    const auto& root = parsed.get_object();
    const auto* error = member(root, "error");
    if (error != nullptr && error->is_object()) {  // ARM's CloudError
      out = arm_error_from_json(error->get_object());
      understood = true;
    } else if (error != nullptr && error->is_string()) {  // Entra ID and the managed identity endpoints
      out.code = std::string(error->get_string());
      out.message = redact_tokens(string_member(root, "error_description"));
      out.correlation_id = string_member(root, "correlation_id");
      understood = true;
    } else if (member(root, "code") != nullptr || member(root, "message") != nullptr) {  // unwrapped (throttling)
      out = arm_error_from_json(root);
      understood = true;
    }
  }
  if (!understood) out.message = redact_tokens(one_line(utf8_prefix(body, body_excerpt_limit)));

  out.http_status = status;
  if (auto code = find_header(headers, "x-ms-error-code"); code && !code->empty()) out.code = std::string(*code);
  if (out.code.empty()) out.code = "HttpStatus" + std::to_string(status);
  if (auto id = find_header(headers, "x-ms-request-id")) out.request_id = std::string(*id);
  if (auto id = find_header(headers, "x-ms-correlation-request-id")) out.correlation_id = std::string(*id);
  if (auto id = find_header(headers, "x-ms-client-request-id")) out.client_request_id = std::string(*id);
  return out;
}

std::string ArmError::describe() const {
  std::string out;
  if (http_status != 0) out = std::to_string(http_status) + " ";
  out += code.empty() ? "Error" : code;
  if (!message.empty()) {
    std::string text = one_line(message);
    if (text.size() > describe_message_limit) text = std::string(utf8_prefix(text, describe_message_limit)) + "...";
    out += ": " + text;
  }

  std::vector<std::string> groups;
  if (!target.empty()) groups.push_back("target " + target);
  if (!details.empty()) {
    std::string codes;
    for (const auto& detail : details) {
      if (detail.code.empty()) continue;
      codes += (codes.empty() ? "" : ", ") + detail.code;
    }
    if (!codes.empty()) groups.push_back("details: " + codes);
  }
  std::string ids;
  const auto add_id = [&ids](std::string_view label, const std::string& id) {
    if (id.empty()) return;
    ids += (ids.empty() ? "" : ", ") + std::string(label) + " " + id;
  };
  add_id("request", request_id);
  add_id("correlation", correlation_id);
  add_id("client request", client_request_id);
  if (!ids.empty()) groups.push_back(ids);

  if (!groups.empty()) {
    out += " (";
    for (std::size_t i = 0; i < groups.size(); ++i) out += (i == 0 ? "" : "; ") + groups[i];
    out += ")";
  }
  return out;
}

}  // namespace rpd::azure
