// Error values that cross module edges. Modeled on LevelDB's Status: cheap when ok,
// carries a message a user can act on when not. Result<T> is a value or the Status that
// explains why there is none.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace newsmon {

// What kind of failure, for callers that act differently on them (retry when busy, tell the
// user to fix the input); the message says the rest. kFailed is any other failure.
enum class StatusCode : std::uint8_t {
  kOk,
  kFailed,
  kInvalidInput,  // a config line, a thread file, a request: fix it and try again
  kNotFound,      // a file, a thread, a feed that is not there
  kIoError,       // the disk or the network failed underneath
  kBusy,          // the resource is locked or full for now: retrying may succeed
};

const char* StatusCodeName(StatusCode code);  // "ok", "failed", "invalid input", ...

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return {StatusCode::kFailed, std::move(message)}; }
  static Status InvalidInput(std::string message) {
    return {StatusCode::kInvalidInput, std::move(message)};
  }
  static Status NotFound(std::string message) {
    return {StatusCode::kNotFound, std::move(message)};
  }
  static Status IoError(std::string message) { return {StatusCode::kIoError, std::move(message)}; }
  static Status Busy(std::string message) { return {StatusCode::kBusy, std::move(message)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("feed 'bbc': ") so the user sees where an error came from; the code
  // stays.
  Status WithContext(const std::string& context) const {
    return ok() ? *this : Status(code_, context + message_);
  }

 private:
  Status(StatusCode code, std::string message) : message_(std::move(message)), code_(code) {}
  std::string message_;
  StatusCode code_ = StatusCode::kOk;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Status error) : state_(std::move(error)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(state_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const { return value(); }
  T& operator*() { return value(); }

  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace newsmon
