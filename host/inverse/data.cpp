// Observations for the inverse problem: rasters, counts, expected counts of an exact solution,
// the greedy policy in logit form, and counts in the layout of the chain sampler.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "netrl/core/error.hpp"
#include "netrl/core/hd.hpp"
#include "netrl/inverse.hpp"
#include "inverse/detail.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/io/npy.hpp"
#include "netrl/sample.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace inverse {

using detail::log_sigmoid;
using detail::logit;
using detail::sigmoid;

namespace {

void check_tabular_size(const NetworkModel& model, const std::string& field) {
  if (model.n > kMaxTabularNeurons) {
    throw InvalidInput(field, "the tabular inverse keeps counts over the m * 2^n states; n = " + std::to_string(model.n) +
                                  " exceeds its limit " + std::to_string(kMaxTabularNeurons));
  }
}

/// A raster of `count` entries read through visit(fn), which calls fn(k, v) for every entry, v as
/// float64: its shape checked first, then its entries, as bytes.
template <class Visit>
Raster checked_raster(const std::vector<std::uint64_t>& shape, std::uint64_t count, const Visit& visit,
                      const std::vector<double>& inputs, const std::vector<std::uint64_t>& input_shape,
                      const NetworkModel& model) {
  if (shape.size() != 2) {
    throw InvalidInput("raster", "a raster must be a 2-d array of shape (T, n) = (steps, " + std::to_string(model.n) +
                                     "), got shape " + npy::shape_text(shape));
  }
  if (shape[0] == 0) throw InvalidInput("raster", "the raster is empty (T = 0 rows)");
  if (shape[1] != static_cast<std::uint64_t>(model.n)) {
    throw InvalidInput("raster", "the raster has " + std::to_string(shape[1]) + " columns; the model has n = " +
                                     std::to_string(model.n) + " neurons (shape must be (T, n))");
  }
  if (count != shape[0] * shape[1]) {
    throw InvalidInput("raster", "the raster holds " + std::to_string(count) + " entries; its shape " +
                                     npy::shape_text(shape) + " needs " + std::to_string(shape[0] * shape[1]));
  }
  Raster r;
  r.steps = shape[0];
  r.n = model.n;
  r.states.resize(count);
  visit([&](std::uint64_t k, double v) {
    if (!(v == 0.0 || v == 1.0)) {
      std::ostringstream os;
      os << "entry [" << k / shape[1] << ", " << k % shape[1] << "] = " << number_text(v)
         << " is not binary; a raster holds 0 (silent) or 1 (active)";
      throw InvalidInput("raster", os.str());
    }
    r.states[k] = static_cast<std::uint8_t>(v);
  });
  if (input_shape.empty()) {
    if (model.m() > 1) {
      throw InvalidInput("inputs", "the model has m = " + std::to_string(model.m()) +
                                       " input values: the raster needs its input sequence, one index per step");
    }
    return r;
  }
  if (input_shape.size() != 1 && !(input_shape.size() == 2 && input_shape[1] == 1)) {
    throw InvalidInput("inputs", "an input sequence must be a 1-d array of length T = " + std::to_string(r.steps) +
                                     ", got shape " + npy::shape_text(input_shape));
  }
  if (inputs.size() != r.steps) {
    throw InvalidInput("inputs", "the input sequence has " + std::to_string(inputs.size()) + " entries; the raster has T = " +
                                     std::to_string(r.steps) + " steps");
  }
  r.inputs.resize(inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const double x = inputs[k];
    if (!(x >= 0.0 && x < model.m() && std::floor(x) == x)) {
      std::ostringstream os;
      os << "entry [" << k << "] = " << x << " is not an input index in [0, m - 1 = " << model.m() - 1 << "]";
      throw InvalidInput("inputs", os.str());
    }
    r.inputs[k] = static_cast<std::uint32_t>(x);
  }
  return r;
}

}  // namespace

Raster make_raster(const std::vector<double>& states, const std::vector<std::uint64_t>& shape,
                   const std::vector<double>& inputs, const std::vector<std::uint64_t>& input_shape,
                   const NetworkModel& model) {
  const auto visit = [&](const auto& fn) {
    for (std::uint64_t k = 0; k < states.size(); ++k) fn(k, states[k]);
  };
  return checked_raster(shape, states.size(), visit, inputs, input_shape, model);
}

Raster make_raster(const npy::Array& states, const std::vector<double>& inputs,
                   const std::vector<std::uint64_t>& input_shape, const NetworkModel& model) {
  const auto visit = [&](const auto& fn) { npy::for_each_value(states, "raster", fn); };
  return checked_raster(states.shape, states.size(), visit, inputs, input_shape, model);
}

