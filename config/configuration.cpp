#include "config/configuration.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "config/cross_checks.hpp"
#include "config/policy_reader.hpp"
#include "config/settings_reader.hpp"
#include "config/yaml_reader.hpp"

namespace rpd {
namespace {

namespace fs = std::filesystem;

// Far above any real policy file; keeps a stray multi-gigabyte file from being read into memory.
constexpr std::uintmax_t max_file_size = 1 << 20;

std::optional<std::string> read_file(const std::string& path, Diagnostics& diagnostics) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    diagnostics.error_without_position("cannot read: " + ec.message());
    return std::nullopt;
  }
  if (size > max_file_size) {
    diagnostics.error_without_position("is larger than 1 MiB; is this really a configuration file?");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    diagnostics.error_without_position("cannot read");
    return std::nullopt;
  }
  return text;
}

// One YAML document of a file: its text and the line it starts on.
struct DocumentText {
  std::string text;
  int first_line = 0;  // 0-based
};

bool is_document_marker(std::string_view line, std::string_view marker) {
  return line.starts_with(marker) && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Splits a stream at its `---` and `...` lines (a marker at the start of a line always separates documents
// in YAML). Each document is then parsed on its own with YAML::Load: yaml-cpp 0.7's LoadAll loops forever
// on some malformed input (a stray ',' at the top level), Load does not.
std::vector<DocumentText> split_documents(std::string_view text) {
  std::vector<DocumentText> documents(1);
  int line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (is_document_marker(line, "---") && !documents.back().text.empty()) {
      documents.push_back({"", line_number});
    }
    if (is_document_marker(line, "...")) {
      documents.push_back({"", line_number + 1});
    } else {
      documents.back().text.append(line).append("\n");
    }
    start = end + 1;
    ++line_number;
  }
  return documents;
}

// True when the text holds more than markers, comments and blank lines, or an explicit null.
bool has_content(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("---")) line.remove_prefix(3);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty() || line.front() == '#' || line == "~" || line == "null" || line.starts_with("%")) continue;
    return true;
  }
  return false;
}

struct ParsedDocument {
  YAML::Node root;
  int first_line = 0;
};

// Every document of a file that holds something; a syntax error is reported at its position and that
// document is left out.
std::vector<ParsedDocument> parse_documents(std::string_view text, Diagnostics& diagnostics) {
  std::vector<ParsedDocument> parsed;
  for (const DocumentText& document : split_documents(text)) {
    diagnostics.set_line_offset(document.first_line);
    try {
      YAML::Node root = YAML::Load(document.text);
      if (root.IsDefined() && !root.IsNull()) {
        parsed.push_back({root, document.first_line});
      } else if (has_content(document.text)) {
        diagnostics.error(YAML::Mark(), "", "YAML syntax: this document cannot be read");
      }
    } catch (const YAML::Exception& e) {
      diagnostics.error(e.mark, "", "YAML syntax: " + e.msg);
    }
  }
  diagnostics.set_line_offset(0);
  return parsed;
}

void read_policy_text(std::string_view text, const Settings& settings, const LoadOptions& options,
                      Diagnostics& diagnostics, std::vector<PolicyDocument>& documents) {
  for (const ParsedDocument& document : parse_documents(text, diagnostics)) {
    diagnostics.set_line_offset(document.first_line);
    if (auto policy = read_policy(document.root, settings, options, diagnostics)) documents.push_back(std::move(*policy));
  }
  diagnostics.set_line_offset(0);
}

std::optional<SettingsDocument> read_settings_text(std::string_view text, const std::string& settings_dir,
                                                   const LoadOptions& options, Diagnostics& diagnostics) {
  const std::size_t errors_before = diagnostics.error_count();
  auto parsed = parse_documents(text, diagnostics);
  if (diagnostics.error_count() != errors_before) return std::nullopt;
  if (parsed.size() > 1) {
    diagnostics.set_line_offset(parsed[1].first_line);
    diagnostics.error(parsed[1].root.Mark(), "",
                      "holds " + std::to_string(parsed.size()) + " YAML documents; the settings file holds one "
                      "(policies go in the policies folder)");
    diagnostics.set_line_offset(0);
    return std::nullopt;
  }
  if (!parsed.empty()) diagnostics.set_line_offset(parsed.front().first_line);
  auto settings = read_settings(parsed.empty() ? YAML::Node() : parsed.front().root, settings_dir, options, diagnostics);
  diagnostics.set_line_offset(0);
  return settings;
}

