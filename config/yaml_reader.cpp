#include "config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "config/keys.hpp"
#include "core/duration.hpp"

namespace rpd {
namespace {

constexpr std::size_t max_quoted = 40;

std::string quoted(std::string_view text) {
  if (text.size() > max_quoted) return "'" + std::string(text.substr(0, max_quoted)) + "...'";
  return "'" + std::string(text) + "'";
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

// A scalar written without quotes: YAML's plain style, where numbers and booleans live.
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

}  // namespace

void Diagnostics::add(Diagnostic::Severity severity, const YAML::Mark& mark, std::string_view path,
                      std::string_view message) {
  if (severity == Diagnostic::Severity::error) ++errors_;
  if (items_.size() >= max_per_file) {
    if (!truncated_) {
      truncated_ = true;
      items_.push_back({Diagnostic::Severity::error, file_, 0, 0,
                        "too many problems; stopped reporting after " + std::to_string(max_per_file)});
    }
    return;
  }
  Diagnostic diagnostic;
  diagnostic.severity = severity;
  diagnostic.file = file_;
  if (!mark.is_null()) {
    diagnostic.line = mark.line + 1 + line_offset_;
    diagnostic.column = mark.column + 1;
  }
  diagnostic.message = path.empty() ? std::string(message) : std::string(path) + ": " + std::string(message);
  items_.push_back(std::move(diagnostic));
}

void Diagnostics::error(const YAML::Mark& mark, std::string_view path, std::string_view message) {
  add(Diagnostic::Severity::error, mark, path, message);
}

void Diagnostics::warning(const YAML::Mark& mark, std::string_view path, std::string_view message) {
  add(Diagnostic::Severity::warning, mark, path, message);
}

void Diagnostics::error_without_position(std::string_view message) {
  add(Diagnostic::Severity::error, YAML::Mark::null_mark(), "", message);
}

YAML::Mark Field::mark() const {
  if (value.IsDefined() && !value.Mark().is_null() && !value.IsNull()) return value.Mark();
  return key.Mark();
}

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  return quoted(node.Scalar());
}

MappingReader::MappingReader(const YAML::Node& node, std::string path, std::string_view schema_path,
                             const std::vector<std::string_view>& key_table, Diagnostics& diagnostics)
    : node_(node), path_(std::move(path)), diagnostics_(diagnostics) {
  if (!node.IsMap()) {
    diagnostics.error(node.Mark(), path_, "expected a mapping, got " + describe_node(node));
    return;
  }
  is_mapping_ = true;
  const auto known = child_keys(key_table, schema_path);
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : describe_node(entry.first);
    const std::string key_path = path_.empty() ? key : path_ + "." + key;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      if (auto suggestion = closest_key(key, known)) {
        diagnostics.error(entry.first.Mark(), key_path, "unknown key; did you mean " + std::string(*suggestion) + "?");
      } else {
        diagnostics.error(entry.first.Mark(), key_path, "unknown key (expected one of: " + join(known) + ")");
      }
      continue;
    }
    const auto duplicate = std::find_if(fields_.begin(), fields_.end(),
                                        [&](const Field& field) { return field.key.Scalar() == key; });
    if (duplicate != fields_.end()) {
      diagnostics.error(entry.first.Mark(), key_path,
                        "duplicate key (first at line " + std::to_string(duplicate->key.Mark().line + 1) + ")");
      continue;
    }
    fields_.push_back(Field{entry.first, entry.second, key_path});
  }
}

std::optional<Field> MappingReader::get(std::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key.Scalar() == key) return field;
  }
  return std::nullopt;
}

std::optional<Field> MappingReader::require(std::string_view key) const {
  auto field = get(key);
  if (!field && is_mapping_) {
    diagnostics_.error(node_.Mark(), path_.empty() ? std::string(key) : path_ + "." + std::string(key), "required");
  }
  return field;
}

std::optional<std::string> read_string(const Field& field, Diagnostics& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.error(field.mark(), field.path, "expected a string, got " + describe_node(field.value));
    return std::nullopt;
  }
  return field.value.Scalar();
}

