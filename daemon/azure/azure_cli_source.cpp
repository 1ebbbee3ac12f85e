// The Azure CLI as a token source, for people trying restorepointd on a workstation where `az login` is done:
// `az account get-access-token --output json --scope <scope> [--tenant <tenant>]`, run without a shell.
//
// The child's output is read through pipes on the io_context (stdout for the JSON, stderr for the reason when
// it fails, both bounded); a watchdog kills it when it takes longer than the timeout, which closes the pipes
// and so ends the reads.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "daemon/azure/token_sources.hpp"

extern char** environ;

namespace rpd::azure {
namespace {

namespace asio = boost::asio;

constexpr std::size_t max_output_bytes = 64 * 1024;

struct Pipe {
  int read_end = -1;
  int write_end = -1;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(std::string("cannot make a pipe: ") + std::strerror(errno));
  return Pipe{fds[0], fds[1]};
}

// Everything the descriptor gives until end of file, at most max_output_bytes (the rest is read and dropped,
// so that the child is never blocked on a full pipe).
asio::awaitable<std::string> read_all(asio::posix::stream_descriptor& pipe) {
  std::string text;
  std::vector<char> chunk(4096);
  for (;;) {
    boost::system::error_code error;
    const std::size_t n =
        co_await pipe.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, error));
    if (text.size() < max_output_bytes) text.append(chunk.data(), std::min(n, max_output_bytes - text.size()));
    if (error) break;  // eof, or the pipe closed under us
  }
  co_return text;
}

// stderr's reader runs beside stdout's; it reports through this and cancels `done` when it ends.
struct ErrorOutput {
  explicit ErrorOutput(asio::any_io_executor executor) : pipe(executor), done(executor) {
    done.expires_at(asio::steady_timer::time_point::max());
  }
  asio::posix::stream_descriptor pipe;
  asio::steady_timer done;
  std::string text;
  bool finished = false;
};

asio::awaitable<void> read_errors(std::shared_ptr<ErrorOutput> errors) {
  errors->text = co_await read_all(errors->pipe);
  errors->finished = true;
  errors->done.cancel();
}

// The first line of what az wrote to stderr, for the error message ("ERROR: Please run 'az login' ...").
std::string first_line(std::string text) {
  if (const auto end = text.find_first_of("\r\n"); end != std::string::npos) text.resize(end);
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

class AzureCliSource final : public TokenSource {
 public:
  AzureCliSource(SourceContext context, std::string program, std::string scope, std::optional<std::string> tenant,
                 std::chrono::milliseconds timeout)
      : context_(std::move(context)), program_(std::move(program)), scope_(std::move(scope)),
        tenant_(std::move(tenant)), timeout_(timeout) {}

  asio::awaitable<Result<AccessToken>> fetch() override {
    const auto executor = co_await asio::this_coro::executor;
    auto out = make_pipe();
    if (!out) co_return make_error(describe() + ": " + out.error().message);
    auto err = make_pipe();
    if (!err) {
      ::close(out->read_end);
      ::close(out->write_end);
      co_return make_error(describe() + ": " + err.error().message);
    }
    asio::posix::stream_descriptor output(executor, out->read_end);
    auto errors = std::make_shared<ErrorOutput>(executor);
    errors->pipe.assign(err->read_end);

    const pid_t child = spawn(out->write_end, err->write_end);
    const int spawn_errno = errno;
    ::close(out->write_end);
    ::close(err->write_end);
    if (child < 0) co_return make_error(describe() + ": cannot run " + program_ + ": " + std::strerror(spawn_errno));

    // The watchdog: a plain completion handler (not a coroutine) that kills the child if it is still running.
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer watchdog(executor, timeout_);
    watchdog.async_wait([child, timed_out](boost::system::error_code error) {
      if (error) return;
      *timed_out = true;
      ::kill(child, SIGKILL);
    });

    asio::co_spawn(executor, read_errors(errors), asio::detached);
    const std::string json = co_await read_all(output);
    if (!errors->finished) {
      boost::system::error_code ignored;
      co_await errors->done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    watchdog.cancel();
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }

    if (*timed_out) {
      co_return make_error(describe() + ": no answer within " + std::to_string(timeout_.count()) + " ms");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const std::string how = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                                : "was killed by signal " + std::to_string(WTERMSIG(status));
      const std::string reason = first_line(errors->text);
      co_return make_error(describe() + ": az " + how + (reason.empty() ? "" : ": " + reason));
    }
    auto token = parse_azure_cli_token(json);
    if (!token) co_return make_error(describe() + ": " + token.error().message);
    co_return token;
  }

  std::string describe() const override { return "Azure CLI (" + program_ + ")"; }

 private:
  // posix_spawnp with stdout and stderr on the pipes and stdin on /dev/null; -1 and errno on failure.
  pid_t spawn(int stdout_fd, int stderr_fd) const {
    std::vector<std::string> arguments = {program_, "account", "get-access-token", "--output", "json", "--scope", scope_};
    if (tenant_) {
      arguments.emplace_back("--tenant");
      arguments.push_back(*tenant_);
    }
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
    pid_t pid = -1;
    const int error = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      errno = error;
      return -1;
    }
    return pid;
  }

  SourceContext context_;
  std::string program_;
  std::string scope_;
  std::optional<std::string> tenant_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<TokenSource> make_azure_cli_source(SourceContext context, std::string program, std::string scope,
                                                   std::optional<std::string> tenant, std::chrono::milliseconds timeout) {
  return std::make_unique<AzureCliSource>(std::move(context), std::move(program), std::move(scope), std::move(tenant),
                                          timeout);
}

}  // namespace rpd::azure
