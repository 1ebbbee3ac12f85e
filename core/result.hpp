#pragma once
// Expected failures as values: a Result<T> holds either a T or an Error with a message for people.
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

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const T& value() const& { return checked_value(); }
  T& value() & { return const_cast<T&>(checked_value()); }
  T&& value() && { return std::move(const_cast<T&>(checked_value())); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) throw std::logic_error("Result::error() called on a value");
    return std::get<Error>(state_);
  }

 private:
  const T& checked_value() const {
    if (!ok()) throw std::logic_error("Result::value() called on an error: " + std::get<Error>(state_).message);
    return std::get<T>(state_);
  }

  std::variant<T, Error> state_;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace rpd
