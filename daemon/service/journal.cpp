#include "daemon/service/journal.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstdio>
#include <cstdlib>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>

namespace rpd::service {
namespace {

bool to_journal = false;  // decided once, by set_up_logging

// syslog(3)'s priorities, which the journal uses.
int priority_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;
    case spdlog::level::err: return 3;
    case spdlog::level::warn: return 4;
    case spdlog::level::info: return 6;
    default: return 7;
  }
}

std::string human_line(const LogContext& context, const std::string& message) {
  std::string line;
  if (!context.policy.empty()) line += "policy " + context.policy + " ";
  if (!context.vm.empty()) line += "VM " + context.vm + " ";
  if (!line.empty()) line.back() = ':', line += ' ';
  return line + message;
}

}  // namespace

std::vector<std::string> journal_fields(spdlog::level::level_enum level, const std::string& message, const LogContext& context) {
  std::vector<std::string> fields = {"MESSAGE=" + human_line(context, message), "PRIORITY=" + std::to_string(priority_of(level)),
                                     "SYSLOG_IDENTIFIER=restorepointd"};
  if (!context.policy.empty()) fields.push_back("RESTOREPOINTD_POLICY=" + context.policy);
  if (!context.vm.empty()) fields.push_back("RESTOREPOINTD_VM=" + context.vm);
  if (context.job != 0) fields.push_back("RESTOREPOINTD_JOB=" + std::to_string(context.job));
  return fields;
}

bool stderr_is_journal(const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  char rest = 0;
  if (std::sscanf(journal_stream, "%llu:%llu%c", &device, &inode, &rest) != 2) return false;
  struct stat status {};
  if (::fstat(2, &status) != 0) return false;
  return static_cast<unsigned long long>(status.st_dev) == device && static_cast<unsigned long long>(status.st_ino) == inode;
}

void set_up_logging(spdlog::level::level_enum level) {
  to_journal = stderr_is_journal(std::getenv("JOURNAL_STREAM"));
  std::shared_ptr<spdlog::logger> logger;
  if (to_journal) {
    logger = std::make_shared<spdlog::logger>("restorepointd", std::make_shared<spdlog::sinks::systemd_sink_st>("restorepointd"));
  } else {
    logger = spdlog::stderr_logger_st("restorepointd");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S%z %l: %v");
  }
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

void log_action(spdlog::level::level_enum level, const LogContext& context, const std::string& message) {
  if (!spdlog::default_logger()->should_log(level)) return;
  if (!to_journal) {
    spdlog::log(level, "{}", human_line(context, message));
    return;
  }
  const std::vector<std::string> fields = journal_fields(level, message, context);
  std::vector<iovec> parts;
  for (const std::string& field : fields) parts.push_back({const_cast<char*>(field.data()), field.size()});
  if (sd_journal_sendv(parts.data(), static_cast<int>(parts.size())) < 0) spdlog::log(level, "{}", human_line(context, message));
}

}  // namespace rpd::service
