#pragma once
// Expected failures as values: a Result<T> holds either a T or an Error with a message for people.
// Result<T, E> carries a richer error (an ARM error, a transport failure) where callers decide by its kind.
// Exceptions are kept for broken invariants (calling value() on an error is one).

#include <cassert>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace rpd {

struct Error {
  std::string message;
};

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(E error) : state_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return checked_value(); }
  T& value() & { return const_cast<T&>(checked_value()); }
  // By value, not T&&: `for (auto& x : f().value())` then keeps the vector alive for the loop, where a
  // reference into the temporary Result would dangle.
  T value() && { return std::move(const_cast<T&>(checked_value())); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    if (ok()) throw std::logic_error("Result::error() called on a value");
    return std::get<E>(state_);
  }

 private:
  const T& checked_value() const {
    if (!ok()) {
      if constexpr (requires(const E& e) { std::string(e.message); }) {
        throw std::logic_error("Result::value() called on an error: " + std::string(std::get<E>(state_).message));
      } else {
        throw std::logic_error("Result::value() called on an error");
      }
    }
    return std::get<T>(state_);
  }

  std::variant<T, E> state_;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace rpd
