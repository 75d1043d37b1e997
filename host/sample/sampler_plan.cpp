// The plan of a sampling run (sample/sampler_plan.hpp): validation of the model, the policy
// and the options, the memory check, and the policy preparation. Compiled with -ffp-contract=off
// (host/CMakeLists.txt): W = V T^T feeds the thresholds of both backends.
#include "sample/sampler_plan.hpp"

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "netrl/core/error.hpp"
#include "netrl/runtime.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace sampling {
namespace {

/// Couplings and fields are rounded to multiples of 2^-30 ...
constexpr double kGrid = 1073741824.0;  // 2^30
/// ... and bounded so that every partial sum of a field is exact in float64.
constexpr double kFieldBound = 1048576.0;  // 2^20
constexpr std::uint64_t kTableBytes = std::uint64_t{64} << 20;

double memory_limit_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 8.0 * 1024 * 1024 * 1024;
  return 0.5 * static_cast<double>(pages) * static_cast<double>(page);
}

double quantize(double v) { return std::nearbyint(v * kGrid) / kGrid; }

void validate_network(const NetworkModel& model, SamplerPolicy::Kind kind) {
  const int limit = kind == SamplerPolicy::Kind::ising ? kMaxSamplerNeurons : NetworkModel::kMaxNeurons;
  if (model.n < 1 || model.n > limit) {
    throw InvalidInput("n", "the number of neurons n = " + std::to_string(model.n) + " must lie in [1, " +
                                std::to_string(limit) + "] for " +
                                (kind == SamplerPolicy::Kind::ising ? "an Ising policy" : "an exact-solution policy"));
  }
  validate_lambda(model.lambda);
  model.input.validate("input.T");
  std::vector<bool> seen(static_cast<std::size_t>(model.n), false);
  for (std::size_t k = 0; k < model.clamps.size(); ++k) {
    const auto& c = model.clamps[k];
    const std::string field = "clamp[" + std::to_string(k) + "]";
    if (c.neuron < 0 || c.neuron >= model.n) {
      throw InvalidInput(field + ".neuron", "neuron " + std::to_string(c.neuron) + " must lie in [0, n - 1 = " +
                                                std::to_string(model.n - 1) + "]");
    }
    if (c.state != -1 && c.state != 1) {
      throw InvalidInput(field + ".state", "state " + std::to_string(c.state) + " must be -1 (silent) or +1 (active)");
    }
    if (seen[c.neuron]) {
      throw InvalidInput(field + ".neuron", "neuron " + std::to_string(c.neuron) + " is clamped more than once");
    }
    seen[c.neuron] = true;
  }
  if (model.clamps.size() >= static_cast<std::size_t>(model.n)) {
    throw InvalidInput("clamp", "every neuron is clamped; at least one must be free");
  }
}


std::vector<double> logit_prior(const NetworkModel& model, const std::vector<double>& prior,
                                const std::vector<std::uint8_t>& clamp_state) {
  const int n = model.n;
  if (prior.size() != 1 && prior.size() != static_cast<std::size_t>(n)) {
    throw InvalidInput("policy.prior", "expected 1 or n = " + std::to_string(n) + " entries, got " +
                                           std::to_string(prior.size()));
  }
  std::vector<double> logit(static_cast<std::size_t>(n), 0.0);
  for (int i = 0; i < n; ++i) {
    if (clamp_state[i] != 0) continue;
    const std::size_t k = prior.size() == 1 ? 0 : static_cast<std::size_t>(i);
    const double p = prior[k];
    if (!(p > 0.0 && p < 1.0)) {
      std::ostringstream os;
      os << "the firing prior of free neuron " << i << " is " << p << "; it must lie in (0, 1)";
      throw InvalidInput("policy.prior[" + std::to_string(k) + "]", os.str());
    }
    logit[i] = std::log(p) - std::log1p(-p);
  }
  return logit;
}

