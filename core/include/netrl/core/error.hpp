#pragma once
// Typed errors of the engine. Every failure is an exception carrying a message that names what was
// wrong; nothing calls exit().
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
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

/// A byte as \xNN.
inline std::string byte_escape(unsigned char c) {
  const char* hex = "0123456789abcdef";
  return std::string("\\x") + hex[c >> 4] + hex[c & 15];
}

/// At most `max` bytes of `text` for a message: longer text is cut (with "...", never inside a
/// UTF-8 sequence) and control characters are written as \xNN, so that no input can make an
/// error message long or unprintable.
inline std::string shorten(const std::string& text, std::size_t max = 80) {
  std::size_t cut = text.size();
  if (cut > max) {
    cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out;
  for (std::size_t k = 0; k < cut; ++k) {
    const unsigned char c = static_cast<unsigned char>(text[k]);
    if (c < 0x20 || c == 0x7f) {
      out += byte_escape(c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return cut < text.size() ? out + "... (" + std::to_string(text.size()) + " bytes)" : out;
}

/// v in the fewest significant digits (6 to 17) that read back as v, for messages: the stream's
/// default 6 digits print 1 + 1e-10 as "1" in "1 is not a probability".
inline std::string number_text(double v) {
  char buf[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (!std::isfinite(v) || std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

/// A size in GiB to 3 significant digits ("1.5 GiB"), for messages.
inline std::string gib_text(double bytes) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.3g GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

/// `text` shortened and in double quotes, for messages that quote a value from the input.
inline std::string quote_value(const std::string& text) { return "\"" + shorten(text) + "\""; }

/// Runs f(); an InvalidInput it throws is re-raised under `field` (replacing its own field name,
/// keeping its message). Library functions name their own arguments ("solution", "raster"); the
/// caller that knows where a value came from (a configuration field) renames them. An IoError
/// (a file named by that field cannot be read or parsed) becomes an InvalidInput under `field`
/// with the IoError's message, which names the file.
template <class F>
auto under_field(const std::string& field, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InvalidInput& e) {
    throw InvalidInput(field, e.message());
  } catch (const IoError& e) {
    throw InvalidInput(field, e.what());
  }
}

/// Runs f(); an InvalidInput it throws is re-raised with its field prefixed by `prefix`
/// ("data" and "raster (x.npy)" give "data.raster (x.npy)"; an empty field gives `prefix`). An
/// IoError becomes an InvalidInput under `prefix`.
template <class F>
auto with_prefix(const std::string& prefix, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const InvalidInput& e) {
    throw InvalidInput(e.field().empty() ? prefix : prefix + "." + e.field(), e.message());
  } catch (const IoError& e) {
    throw InvalidInput(prefix, e.what());
  }
}

NETRL_NAMESPACE_END  // namespace netrl
