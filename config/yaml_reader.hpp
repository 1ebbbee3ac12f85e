#pragma once
// Strict reading of YAML into typed values, collecting every problem with its file, line, column and key
// path. A reader never throws for bad input and never stops at the first problem; a value that cannot be
// read is simply absent, and the caller builds nothing from a document that had an error.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/configuration.hpp"
#include "core/time.hpp"

namespace rpd {

// Collects the diagnostics of one file. More than `max_per_file` are cut short, so that a hostile file
// (a list of a million bad items) cannot flood the output.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(const YAML::Mark& mark, std::string_view path, std::string_view message);
  void warning(const YAML::Mark& mark, std::string_view path, std::string_view message);
  void error_without_position(std::string_view message);

  // Lines of the document being read start this many lines into the file (documents are parsed one by one).
  void set_line_offset(int lines) { line_offset_ = lines; }
  int line_offset() const { return line_offset_; }

  std::size_t error_count() const { return errors_; }
  const std::string& file() const { return file_; }
  std::vector<Diagnostic> take() { return std::move(items_); }

  static constexpr std::size_t max_per_file = 200;

 private:
  void add(Diagnostic::Severity severity, const YAML::Mark& mark, std::string_view path, std::string_view message);

  std::string file_;
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  int line_offset_ = 0;
  bool truncated_ = false;
};

// A key and its value inside a mapping, with the dotted path used in messages ("retention.keep_daily").
struct Field {
  YAML::Node key;
  YAML::Node value;
  std::string path;
  YAML::Mark mark() const;  // the value's position, or the key's when the value has none
};

// The keys of one mapping, checked against the keys that mapping accepts (config/keys.hpp).
class MappingReader {
 public:
  // `schema_path` names the mapping in the key table ("copies[].retention"); `path` is for messages
  // ("copies[1].retention"). Reports a node that is not a mapping, unknown keys and duplicate keys.
  MappingReader(const YAML::Node& node, std::string path, std::string_view schema_path,
                const std::vector<std::string_view>& key_table, Diagnostics& diagnostics);

  bool is_mapping() const { return is_mapping_; }
  std::optional<Field> get(std::string_view key) const;
  // Reports "<path>.<key>: required" when the key is missing.
  std::optional<Field> require(std::string_view key) const;
  const std::string& path() const { return path_; }
  YAML::Mark mark() const { return node_.Mark(); }

 private:
  YAML::Node node_;
  std::string path_;
  Diagnostics& diagnostics_;
  bool is_mapping_ = false;
  std::vector<Field> fields_;
};

// Typed values. Each reports what is wrong ("expected an integer, got 'x'", "must be between 0 and 10000,
// got -1") and returns nothing; bounds are inclusive.
std::optional<std::string> read_string(const Field& field, Diagnostics& diagnostics);
std::optional<long long> read_integer(const Field& field, long long min, long long max, Diagnostics& diagnostics);
std::optional<double> read_number(const Field& field, double min, double max, Diagnostics& diagnostics);
std::optional<bool> read_bool(const Field& field, Diagnostics& diagnostics);
std::optional<Seconds> read_duration(const Field& field, Seconds min, Seconds max, Diagnostics& diagnostics);
std::optional<Instant> read_timestamp(const Field& field, Diagnostics& diagnostics);
// One of `choices`, exactly as written; returns its index.
std::optional<std::size_t> read_choice(const Field& field, const std::vector<std::string_view>& choices,
                                       Diagnostics& diagnostics);
// A list; each item comes back as a Field whose path is "<path>[i]".
std::optional<std::vector<Field>> read_list(const Field& field, Diagnostics& diagnostics);

// What a node is, for messages: "a mapping", "a list", "nothing", or the scalar quoted.
std::string describe_node(const YAML::Node& node);

// The closest key within a small edit distance, for "did you mean ...?".
std::optional<std::string_view> closest_key(std::string_view key, const std::vector<std::string_view>& candidates);

}  // namespace rpd