void validate_options(const SamplingOptions& o, int n) {
  if (o.chains < 1) throw InvalidInput("sampling.chains", "at least one chain is needed");
  // Chain numbers first_chain .. first_chain + chains - 1 below 2^32, without the sum's overflow
  // (first_chain = 2^64 - 1 with 2 chains wrapped onto chain 0).
  if (o.chains > (std::uint64_t{1} << 32) || o.first_chain > (std::uint64_t{1} << 32) - o.chains) {
    throw InvalidInput("sampling.chains", "chain numbers must stay below 2^32 (the Philox counter word)");
  }
  if (o.steps < 1) throw InvalidInput("sampling.steps", "at least one recorded step is needed");
  if (o.thin < 1) throw InvalidInput("sampling.thin", "thin must be >= 1");
  if (o.steps > (std::uint64_t{1} << 62) || o.burn_in > (std::uint64_t{1} << 62)) {
    throw InvalidInput("sampling.steps", "steps and burn_in must stay below 2^62");
  }
  // The work, bounded before the run for every caller (the command line, Python, the scenarios
  // and the benchmark's points).
  check_sample_work(o);
  if (o.backend == Backend::reference) {
    throw InvalidInput("sampling.backend", "the sampler runs on the host or cuda backend, not the reference");
  }
  if (o.host_block > 4096) throw InvalidInput("sampling.host_block", "must lie in [0, 4096]");
  if (o.gemm_block < 1 || o.gemm_block > 4096) throw InvalidInput("sampling.gemm_block", "must lie in [1, 4096]");
  if (o.histogram.value_or(false) && n > SamplingOptions::kMaxHistogramNeurons) {
    throw InvalidInput("sampling.record.histogram", "the state histogram needs n <= " +
                                                        std::to_string(SamplingOptions::kMaxHistogramNeurons) +
                                                        " (n = " + std::to_string(n) + ")");
  }
  if (o.correlations.value_or(false) && n > SamplingOptions::kMaxCorrelationNeurons) {
    throw InvalidInput("sampling.record.correlations", "pairwise counts need n <= " +
                                                           std::to_string(SamplingOptions::kMaxCorrelationNeurons));
  }
  std::vector<std::uint64_t> r = o.raster_chains;
  std::sort(r.begin(), r.end());
  for (std::size_t k = 0; k < r.size(); ++k) {
    if (r[k] < o.first_chain || r[k] >= o.first_chain + o.chains) {
      throw InvalidInput("sampling.record.raster_chains", "chain " + std::to_string(r[k]) + " is not sampled (chains " +
                                                              std::to_string(o.first_chain) + " .. " +
                                                              std::to_string(o.first_chain + o.chains - 1) + ")");
    }
    if (k > 0 && r[k] == r[k - 1]) {
      throw InvalidInput("sampling.record.raster_chains", "chain " + std::to_string(r[k]) + " is listed twice");
    }
  }
}


}  // namespace

/// C[x][x'] = floor(2^32 * running sum), the last positive column forced to 2^32.
std::vector<std::uint64_t> input_cdf(const InputProcess& in) {
  const int m = in.m;
  std::vector<std::uint64_t> cdf(static_cast<std::size_t>(m) * m);
  for (int x = 0; x < m; ++x) {
    double sum = 0.0;
    int last = 0;
    for (int y = 0; y < m; ++y) {
      sum += in(x, y);
      const double scaled = std::floor(std::min(sum, 1.0) * 4294967296.0);
      cdf[static_cast<std::size_t>(x) * m + y] = static_cast<std::uint64_t>(scaled);
      if (in(x, y) > 0.0) last = y;
    }
    for (int y = last; y < m; ++y) cdf[static_cast<std::size_t>(x) * m + y] = std::uint64_t{1} << 32;
  }
  return cdf;
}

std::uint64_t host_block_size(const SamplingOptions& o, const Plan& p) {
  if (o.host_block > 0) return o.host_block;
  if (p.kind == SamplerPolicy::Kind::ising && p.kernel != SamplerKernel::table) {
    // Keep a block's fields (and, for gemm, its D rows) within about 256 KiB.
    const std::uint64_t per_chain = static_cast<std::uint64_t>(p.n) * 17;
    return std::clamp<std::uint64_t>((std::uint64_t{256} << 10) / per_chain, 1, 64);
  }
  return 64;
}

namespace {

/// Memory the run needs on the host, checked before any large allocation.
void check_memory(const Plan& p, const SamplingOptions& o, const SamplerPolicy& policy) {
  const double states = static_cast<double>(p.m) * std::ldexp(1.0, std::min(p.n, 60));
  const double copies = threads() + 1.0;
  double bytes = 0.0;
  std::ostringstream parts;
  auto add = [&](const char* what, double b) {
    if (b <= 0.0) return;
    bytes += b;
    parts << (parts.tellp() > 0 ? ", " : "") << what << " " << gib_text(b);
  };
  if (p.histogram) add("histogram", copies * states * 8.0);
  if (p.transitions) add("transition counts", copies * states * (p.n + 1.0) * 8.0);
  if (p.correlations && !p.histogram) {
    add("pair counts",
        copies * p.n * static_cast<double>(p.n) * 8.0 + threads() * kernels::host::kPairBufferRows * p.n * 8.0);
  }
  if (p.kernel == SamplerKernel::table) add("threshold table", states * p.n * 4.0);
  if (policy.kind == SamplerPolicy::Kind::exact) add("values and W", 2.0 * states * 8.0);
  if (policy.kind == SamplerPolicy::Kind::ising) add("couplings", 2.0 * p.n * static_cast<double>(p.n) * 8.0);
  const double block = static_cast<double>(host_block_size(o, p));
  if (p.kind == SamplerPolicy::Kind::ising && p.kernel != SamplerKernel::table) {
    add("chain states", threads() * block * p.n * (p.kernel == SamplerKernel::gemm ? 25.0 : 17.0));
  }
  add("rasters", static_cast<double>(o.raster_chains.size()) * static_cast<double>(p.samples_per_chain) * (p.n + 4.0));
  const double limit = memory_limit_bytes();
  if (bytes > limit) {
    throw InvalidInput("sampling", "the run needs about " + gib_text(bytes) + " of memory (" + parts.str() +
                                       ") but the limit is " + gib_text(limit) +
                                       " (half the physical memory); reduce n, record less or sample fewer chains");
  }
}

}  // namespace

