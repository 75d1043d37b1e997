// The extension module netrl._netrl: the netrl C++ API for Python (docs/python.md). One file per
// area of the API; the package netrl (python/netrl/__init__.py) re-exports it. The binding is
// thin: it converts arrays and names, and every computation is the C++ library's.
#include "common.hpp"

PYBIND11_MODULE(_netrl, m) {
  namespace np = netrl::python;
  m.doc() = "netrl: information-constrained average-reward RL on networks of binary neurons (C++ engine).";
  m.attr("__version__") = NETRL_VERSION;
  np::bind_errors(m);
  np::bind_models(m);
  np::bind_solve(m);
  np::bind_parametric(m);
  np::bind_sample(m);
  auto inverse = m.def_submodule(
      "inverse", "Inverse RL, method by method (docs/model.md, 'Inverse RL'); netrl.infer runs them as one run.");
  np::bind_inverse(inverse);
  np::bind_predict(inverse);
  np::bind_infer(m);
  np::bind_scenarios(m);
  np::bind_config(m);
}
