#include "tests/emulator/emulator_process.hpp"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace rpd::emulator {
namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// Reads one line from `fd` before `deadline`; empty when the process closed its output or time ran out.
std::string read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  char c = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd descriptor{fd, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (::poll(&descriptor, 1, static_cast<int>(std::max<long long>(left.count(), 1))) <= 0) continue;
    if (::read(fd, &c, 1) != 1) return "";
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

unsigned short port_of(const std::string& url) {
  return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

}  // namespace

EmulatorProcess::EmulatorProcess(const std::string& binary, const std::string& fixture,
                                 const std::string& extra_arguments, std::chrono::seconds ready_within) {
  std::string pattern = (std::filesystem::temp_directory_path() / "rpd-emulator-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot make a state folder for the emulator");
  state_dir_ = pattern;

  std::vector<std::string> arguments = {binary,          "--fixture",   fixture,    "--listen",
                                        "127.0.0.1:0",   "--imds-listen", "127.0.0.1:0", "--state-dir",
                                        state_dir_};
  for (const std::string& word : split_words(extra_arguments)) arguments.push_back(word);
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("cannot make a pipe for the emulator");
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot start the emulator");
  if (pid_ == 0) {
    // A test that aborts never runs the destructor: without this the emulator would live on, holding the
    // test's output pipe open (a CI step reading it would wait for ever). The getppid check closes the race
    // with a parent that died before prctl. (The signal follows the thread that forked: tests start emulators
    // from their main thread.)
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) ::_exit(126);
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  const auto deadline = std::chrono::steady_clock::now() + ready_within;
  const std::string first = read_line(out[0], deadline);
  const std::string second = read_line(out[0], deadline);
  ::close(out[0]);
  if (!first.starts_with("listening https://") || !second.starts_with("imds http://")) {
    stop();
    throw std::runtime_error("the emulator did not start: it printed '" + first + "' and '" + second + "'");
  }
  base_url_ = first.substr(std::string("listening ").size());
  imds_url_ = second.substr(std::string("imds ").size());
  https_port_ = port_of(base_url_);
  imds_port_ = port_of(imds_url_);
}

EmulatorProcess::~EmulatorProcess() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(state_dir_, ignored);
}

std::string EmulatorProcess::ca_pem() const {
  std::ifstream in(state_dir_ + "/ca.pem");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int EmulatorProcess::stop(std::chrono::seconds within) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  // A pidfd becomes readable when the process exits: wait for that, with a deadline.
  const int exited = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (exited >= 0) {
    pollfd descriptor{exited, POLLIN, 0};
    ::poll(&descriptor, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(within).count()));
    ::close(exited);
  }
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace rpd::emulator
