// The JSON configurations of the netrl tool (docs/config-*.md), from files or from Python objects:
// a configuration is a dict (or a JSON string) exactly as the file would hold it.
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace netrl::python {

namespace {

/// A configuration given as a JSON string or as a Python object that json.dumps accepts.
nlohmann::json to_json(const py::object& config) {
  std::string text;
  if (py::isinstance<py::str>(config)) {
    text = config.cast<std::string>();
  } else {
    // numpy scalars and arrays as their Python values (json.dumps refused them with a TypeError);
    // NaN and infinities refused here (json.dumps writes them as bare words JSON does not have).
    const py::cpp_function plain([](const py::object& o) -> py::object {
      if (py::hasattr(o, "tolist")) return o.attr("tolist")();
      throw py::type_error("a configuration holds numbers, strings, lists and dicts; got " +
                           std::string(py::str(py::type::of(o).attr("__name__"))));
    });
    try {
      text = py::module_::import("json").attr("dumps")(config, py::arg("allow_nan") = false, py::arg("default") = plain)
                 .cast<std::string>();
    } catch (const py::error_already_set& e) {
      if (!e.matches(PyExc_ValueError)) throw;
      throw InvalidInput("config", "holds a NaN or an infinite number, which JSON (and so a configuration) has no "
                                   "way to write: " + std::string(e.what()));
    }
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidInput("config", std::string("not valid JSON: ") + e.what());
  }
}

/// A parse function of netrl/config.hpp (JSON and the configuration's path) taking a Python
/// configuration instead.
template <class Result>
auto from_python(Result (*parse)(const nlohmann::json&, const std::string&)) {
  return
      [parse](const py::object& config, const std::string& source_path) { return parse(to_json(config), source_path); };
}

constexpr const char* kParseDoc =
    " `config`: a dict (or JSON string) as the configuration file would hold; relative file names are resolved "
    "against the directory of `source_path` (empty: the working directory). Raises InvalidInput naming the "
    "field ('solver.tol'), IoError for unreadable files.";

/// load_<name>(path), a configuration file read without the GIL, and parse_<name>(config,
/// source_path), the same configuration from a Python object.
template <class Result>
void def_load_parse(py::module_& m, const std::string& name, Result (*load)(const std::string&),
                    Result (*parse)(const nlohmann::json&, const std::string&), const char* load_doc,
                    const std::string& parse_doc) {
  m.def(("load_" + name).c_str(), load, py::arg("path"), py::call_guard<py::gil_scoped_release>(), load_doc);
  m.def(("parse_" + name).c_str(), from_python(parse), py::arg("config"), py::arg("source_path") = "",
        (parse_doc + kParseDoc).c_str());
}

}  // namespace

void bind_config(py::module_& m) {
  def_load_parse(m, "problem", &load_problem, &parse_problem, "A `netrl solve` configuration file as a Problem.",
                 "A `netrl solve` configuration as a Problem.");

  using S = SampleConfig;
  py::class_<S> sample(m, "SampleConfig", "A `netrl sample` configuration: the model, policy and options.");
  def_readwrite(sample, field("model", &S::model), field("has_reward", &S::has_reward), field("policy", &S::policy),
                field("policy_json", &S::policy_json), field("options", &S::options), field("source", &S::source));
  def_load_parse(m, "sample_config", &load_sample_config, &parse_sample_config,
                 "A `netrl sample` configuration file (the policy's files are read).",
                 "A `netrl sample` configuration.");

  using I = InferConfig;
  py::class_<I> infer(m, "InferConfig", "A `netrl infer` configuration: the settings and where the data are.");
  def_readwrite(infer, field("settings", &I::settings), field("solution_dir", &I::solution_dir),
                field("samples_dir", &I::samples_dir), field("raster_path", &I::raster_path),
                field("inputs_path", &I::inputs_path));
  def_load_parse(m, "infer_config", &load_infer_config, &parse_infer_config, "A `netrl infer` configuration file.",
                 "A `netrl infer` configuration.");
  m.def("load_infer_data", &load_infer_data, py::arg("config"), py::call_guard<py::gil_scoped_release>(),
        "Reads the data an InferConfig names and checks them against its model (errors name 'data.solution', "
        "'data.samples', 'data.raster', 'data.inputs').");
}

}  // namespace netrl::python
