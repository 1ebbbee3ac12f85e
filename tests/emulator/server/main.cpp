// azure-emulator: serves the emulated Azure (arm/) over HTTPS, and its managed identity endpoint over plain
// HTTP, on the addresses given (loopback and a port of the system's choosing by default). When ready it prints
//   listening https://127.0.0.1:<port>
//   imds http://127.0.0.1:<port>
// as its first two lines, so that tests and scripts can start it on ephemeral ports, and it runs until
// SIGTERM or SIGINT. Exit status: 0 after a signal, 2 for bad arguments or a bad fixture, 1 for anything else.
//
// The plain HTTP listener answers /metadata/identity/oauth2/token as an Azure VM's IMDS or, with the fixture's
// settings.managed_identity_flavour: arc, as an Arc-enabled server's himds (its challenge key files go to
// <state dir>/tokens/); with settings.app_service_identity_header it also answers App Service's /msi/token.

#include <stdlib.h>  // mkdtemp

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <utility>

#include "tests/emulator/arm/clock.hpp"
#include "tests/emulator/arm/emulator.hpp"
#include "tests/emulator/arm/fixture.hpp"
#include "tests/emulator/server/http_server.hpp"
#include "tests/emulator/server/tls_identity.hpp"

namespace {

using boost::asio::ip::tcp;
using namespace rpd::emulator;

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// "127.0.0.1:0" or "[::1]:8443". Addresses only: a host name could resolve to something other than intended.
rpd::Result<tcp::endpoint> parse_endpoint(const std::string& text) {
  const auto invalid = [&text] { return rpd::make_error("expected IP:PORT such as 127.0.0.1:0, got '" + text + "'"); };
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return invalid();
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = text.substr(colon + 1);
  unsigned short port = 0;
  const auto [end, parse_error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (parse_error != std::errc{} || end != port_text.data() + port_text.size() || port_text.empty()) return invalid();
  boost::system::error_code address_error;
  const auto address = boost::asio::ip::make_address(host, address_error);
  if (address_error) return invalid();
  return tcp::endpoint(address, port);
}

std::string url_authority(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// The directory for ca.pem and Arc's key files: the one asked for (created if need be), or a new private one
// under $TMPDIR; absolute, because the Arc challenge names files in it by their absolute path.
rpd::Result<std::filesystem::path> prepare_state_dir(const std::string& requested) {
  std::error_code error;
  if (!requested.empty()) {
    std::filesystem::create_directories(requested, error);
    if (error) return rpd::make_error("cannot create the state directory " + requested + ": " + error.message());
    auto absolute = std::filesystem::absolute(requested, error);
    if (error) return rpd::make_error("cannot resolve the state directory " + requested + ": " + error.message());
    return absolute;
  }
  const auto temp = std::filesystem::temp_directory_path(error);
  if (error) return rpd::make_error("no temporary directory: " + error.message());
  std::string pattern = (temp / "azure-emulator-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return rpd::make_error("cannot create a directory like " + pattern + ": " + std::generic_category().message(errno));
  }
  const std::filesystem::path made(pattern);
  auto absolute = std::filesystem::absolute(made, error);
  return error ? made : absolute;
}

struct TemporaryDirectory {
  explicit TemporaryDirectory(std::filesystem::path directory) : path(std::move(directory)) {}
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

int run(int argc, char** argv) {
  CLI::App app{"azure-emulator: Azure Resource Manager, Entra ID and managed identity, emulated for tests"};
  std::string fixture_path;
  std::string listen = "127.0.0.1:0";
  std::string imds_listen = "127.0.0.1:0";
  std::string state_dir;
  double time_scale = 1.0;
  std::uint64_t seed = 1;
  app.add_option("--fixture", fixture_path, "YAML file with the tenants, principals, subscriptions and VMs")
      ->required();
  app.add_option("--listen", listen, "IP:PORT for HTTPS (Resource Manager, Entra ID); port 0: any free port")
      ->capture_default_str();
  app.add_option("--imds-listen", imds_listen, "IP:PORT for plain HTTP (the managed identity endpoint)")
      ->capture_default_str();
  app.add_option("--state-dir", state_dir,
                 "where to write ca.pem and Arc's challenge key files (default: a new temporary directory)");
  app.add_option("--time-scale", time_scale, "emulated seconds per real second")->capture_default_str();
  app.add_option("--seed", seed, "seed for fault rules with a probability")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? 0 : exit_usage;  // --help is not an error
  }

  if (!(time_scale > 0 && std::isfinite(time_scale))) {
    std::cerr << "azure-emulator: --time-scale: expected a positive number, got " << time_scale << '\n';
    return exit_usage;
  }
  const auto https_endpoint = parse_endpoint(listen);
  if (!https_endpoint) {
    std::cerr << "azure-emulator: --listen: " << https_endpoint.error().message << '\n';
    return exit_usage;
  }
  const auto imds_endpoint = parse_endpoint(imds_listen);
  if (!imds_endpoint) {
    std::cerr << "azure-emulator: --imds-listen: " << imds_endpoint.error().message << '\n';
    return exit_usage;
  }
  auto fixture = load_fixture(fixture_path);
  if (!fixture) {
    std::cerr << "azure-emulator: " << fixture.error().message << '\n';
    return exit_usage;
  }

  const auto dir = prepare_state_dir(state_dir);
  if (!dir) {
    std::cerr << "azure-emulator: " << dir.error().message << '\n';
    return exit_failure;
  }
  // A directory of our own making goes when we do, so that test runs leave no litter; one asked for stays.
  // Declared before the emulator, which removes its own key files from it first.
  const TemporaryDirectory our_dir(state_dir.empty() ? *dir : std::filesystem::path());

  ScaledClock clock(time_scale,
                    std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
  Emulator emulator(std::move(fixture).value(), clock, EmulatorOptions{.seed = seed, .state_dir = *dir});

  const auto identity = generate_tls_identity();
  if (!identity) {
    std::cerr << "azure-emulator: " << identity.error().message << '\n';
    return exit_failure;
  }
  const auto ca_path = write_ca_pem(*identity, *dir);
  if (!ca_path) {
    std::cerr << "azure-emulator: " << ca_path.error().message << '\n';
    return exit_failure;
  }
  auto tls = make_server_tls_context(*identity);
  if (!tls) {
    std::cerr << "azure-emulator: " << tls.error().message << '\n';
    return exit_failure;
  }

  // Declared after the emulator and the clock: destroying the io_context ends the connections that use them.
  boost::asio::io_context io;
  auto https = HttpsListener::start(io, *https_endpoint, *tls, emulator);
  if (!https) {
    std::cerr << "azure-emulator: " << https.error().message << '\n';
    return exit_failure;
  }
  auto imds = HttpListener::start(io, *imds_endpoint, emulator);
  if (!imds) {
    std::cerr << "azure-emulator: " << imds.error().message << '\n';
    return exit_failure;
  }
  const std::string resource_manager_url = "https://" + url_authority(https->local_endpoint());
  const std::string managed_identity_url = "http://" + url_authority(imds->local_endpoint());
  emulator.set_endpoints(resource_manager_url, managed_identity_url);

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&io](const boost::system::error_code& error, int signal_number) {
    if (!error) std::cerr << "azure-emulator: signal " << signal_number << ", stopping\n";
    io.stop();  // open connections are simply dropped: their clients are going away too
  });

  std::cerr << "azure-emulator: CA certificate in " << ca_path->string() << '\n';
  std::cout << "listening " << resource_manager_url << '\n' << "imds " << managed_identity_url << std::endl;
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "azure-emulator: " << error.what() << '\n';
    return exit_failure;
  }
}