void detail::check_clamps(const std::uint8_t* row, std::uint64_t t, const NetworkModel& model) {
  for (const auto& c : model.clamps) {
    const int bit = row[c.neuron] ? 1 : 0;
    if (bit != (c.state > 0 ? 1 : 0)) {
      throw InvalidInput("raster", "row " + std::to_string(t) + ": neuron " + std::to_string(c.neuron) + " is " +
                                       (bit ? "active" : "silent") + " but the model clamps it " +
                                       (c.state > 0 ? "active" : "silent"));
    }
  }
}

void detail::check_raster(const Raster& raster, const NetworkModel& model) {
  const int n = model.n, m = model.m();
  if (raster.n != n) {
    throw InvalidInput("raster", "the raster has " + std::to_string(raster.n) + " columns; the model has n = " +
                                              std::to_string(n));
  }
  if (raster.steps == 0) throw InvalidInput("raster", "the raster is empty (T = 0 rows)");
  if (raster.states.size() != raster.steps * static_cast<std::uint64_t>(n)) {
    throw InvalidInput("raster", "the raster holds " + std::to_string(raster.states.size()) +
                                              " entries, expected T * n = " + std::to_string(raster.steps * n));
  }
  if (m > 1 && raster.inputs.empty()) {
    throw InvalidInput("inputs", "the model has an input (m = " + std::to_string(m) +
                                              "); give the input sequence (\"inputs\": .npy of length T)");
  }
  if (!raster.inputs.empty() && raster.inputs.size() != raster.steps) {
    throw InvalidInput("inputs", "the input sequence has length " + std::to_string(raster.inputs.size()) +
                                              "; the raster has T = " + std::to_string(raster.steps) + " rows");
  }
  for (std::size_t k = 0; k < raster.inputs.size(); ++k) {
    if (raster.inputs[k] >= static_cast<std::uint32_t>(m)) {
      throw InvalidInput("inputs", "entry [" + std::to_string(k) + "] = " +
                                                std::to_string(raster.inputs[k]) + " is not in [0, m - 1 = " +
                                                std::to_string(m - 1) + "]");
    }
  }
}

NetworkData count_raster(const Raster& raster, const NetworkModel& model, bool require_single_flips) {
  check_tabular_size(model, "n");
  detail::check_raster(raster, model);
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states();
  NetworkData d;
  d.n = n;
  d.m = m;
  d.visits.assign(nb * m, 0.0);
  d.transitions.assign(nb * m * (n + 1), 0.0);
  std::uint64_t prev = 0;
  for (std::uint64_t t = 0; t < raster.steps; ++t) {
    std::uint64_t b = 0;
    const std::uint8_t* row = raster.states.data() + t * n;
    for (int i = 0; i < n; ++i)
      if (row[i]) b |= std::uint64_t{1} << i;
    if (!model.consistent(b)) detail::check_clamps(row, t, model);
    const int x = raster.inputs.empty() ? 0 : static_cast<int>(raster.inputs[t]);
    const std::uint64_t s = static_cast<std::uint64_t>(x) * nb + b;
    d.visits[s] += 1.0;
    if (t > 0) {
      const std::uint64_t pb = prev % nb;
      const std::uint64_t diff = pb ^ b;
      const int flips = popcount64(diff);
      if (flips > 1) {
        if (require_single_flips) {
          throw InvalidInput("raster", "rows " + std::to_string(t - 1) + " -> " + std::to_string(t) +
                                                    " change " + std::to_string(flips) +
                                                    " neurons; the model's dynamics change at most one neuron per "
                                                    "step (docs/model.md), so this method cannot use the "
                                                    "transitions (the closed form uses the states only)");
        }
        ++d.multi_flips;
      } else {
        const int j = flips == 0 ? n : __builtin_ctzll(diff);
        d.transitions[prev * (n + 1) + j] += 1.0;
      }
    }
    prev = s;
  }
  d.total = static_cast<double>(raster.steps);
  return d;
}

NetworkData expected_data(const NetworkModel& model, const std::vector<double>& values,
                          const std::vector<double>& stationary, const std::vector<double>& prior, double total) {
  check_tabular_size(model, "n");
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * m;
  if (stationary.size() != N || values.size() != N) {
    throw InvalidInput("data.solution", "values and stationary distribution need m * 2^n = " + std::to_string(N) +
                                            " entries");
  }
  if (!(total > 0.0) || !std::isfinite(total)) {
    throw InvalidInput("total", "the number of expected samples " + number_text(total) + " must be finite and > 0");
  }
  for (std::size_t s = 0; s < N; ++s) {
    if (!(stationary[s] >= 0.0) || !std::isfinite(stationary[s])) {
      throw InvalidInput("data.solution", "stationary entry " + std::to_string(s) + " = " +
                                              number_text(stationary[s]) + " is not a probability");
    }
  }
  const auto logits = policy_logits(model, values, prior, model.lambda);
  const auto free = model.free_neurons();
  const double nf = static_cast<double>(free.size());
  NetworkData d;
  d.n = n;
  d.m = m;
  d.exact = true;
  d.visits.assign(N, 0.0);
  d.transitions.assign(N * (n + 1), 0.0);
  for (std::uint64_t s = 0; s < N; ++s) {
    if (!model.consistent(s % nb)) continue;
    const double mass = total * stationary[s];
    d.visits[s] = mass;
    double stay = 0.0;
    for (int i : free) {
      const bool on = ((s % nb) >> i) & 1;
      const double z = logits[s * n + i];
      const double flip = on ? sigmoid(-z) : sigmoid(z);
      d.transitions[s * (n + 1) + i] = mass * flip / nf;
      stay += (1.0 - flip) / nf;
    }
    d.transitions[s * (n + 1) + n] = mass * stay;
  }
  d.total = total;
  return d;
}

