// Built-in sweeps of `netrl sweep --preset` (docs/sweeps.md).
#include <nlohmann/json.hpp>

#include "netrl/core/error.hpp"
#include "netrl/sweep.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sweep {

namespace {

using nlohmann::json;

json flip_matrix(double p) { return json::array({json::array({1.0 - p, p}), json::array({p, 1.0 - p})}); }

}  // namespace

std::vector<std::string> preset_names() { return {"fig3", "count8-grid"}; }

json preset(const std::string& name) {
  if (name == "fig3") {
    // Fig. 3A, 3C-D: r^2 of the reward inferred from T samples and the KLs of its predictions,
    // 20 repeats per T with derived seeds (count8_samples_row, as `netrl infer --scenario
    // count8-samples`).
    return {{"command", "count8-samples"},
            {"base", {{"predictions", true}, {"backend", "auto"}, {"T", 1000}}},
            {"axes", json::array({{{"key", "T"}, {"values", {1000, 3000, 10000, 30000, 100000, 300000, 1000000}}}})},
            {"repeats", {{"count", 20}, {"seed_key", "seed"}, {"seed", 1}}}};
  }
  if (name == "count8-grid") {
    // The count8 network over 10 coding-cost weights and 3 input flip probabilities.
    json base = {{"model", "network"},
                 {"n", 8},
                 {"input", {{"T", flip_matrix(0.02)}}},
                 {"reward", {{"kind", "count"}, {"targets", {2, 6}}}},
                 {"lambda", 0.114},
                 {"prior", "population"},
                 {"solver", {{"backend", "host"}}}};
    return {{"command", "solve"},
            {"base", base},
            {"axes", json::array({{{"key", "lambda"}, {"linspace", {0.05, 0.5, 10}}},
                                  {{"key", "input.T"}, {"values", {flip_matrix(0.01), flip_matrix(0.02), flip_matrix(0.03)}}}})}};
  }
  std::string known;
  for (const auto& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
  throw InvalidInput("preset", "unknown sweep preset \"" + name + "\" (known: " + known + ")");
}

}  NETRL_NAMESPACE_END  // namespace netrl::sweep
