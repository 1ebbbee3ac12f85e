#pragma once
// Token sources for tests and benchmarks: scripted tokens, and tokens the emulator mints on demand.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <string>

#include "daemon/azure/clock.hpp"
#include "daemon/azure/credential.hpp"

namespace rpd::azure {

// Gives the scripted tokens in order, then the last one again.
class ScriptedTokens final : public TokenSource {
 public:
  explicit ScriptedTokens(std::deque<std::string> tokens) : tokens_(std::move(tokens)) {}
  boost::asio::awaitable<Result<AccessToken>> fetch() override {
    const std::string value = tokens_.size() > 1 ? tokens_.front() : tokens_.back();
    if (tokens_.size() > 1) tokens_.pop_front();
    co_return AccessToken{value, std::chrono::system_clock::now() + std::chrono::hours(1), std::nullopt};
  }
  std::string describe() const override { return "scripted tokens"; }

 private:
  std::deque<std::string> tokens_;
};

// A token the emulator mints at each fetch: for tests whose client time moves the emulator's clock by hours.
class EmulatorTokens final : public TokenSource {
 public:
  EmulatorTokens(std::function<std::string()> mint, const Clock& clock) : mint_(std::move(mint)), clock_(clock) {}
  boost::asio::awaitable<Result<AccessToken>> fetch() override {
    co_return AccessToken{mint_(), clock_.now() + std::chrono::minutes(30), std::nullopt};
  }
  std::string describe() const override { return "the emulator's tokens"; }

 private:
  std::function<std::string()> mint_;
  const Clock& clock_;
};

}  // namespace rpd::azure
