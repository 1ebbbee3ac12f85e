#include "daemon/commands/validate_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/config/config_test_support.hpp"

#include "tests/cli/command_run.hpp"

namespace rpd {
namespace {

class ValidateCommandTest : public ::testing::Test {
 protected:
  CommandRun validate(bool strict = false) {
    std::ostringstream out, err;
    const int code = run_validate({settings_, strict}, test::fixed_options(), out, err);
    return {code, out.str(), err.str()};
  }

  test::TempFolder folder_;
  std::string settings_ = folder_.write("restorepointd.yaml", "policies: policies.d\n");
  const std::string vm_prefix_ =
      "/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod/providers/Microsoft.Compute/"
      "virtualMachines/";
};

TEST_F(ValidateCommandTest, OnSuccessOneLinePerPolicy) {
  folder_.write("policies.d/a.yaml",
                "name: sql\ntargets:\n  vms: [" + vm_prefix_ + "sql01, " + vm_prefix_ + "sql02]\n  resource_groups:\n"
                "    - id: /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/prod\n"
                "      tags: {restore-points: tier1}\nschedule: {cron: \"0 */4 * * *\", timezone: Europe/Berlin}\n"
                "retention: {keep_daily: 7}\n---\nname: web\ntargets:\n  resource_groups:\n"
                "    - id: /subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/web\n"
                "schedule: {every: 6h}\nretention: {keep_last: 4}\n");
  const CommandRun run = validate();
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out,
            "sql: 2 VMs (sql01, sql02), resource group prod (restore-points=tier1); cron '0 */4 * * *' in "
            "Europe/Berlin; next slot 2026-11-25T11:00:00Z\n"
            "web: resource group web (all VMs); every 6h; next slot 2026-11-25T12:00:00Z\n" +
                settings_ + ": valid, 2 policies, 0 warnings\n");
}

TEST_F(ValidateCommandTest, ErrorsAndWarningsAreListedAndCounted) {
  folder_.write("policies.d/a.yaml", "name: a\ntargets: {vms: [" + vm_prefix_ + "a1]}\nschedule: {every: 1h}\n"
                                     "retention: {keep_daily: -1}\n");
  const CommandRun run = validate();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  const std::string file = folder_.path() + "/policies.d/a.yaml";
  EXPECT_EQ(run.err, file + ":3:11: warning: schedule: fires every 1h, closer than Azure's 3h minimum for "
                            "application-consistent restore points (the consistency Azure may choose); Azure refuses "
                            "such creates at run time\n" +
                         file + ":4:25: retention.keep_daily: must be between 0 and 10000, got -1\n" + settings_ +
                         ": 1 error, 1 warning\n");
}

TEST_F(ValidateCommandTest, StrictTurnsWarningsIntoFailure) {
  folder_.write("policies.d/a.yaml",
                "name: a\ntargets: {vms: [" + vm_prefix_ + "a1]}\nschedule: {every: 1h}\nretention: {keep_daily: 7}\n");
  EXPECT_EQ(validate(false).exit_code, 0);
  const CommandRun strict = validate(true);
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_TRUE(strict.err.ends_with(settings_ + ": --strict: 1 warning count as errors\n")) << strict.err;
}

TEST(DescribeTargets, NamesAFewVmsAndCountsTheRest) {
  Targets targets;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    targets.vms.push_back(parse_vm_id("/subscriptions/3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c/resourceGroups/g/providers/"
                                      "Microsoft.Compute/virtualMachines/" + std::string(name))
                              .value());
  }
  EXPECT_EQ(describe_targets(targets), "5 VMs (a, b, c, and 2 more)");
}

}  // namespace
}  // namespace rpd
