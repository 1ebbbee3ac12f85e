#include "core/arm_id.hpp"

#include <gtest/gtest.h>

namespace rpd {
namespace {

const std::string sub = "3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2c";

TEST(ArmId, ParsesVmIdsInAnyCase) {
  auto id = parse_vm_id("/subscriptions/" + sub + "/resourceGroups/Prod/providers/Microsoft.Compute/virtualMachines/sql01");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->subscription, sub);
  EXPECT_EQ(id->resource_group, "Prod");
  EXPECT_EQ(id->name, "sql01");
  EXPECT_FALSE(id->is_resource_group());
  EXPECT_EQ(id->resource_group_id(), "/subscriptions/" + sub + "/resourceGroups/Prod");
  EXPECT_TRUE(parse_vm_id("/SUBSCRIPTIONS/" + sub + "/resourcegroups/PROD/PROVIDERS/microsoft.compute/VIRTUALMACHINES/x"));
}

TEST(ArmId, ParsesResourceGroupAndDiskIds) {
  auto group = parse_resource_group_id("/subscriptions/" + sub + "/resourceGroups/prod");
  ASSERT_TRUE(group);
  EXPECT_TRUE(group->is_resource_group());
  EXPECT_TRUE(parse_disk_id("/subscriptions/" + sub + "/resourceGroups/prod/providers/Microsoft.Compute/disks/d1"));
}

TEST(ArmId, SaysWhatWasExpected) {
  EXPECT_EQ(parse_vm_id("/subscriptions/" + sub + "/resourceGroups/prod").error().message,
            "'/subscriptions/" + sub + "/resourceGroups/prod' is not a virtual machine id: expected "
            "/subscriptions/{subscription-guid}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}");
  EXPECT_EQ(parse_resource_group_id("prod").error().message,
            "'prod' is not a resource group id: expected /subscriptions/{subscription-guid}/resourceGroups/{group}");
  EXPECT_EQ(parse_resource_group_id("/subscriptions/" + sub + "/resourceGroups/prod/").error().message,
            "'/subscriptions/" + sub + "/resourceGroups/prod/' is not a resource group id: expected "
            "/subscriptions/{subscription-guid}/resourceGroups/{group}");
  EXPECT_EQ(parse_resource_group_id("/subscriptions/abc/resourceGroups/prod").error().message,
            "'/subscriptions/abc/resourceGroups/prod': subscription 'abc' is not a GUID such as "
            "00000000-0000-0000-0000-000000000000");
  EXPECT_FALSE(parse_vm_id("/subscriptions/" + sub + "/resourceGroups/prod/providers/Microsoft.Network/virtualMachines/x"));
  EXPECT_FALSE(parse_vm_id("/subscriptions/" + sub + "/resourceGroups//providers/Microsoft.Compute/virtualMachines/x"));
  EXPECT_FALSE(parse_disk_id("/subscriptions/" + sub + "/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/x"));
}

TEST(ArmId, ComparesCaseInsensitively) {
  EXPECT_TRUE(same_arm_id("/subscriptions/A/resourceGroups/CLI_TEST", "/subscriptions/a/resourcegroups/cli_test"));
  EXPECT_FALSE(same_arm_id("/subscriptions/a/resourceGroups/x", "/subscriptions/a/resourceGroups/y"));
  EXPECT_TRUE(is_guid(sub));
  EXPECT_FALSE(is_guid("3f2b6a7c-1d4e-4f5a-9b8c-7d6e5f4a3b2"));
  EXPECT_FALSE(is_guid("3f2b6a7c_1d4e-4f5a-9b8c-7d6e5f4a3b2c"));
  EXPECT_EQ(to_lower("EastUS2EUAP"), "eastus2euap");
}

}  // namespace
}  // namespace rpd
