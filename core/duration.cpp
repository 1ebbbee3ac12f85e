#include "core/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace rpd {
namespace {

struct Unit {
  char letter;
  std::int64_t seconds;
};

// Largest first: parse_duration insists on this order, format_duration emits it.
constexpr std::array<Unit, 5> units = {{{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

// A bound far above any useful policy duration (about 3000 years) that keeps sums far from overflow.
constexpr std::int64_t max_seconds = std::int64_t{100'000} * 366 * 86400;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

Result<Seconds> parse_duration(std::string_view text) {
  if (text.empty()) return make_error("empty duration (write it like 90s, 10m, 4h, 7d, 2w or 1h30m)");

  std::int64_t total = 0;
  std::size_t i = 0;
  std::size_t previous_unit = 0;  // index into units of the last unit read, +1 (0: none yet)
  while (i < text.size()) {
    const std::size_t start = i;
    std::int64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > max_seconds) return make_error("duration " + quoted(text) + " is too large");
      ++i;
    }
    if (i == start) {
      if (text[i] == '-') return make_error("duration " + quoted(text) + " must not be negative");
      return make_error("duration " + quoted(text) + ": expected a number at " + quoted(text.substr(i)));
    }
    if (i == text.size()) {
      return make_error("duration " + quoted(text) + ": missing unit after " + std::string(text.substr(start)) +
                        " (s, m, h, d or w)");
    }
    const char letter = text[i];
    std::size_t unit_index = units.size();
    for (std::size_t u = 0; u < units.size(); ++u) {
      if (units[u].letter == letter) unit_index = u;
    }
    if (unit_index == units.size()) {
      return make_error("duration " + quoted(text) + ": unknown unit '" + std::string(1, letter) +
                        "' (use s, m, h, d or w)");
    }
    if (unit_index + 1 <= previous_unit) {
      return make_error("duration " + quoted(text) + ": units must go from largest to smallest, each once (w d h m s)");
    }
    previous_unit = unit_index + 1;
    ++i;
    total += number * units[unit_index].seconds;
    if (total > max_seconds) return make_error("duration " + quoted(text) + " is too large");
  }
  return Seconds{total};
}

std::string format_duration(Seconds duration) {
  std::int64_t rest = duration.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out = "-";
    rest = -rest;
  }
  for (const Unit& unit : units) {
    if (rest >= unit.seconds) {
      out += std::to_string(rest / unit.seconds);
      out += unit.letter;
      rest %= unit.seconds;
    }
  }
  return out;
}

}  // namespace rpd
