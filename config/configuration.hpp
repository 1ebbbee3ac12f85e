#pragma once
// Loading the daemon settings and every policy into a validated, immutable Configuration, or the full list
// of what is wrong with them. Nothing is half-loaded: a reload that fails keeps the old Configuration.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/policy.hpp"
#include "core/settings.hpp"
#include "core/time.hpp"

namespace rpd {

struct Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no position (a missing file)
  int column = 0;
  std::string message;  // starts with the key's path: "retention.keep_daily: must be between 0 and 10000, got -1"

  // "policies.d/sql.yaml:14:5: retention.keep_daily: ..."; warnings read "...:14:5: warning: ...".
  std::string format() const;
};

struct Configuration {
  std::string settings_file;
  Settings settings;
  std::vector<Policy> policies;  // in file name order, then document order
  std::string content_hash;      // SHA-256 (hex) of the settings file and every policy file, in order

  const Policy* find_policy(std::string_view name) const;
};

struct LoadOptions {
  Instant now;  // schedule checks sample fire times from here
  // Where ${CREDENTIALS_DIRECTORY} points (systemd's LoadCredential=); unset: the variable is not set.
  std::optional<std::string> credentials_directory;
};

struct LoadResult {
  std::shared_ptr<const Configuration> configuration;  // set exactly when there is no error
  std::vector<Diagnostic> diagnostics;                  // errors and warnings, in file and line order

  bool ok() const { return configuration != nullptr; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
};

LoadResult load_configuration(const std::string& settings_file, const LoadOptions& options);

}  // namespace rpd

namespace rpd {

// One file's text checked on its own, without the settings file or the other policies (tests, fuzzing).
std::vector<Diagnostic> check_policy_text(std::string_view text, const std::string& file_name,
                                          const LoadOptions& options);
std::vector<Diagnostic> check_settings_text(std::string_view text, const std::string& file_name,
                                            const LoadOptions& options);

}  // namespace rpd
