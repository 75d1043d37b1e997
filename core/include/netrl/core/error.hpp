#pragma once
// Typed errors of the engine. Every failure is an exception carrying a message that names what was
// wrong; nothing calls exit().
#include <stdexcept>
#include <string>

namespace netrl {

/// Base class of every error netrl throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input: the message names the field (a config path such as `reward.values[3]`) and the bound.
class InvalidInput : public Error {
 public:
  InvalidInput(const std::string& field, const std::string& message)
      : Error(field + ": " + message), field_(field) {}
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
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

}  // namespace netrl
