#pragma once
// Helpers for the configuration tests: checking YAML text, and writing settings and policy files to a
// temporary folder.

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/configuration.hpp"

namespace rpd::test {

inline LoadOptions fixed_options() {
  LoadOptions options;
  options.now = parse_timestamp("2026-11-25T10:30:00Z").value();
  return options;
}

// The diagnostics of one policy file's text ("p.yaml"), formatted: tests assert whole lines, word for word.
inline std::vector<std::string> policy_problems(const std::string& yaml) {
  std::vector<std::string> lines;
  for (const Diagnostic& d : check_policy_text(yaml, "p.yaml", fixed_options())) lines.push_back(d.format());
  return lines;
}

inline std::vector<std::string> settings_problems(const std::string& yaml, LoadOptions options = fixed_options()) {
  std::vector<std::string> lines;
  for (const Diagnostic& d : check_settings_text(yaml, "s.yaml", options)) lines.push_back(d.format());
  return lines;
}

// A folder under the system's temporary directory, removed again at the end of the test.
class TempFolder {
 public:
  TempFolder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rpd-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempFolder() { std::filesystem::remove_all(path_); }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  const std::string& path() const { return path_; }
  std::string write(const std::string& relative, const std::string& text) const {
    const auto file = std::filesystem::path(path_) / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::string path_;
};

// A policy that passes every check; tests change one thing at a time.
inline const char* valid_policy = R"(name: web
targets:
  vms:
    - /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/web01
schedule:
  cron: "0 */4 * * *"
retention:
  keep_daily: 7
)";

}  // namespace rpd::test