namespace {

/// The prior from the spikes counted per neuron over `total` samples.
std::vector<double> prior_from_counts(const NetworkModel& model, const std::vector<double>& active, double total,
                                      double eps) {
  if (!(total > 0.0)) throw InvalidInput("data", "no observations");
  const auto free = model.free_neurons();
  std::vector<double> p(model.n, std::numeric_limits<double>::quiet_NaN());
  double mean = 0.0;
  for (int i : free) {
    p[i] = active[i] / total;
    mean += p[i];
  }
  mean /= static_cast<double>(free.size());
  for (int i : free) {
    if (model.prior_mode == PriorMode::population) p[i] = mean;
    p[i] = std::clamp(p[i], eps, 1.0 - eps);
  }
  return p;
}

}  // namespace

namespace {

void check_prior_eps(double eps) {
  if (!(eps > 0.0 && eps < 0.5)) throw InvalidInput("eps", "the clip " + number_text(eps) + " must lie in (0, 0.5)");
}

}  // namespace

std::vector<double> firing_prior(const NetworkModel& model, const NetworkData& data, double eps) {
  check_prior_eps(eps);
  detail::check_observations(model, data);
  const std::uint64_t nb = model.num_network_states();
  const auto free = model.free_neurons();
  std::vector<double> active(model.n, 0.0);
  double total = 0.0;
  for (std::uint64_t s = 0; s < data.visits.size(); ++s) {
    const double c = data.visits[s];
    if (c == 0.0) continue;
    total += c;
    const std::uint64_t b = s % nb;
    for (int i : free)
      if ((b >> i) & 1) active[i] += c;
  }
  return prior_from_counts(model, active, total, eps);
}

std::vector<double> firing_prior(const NetworkModel& model, const VisitedStates& data, double eps) {
  check_prior_eps(eps);
  if (data.n != model.n) {
    throw InvalidInput("data", "the visited states are of n = " + std::to_string(data.n) + " neurons; the model has n = " +
                                   std::to_string(model.n));
  }
  std::vector<double> active(model.n, 0.0);
  double total = 0.0;
  for (std::uint64_t k = 0; k < data.size(); ++k) {
    const double c = data.visits[k];
    if (c == 0.0) continue;
    total += c;
    const std::uint8_t* row = data.state(k);
    for (int i = 0; i < model.n; ++i)
      if (row[i]) active[i] += c;
  }
  return prior_from_counts(model, active, total, eps);
}

std::vector<double> policy_logits(const NetworkModel& model, const std::vector<double>& values,
                                  const std::vector<double>& prior, double lambda) {
  model.validate();
  const int n = model.n, m = model.m();
  if (values.size() != model.num_states()) {
    throw InvalidInput("values", std::to_string(values.size()) + " values; the model has m * 2^n = " +
                                     std::to_string(model.num_states()) + " states");
  }
  if (prior.size() != static_cast<std::size_t>(n)) {
    throw InvalidInput("prior", std::to_string(prior.size()) + " entries; expected one per neuron (n = " +
                                    std::to_string(n) + ")");
  }
  if (!(lambda > 0.0) || !std::isfinite(lambda)) throw InvalidInput("lambda", "must be finite and > 0");
  // The result has m 2^n x n entries: refused before it is allocated where it cannot fit.
  const double bytes = static_cast<double>(model.num_states()) * n * sizeof(double);
  if (bytes > 0.9 * static_cast<double>(kernels::host::available_memory())) {
    throw InvalidInput("n", "the logits of n = " + std::to_string(n) + " need " + gib_text(bytes) +
                                ", more than the memory available");
  }
  const std::uint64_t nb = model.num_network_states(), N = nb * m;
  const auto free = model.free_neurons();
  const double temperature = static_cast<double>(free.size()) * lambda;
  // W = V T^T: w(b, x) = sum_x' T(x'|x) v(b, x').
  std::vector<double> w(N, 0.0);
  for (int x = 0; x < m; ++x)
    for (int xp = 0; xp < m; ++xp) {
      const double t = model.input(x, xp);
      if (t == 0.0) continue;
      for (std::uint64_t b = 0; b < nb; ++b)
        if (model.consistent(b)) w[x * nb + b] += t * values[xp * nb + b];
    }
  std::vector<double> logits(N * n, std::numeric_limits<double>::quiet_NaN());
  for (std::uint64_t s = 0; s < N; ++s) {
    const std::uint64_t b = s % nb, base = s - b;
    if (!model.consistent(b)) continue;
    for (int i : free) {
      const std::uint64_t bit = std::uint64_t{1} << i;
      logits[s * n + i] = (w[base + (b | bit)] - w[base + (b & ~bit)]) / temperature + logit(prior[i]);
    }
  }
  return logits;
}

