#pragma once
// Typed errors of the engine. Every failure is an exception carrying a message that names what was
// wrong; nothing calls exit().
#include <stdexcept>
#include <string>
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

/// Base class of every error netrl throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: the message names the field (a config path such as `reward.values[3]`) and the bound.
class InvalidInput : public Error {
 public:
  InvalidInput(const std::string& field, const std::string& message)
      : Error(field.empty() ? message : field + ": " + message), field_(field), message_(message) {}
  const std::string& field() const noexcept { return field_; }
  /// The message without the field.
  const std::string& message() const noexcept { return message_; }

 private:
  std::string field_;
  std::string message_;
};

/// A file that cannot be read, parsed or written.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A numerical procedure that did not reach its tolerance or met a singular system.
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A backend failure (CUDA, cuBLAS, cuSOLVER, or a backend that is not built in).
class BackendError : public Error {
 public:
  using Error::Error;
};

/// Runs f(); an InvalidInput it throws is re-raised under `field` (replacing its own field name,
/// keeping its message). Library functions name their own arguments ("solution", "raster"); the
/// caller that knows where a value came from (a configuration field) renames them.
template <class F>
auto under_field(const std::string& field, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InvalidInput& e) {
    throw InvalidInput(field, e.message());
  }
}

/// Runs f(); an InvalidInput it throws is re-raised with its field prefixed by `prefix`
/// ("data" and "raster (x.npy)" give "data.raster (x.npy)"; an empty field gives `prefix`).
template <class F>
auto with_prefix(const std::string& prefix, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InvalidInput& e) {
    throw InvalidInput(e.field().empty() ? prefix : prefix + "." + e.field(), e.message());
  }
}

NETRL_NAMESPACE_END  // namespace netrl
