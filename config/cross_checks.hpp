#pragma once
// Checks across policies: names, collections, and VMs that several policies share (their schedules and
// retentions together must stay within Azure's per-VM limits).

#include <vector>

#include "config/policy_reader.hpp"

namespace rpd {

std::vector<Diagnostic> check_across_policies(const std::vector<PolicyDocument>& documents, const Settings& settings,
                                              const LoadOptions& options);

}  // namespace rpd