std::optional<long long> read_integer(const Field& field, long long min, long long max, Diagnostics& diagnostics) {
  const std::string range = "must be between " + std::to_string(min) + " and " + std::to_string(max);
  if (!field.value.IsScalar() || !is_plain(field.value)) {
    diagnostics.error(field.mark(), field.path, "expected an integer, got " + describe_node(field.value));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  long long value = 0;
  const char* begin = text.data() + (text.starts_with('+') ? 1 : 0);
  const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    diagnostics.error(field.mark(), field.path, range + ", got " + text);
    return std::nullopt;
  }
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    diagnostics.error(field.mark(), field.path, "expected an integer, got " + quoted(text));
    return std::nullopt;
  }
  if (value < min || value > max) {
    diagnostics.error(field.mark(), field.path, range + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<double> read_number(const Field& field, double min, double max, Diagnostics& diagnostics) {
  if (!field.value.IsScalar() || !is_plain(field.value)) {
    diagnostics.error(field.mark(), field.path, "expected a number, got " + describe_node(field.value));
    return std::nullopt;
  }
  const std::string& text = field.value.Scalar();
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || !std::isfinite(value)) {
    diagnostics.error(field.mark(), field.path, "expected a number, got " + quoted(text));
    return std::nullopt;
  }
  if (value < min || value > max) {
    std::ostringstream message;
    message << "must be between " << min << " and " << max << ", got " << text;
    diagnostics.error(field.mark(), field.path, message.str());
    return std::nullopt;
  }
  return value;
}

std::optional<bool> read_bool(const Field& field, Diagnostics& diagnostics) {
  if (field.value.IsScalar() && is_plain(field.value)) {
    const std::string& text = field.value.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
  }
  diagnostics.error(field.mark(), field.path, "expected true or false, got " + describe_node(field.value));
  return std::nullopt;
}

std::optional<Seconds> read_duration(const Field& field, Seconds min, Seconds max, Diagnostics& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.error(field.mark(), field.path, "expected a duration such as 4h, got " + describe_node(field.value));
    return std::nullopt;
  }
  auto duration = parse_duration(field.value.Scalar());
  if (!duration) {
    diagnostics.error(field.mark(), field.path, duration.error().message);
    return std::nullopt;
  }
  if (*duration < min || *duration > max) {
    diagnostics.error(field.mark(), field.path,
                      "must be between " + format_duration(min) + " and " + format_duration(max) + ", got " +
                          field.value.Scalar());
    return std::nullopt;
  }
  return *duration;
}

std::optional<Instant> read_timestamp(const Field& field, Diagnostics& diagnostics) {
  if (!field.value.IsScalar()) {
    diagnostics.error(field.mark(), field.path, "expected a timestamp, got " + describe_node(field.value));
    return std::nullopt;
  }
  auto time = parse_timestamp(field.value.Scalar());
  if (!time) {
    diagnostics.error(field.mark(), field.path, time.error().message);
    return std::nullopt;
  }
  return *time;
}

std::optional<std::size_t> read_choice(const Field& field, const std::vector<std::string_view>& choices,
                                       Diagnostics& diagnostics) {
  if (field.value.IsScalar()) {
    const auto found = std::find(choices.begin(), choices.end(), field.value.Scalar());
    if (found != choices.end()) return static_cast<std::size_t>(found - choices.begin());
  }
  diagnostics.error(field.mark(), field.path,
                    "must be one of " + join(choices) + "; got " + describe_node(field.value));
  return std::nullopt;
}

std::optional<std::vector<Field>> read_list(const Field& field, Diagnostics& diagnostics) {
  if (!field.value.IsSequence()) {
    diagnostics.error(field.mark(), field.path, "expected a list, got " + describe_node(field.value));
    return std::nullopt;
  }
  std::vector<Field> items;
  std::size_t index = 0;
  for (const auto& item : field.value) {
    items.push_back(Field{field.key, item, field.path + "[" + std::to_string(index++) + "]"});
  }
  return items;
}

std::optional<std::string_view> closest_key(std::string_view key, const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(key, candidate);
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // Close enough to be a typo: at most a third of the key's letters, and at least one.
  if (best && best_distance <= std::max<std::size_t>(1, key.size() / 3)) return best;
  return std::nullopt;
}

}  // namespace rpd
