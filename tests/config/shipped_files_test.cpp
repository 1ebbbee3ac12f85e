// The files that ship (default settings, example policies) load cleanly, and every deliberately broken file
// in tests/config/broken/ is refused by the parser at the key its first line names ("# expect: key.path: ...").
// tests/config/schema_test.py checks the same files against the JSON Schemas.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/config/config_test_support.hpp"

namespace rpd {
namespace {

namespace fs = std::filesystem;

const fs::path source_dir = RESTOREPOINTD_SOURCE_DIR;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<fs::path> yaml_files(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "# expect: retention.keep_daily: must be ..." -> "retention.keep_daily"
std::string expected_key(const std::string& text) {
  const std::string marker = "# expect: ";
  if (!text.starts_with(marker)) return "";
  const std::string rest = text.substr(marker.size(), text.find('\n') - marker.size());
  return rest.substr(0, rest.find(": "));
}

TEST(ShippedFiles, TheDefaultSettingsAreValid) {
  EXPECT_EQ(check_settings_text(read(source_dir / "config/restorepointd.yaml"), "restorepointd.yaml",
                                test::fixed_options())
                .size(),
            0u);
}

TEST(ShippedFiles, EveryExamplePolicyIsValidWithoutWarnings) {
  test::TempFolder folder;
  const std::string settings =
      folder.write("restorepointd.yaml", "policies: " + (source_dir / "config/examples").string() + "\n");
  const LoadResult result = load_configuration(settings, test::fixed_options());
  for (const Diagnostic& d : result.diagnostics) ADD_FAILURE() << d.format();
  ASSERT_TRUE(result.ok());
  EXPECT_GE(result.configuration->policies.size(), 4u);
}

void expect_refused(const fs::path& file, const std::vector<Diagnostic>& diagnostics) {
  const std::string key = expected_key(read(file));
  ASSERT_FALSE(key.empty()) << file << " has no '# expect: key.path: ...' first line";
  bool found = false;
  std::string seen;
  for (const Diagnostic& d : diagnostics) {
    seen += "\n  " + d.format();
    // At the key itself or inside it ("tags" covers "tags.backup").
    const bool at_key = d.message.starts_with(key) && d.message.size() > key.size() &&
                        std::string_view(":.[").find(d.message[key.size()]) != std::string_view::npos;
    if (d.severity == Diagnostic::Severity::error && at_key) found = true;
  }
  EXPECT_TRUE(found) << file.filename() << ": expected an error at " << key << ", got:" << seen;
}

TEST(ShippedFiles, EveryBrokenPolicyIsRefusedAtTheRightKey) {
  const auto files = yaml_files(source_dir / "tests/config/broken/policies");
  EXPECT_GE(files.size(), 15u);
  for (const fs::path& file : files) {
    expect_refused(file, check_policy_text(read(file), file.filename().string(), test::fixed_options()));
  }
}

TEST(ShippedFiles, EveryBrokenSettingsFileIsRefusedAtTheRightKey) {
  const auto files = yaml_files(source_dir / "tests/config/broken/settings");
  EXPECT_GE(files.size(), 8u);
  for (const fs::path& file : files) {
    expect_refused(file, check_settings_text(read(file), file.filename().string(), test::fixed_options()));
  }
}

}  // namespace
}  // namespace rpd
