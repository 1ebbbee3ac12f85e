#include "core/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <vector>

namespace rpd {
namespace {

using namespace std::chrono_literals;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const std::array<const char*, 12>* names;  // names[i] stands for min + i; nullptr: numbers only
};

const std::array<const char*, 12> month_names = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                 "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const std::array<const char*, 12> weekday_names = {"SUN", "MON",   "TUE",   "WED",   "THU",   "FRI",
                                                   "SAT", nullptr, nullptr, nullptr, nullptr, nullptr};

// Day-of-week accepts 0-7 (7 is Sunday again) and is folded to 0-6 after parsing.
const std::array<FieldSpec, 5> field_specs = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, &month_names},
    {"day-of-week", 0, 7, &weekday_names},
}};

struct ParsedField {
  std::vector<bool> values;  // index = value - spec.min
  bool star = false;         // the field starts with '*': unrestricted for Vixie's day rule
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::size_t position) : spec_(spec), position_(position) {}

  Result<ParsedField> parse(std::string_view field) const {
    ParsedField parsed;
    parsed.values.assign(static_cast<std::size_t>(spec_.max - spec_.min + 1), false);
    parsed.star = !field.empty() && field.front() == '*';
    for (std::string_view item : split(field, ',')) {
      if (item.empty()) return fail("empty list item in '" + std::string(field) + "'");
      if (auto error = parse_item(item, parsed.values)) return *error;
    }
    return parsed;
  }

 private:
  Error fail(const std::string& why) const {
    return make_error("field " + std::to_string(position_ + 1) + " (" + spec_.name + "): " + why);
  }

  // One value: a number or, where the field has them, a name.
  Result<int> parse_value(std::string_view text) const {
    if (text.empty()) return fail("missing value");
    if (std::isdigit(static_cast<unsigned char>(text.front()))) {
      int value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc{} || end != text.data() + text.size()) {
        return fail("'" + std::string(text) + "' is not a number");
      }
      if (value < spec_.min || value > spec_.max) {
        return fail(std::to_string(value) + " is out of range " + std::to_string(spec_.min) + "-" +
                    std::to_string(spec_.max));
      }
      return value;
    }
    if (spec_.names != nullptr) {
      const std::string name = upper(text);
      for (std::size_t i = 0; i < spec_.names->size(); ++i) {
        const char* candidate = (*spec_.names)[i];
        if (candidate != nullptr && name == candidate) return spec_.min + static_cast<int>(i);
      }
      return fail("unknown name '" + std::string(text) + "'");
    }
    return fail("'" + std::string(text) + "' is not a number");
  }

  std::optional<Error> parse_item(std::string_view item, std::vector<bool>& values) const {
    int first = spec_.min;
    int last = spec_.max;
    int step = 1;

    std::string_view range = item;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view step_text = item.substr(slash + 1);
      const auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || ec != std::errc{} || end != step_text.data() + step_text.size()) {
        return fail("step '" + std::string(step_text) + "' is not a number");
      }
      if (step <= 0) return fail("step must be at least 1, got " + std::string(step_text));
      if (step > spec_.max - spec_.min + 1) {
        return fail("step " + std::to_string(step) + " is larger than the field's range " + std::to_string(spec_.min) +
                    "-" + std::to_string(spec_.max));
      }
    }

    if (range == "*") {
      // first and last already span the field
    } else if (const auto dash = range.find('-'); dash != std::string_view::npos) {
      auto low = parse_value(range.substr(0, dash));
      if (!low) return low.error();
      auto high = parse_value(range.substr(dash + 1));
      if (!high) return high.error();
      first = *low;
      last = *high;
      // SAT-SUN: a range ending on Sunday by name means day 7.
      if (spec_.names == &weekday_names && last == 0 && first > 0) last = 7;
      if (first > last) return fail("range '" + std::string(range) + "' goes backwards");
    } else {
      auto value = parse_value(range);
      if (!value) return value.error();
      first = *value;
      // "5" alone is one value; "5/15" runs from 5 to the field's end.
      if (item.find('/') == std::string_view::npos) last = first;
    }

    for (int v = first; v <= last; v += step) values[static_cast<std::size_t>(v - spec_.min)] = true;
    return std::nullopt;
  }

  const FieldSpec& spec_;
  std::size_t position_;
};

std::optional<std::string_view> expand_macro(std::string_view text) {
  struct Macro {
    std::string_view name;
    std::string_view expansion;
  };
  static constexpr std::array<Macro, 7> macros = {{{"@yearly", "0 0 1 1 *"},
                                                   {"@annually", "0 0 1 1 *"},
                                                   {"@monthly", "0 0 1 * *"},
                                                   {"@weekly", "0 0 * * 0"},
                                                   {"@daily", "0 0 * * *"},
                                                   {"@midnight", "0 0 * * *"},
                                                   {"@hourly", "0 * * * *"}}};
  for (const Macro& macro : macros) {
    if (macro.name == text) return macro.expansion;
  }
  return std::nullopt;
}

constexpr int minutes_per_day = 24 * 60;

}  // namespace

