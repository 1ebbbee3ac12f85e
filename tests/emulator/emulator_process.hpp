#pragma once
// Runs the real azure-emulator binary for a test: on loopback, on ephemeral ports, in a fresh state folder,
// and stops it again. Integration and end-to-end tests use it.

#include <sys/types.h>

#include <chrono>
#include <string>

namespace rpd::emulator {

class EmulatorProcess {
 public:
  // Starts `binary --fixture fixture --listen 127.0.0.1:0 --imds-listen 127.0.0.1:0 --state-dir <temp>` plus
  // `extra_arguments`, and waits (at most `ready_within`) for its two "listening"/"imds" lines.
  // Throws std::runtime_error when it does not come up: a test cannot go on without it.
  EmulatorProcess(const std::string& binary, const std::string& fixture, const std::string& extra_arguments = "",
                  std::chrono::seconds ready_within = std::chrono::seconds(30));
  ~EmulatorProcess();
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  unsigned short https_port() const { return https_port_; }
  unsigned short imds_port() const { return imds_port_; }
  const std::string& base_url() const { return base_url_; }  // https://127.0.0.1:<port>
  const std::string& imds_url() const { return imds_url_; }  // http://127.0.0.1:<port>
  const std::string& state_dir() const { return state_dir_; }
  pid_t pid() const { return pid_; }
  std::string ca_pem() const;                                 // the CA the emulator issued its certificate from

  // SIGTERM, then waits for the exit status (SIGKILL after `within`). Returns the exit code, or -signal.
  int stop(std::chrono::seconds within = std::chrono::seconds(10));

 private:
  pid_t pid_ = -1;
  unsigned short https_port_ = 0;
  unsigned short imds_port_ = 0;
  std::string base_url_;
  std::string imds_url_;
  std::string state_dir_;
};

}  // namespace rpd::emulator
