#pragma once
// Helpers shared by the binding files: numpy views of a result's vectors (no copy; the array's
// base is the Python object that owns the vector), numpy arrays in as std::vector, and enums that
// also accept the names the configurations use ("host", "policy_iteration").
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
#include <string>
#include <utility>
#include <vector>

#include "netrl/netrl.hpp"

namespace netrl::python {

namespace py = pybind11;

/// Read-only numpy view of `v` with `shape` (C order; empty: 1-d), kept alive by `owner` (the
/// Python object that holds `v`): array.base is `owner`, and no data is copied. A size-0 vector
/// gives a fresh empty array.
template <class T>
py::array_t<T> view(const py::handle& owner, const std::vector<T>& v, std::vector<py::ssize_t> shape = {},
                    bool writeable = false) {
  if (shape.empty()) shape = {static_cast<py::ssize_t>(v.size())};
  py::ssize_t size = 1;
  for (py::ssize_t d : shape) size *= d;
  if (size != static_cast<py::ssize_t>(v.size())) throw std::logic_error("netrl binding: view shape does not match");
  if (v.empty()) return py::array_t<T>(shape);
  py::array_t<T> a(shape, v.data(), owner);
  if (!writeable) a.attr("flags").attr("writeable") = false;
  return a;
}

/// A writeable numpy array that takes over `v` (moved, not copied; a capsule owns it).
template <class T>
py::array_t<T> to_array(std::vector<T> v, std::vector<py::ssize_t> shape = {}) {
  auto* owned = new std::vector<T>(std::move(v));
  const py::capsule base(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return view(base, *owned, std::move(shape), /*writeable=*/true);
}

/// The entries of any numeric array (or nested sequence) as a vector of T, in C order; numpy casts
/// the dtype. `shape`, if given, receives the array's shape.
template <class T>
std::vector<T> to_vector(const py::array_t<T, py::array::c_style | py::array::forcecast>& a,
                         std::vector<std::uint64_t>* shape = nullptr) {
  if (shape) shape->assign(a.shape(), a.shape() + a.ndim());
  return std::vector<T>(a.data(), a.data() + a.size());
}
/// A float64 array converted from any numeric array-like (lists, other numeric dtypes, strided
/// arrays). Its caster (below) refuses what numpy would turn into meaningless numbers: structured
/// records (read as zeros), objects (None read as NaN), strings, complex numbers.
struct DoubleArray : py::array_t<double, py::array::c_style | py::array::forcecast> {
  using Base = py::array_t<double, py::array::c_style | py::array::forcecast>;
  DoubleArray() = default;
  DoubleArray(Base a) : Base(std::move(a)) {}  // NOLINT(google-explicit-constructor)
};

/// The entries of an array of indices as a vector of T: an integer dtype (a float array, even of
/// whole numbers, is refused rather than truncated) with every entry within T's range (rather
/// than wrapped); InvalidInput names `field`. An empty array (numpy makes it float64) is empty.
template <class T>
std::vector<T> index_vector(const py::handle& values, const std::string& field) {
  const py::array a = py::array::ensure(values);
  if (!a) throw InvalidInput(field, "expected an array of integers");
  if (a.size() == 0) return {};
  const char kind = a.dtype().kind();
  if (kind != 'i' && kind != 'u') {
    throw InvalidInput(field, "expected integers, got an array of dtype " + std::string(py::str(a.dtype())));
  }
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(a.size()));
  static_assert(std::is_signed_v<T> && sizeof(T) <= sizeof(std::int64_t), "signed index types");
  const auto lo = static_cast<std::int64_t>(std::numeric_limits<T>::min());
  const auto hi = static_cast<std::int64_t>(std::numeric_limits<T>::max());
  const auto check = [&](auto v, py::ssize_t k) {
    const bool fits = std::is_signed_v<decltype(v)> ? (static_cast<std::int64_t>(v) >= lo && static_cast<std::int64_t>(v) <= hi)
                                                    : static_cast<std::uint64_t>(v) <= static_cast<std::uint64_t>(hi);
    if (!fits) {  // before the cast
      throw InvalidInput(field + "[" + std::to_string(k) + "]",
                         "value " + std::to_string(v) + " lies outside the range of the index type [" +
                             std::to_string(std::numeric_limits<T>::min()) + ", " +
                             std::to_string(std::numeric_limits<T>::max()) + "]");
    }
    out.push_back(static_cast<T>(v));
  };
  if (kind == 'u') {
    const auto u = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    for (py::ssize_t k = 0; k < u.size(); ++k) check(u.data()[k], k);
  } else {
    const auto i = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
    for (py::ssize_t k = 0; k < i.size(); ++k) check(i.data()[k], k);
  }
  return out;
}
/// The shape of `a` as messages write it ("(8, 2)", "(4,)": npy::shape_text).
inline std::string shape_of(const py::array& a) {
  return npy::shape_text(std::vector<std::uint64_t>(a.shape(), a.shape() + a.ndim()));
}

/// The entries of an optional array (None: empty).
inline std::vector<double> optional_vector(const std::optional<DoubleArray>& a) {
  return a ? to_vector<double>(*a) : std::vector<double>{};
}

/// Runs f() without the GIL (after the arguments were converted with it).
template <class F>
auto without_gil(F&& f) -> decltype(f()) {
  py::gil_scoped_release release;
  return f();
}

/// `cls.name`: a read-only numpy view of the member vector `member` (1-d).
template <class C, class T, class... Extra>
void def_view(py::class_<C, Extra...>& cls, const char* name, std::vector<T> C::*member, const char* doc) {
  cls.def_property_readonly(
      name, [member](const py::object& self) { return view(self, self.cast<const C&>().*member); }, doc);
}

/// `cls.name`: a read-only numpy copy of the member vector `member` (1-d). For the arrays of model
/// and configuration classes, which are reachable through read-write attributes (`m.input.T`):
/// assigning `m.input = ...` frees the vector a view would point into.
/// `shape(self)`, where given, is the copy's shape.
template <class C, class T, class Shape, class... Extra>
void def_copy(py::class_<C, Extra...>& cls, const char* name, std::vector<T> C::*member, Shape shape, const char* doc) {
  cls.def_property_readonly(
      name,
      [member, shape](const C& self) {
        py::array_t<T> a = to_array(std::vector<T>(self.*member), shape(self));
        a.attr("flags").attr("writeable") = false;
        return a;
      },
      doc);
}
template <class C, class T, class... Extra>
void def_copy(py::class_<C, Extra...>& cls, const char* name, std::vector<T> C::*member, const char* doc) {
  def_copy(cls, name, member, [](const C&) { return std::vector<py::ssize_t>{}; }, doc);
}

/// `cls.name`: a read-only numpy view of `member` with the shape `shape(self)` returns.
template <class C, class T, class Shape, class... Extra>
void def_view(py::class_<C, Extra...>& cls, const char* name, std::vector<T> C::*member, Shape shape, const char* doc) {
  cls.def_property_readonly(
      name,
      [member, shape](const py::object& self) {
        const C& c = self.cast<const C&>();
        return view(self, c.*member, shape(c));
      },
      doc);
}

/// One attribute of a class: its Python name, the member it reads (and, read-write, sets) and, where
/// given, its docstring.
template <class C, class T>
struct Field {
  const char* name;
  T C::*member;
  const char* doc = nullptr;
};

template <class C, class T>
Field<C, T> field(const char* name, T C::*member, const char* doc = nullptr) {
  return Field<C, T>{name, member, doc};
}

/// One keyword argument of an options class's constructor that is also a read-write attribute of
/// the class (the Field): its default and, where given, how signatures show the default ("'auto'"
/// for an enum).
template <class C, class T>
struct Keyword : Field<C, T> {
  T value;
  const char* shown = nullptr;
};

template <class C, class T, class V>
Keyword<C, T> keyword(const char* name, T C::*member, V&& value, const char* shown = nullptr,
                      const char* doc = nullptr) {
  return Keyword<C, T>{{name, member, doc}, T(std::forward<V>(value)), shown};
}

/// The attribute `f` of `cls`: read-write, or read-only with `readonly`.
template <class C, class... Extra, class T>
void def_attribute(py::class_<C, Extra...>& cls, const Field<C, T>& f, bool readonly = false) {
  if (readonly) {
    cls.def_readonly(f.name, f.member, f.doc);
  } else {
    cls.def_readwrite(f.name, f.member, f.doc);
  }
}

/// The read-only attributes `fields` of `cls`.
template <class C, class... Extra, class... T>
py::class_<C, Extra...>& def_readonly(py::class_<C, Extra...>& cls, const Field<C, T>&... fields) {
  (def_attribute(cls, fields, /*readonly=*/true), ...);
  return cls;
}

/// The read-write attributes `fields` of `cls`.
template <class C, class... Extra, class... T>
py::class_<C, Extra...>& def_readwrite(py::class_<C, Extra...>& cls, const Field<C, T>&... fields) {
  (def_attribute(cls, fields), ...);
  return cls;
}

/// The keyword-only constructor C(*, name=default, ...) that sets every member of `keywords`, and
/// their read-write attributes.
template <class C, class... Extra, class... T>
void def_keywords(py::class_<C, Extra...>& cls, const Keyword<C, T>&... keywords) {
  cls.def(py::init([members = std::make_tuple(keywords.member...)](T... values) {
            C c;
            std::apply([&](auto... member) { ((c.*member = std::move(values)), ...); }, members);
            return c;
          }),
          py::kw_only(), py::arg_v(keywords.name, keywords.value, keywords.shown)...);
  (def_attribute(cls, keywords), ...);
}

/// A list of Python objects referring to the elements of `items` (owned by `owner`, kept alive).
template <class T>
py::list element_list(const py::object& owner, const std::vector<T>& items) {
  py::list out;
  for (const T& item : items) out.append(py::cast(&item, py::return_value_policy::reference_internal, owner));
  return out;
}

/// An enum value given by name in Python: an enumerator's C++ name or its configuration name
/// (netrl::EnumNames); `field` (set by def_enum) names the error.
template <class E>
struct PyEnumNames {
  static inline std::string field;
  static E parse(const std::string& s) {
    for (const EnumName<E>& e : netrl::EnumNames<E>::table)
      if (s == e.member || s == e.name) return e.value;
    throw InvalidInput(field, "unknown name \"" + s + "\" (known: " + known_names<E>() + ")");
  }
};

/// An enum whose values can also be given by name: every enumerator of the library's table
/// (netrl/core/enum_names.hpp) by its C++ name and by its configuration name ("auto" for
/// Backend::automatic), wherever the enum is expected (the type caster below); an unknown name is
/// an InvalidInput naming `field`.
template <class E>
py::enum_<E> def_enum(py::module_& m, const char* name, const char* field, const char* doc) {
  py::enum_<E> e(m, name, doc);
  using N = PyEnumNames<E>;
  N::field = field;
  for (const EnumName<E>& entry : netrl::EnumNames<E>::table) e.value(entry.member, entry.value);
  e.def(py::init(&N::parse), py::arg("name"));
  // Before pybind11's own int constructor, which takes any integer (Method(99) then ran as the
  // default method): only the enumerators' values.
  e.def(py::init([](long long v) {
          for (const EnumName<E>& entry : netrl::EnumNames<E>::table)
            if (static_cast<long long>(entry.value) == v) return entry.value;
          throw InvalidInput(N::field, "value " + std::to_string(v) + " is none of the known values (" +
                                           known_names<E>() + ")");
        }),
        py::arg("value"), py::prepend());
  // str() gives the configuration's name ("host"), replacing the enum's "Backend.host".
  e.attr("__str__") =
      py::cpp_function([](E v) { return std::string(to_string(v)); }, py::name("__str__"), py::is_method(e));
  return e;
}

}  // namespace netrl::python

