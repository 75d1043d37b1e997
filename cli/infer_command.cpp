// `netrl infer`: inverse RL from a configuration, or a built-in scenario.
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "netrl/config.hpp"
#include "netrl/core/error.hpp"
#include "netrl/io/inference.hpp"
#include "netrl/io/ring12.hpp"
#include "netrl/scenarios.hpp"
#include "netrl/solve.hpp"

namespace netrl::cli {

namespace {

void print_summary(const InferResult& r) {
  std::cout << "netrl infer: " << r.source << "\n";
  std::cout << "  method " << to_string(r.method) << ", lambda " << fmt(r.lambda) << ", missing states "
            << (r.model == ModelKind::network ? r.network.missing : 0) << ", " << (r.converged ? "converged" : "NOT CONVERGED") << "\n";
  if (r.has_comparison) {
    std::cout << "  vs true reward: r^2 = " << fmt(r.comparison.r2, "%.12f")
              << ", max |error| = " << fmt(r.comparison.max_abs_error, "%.3e") << " over " << r.comparison.compared
              << " states\n";
  }
  for (const auto& p : r.predictions) {
    if (p.failed) {
      std::cout << "  predict \"" << p.spec.name << "\": failed: " << p.error << "\n";
      continue;
    }
    std::cout << "  predict \"" << p.spec.name << "\": lambda " << fmt(p.result.predicted.lambda);
    if (p.result.has_reference && std::isfinite(p.result.kl_stationary)) {
      std::cout << ", KL stationary " << fmt(p.result.kl_stationary, "%.3e");
    }
    if (p.result.has_reference && r.model == ModelKind::network && std::isfinite(p.result.kl_spike_count)) {
      std::cout << ", KL spike count " << fmt(p.result.kl_spike_count, "%.3e");
    }
    std::cout << "\n";
  }
}

int run_sample_size(const InferArgs& args, Backend backend) {
  SampleSizeOptions so;
  if (!args.sizes.empty()) so.sizes = args.sizes;
  so.repeats = args.repeats;
  so.seed = args.seed;
  so.predictions = args.predictions;
  so.backend = backend;
  so.progress = true;
  const auto out = open_output(args.out);
  const SampleSizeResult result = count8_from_samples(so);
  if (out) io::write_sample_size(*out, result);
  std::cout << "netrl infer: scenario count8-samples (" << so.repeats << " repeats)\n";
  for (const SampleSizeSummary& row : summarize(result)) {
    std::cout << "  T = " << row.T << ": r^2 = " << fmt(row.r2_mean, "%.4f") << " +- " << fmt(row.r2_sem, "%.4f");
    for (std::size_t p = 0; p < row.predictions.size(); ++p) {
      std::cout << ", KL(" << result.prediction_names[p] << ") = " << fmt(row.predictions[p].kl_spike_count_mean, "%.3e");
    }
    std::cout << "\n";
  }
  if (!args.out.empty()) std::cout << "  wrote " << args.out << "/result.json\n";
  return 0;
}

int run_ring12(const InferArgs& args, Backend backend) {
  Ring12Options o = args.quick ? ring12_quick_options() : Ring12Options{};
  o.seed = args.seed;
  o.backend = backend;
  o.predict = args.predictions;
  o.progress = [](const std::string& line) { std::cerr << "  " << line << "\n"; };
  const Ring12Result r = ring12_experiment(o);
  std::cout << "netrl infer: scenario ring12 (figs. 5 and 6)" << (args.quick ? " quick" : "") << ", " << fmt(r.elapsed_seconds, "%.1f") << " s\n";
  bool converged = true;
  for (const auto& s : r.settings) {
    const ParametricSolution& p = *s.result.parametric;
    converged = converged && s.result.converged;
    std::cout << "  " << s.name << ": exact gain of the learned policy " << fmt(p.exact_gain, "%.5f")
              << ", best pairwise policy " << fmt(s.best_quadratic_gain, "%.5f") << " ("
              << fmt(100.0 * p.exact_gain / s.best_quadratic_gain, "%.1f") << "%), optimum " << fmt(s.optimum_gain, "%.5f")
              << "; J(d = 1..6) =";
    for (std::size_t d = 1; d < s.profile.mean.size(); ++d) std::cout << " " << fmt(s.profile.mean[d], "%.3g");
    std::cout << "\n";
  }
  for (const InferResult& m : r.models) {
    converged = converged && m.converged;
    std::cout << "  reward model " << m.network.method << ": r^2 = " << fmt(m.comparison.r2, "%.4f");
    for (const auto& p : m.predictions) {
      std::cout << ", KL(" << p.spec.name << ") = " << (p.failed ? std::string("failed") : fmt(p.result.kl_spike_count, "%.3e"));
    }
    std::cout << "\n";
  }
  if (!args.out.empty()) {
    io::write_ring12(args.out, r);
    std::cout << "  wrote " << args.out << "/result.json\n";
  }
  return converged ? 0 : 3;
}

}  // namespace

Backend parse_backend_option(const std::string& name, const std::string& option) {
  if (name.empty()) return Backend::automatic;
  if (name == "host") return Backend::host;
  if (name == "cuda") return Backend::cuda;
  if (name == "reference") return Backend::reference;
  throw InvalidInput(option, "unknown backend \"" + name + "\" (known: host, cuda, reference)");
}

int run_infer(const InferArgs& args) {
  const Backend backend = parse_backend_option(args.backend, "--backend");
  if (args.scenario == "count8-samples") return run_sample_size(args, backend);
  if (args.scenario == "ring12") return run_ring12(args, backend);
  InferResult result;
  std::unique_ptr<io::OutputDir> out;
  if (!args.config.empty()) {
    const InferConfig c = load_infer_config(args.config);
    const InferData d = load_infer_data(c);
    out = open_output(args.out);
    result = infer(c.settings, d);
  } else {
    const InferSettings settings = infer_scenario(args.scenario, backend);
    out = open_output(args.out);
    const SolveResult exact = solve(settings.problem);
    result = infer(settings, InferData::from_solution(settings.problem, exact));
  }
  print_summary(result);
  if (out) {
    io::write_inference(*out, result);
    std::cout << "  wrote " << args.out << "/result.json\n";
  }
  if (!result.converged) {
    std::cerr << "netrl infer: an optimiser or forward solve did not reach its tolerance; see \"converged\" and "
                 "\"notes\" in result.json\n";
    return 3;
  }
  return 0;
}

}  // namespace netrl::cli
