// Credential over a scripted TokenSource: one fetch in flight for many callers, background refresh of a
// token that is due, failures reported at once with the time of the next try, and invalidate after a 401.

#include "daemon/azure/credential.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <optional>

#include "tests/azure/manual_clock.hpp"

namespace rpd::azure {
namespace {

namespace asio = boost::asio;
using std::chrono::minutes;
using std::chrono::seconds;

const auto start = std::chrono::system_clock::time_point(seconds(1'800'000'000));

// Answers with the scripted results in order; each fetch first yields to the executor once, so that other
// callers run while it is "in flight".
class ScriptedSource final : public TokenSource {
 public:
  explicit ScriptedSource(ManualClock& clock) : clock_(clock) {}
  asio::awaitable<Result<AccessToken>> fetch() override {
    ++fetches;
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (script.empty()) co_return make_error("scripted source: nothing left");
    Result<AccessToken> next = script.front();
    script.pop_front();
    co_return next;
  }
  std::string describe() const override { return "scripted source"; }

  std::deque<Result<AccessToken>> script;
  int fetches = 0;

 private:
  ManualClock& clock_;
};

asio::awaitable<void> token_into(Credential* credential, std::optional<Result<std::string>>* out) {
  *out = co_await credential->token();
}

class CredentialTest : public ::testing::Test {
 protected:
  CredentialTest() {
    auto owned = std::make_unique<ScriptedSource>(clock_);
    source_ = owned.get();
    credential_ = std::make_unique<Credential>(io_.get_executor(), std::move(owned), clock_);
  }

  AccessToken token(std::string value, std::chrono::system_clock::duration lifetime) const {
    return AccessToken{std::move(value), clock_.now() + lifetime, std::nullopt};
  }

  // Asks `count` times at once and runs until all have their answer.
  std::vector<Result<std::string>> ask(int count = 1) {
    std::vector<std::optional<Result<std::string>>> answers(static_cast<std::size_t>(count));
    for (auto& answer : answers) asio::co_spawn(io_, token_into(credential_.get(), &answer), asio::detached);
    io_.restart();
    io_.run();
    std::vector<Result<std::string>> out;
    for (auto& answer : answers) out.push_back(*std::move(answer));
    return out;
  }

  asio::io_context io_;
  ManualClock clock_{start};
  ScriptedSource* source_ = nullptr;
  std::unique_ptr<Credential> credential_;
};

TEST_F(CredentialTest, ManyCallersShareOneFetch) {
  source_->script.push_back(token("first", minutes(60)));
  const auto answers = ask(50);
  for (const auto& answer : answers) {
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(*answer, "first");
  }
  EXPECT_EQ(source_->fetches, 1);
  EXPECT_EQ(credential_->stats().fetches, 1);
}

TEST_F(CredentialTest, TheCachedTokenIsUsedUntilItIsDue) {
  source_->script.push_back(token("first", minutes(60)));
  ASSERT_EQ(*ask().front(), "first");
  clock_.advance(minutes(54));
  ASSERT_EQ(*ask().front(), "first");
  EXPECT_EQ(source_->fetches, 1);
}

TEST_F(CredentialTest, ADueTokenIsStillHandedOutWhileTheRefreshRuns) {
  source_->script.push_back(token("first", minutes(60)));
  source_->script.push_back(token("second", minutes(60)));
  ASSERT_EQ(*ask().front(), "first");
  clock_.advance(minutes(56));  // within 5 minutes of expiry
  EXPECT_EQ(*ask().front(), "first") << "the caller does not wait for the refresh";
  EXPECT_EQ(source_->fetches, 2) << "the refresh ran in the background";
  EXPECT_EQ(*ask().front(), "second");
}

TEST_F(CredentialTest, AFailureIsReportedAtOnceWithTheNextTry) {
  source_->script.push_back(make_error("scripted source: HTTP 503"));
  const auto first = ask(3);
  for (const auto& answer : first) {
    ASSERT_FALSE(answer.ok());
    EXPECT_EQ(answer.error().message, "scripted source: HTTP 503 (next try in 30 s)");
  }
  EXPECT_EQ(source_->fetches, 1);
  clock_.advance(seconds(10));
  EXPECT_EQ(ask().front().error().message, "scripted source: HTTP 503 (next try in 20 s)");
  EXPECT_EQ(source_->fetches, 1) << "no fetch before the backoff is over";

  source_->script.push_back(token("after", minutes(60)));
  clock_.advance(seconds(20));
  EXPECT_EQ(*ask().front(), "after");
  EXPECT_EQ(credential_->stats().failures, 1);
}

TEST_F(CredentialTest, AnExpiredTokenFromTheSourceIsAFailure) {
  source_->script.push_back(AccessToken{"stale", start - seconds(1), std::nullopt});
  EXPECT_EQ(ask().front().error().message,
            "scripted source: the token it gave has already expired (next try in 30 s)");
}

TEST_F(CredentialTest, InvalidateFetchesANewTokenOnTheNextCall) {
  source_->script.push_back(token("first", minutes(60)));
  source_->script.push_back(token("second", minutes(60)));
  ASSERT_EQ(*ask().front(), "first");
  credential_->invalidate();
  EXPECT_EQ(*ask().front(), "second");
  EXPECT_EQ(source_->fetches, 2);
}

}  // namespace
}  // namespace rpd::azure