namespace pybind11::detail {

/// Enum arguments accept the enum or one of its names (PyEnumNames); an unknown name raises
/// netrl.InvalidInput from the call instead of a TypeError about overloads.
template <class E>
struct named_enum_caster : type_caster_base<E> {
  E parsed{};
  bool load(handle src, bool convert) {
    if (isinstance<str>(src)) {
      parsed = netrl::python::PyEnumNames<E>::parse(src.cast<std::string>());
      this->value = &parsed;
      return true;
    }
    return type_caster_base<E>::load(src, convert);
  }
};

#define NETRL_NAMED_ENUM(E) \
  template <>               \
  struct type_caster<E> : named_enum_caster<E> {};
NETRL_NAMED_ENUM(netrl::PriorMode)
NETRL_NAMED_ENUM(netrl::RewardKind)
NETRL_NAMED_ENUM(netrl::Method)
NETRL_NAMED_ENUM(netrl::Precision)
NETRL_NAMED_ENUM(netrl::Backend)
NETRL_NAMED_ENUM(netrl::ModelKind)
NETRL_NAMED_ENUM(netrl::SamplerKernel)
NETRL_NAMED_ENUM(netrl::InferMethod)
NETRL_NAMED_ENUM(netrl::inverse::RewardModel)
NETRL_NAMED_ENUM(netrl::StateReport)
NETRL_NAMED_ENUM(netrl::ParametricRegression)
#undef NETRL_NAMED_ENUM

}  // namespace pybind11::detail

