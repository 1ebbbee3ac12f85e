#pragma once
// What a command run in-process returned and printed, for the commands' tests.

#include <string>

namespace rpd {

struct CommandRun {
  int exit_code;
  std::string out;
  std::string err;
};

}  // namespace rpd