Plan make_plan(const NetworkModel& model, const SamplerPolicy& policy, const SamplingOptions& o) {
  validate_network(model, policy.kind);
  validate_options(o, model.n);
  Plan p;
  p.kind = policy.kind;
  p.n = model.n;
  p.m = model.m();
  p.seed = o.seed;
  p.clamp_state.assign(static_cast<std::size_t>(p.n), 0);
  for (const auto& c : model.clamps) {
    p.clamp_state[c.neuron] = c.state > 0 ? 2 : 1;
    if (c.neuron < 64) {
      p.clamp_mask |= std::uint64_t{1} << c.neuron;
      if (c.state > 0) p.clamp_bits |= std::uint64_t{1} << c.neuron;
    }
  }
  for (int i = 0; i < p.n; ++i)
    if (p.clamp_state[i] == 0) p.free_list.push_back(i);
  p.nf = static_cast<std::uint32_t>(p.free_list.size());
  p.cdf = input_cdf(model.input);
  p.logit = logit_prior(model, policy.prior, p.clamp_state);
  p.samples_per_chain = (o.steps + o.thin - 1) / o.thin;
  p.total_steps = o.burn_in + o.steps;
  p.histogram = o.histogram.value_or(p.n <= SamplingOptions::kMaxHistogramNeurons);
  p.transitions = o.transitions;
  if (p.transitions && !p.histogram) {
    throw InvalidInput("sampling.record.transitions", "transition counts need the state histogram (n <= " +
                                                          std::to_string(SamplingOptions::kMaxHistogramNeurons) + ")");
  }
  p.correlations = o.correlations.value_or(p.n <= SamplingOptions::kMaxCorrelationNeurons);
  p.raster_chains = o.raster_chains;
  std::sort(p.raster_chains.begin(), p.raster_chains.end());

  const std::uint64_t states = static_cast<std::uint64_t>(p.m) << std::min(p.n, 62);
  const bool table_fits = p.n <= SamplingOptions::kMaxTableNeurons &&
                          static_cast<double>(states) * p.n * 4.0 <= static_cast<double>(kTableBytes);
  p.kernel = o.kernel;
  if (p.kernel == SamplerKernel::table && p.n > SamplingOptions::kMaxTableNeurons) {
    throw InvalidInput("sampling.kernel", "the threshold table needs n <= " +
                                              std::to_string(SamplingOptions::kMaxTableNeurons));
  }
  if (p.kernel == SamplerKernel::gemm && p.kind != SamplerPolicy::Kind::ising) {
    throw InvalidInput("sampling.kernel", "the gemm kernel applies to Ising policies only");
  }
  if (p.kernel == SamplerKernel::automatic) {
    if (table_fits) p.kernel = SamplerKernel::table;
    else if (p.kind == SamplerPolicy::Kind::ising && o.backend == Backend::cuda && p.n >= 1024) p.kernel = SamplerKernel::gemm;
    else p.kernel = SamplerKernel::direct;
  }

  if (policy.kind == SamplerPolicy::Kind::exact) {
    if (policy.values.size() != states) {
      throw InvalidInput("policy.values", "expected m * 2^n = " + std::to_string(states) + " values, got " +
                                              std::to_string(policy.values.size()));
    }
  } else {
    const std::size_t n = static_cast<std::size_t>(p.n);
    if (policy.J.size() != n * n) {
      throw InvalidInput("policy.J", "expected an n x n matrix with n = " + std::to_string(n) + " (" +
                                         std::to_string(n * n) + " entries), got " + std::to_string(policy.J.size()));
    }
    if (policy.h.size() != n && policy.h.size() != n * p.m) {
      throw InvalidInput("policy.h", "expected n = " + std::to_string(n) + " or m x n = " + std::to_string(n * p.m) +
                                         " entries, got " + std::to_string(policy.h.size()));
    }
  }
  check_memory(p, o, policy);

  if (policy.kind == SamplerPolicy::Kind::exact) {
    p.scale = 1.0 / (static_cast<double>(p.nf) * model.lambda);
    const std::uint64_t nb = std::uint64_t{1} << p.n;
    for (std::uint64_t s = 0; s < states; ++s) {
      if (p.consistent(s & (nb - 1)) && !std::isfinite(policy.values[s])) {
        throw InvalidInput("policy.values", "value at state " + std::to_string(s) + " (x = " + std::to_string(s >> p.n) +
                                                ", b = " + std::to_string(s & (nb - 1)) +
                                                ") is not finite; values must be finite at every consistent state");
      }
    }
    // W = V T^T: w(b, x) = sum_x' T(x'|x) v(b, x'), once, in float64, x' ascending.
    p.w.assign(states, std::numeric_limits<double>::quiet_NaN());
    const int m = p.m;
#pragma omp parallel for schedule(static)
    for (std::int64_t bi = 0; bi < static_cast<std::int64_t>(nb); ++bi) {
      const auto b = static_cast<std::uint64_t>(bi);
      if (!p.consistent(b)) continue;
      for (int x = 0; x < m; ++x) {
        double sum = 0.0;
        for (int xp = 0; xp < m; ++xp) sum += model.input(x, xp) * policy.values[(static_cast<std::uint64_t>(xp) << p.n) | b];
        p.w[(static_cast<std::uint64_t>(x) << p.n) | b] = sum;
      }
    }
  } else {
    const int n = p.n;
    const auto un = static_cast<std::size_t>(n);
    p.scale = 2.0 / (static_cast<double>(p.nf) * model.lambda);
    double max_abs = 0.0;
    for (std::size_t k = 0; k < un * un; ++k) {
      if (!std::isfinite(policy.J[k])) {
        throw InvalidInput("policy.J", "entry [" + std::to_string(k / un) + "][" + std::to_string(k % un) + "] is not finite");
      }
      max_abs = std::max(max_abs, std::abs(policy.J[k]));
    }
    p.J.assign(un * un, 0.0);
    for (std::size_t i = 0; i < un; ++i) {
      for (std::size_t j = 0; j < un; ++j) {
        const double a = policy.J[i * un + j], b = policy.J[j * un + i];
        if (std::abs(a - b) > 1e-12 * max_abs) {
          std::ostringstream os;
          os.precision(17);
          os << "J must be symmetric: J[" << i << "][" << j << "] = " << a << " but J[" << j << "][" << i << "] = " << b;
          throw InvalidInput("policy.J", os.str());
        }
        if (i != j) p.J[i * un + j] = quantize(0.5 * (a + b));
      }
    }
    p.h.assign(un * static_cast<std::size_t>(p.m), 0.0);
    for (int x = 0; x < p.m; ++x) {
      for (int i = 0; i < n; ++i) {
        const std::size_t k = policy.h.size() == un ? static_cast<std::size_t>(i) : static_cast<std::size_t>(x) * un + i;
        if (!std::isfinite(policy.h[k])) throw InvalidInput("policy.h", "entry " + std::to_string(k) + " is not finite");
        p.h[static_cast<std::size_t>(x) * un + i] = quantize(policy.h[k]);
      }
    }
    for (int x = 0; x < p.m; ++x) {
      for (int i = 0; i < n; ++i) {
        double total = std::abs(p.h[static_cast<std::size_t>(x) * un + i]);
        for (int j = 0; j < n; ++j) total += std::abs(p.J[static_cast<std::size_t>(i) * un + j]);
        if (total > kFieldBound) {
          std::ostringstream os;
          os << "|h_" << i << "(x = " << x << ")| + sum_j |J_" << i << "j| = " << total
             << " exceeds 2^20; fields are exact float64 sums only below that bound";
          throw InvalidInput("policy.J", os.str());
        }
      }
    }
  }

  if (p.kernel == SamplerKernel::table) {
    p.table.assign(states * static_cast<std::uint64_t>(p.n), 0u);
    kernels::SampleRequest source = p.request();
    source.method = p.kind == SamplerPolicy::Kind::exact ? kernels::SamplerMethod::exact : kernels::SamplerMethod::ising;
    kernels::host::fill_threshold_table(source, p.table.data());
  }
  return p;
}

}  NETRL_NAMESPACE_END  // namespace netrl::sampling