namespace netrl::python {

// One function per area of the API, each in its own file.
void bind_errors(py::module_& m);
void bind_models(py::module_& m);
void bind_solve(py::module_& m);
/// After bind_models and bind_solve (it adds SolverOptions.parametric and SolveResult.parametric).
void bind_parametric(py::module_& m);
void bind_sample(py::module_& m);
void bind_inverse(py::module_& m);
void bind_predict(py::module_& m);
void bind_infer(py::module_& m);
void bind_scenarios(py::module_& m);
void bind_config(py::module_& m);

}  // namespace netrl::python

namespace pybind11::detail {

template <>
struct type_caster<netrl::python::DoubleArray> {
  PYBIND11_TYPE_CASTER(netrl::python::DoubleArray, handle_type_name<netrl::python::DoubleArray::Base>::name);

  bool load(handle src, bool convert) {
    if (!convert && !isinstance<array>(src)) return false;
    const array a = array::ensure(src);
    if (!a) return false;
    const char kind = a.dtype().kind();
    if (kind != 'b' && kind != 'i' && kind != 'u' && kind != 'f') return false;  // a TypeError names the call
    auto converted = netrl::python::DoubleArray::Base::ensure(a);
    if (!converted) return false;
    value = netrl::python::DoubleArray(std::move(converted));
    return true;
  }

  static handle cast(const netrl::python::DoubleArray& src, return_value_policy, handle) {
    return src.inc_ref();
  }
};

}  // namespace pybind11::detail
