// The JSON configurations of the netrl tool (docs/config-*.md), from files or from Python objects:
// a configuration is a dict (or a JSON string) exactly as the file would hold it.
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace netrl::python {

namespace {

/// A configuration given as a JSON string or as a Python object that json.dumps accepts.
nlohmann::json to_json(const py::object& config) {
  const std::string text = py::isinstance<py::str>(config)
                               ? config.cast<std::string>()
                               : py::module_::import("json").attr("dumps")(config).cast<std::string>();
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

}  // namespace

void bind_config(py::module_& m) {
  m.def("load_problem", &load_problem, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
        "A `netrl solve` configuration file as a Problem.");
  m.def("parse_problem", from_python(&parse_problem), py::arg("config"), py::arg("source_path") = "",
        (std::string("A `netrl solve` configuration as a Problem.") + kParseDoc).c_str());

  py::class_<SampleConfig>(m, "SampleConfig", "A `netrl sample` configuration: the model, policy and options.")
      .def_readwrite("model", &SampleConfig::model)
      .def_readwrite("has_reward", &SampleConfig::has_reward)
      .def_readwrite("policy", &SampleConfig::policy)
      .def_readwrite("policy_json", &SampleConfig::policy_json)
      .def_readwrite("options", &SampleConfig::options)
      .def_readwrite("source", &SampleConfig::source);
  m.def("load_sample_config", &load_sample_config, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
        "A `netrl sample` configuration file (the policy's files are read).");
  m.def("parse_sample_config", from_python(&parse_sample_config), py::arg("config"), py::arg("source_path") = "",
        (std::string("A `netrl sample` configuration.") + kParseDoc).c_str());

  py::class_<InferConfig>(m, "InferConfig", "A `netrl infer` configuration: the settings and where the data are.")
      .def_readwrite("settings", &InferConfig::settings)
      .def_readwrite("solution_dir", &InferConfig::solution_dir)
      .def_readwrite("samples_dir", &InferConfig::samples_dir)
      .def_readwrite("raster_path", &InferConfig::raster_path)
      .def_readwrite("inputs_path", &InferConfig::inputs_path);
  m.def("load_infer_config", &load_infer_config, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
        "A `netrl infer` configuration file.");
  m.def("parse_infer_config", from_python(&parse_infer_config), py::arg("config"), py::arg("source_path") = "",
        (std::string("A `netrl infer` configuration.") + kParseDoc).c_str());
  m.def("load_infer_data", &load_infer_data, py::arg("config"), py::call_guard<py::gil_scoped_release>(),
        "Reads the data an InferConfig names and checks them against its model (errors name 'data.solution', "
        "'data.samples', 'data.raster', 'data.inputs').");
}

}  // namespace netrl::python