// The policy files of a folder: every *.yaml, in name order. Hidden files (editors' swap files) are skipped;
// *.yml files are pointed out, since they are easy to mistake for policies that are read.
std::vector<std::string> policy_files(const std::string& folder, Diagnostics& diagnostics) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    diagnostics.error_without_position("policies: " + folder + " is not a folder that can be read");
    return files;
  }
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".") || !entry.is_regular_file(ec)) continue;
    if (name.ends_with(".yaml")) files.push_back(entry.path().string());
    if (name.ends_with(".yml")) {
      diagnostics.warning(YAML::Mark::null_mark(), "",
                          "policies: " + entry.path().string() + " is ignored: only *.yaml files are read");
    }
  }
  if (ec) diagnostics.error_without_position("policies: cannot list " + folder + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(context_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Each part is followed by a NUL so that ("ab","c") and ("a","bc") differ.
  void add(std::string_view part) {
    EVP_DigestUpdate(context_, part.data(), part.size());
    EVP_DigestUpdate(context_, "", 1);
  }

  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_, digest, &length);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
      out += digits[digest[i] >> 4];
      out += digits[digest[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* context_;
};

void append(std::vector<Diagnostic>& to, std::vector<Diagnostic> from) {
  std::move(from.begin(), from.end(), std::back_inserter(to));
}

}  // namespace

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (severity == Severity::warning) out += "warning: ";
  return out + message;
}

const Policy* Configuration::find_policy(std::string_view name) const {
  for (const Policy& policy : policies) {
    if (policy.name == name) return &policy;
  }
  return nullptr;
}

std::size_t LoadResult::error_count() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::error;
  }));
}

std::size_t LoadResult::warning_count() const { return diagnostics.size() - error_count(); }

LoadResult load_configuration(const std::string& settings_file, const LoadOptions& options) {
  LoadResult result;
  Sha256 hash;

  // The settings first. When some of their values are wrong, the policies are still checked (against the
  // defaults in their place), so that one run reports every problem.
  Diagnostics settings_diagnostics(settings_file);
  std::optional<SettingsDocument> settings;
  if (auto text = read_file(settings_file, settings_diagnostics)) {
    hash.add(settings_file);
    hash.add(*text);
    const std::string folder = fs::path(settings_file).parent_path().string();
    settings = read_settings_text(*text, folder.empty() ? "." : folder, options, settings_diagnostics);
  }
  const Settings effective = settings ? settings->settings : Settings{};
  std::vector<std::string> files;
  if (settings) files = policy_files(effective.policies, settings_diagnostics);
  bool failed = !settings || settings_diagnostics.error_count() > 0;
  append(result.diagnostics, settings_diagnostics.take());

  std::vector<PolicyDocument> documents;
  for (const std::string& file : files) {
    Diagnostics diagnostics(file);
    if (auto text = read_file(file, diagnostics)) {
      hash.add(file);
      hash.add(*text);
      read_policy_text(*text, effective, options, diagnostics, documents);
    }
    failed = failed || diagnostics.error_count() > 0;
    append(result.diagnostics, diagnostics.take());
  }

  auto across = check_across_policies(documents, effective, options);
  failed = failed || !across.empty();
  append(result.diagnostics, std::move(across));

  // In file order (settings first), then by position; stable, so that one place's problems stay in order.
  auto rank = [&](const Diagnostic& d) {
    if (d.file == settings_file) return std::size_t{0};
    return static_cast<std::size_t>(std::find(files.begin(), files.end(), d.file) - files.begin()) + 1;
  };
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tuple(rank(a), a.line, a.column) < std::tuple(rank(b), b.line, b.column);
  });

  if (failed) return result;
  auto configuration = std::make_shared<Configuration>();
  configuration->settings_file = settings_file;
  configuration->settings = effective;
  for (PolicyDocument& document : documents) configuration->policies.push_back(std::move(document.policy));
  configuration->content_hash = hash.hex();
  result.configuration = std::move(configuration);
  return result;
}

std::vector<Diagnostic> check_policy_text(std::string_view text, const std::string& file_name,
                                          const LoadOptions& options) {
  Diagnostics diagnostics(file_name);
  std::vector<PolicyDocument> documents;
  read_policy_text(text, Settings{}, options, diagnostics, documents);
  auto out = diagnostics.take();
  append(out, check_across_policies(documents, Settings{}, options));
  return out;
}

std::vector<Diagnostic> check_settings_text(std::string_view text, const std::string& file_name,
                                            const LoadOptions& options) {
  Diagnostics diagnostics(file_name);
  read_settings_text(text, ".", options, diagnostics);
  return diagnostics.take();
}

}  // namespace rpd
