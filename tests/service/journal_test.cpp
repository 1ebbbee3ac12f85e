// The journal's fields of a line, word for word, and how the daemon tells that stderr is journald's stream.

#include "daemon/service/journal.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace rpd::service {
namespace {

using Fields = std::vector<std::string>;

TEST(JournalTest, AnActionsLineCarriesItsPolicyVmAndJob) {
  EXPECT_EQ(journal_fields(spdlog::level::warn, "create sql-20261204T0000Z failed: 409 Conflict", {"sql", "sql01", 42}),
            (Fields{"MESSAGE=policy sql VM sql01: create sql-20261204T0000Z failed: 409 Conflict", "PRIORITY=4",
                    "SYSLOG_IDENTIFIER=restorepointd", "RESTOREPOINTD_POLICY=sql", "RESTOREPOINTD_VM=sql01",
                    "RESTOREPOINTD_JOB=42"}));
}

TEST(JournalTest, PartsThatAreUnknownAreLeftOut) {
  EXPECT_EQ(journal_fields(spdlog::level::info, "ensure-collection succeeded", {"web", "", 0}),
            (Fields{"MESSAGE=policy web: ensure-collection succeeded", "PRIORITY=6", "SYSLOG_IDENTIFIER=restorepointd",
                    "RESTOREPOINTD_POLICY=web"}));
  EXPECT_EQ(journal_fields(spdlog::level::err, "the database is locked", {}),
            (Fields{"MESSAGE=the database is locked", "PRIORITY=3", "SYSLOG_IDENTIFIER=restorepointd"}));
}

TEST(JournalTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  struct stat status {};
  ASSERT_EQ(::fstat(2, &status), 0);
  const std::string mine = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
  EXPECT_TRUE(stderr_is_journal(mine.c_str()));
  EXPECT_FALSE(stderr_is_journal(nullptr)) << "not under systemd";
  const std::string other = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino + 1);
  EXPECT_FALSE(stderr_is_journal(other.c_str())) << "stderr redirected by the service: not the journal";
  EXPECT_FALSE(stderr_is_journal((mine + "x").c_str()));
  EXPECT_FALSE(stderr_is_journal(""));
  EXPECT_FALSE(stderr_is_journal("12"));
}

// What a child process sent to a journal socket of its own: in a mount namespace of its own, /run is a fresh
// tmpfs holding /run/systemd/journal/socket, where the test listens as journald would. Needs root (CI is).
std::string lines_sent_to_a_journal() {
  int pipe_ends[2];
  if (::pipe(pipe_ends) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_ends[0]);
    const auto fail = [&](const char* what) {
      (void)::write(pipe_ends[1], what, std::strlen(what));
      std::_Exit(1);
    };
    if (::unshare(CLONE_NEWNS) != 0) fail("SKIP unshare");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail("SKIP private mounts");
    if (::mount("tmpfs", "/run", "tmpfs", 0, nullptr) != 0) fail("SKIP tmpfs on /run");
    std::filesystem::create_directories("/run/systemd/journal");
    const int journal = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, "/run/systemd/journal/socket");
    if (::bind(journal, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) fail("bind failed");
    struct stat status {};
    ::fstat(2, &status);
    const std::string stream = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    set_up_logging(spdlog::level::info);
    log_action(spdlog::level::warn, {"sql", "sql01", 7}, "create sql-1 failed: 409 Conflict");
    spdlog::info("ready: 2 policies");
    std::string received;
    for (int i = 0; i < 2; ++i) {
      pollfd ready{journal, POLLIN, 0};
      if (::poll(&ready, 1, 10'000) != 1) fail("nothing reached the journal");
      char datagram[4096];
      const ssize_t n = ::recv(journal, datagram, sizeof datagram, 0);
      if (n > 0) received.append(datagram, static_cast<std::size_t>(n)).append("--\n");
    }
    (void)::write(pipe_ends[1], received.data(), received.size());
    std::_Exit(0);
  }
  ::close(pipe_ends[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_ends[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_ends[0]);
  ::waitpid(child, nullptr, 0);
  return out;
}

TEST(JournalTest, UnderSystemdLinesGoToTheJournalWithTheirFields) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a mount namespace";
  const std::string sent = lines_sent_to_a_journal();
  if (sent.starts_with("SKIP")) GTEST_SKIP() << sent;
  const std::string action = sent.substr(0, sent.find("--\n"));
  // libsystemd adds CODE_FILE, CODE_LINE and CODE_FUNC after the fields.
  EXPECT_TRUE(action.starts_with("MESSAGE=policy sql VM sql01: create sql-1 failed: 409 Conflict\nPRIORITY=4\n"
                                 "SYSLOG_IDENTIFIER=restorepointd\nRESTOREPOINTD_POLICY=sql\nRESTOREPOINTD_VM=sql01\n"
                                 "RESTOREPOINTD_JOB=7\n"))
      << action;
  const std::string plain = sent.substr(sent.find("--\n") + 3);
  EXPECT_NE(plain.find("MESSAGE=ready: 2 policies\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("PRIORITY=6\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("SYSLOG_IDENTIFIER=restorepointd\n"), std::string::npos) << plain;
}

}  // namespace
}  // namespace rpd::service
