#pragma once
// The log. Under systemd, stderr is journald's stream (JOURNAL_STREAM names it): lines then go to the journal
// directly, with their priority, and an action's lines carry fields of their own that `journalctl` can select
// by: RESTOREPOINTD_POLICY, RESTOREPOINTD_VM and RESTOREPOINTD_JOB, e.g.
//   journalctl -u restorepointd RESTOREPOINTD_POLICY=sql
// Elsewhere every line goes to stderr with a time stamp.

#include <spdlog/common.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rpd::service {

// What a line is about; empty parts are left out.
struct LogContext {
  std::string policy;
  std::string vm;
  std::int64_t job = 0;
};

// The journal's fields of one line ("MESSAGE=...", "PRIORITY=4", ...), in the order they are sent.
std::vector<std::string> journal_fields(spdlog::level::level_enum level, const std::string& message, const LogContext& context);

// Whether stderr is the stream JOURNAL_STREAM ("<device>:<inode>", or null when unset) names.
bool stderr_is_journal(const char* journal_stream);

// Sets the default logger: the journal when stderr is journald's stream, else stderr.
void set_up_logging(spdlog::level::level_enum level);

// One line about an action: "policy P VM V: message", with its fields in the journal.
void log_action(spdlog::level::level_enum level, const LogContext& context, const std::string& message);

}  // namespace rpd::service
