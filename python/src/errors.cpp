// C++ errors as Python exceptions: netrl.Error (a RuntimeError) and one class per kind.
// InvalidInput becomes netrl.InvalidInput, a ValueError whose message starts with the field and
// whose `field` attribute holds it; the others netrl.NumericalError, netrl.BackendError and
// netrl.IoError (also an OSError).
#include "common.hpp"

namespace netrl::python {

namespace {

/// A new exception class netrl.<name> with the given bases, added to the module. The reference
/// returned is never released: the class lives until the process ends (as the module does), and
/// the translator may still need it while the interpreter shuts down.
py::handle new_exception(py::module_& m, const char* name, const py::tuple& bases, const char* doc) {
  const std::string qualified = std::string("netrl.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!cls) throw py::error_already_set();
  m.attr(name) = py::handle(cls);
  return cls;
}

/// Raises an instance of `cls` built from `message`, with the attributes in `attrs`.
void raise(py::handle cls, const std::string& message, const py::dict& attrs = py::dict()) {
  py::object e = cls(message);
  for (auto item : attrs) py::setattr(e, item.first, item.second);
  PyErr_SetObject(cls.ptr(), e.ptr());
}

}  // namespace

void bind_errors(py::module_& m) {
  const auto builtins = py::module_::import("builtins");
  static py::handle error, invalid, numerical, backend, io;
  error = new_exception(m, "Error", py::make_tuple(builtins.attr("RuntimeError")),
                        "Base class of every error netrl raises.");
  invalid = new_exception(m, "InvalidInput", py::make_tuple(error, builtins.attr("ValueError")),
                          "Bad input: the message starts with the field (e.g. 'solver.tol: ...') and names the "
                          "bound; the attribute `field` holds the field.");
  numerical = new_exception(m, "NumericalError", py::make_tuple(error),
                            "A numerical procedure did not reach its tolerance or met a singular system.");
  backend = new_exception(m, "BackendError", py::make_tuple(error),
                          "A backend failure (CUDA, or a backend that is not built in or has no device).");
  io = new_exception(m, "IoError", py::make_tuple(error, builtins.attr("OSError")),
                     "A file that cannot be read, parsed or written.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InvalidInput& e) {
      py::dict attrs;
      attrs["field"] = e.field();
      raise(invalid, e.what(), attrs);
    } catch (const NumericalError& e) {
      raise(numerical, e.what());
    } catch (const BackendError& e) {
      raise(backend, e.what());
    } catch (const IoError& e) {
      raise(io, e.what());
    } catch (const Error& e) {
      raise(error, e.what());
    }
  });
}

}  // namespace netrl::python