NetworkData sampled_counts(const NetworkModel& model, std::vector<double> histogram, std::vector<double> transitions) {
  const std::string field = "samples";
  check_tabular_size(model, "n");
  const int n = model.n, m = model.m();
  const std::uint64_t nb = model.num_network_states(), N = nb * static_cast<std::uint64_t>(m);
  const auto cols = static_cast<std::uint64_t>(n + 1);
  if (histogram.size() != N) {
    throw InvalidInput(field, "the histogram holds " + std::to_string(histogram.size()) +
                                  " counts; the model has m * 2^n = " + std::to_string(N) + " states (n = " +
                                  std::to_string(n) + ", m = " + std::to_string(m) + ")");
  }
  if (!transitions.empty() && transitions.size() != N * cols) {
    throw InvalidInput(field, "the transition counts hold " + std::to_string(transitions.size()) +
                                  " entries; the model needs (m * 2^n) x (n + 1) = " + std::to_string(N) + " x " +
                                  std::to_string(cols));
  }
  auto check_count = [&](double c, const char* what, std::uint64_t s, std::uint64_t j, bool column) {
    if (std::isfinite(c) && c >= 0.0 && c < 9.0e15 && std::floor(c) == c) return;
    std::ostringstream os;
    os.precision(17);
    os << what << " [" << s;
    if (column) os << ", " << j;
    os << "] = " << c << " is not a count (a non-negative integer)";
    throw InvalidInput(field, os.str());
  };
  const std::uint64_t clamp_mask = model.clamp_mask();
  NetworkData d;
  d.n = n;
  d.m = m;
  for (std::uint64_t s = 0; s < N; ++s) {
    check_count(histogram[s], "histogram", s, 0, false);
    const std::uint64_t b = s % nb;
    if (histogram[s] > 0.0 && !model.consistent(b)) {
      throw InvalidInput(field, "histogram [" + std::to_string(s) + "] counts state b = " + std::to_string(b) +
                                    " (x = " + std::to_string(s / nb) +
                                    "), which contradicts a clamp of the model; were the data sampled with other "
                                    "clamps?");
    }
    d.total += histogram[s];
    if (transitions.empty()) continue;
    double row = 0.0;
    for (std::uint64_t j = 0; j < cols; ++j) {
      const double c = transitions[s * cols + j];
      check_count(c, "transitions", s, j, true);
      if (c > 0.0 && j < static_cast<std::uint64_t>(n) && ((clamp_mask >> j) & 1)) {
        throw InvalidInput(field, "transitions [" + std::to_string(s) + ", " + std::to_string(j) +
                                      "] flips neuron " + std::to_string(j) + ", which the model clamps");
      }
      row += c;
    }
    if (row != histogram[s]) {
      std::ostringstream os;
      os.precision(17);
      os << "the transitions out of state " << s << " sum to " << row << " but its histogram count is "
         << histogram[s] << "; each recorded state has exactly one recorded successor (are histogram.npy and "
         << "transitions.npy from the same run?)";
      throw InvalidInput(field, os.str());
    }
  }
  if (!(d.total > 0.0)) throw InvalidInput(field, "the histogram is empty (no recorded samples)");
  d.visits = std::move(histogram);
  d.transitions = std::move(transitions);
  return d;
}

NetworkData sample_recording(const NetworkModel& model, const std::vector<double>& values,
                             const std::vector<double>& prior, std::uint64_t T, std::uint64_t seed,
                             std::uint64_t burn_in) {
  SamplingOptions o;
  o.chains = 1;
  o.steps = T;
  o.burn_in = burn_in;
  o.seed = seed;
  o.backend = Backend::host;
  o.histogram = true;
  o.transitions = true;
  o.correlations = false;
  const SampleResult r = sample(model, SamplerPolicy::exact(values, prior), o);
  return sampled_counts(model, std::vector<double>(r.stats.histogram.begin(), r.stats.histogram.end()),
                        std::vector<double>(r.stats.transitions.begin(), r.stats.transitions.end()));
}

}  NETRL_NAMESPACE_END  // namespace netrl::inverse