Result<CronExpr> CronExpr::parse(std::string_view text) {
  const auto words = split_whitespace(text);
  if (words.empty()) return make_error("empty cron expression");

  std::string_view body = text;
  if (words.size() == 1 && words.front().front() == '@') {
    const auto expansion = expand_macro(words.front());
    if (!expansion) {
      return make_error("unknown macro '" + std::string(words.front()) +
                        "' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
    }
    body = *expansion;
  }

  const auto fields = split_whitespace(body);
  if (fields.size() != 5) {
    return make_error("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                      std::to_string(fields.size()));
  }

  std::array<ParsedField, 5> parsed;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto field = FieldParser(field_specs[i], i).parse(fields[i]);
    if (!field) return field.error();
    parsed[i] = std::move(*field);
  }

  CronExpr expr;
  expr.text_ = std::string(text);
  for (std::size_t m = 0; m < 60; ++m) expr.minutes_[m] = parsed[0].values[m];
  for (std::size_t h = 0; h < 24; ++h) expr.hours_[h] = parsed[1].values[h];
  for (std::size_t d = 1; d <= 31; ++d) expr.days_of_month_[d] = parsed[2].values[d - 1];
  for (std::size_t m = 1; m <= 12; ++m) expr.months_[m] = parsed[3].values[m - 1];
  for (std::size_t d = 0; d <= 7; ++d) {
    if (parsed[4].values[d]) expr.days_of_week_[d % 7] = true;
  }
  expr.day_of_month_star_ = parsed[2].star;
  expr.day_of_week_star_ = parsed[4].star;

  if (!expr.fires_at_all()) {
    return make_error("never fires: no month in the month field has any of the days in the day-of-month field");
  }
  return expr;
}

bool CronExpr::fires_at_all() const {
  // Hours and minutes always hold a value after parsing; the days decide.
  if (!(day_of_month_star_ || day_of_week_star_)) return true;  // OR-ed with a weekday: some day matches
  if (!day_of_week_star_ && day_of_month_star_) return true;    // every weekday occurs in every month
  static constexpr std::array<unsigned, 13> longest_month = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (std::size_t m = 1; m <= 12; ++m) {
    if (!months_[m]) continue;
    for (std::size_t d = 1; d <= longest_month[m]; ++d) {
      if (days_of_month_[d]) return true;
    }
  }
  return false;
}

bool CronExpr::matches_day(date::year_month_day day) const {
  if (!months_[static_cast<unsigned>(day.month())]) return false;
  const bool dom = days_of_month_[static_cast<unsigned>(day.day())];
  const bool dow = days_of_week_[date::weekday(day).c_encoding()];
  if (day_of_month_star_ || day_of_week_star_) return dom && dow;
  return dom || dow;
}

std::optional<int> CronExpr::first_minute_at_or_after(int hour, int minute) const {
  for (int h = hour; h < 24; ++h) {
    if (!hours_[static_cast<std::size_t>(h)]) continue;
    for (int m = (h == hour ? minute : 0); m < 60; ++m) {
      if (minutes_[static_cast<std::size_t>(m)]) return h * 60 + m;
    }
  }
  return std::nullopt;
}

std::optional<int> CronExpr::last_minute_at_or_before(int hour, int minute) const {
  for (int h = hour; h >= 0; --h) {
    if (!hours_[static_cast<std::size_t>(h)]) continue;
    for (int m = (h == hour ? minute : 59); m >= 0; --m) {
      if (minutes_[static_cast<std::size_t>(m)]) return h * 60 + m;
    }
  }
  return std::nullopt;
}

// A day-by-day walk: whole months that do not match are skipped at once, so even the sparsest expression
// (29 February) is found within a few thousand steps. The bound only guards against a broken invariant.
constexpr int max_days_searched = 366 * 30;

std::optional<date::local_seconds> CronExpr::next_match(date::local_seconds from) const {
  const auto from_minute = date::ceil<std::chrono::minutes>(from);
  auto day = date::floor<date::days>(from_minute);
  int minute_of_day = static_cast<int>((from_minute - day).count());

  for (int steps = 0; steps < max_days_searched; ++steps) {
    const date::year_month_day ymd{day};
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      day = date::local_days{(ymd.year() / ymd.month() / 1) + date::months{1}};
      minute_of_day = 0;
      continue;
    }
    if (matches_day(ymd)) {
      if (auto found = first_minute_at_or_after(minute_of_day / 60, minute_of_day % 60)) {
        return date::local_seconds{day} + std::chrono::minutes{*found};
      }
    }
    day += date::days{1};
    minute_of_day = 0;
  }
  return std::nullopt;
}

std::optional<date::local_seconds> CronExpr::previous_match(date::local_seconds at) const {
  const auto at_minute = date::floor<std::chrono::minutes>(at);
  auto day = date::floor<date::days>(at_minute);
  int minute_of_day = static_cast<int>((at_minute - day).count());

  for (int steps = 0; steps < max_days_searched; ++steps) {
    const date::year_month_day ymd{day};
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      day = date::local_days{ymd.year() / ymd.month() / 1} - date::days{1};
      minute_of_day = minutes_per_day - 1;
      continue;
    }
    if (matches_day(ymd)) {
      if (auto found = last_minute_at_or_before(minute_of_day / 60, minute_of_day % 60)) {
        return date::local_seconds{day} + std::chrono::minutes{*found};
      }
    }
    day -= date::days{1};
    minute_of_day = minutes_per_day - 1;
  }
  return std::nullopt;
}

}  // namespace rpd
