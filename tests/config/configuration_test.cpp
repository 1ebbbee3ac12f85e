// Loading whole configurations from files: folders, order, hashes, problems across files and policies.

#include <gtest/gtest.h>

#include "tests/config/config_test_support.hpp"

namespace rpd {
namespace {

using test::TempFolder;
using Lines = std::vector<std::string>;

const std::string sub = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";
const std::string vm_prefix = "/subscriptions/" + sub + "/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/";

std::string policy(const std::string& name, const std::string& vm, const std::string& schedule = "cron: \"0 */4 * * *\"",
                   const std::string& retention = "keep_daily: 7") {
  return "name: " + name + "\ntargets:\n  vms: [" + vm_prefix + vm + "]\nschedule: {" + schedule +
         "}\nretention: {" + retention + "}\n";
}

Lines formatted(const LoadResult& result) {
  Lines lines;
  for (const Diagnostic& d : result.diagnostics) lines.push_back(d.format());
  return lines;
}

class ConfigurationTest : public ::testing::Test {
 protected:
  LoadResult load() { return load_configuration(settings_, test::fixed_options()); }
  std::string relative(const std::string& name) const { return folder_.path() + "/" + name; }

  TempFolder folder_;
  std::string settings_ = folder_.write("restorepointd.yaml", "policies: policies.d\n");
};

TEST_F(ConfigurationTest, LoadsEveryYamlFileInNameOrder) {
  folder_.write("policies.d/b.yaml", policy("bravo", "vm2"));
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1") + "---\n" + policy("alpha2", "vm3"));
  folder_.write("policies.d/notes.txt", "not a policy");
  folder_.write("policies.d/.a.yaml.swp", "garbage: [");
  const LoadResult result = load();
  ASSERT_TRUE(result.ok()) << testing::PrintToString(formatted(result));
  std::vector<std::string> names;
  for (const Policy& p : result.configuration->policies) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "alpha2", "bravo"}));
  EXPECT_EQ(result.configuration->find_policy("bravo")->targets.vms.front().name, "vm2");
  EXPECT_EQ(result.configuration->find_policy("nope"), nullptr);
  EXPECT_EQ(result.configuration->policies.front().origin, relative("policies.d/a.yaml") + ":1:1");
  EXPECT_EQ(result.configuration->content_hash.size(), 64u);
}

TEST_F(ConfigurationTest, YmlFilesArePointedOut) {
  folder_.write("policies.d/a.yml", policy("alpha", "vm1"));
  const LoadResult result = load();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(formatted(result), (Lines{settings_ + ": warning: policies: " + relative("policies.d/a.yml") +
                                      " is ignored: only *.yaml files are read"}));
}

TEST_F(ConfigurationTest, TheHashFollowsTheContent) {
  const std::string file = folder_.write("policies.d/a.yaml", policy("alpha", "vm1"));
  const std::string first = load().configuration->content_hash;
  EXPECT_EQ(load().configuration->content_hash, first);
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "cron: \"0 */6 * * *\""));
  EXPECT_NE(load().configuration->content_hash, first);
}

TEST_F(ConfigurationTest, MissingFilesAndFolders) {
  EXPECT_EQ(formatted(load()), (Lines{settings_ + ": policies: " + relative("policies.d") +
                                      " is not a folder that can be read"}));
  const LoadResult missing = load_configuration(relative("nope.yaml"), test::fixed_options());
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(formatted(missing), (Lines{relative("nope.yaml") + ": cannot read: No such file or directory"}));
}

TEST_F(ConfigurationTest, EveryProblemOfEveryFileIsReported) {
  folder_.write("restorepointd.yaml", "policies: policies.d\nlog: {level: loud}\n");
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "cron: \"0 24 * * *\""));
  folder_.write("policies.d/b.yaml", policy("bravo", "vm2", "every: 4h", "keep_daily: -1"));
  const LoadResult result = load();
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.configuration, nullptr);
  EXPECT_EQ(formatted(result),
            (Lines{settings_ + ":2:14: log.level: must be one of trace, debug, info, warn, error; got 'loud'",
                   relative("policies.d/a.yaml") +
                       ":4:18: schedule.cron: invalid cron expression '0 24 * * *': field 2 (hour): 24 is out of range "
                       "0-23",
                   relative("policies.d/b.yaml") + ":5:25: retention.keep_daily: must be between 0 and 10000, got -1"}));
}

TEST_F(ConfigurationTest, WarningsDoNotFailTheLoad) {
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "every: 1h"));
  const LoadResult result = load();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.error_count(), 0u);
  EXPECT_EQ(result.warning_count(), 1u);
}

TEST_F(ConfigurationTest, PolicyNamesAreUniqueAcrossFiles) {
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1"));
  folder_.write("policies.d/b.yaml", policy("alpha", "vm2"));
  EXPECT_EQ(formatted(load()), (Lines{relative("policies.d/b.yaml") + ":1:7: name: policy 'alpha' is already defined at " +
                                      relative("policies.d/a.yaml") + ":1:1"}));
}

TEST_F(ConfigurationTest, TwoPoliciesMayShareAVmWithinAzuresLimits) {
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "cron: \"0 */4 * * *\""));
  folder_.write("policies.d/b.yaml", policy("bravo", "vm1", "cron: \"0 2-23/4 * * *\""));
  EXPECT_EQ(formatted(load()), Lines{});
}

TEST_F(ConfigurationTest, TwoPoliciesThatTogetherCreateTooOftenOnOneVm) {
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "cron: \"0,20 * * * *\"", "keep_last: 5"));
  folder_.write("policies.d/b.yaml", policy("bravo", "VM1", "cron: \"40,50 * * * *\"", "keep_last: 5"));
  const Lines problems = formatted(load());
  ASSERT_EQ(problems.size(), 3u) << testing::PrintToString(problems);  // and a spacing warning for each
  EXPECT_EQ(problems[1], relative("policies.d/b.yaml") +
                             ":3:9: targets.vms[0]: VM VM1 is targeted by policies 'alpha', 'bravo', which together "
                             "fire 4 times within one hour (from 2026-11-25T10:40:00Z); Azure allows at most 3 creates "
                             "per VM per hour");
}

TEST_F(ConfigurationTest, TwoPoliciesThatTogetherKeepTooManyPointsOnOneVm) {
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "every: 4h", "keep_last: 300"));
  folder_.write("policies.d/b.yaml", policy("bravo", "vm1", "cron: \"0 2-23/4 * * *\"", "keep_last: 300"));
  EXPECT_EQ(formatted(load()), (Lines{relative("policies.d/b.yaml") +
                                      ":3:9: targets.vms[0]: VM vm1 is targeted by policies 'alpha', 'bravo', which "
                                      "together keep more than 500 points at their peak (a new point counts before retention prunes an old "
                                      "one); Azure allows 500 per VM"}));
}

TEST_F(ConfigurationTest, QuotasOfACustomCloudApply) {
  folder_.write("restorepointd.yaml", "policies: policies.d\nazure: {quotas: {points_per_vm: 5}}\n");
  folder_.write("policies.d/a.yaml", policy("alpha", "vm1", "every: 4h", "keep_last: 5"));
  EXPECT_EQ(formatted(load()), (Lines{relative("policies.d/a.yaml") +
                                      ":5:12: retention: keeps more than 5 points per VM at its peak (a new point counts before "
                                      "retention prunes an old one); Azure allows 5"}));
}

}  // namespace
}  // namespace rpd
