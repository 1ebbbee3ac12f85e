#pragma once
// Building Resource Manager's responses: JSON bodies, the error shape, times as Azure writes them.

#include <boost/json.hpp>

#include <string>

#include "tests/emulator/http_types.hpp"

namespace rpd::emulator {

Response json_response(int status, const boost::json::value& body);

// {"error":{"code","message","target"}} with the x-ms-error-code header, as Resource Manager answers.
Response arm_error(int status, const std::string& code, const std::string& message, const std::string& target = "");

// "2026-11-25T10:30:05.1234567+00:00": seven fractional digits and an offset, like timeCreated.
std::string azure_time(EmulatorTime time);
// "2026-11-25T10:30:05.123Z" for operation start and end times.
std::string operation_time(EmulatorTime time);

bool iequals_ascii(const std::string& a, const std::string& b);
std::string lower_ascii(std::string text);

}  // namespace rpd::emulator
