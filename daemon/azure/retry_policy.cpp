#include "daemon/azure/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace rpd::azure {
namespace {

using std::chrono::milliseconds;

// Header values may carry optional white space on either side (RFC 9110 section 5.5).
std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// A non-negative decimal integer, digits only; nullopt when empty, not digits or above `limit`.
std::optional<std::int64_t> parse_non_negative(std::string_view text, std::int64_t limit) {
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (value > (limit - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<int> two_digits(std::string_view text) {
  auto value = parse_non_negative(text, 99);
  if (!value || text.size() != 2) return std::nullopt;
  return static_cast<int>(*value);
}

constexpr std::int64_t max_milliseconds = std::numeric_limits<milliseconds::rep>::max();

std::optional<milliseconds> parse_milliseconds(std::string_view value) {
  auto count = parse_non_negative(trim(value), max_milliseconds);
  if (!count) return std::nullopt;
  return milliseconds{*count};
}

std::optional<milliseconds> parse_retry_after_value(std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (auto seconds = parse_non_negative(value, max_milliseconds / 1000)) return milliseconds{*seconds * 1000};
  auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  if (*date <= now) return milliseconds{0};
  // Round up: waking a few hundred microseconds early would only earn another 429.
  return std::chrono::ceil<milliseconds>(*date - now);
}

}  // namespace

bool is_retryable_for_managed_identity(int http_status) {
  return http_status == 404 || http_status == 410 || http_status == 429 || (http_status >= 500 && http_status <= 599);
}

std::optional<std::chrono::milliseconds> managed_identity_retry_delay(int attempt) {
  static constexpr int delays_seconds[] = {0, 2, 6, 14, 30, 60};
  if (attempt < 0 || attempt >= static_cast<int>(std::size(delays_seconds))) return std::nullopt;
  return std::chrono::seconds(delays_seconds[attempt]);
}

bool is_retryable(int http_status) {
  switch (http_status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

bool is_retryable(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::connect_failed:
    case TransportFailure::reset_before_response:
    case TransportFailure::timeout:
    case TransportFailure::truncated_response:
    case TransportFailure::malformed_response:
      return true;
    case TransportFailure::tls_failed:
    case TransportFailure::too_large:
    case TransportFailure::proxy_refused:
    case TransportFailure::invalid_url:
      return false;
  }
  return false;
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  // Fixed layout: "Wed, 25 Nov 2026 10:30:00 GMT"
  //                0123456789012345678901234567 8
  if (text.size() != 29) return std::nullopt;
  static constexpr std::array<std::string_view, 7> weekdays{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (std::find(weekdays.begin(), weekdays.end(), text.substr(0, 3)) == weekdays.end()) return std::nullopt;
  if (text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' || text[16] != ' ' || text[19] != ':' ||
      text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  auto month_it = std::find(months.begin(), months.end(), text.substr(8, 3));
  auto day = two_digits(text.substr(5, 2));
  auto year = parse_non_negative(text.substr(12, 4), 9999);
  auto hour = two_digits(text.substr(17, 2));
  auto minute = two_digits(text.substr(20, 2));
  auto second = two_digits(text.substr(23, 2));
  if (month_it == months.end() || !day || !year || !hour || !minute || !second) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 60) return std::nullopt;  // 60: a leap second, RFC 9110 allows it

  auto month_number = static_cast<unsigned>(month_it - months.begin() + 1);
  std::chrono::year_month_day date{std::chrono::year{static_cast<int>(*year)}, std::chrono::month{month_number},
                                   std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;  // 31 Feb and the like
  return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         std::chrono::seconds{*second};
}

std::optional<milliseconds> retry_after(const Headers& headers, std::chrono::system_clock::time_point now) {
  for (std::string_view name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (auto value = find_header(headers, name)) {
      if (auto wait = parse_milliseconds(*value)) return wait;
    }
  }
  if (auto value = find_header(headers, "retry-after")) return parse_retry_after_value(*value, now);
  return std::nullopt;
}

std::optional<milliseconds> RetryPolicy::next_delay(int attempt, std::optional<milliseconds> server_retry_after,
                                                    double random01) const {
  attempt = std::max(attempt, 0);
  if (attempt >= options_.max_retries) return std::nullopt;
  if (server_retry_after) return std::max(*server_retry_after, milliseconds{0});

  random01 = std::isnan(random01) ? 0.5 : std::clamp(random01, 0.0, 1.0);
  double jitter = std::clamp(options_.jitter_fraction, 0.0, 1.0);
  double factor = 1.0 - jitter + 2.0 * jitter * random01;
  // In double, 2^attempt cannot overflow into nonsense for any int attempt; the cap brings it back.
  double backoff_ms = std::ldexp(static_cast<double>(options_.initial_delay.count()), attempt) * factor;
  double cap_ms = static_cast<double>(options_.max_delay.count());
  return milliseconds{std::llround(std::min(backoff_ms, cap_ms))};
}

}  // namespace rpd::azure
