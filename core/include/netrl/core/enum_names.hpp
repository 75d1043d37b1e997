#pragma once
// The names of the library's enums, one table per enum: each enumerator's C++ name (`member`, as
// the Python bindings spell it) and the name configurations, results and messages use (`name`;
// "auto" for `automatic`). to_string, parse_enum and the Python bindings read the tables, so an
// enumerator added to an enum is named in one place. Each table is a specialisation of EnumNames
// beside its enum.
#include <string>

#include "netrl/core/error.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

template <class E>
struct EnumName {
  const char* member;
  const char* name;
  E value;
};

/// Specialised for each named enum: `static constexpr EnumName<E> table[]`.
template <class E>
struct EnumNames;

/// The name of `value` ("?" for a value outside the table).
template <class E>
const char* name_of(E value) {
  for (const EnumName<E>& e : EnumNames<E>::table)
    if (e.value == value) return e.name;
  return "?";
}

/// The names of E, comma-separated ("value_iteration, policy_iteration, parametric").
template <class E>
std::string known_names() {
  std::string known;
  for (const EnumName<E>& e : EnumNames<E>::table) known += (known.empty() ? "" : ", ") + std::string(e.name);
  return known;
}

/// The value named `name`; InvalidInput(field, "unknown <what> \"name\" (known: ...)") otherwise.
template <class E>
E parse_enum(const std::string& name, const std::string& field, const char* what) {
  for (const EnumName<E>& e : EnumNames<E>::table)
    if (name == e.name) return e.value;
  throw InvalidInput(field, std::string("unknown ") + what + " " + quote_value(name) + " (known: " + known_names<E>() + ")");
}

NETRL_NAMESPACE_END
