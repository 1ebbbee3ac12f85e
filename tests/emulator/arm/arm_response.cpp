#include "tests/emulator/arm/arm_response.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace rpd::emulator {

Response json_response(int status, const boost::json::value& body) {
  Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  response.body = boost::json::serialize(body);
  return response;
}

Response arm_error(int status, const std::string& code, const std::string& message, const std::string& target) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (!target.empty()) error["target"] = target;
  Response response = json_response(status, boost::json::object{{"error", error}});
  response.headers.emplace_back("x-ms-error-code", code);
  return response;
}

namespace {

std::string format(EmulatorTime time, const char* tail, int fraction_digits) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto millis = (time - seconds).count();
  const std::time_t t = seconds.time_since_epoch().count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  if (fraction_digits == 7) {
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03lld0000%s", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(millis), tail);
  } else {
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03lld%s", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(millis), tail);
  }
  return out;
}

}  // namespace

std::string azure_time(EmulatorTime time) { return format(time, "+00:00", 7); }
std::string operation_time(EmulatorTime time) { return format(time, "Z", 3); }

bool iequals_ascii(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower_ascii(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace rpd::emulator
