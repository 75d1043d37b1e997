// The chain sampler: validation, policy preparation (tables, W = V T^T, rounded couplings), the
// host (OpenMP) runners and the dispatch to CUDA. The per-step maths is in
// kernels/common/sampler_{math,step,blocked}.hpp and is shared with kernels/cuda/sampler.cu.
#include "netrl/sample.hpp"

#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <sstream>
#include <type_traits>

#include "common/sampler_blocked.hpp"
#include "common/sampler_cuda_api.hpp"
#include "common/sampler_host_simd.hpp"
#include "common/sampler_step.hpp"
#include "netrl/core/error.hpp"
#include "netrl/runtime.hpp"
#include "netrl/kernels/exact_engine.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN

using kernels::ChainConstants;
using kernels::ExactPolicy;
using kernels::IsingBlockedStepper;
using kernels::IsingPolicy;
using kernels::IsingScalars;
using kernels::IsingStepper;
using kernels::SmallChain;
using kernels::SmallStepper;
using kernels::TablePolicy;

const char* to_string(SamplerKernel kernel) {
  switch (kernel) {
    case SamplerKernel::automatic: return "auto";
    case SamplerKernel::table: return "table";
    case SamplerKernel::direct: return "direct";
    case SamplerKernel::gemm: return "gemm";
  }
  return "?";
}

SamplerPolicy SamplerPolicy::exact(std::vector<double> values, std::vector<double> prior) {
  SamplerPolicy p;
  p.kind = Kind::exact;
  p.values = std::move(values);
  p.prior = std::move(prior);
  return p;
}

SamplerPolicy SamplerPolicy::ising(std::vector<double> J, std::vector<double> h, std::vector<double> prior) {
  SamplerPolicy p;
  p.kind = Kind::ising;
  p.J = std::move(J);
  p.h = std::move(h);
  p.prior = std::move(prior);
  return p;
}

bool cuda_sampler_available(std::string* reason) {
#if defined(NETRL_HAVE_CUDA_SAMPLER)
  return kernels::cuda::device_available(reason);  // the engines' shared device check
#else
  if (reason) *reason = "netrl was built without the CUDA backend (NETRL_CUDA=OFF)";
  return false;
#endif
}

namespace {

/// Couplings and fields are rounded to multiples of 2^-30 ...
constexpr double kGrid = 1073741824.0;  // 2^30
/// ... and bounded so that every partial sum of a field is exact in float64.
constexpr double kFieldBound = 1048576.0;  // 2^20
constexpr std::uint64_t kTableBytes = std::uint64_t{64} << 20;
constexpr int kBufferRows = 256;

std::string gib(double bytes) {
  std::ostringstream os;
  os.precision(3);
  os << bytes / (1024.0 * 1024.0 * 1024.0) << " GiB";
  return os.str();
}

double memory_limit_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return 8.0 * 1024 * 1024 * 1024;
  return 0.5 * static_cast<double>(pages) * static_cast<double>(page);
}

double quantize(double v) { return std::nearbyint(v * kGrid) / kGrid; }

/// Allocations of 1 MiB and more on 2 MiB boundaries, advised as transparent huge pages: the
/// threshold tables and histograms are read at random places, and with 4 KiB pages most of those
/// reads would also miss the TLB.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kPage = std::size_t{2} << 20;
  HugePageAllocator() = default;
  template <class U>
  explicit HugePageAllocator(const HugePageAllocator<U>&) {}
  T* allocate(std::size_t count) {
    const std::size_t bytes = count * sizeof(T);
    if (bytes < (kPage >> 1)) return static_cast<T*>(::operator new(bytes));
    const std::size_t rounded = (bytes + kPage - 1) / kPage * kPage;
    void* p = std::aligned_alloc(kPage, rounded);
    if (!p) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t count) {
    if (count * sizeof(T) < (kPage >> 1)) ::operator delete(p);
    else std::free(p);
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) { return true; }
  friend bool operator!=(const HugePageAllocator&, const HugePageAllocator&) { return false; }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

/// Everything the runners need, prepared and validated once.
struct Plan {
  int n = 0, m = 1;
  std::uint32_t nf = 0;
  std::vector<int> free_list;
  std::vector<std::uint8_t> clamp_state;
  std::uint64_t clamp_mask = 0, clamp_bits = 0;
  std::vector<std::uint64_t> cdf;
  std::vector<double> logit;
  double scale = 0.0;
  SamplerPolicy::Kind kind = SamplerPolicy::Kind::exact;
  SamplerKernel kernel = SamplerKernel::direct;
  HugeVector<std::uint32_t> table;
  HugeVector<double> w;
  std::vector<double> J, h;
  bool histogram = false, transitions = false, correlations = false;
  std::uint64_t samples_per_chain = 0;
  std::uint64_t total_steps = 0;
  std::vector<std::uint64_t> raster_chains;
  std::uint64_t seed = 0;

  bool consistent(std::uint64_t b) const { return (b & clamp_mask) == clamp_bits; }

  ChainConstants constants() const {
    ChainConstants k;
    k.key0 = static_cast<std::uint32_t>(seed);
    k.key1 = static_cast<std::uint32_t>(seed >> 32);
    k.n = n;
    k.nf = nf;
    k.m = static_cast<std::uint32_t>(m);
    k.free_list = free_list.data();
    k.input_cdf = cdf.data();
    k.clamp_mask = clamp_mask;
    k.clamp_bits = clamp_bits;
    k.clamp_state = clamp_state.data();
    return k;
  }
  TablePolicy table_policy() const { return TablePolicy{table.data(), n}; }
  ExactPolicy exact_policy() const { return ExactPolicy{w.data(), logit.data(), scale, n}; }
  IsingPolicy ising_policy() const { return IsingPolicy{J.data(), h.data(), logit.data(), scale, n}; }
};

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
  if (o.first_chain + o.chains > (std::uint64_t{1} << 32) || o.chains > (std::uint64_t{1} << 32)) {
    throw InvalidInput("sampling.chains", "chain numbers must stay below 2^32 (the Philox counter word)");
  }
  if (o.steps < 1) throw InvalidInput("sampling.steps", "at least one recorded step is needed");
  if (o.thin < 1) throw InvalidInput("sampling.thin", "thin must be >= 1");
  if (o.steps > (std::uint64_t{1} << 62) || o.burn_in > (std::uint64_t{1} << 62)) {
    throw InvalidInput("sampling.steps", "steps and burn_in must stay below 2^62");
  }
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


std::uint64_t host_block_size(const SamplingOptions& o, const Plan& p) {
  if (o.host_block > 0) return o.host_block;
  if (p.kind == SamplerPolicy::Kind::ising && p.kernel != SamplerKernel::table) {
    // Keep a block's fields (and, for gemm, its D rows) within about 256 KiB.
    const std::uint64_t per_chain = static_cast<std::uint64_t>(p.n) * 17;
    return std::clamp<std::uint64_t>((std::uint64_t{256} << 10) / per_chain, 1, 64);
  }
  return 64;
}

/// Memory the run needs on the host, checked before any large allocation.
void check_memory(const Plan& p, const SamplingOptions& o, const SamplerPolicy& policy) {
  const double states = static_cast<double>(p.m) * std::ldexp(1.0, std::min(p.n, 60));
  const double copies = threads() + 1.0;
  double bytes = 0.0;
  std::ostringstream parts;
  auto add = [&](const char* what, double b) {
    if (b <= 0.0) return;
    bytes += b;
    parts << (parts.tellp() > 0 ? ", " : "") << what << " " << gib(b);
  };
  if (p.histogram) add("histogram", copies * states * 8.0);
  if (p.transitions) add("transition counts", copies * states * (p.n + 1.0) * 8.0);
  if (p.correlations && !p.histogram) {
    add("pair counts", copies * p.n * static_cast<double>(p.n) * 8.0 + threads() * kBufferRows * p.n * 8.0);
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
    throw InvalidInput("sampling", "the run needs about " + gib(bytes) + " of memory (" + parts.str() +
                                       ") but the limit is " + gib(limit) +
                                       " (half the physical memory); reduce n, record less or sample fewer chains");
  }
}

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
    const int n = p.n, m = p.m;
    const std::uint64_t nb = std::uint64_t{1} << n;
    p.table.assign(states * static_cast<std::uint64_t>(n), 0u);
    const ExactPolicy exact = p.exact_policy();
    const IsingPolicy ising = p.ising_policy();
    const bool is_exact = p.kind == SamplerPolicy::Kind::exact;
#pragma omp parallel for schedule(dynamic, 256)
    for (std::int64_t bi = 0; bi < static_cast<std::int64_t>(nb); ++bi) {
      const auto b = static_cast<std::uint64_t>(bi);
      if (!p.consistent(b)) continue;
      for (int i : p.free_list) {
        double field = 0.0;
        if (!is_exact) field = ising.field_of(i, [b](int j) { return ((b >> j) & 1u) != 0; });
        for (int x = 0; x < m; ++x) {
          const auto ux = static_cast<std::uint32_t>(x);
          p.table[(((static_cast<std::uint64_t>(x) << n) | b) * n) + i] =
              is_exact ? exact.threshold(b, ux, i) : ising.threshold(field, ux, i);
        }
      }
    }
  }
  return p;
}

/// Per-thread counts, allocated before the parallel region.
struct Accum {
  HugeVector<std::uint64_t> hist, trans;
  std::vector<std::uint64_t> spike, active;
  Eigen::MatrixXd co;   // lower triangle of the pair counts (exact integers in float64)
  Eigen::MatrixXd buf;  // kBufferRows x n rows of 0/1 samples
  int rows = 0;
  int n = 0, m = 1;
  std::uint64_t flips = 0;

  void init(const Plan& p) {
    n = p.n;
    m = p.m;
    const std::uint64_t states = static_cast<std::uint64_t>(p.m) << std::min(p.n, 62);
    if (p.histogram) hist.assign(states, 0);
    if (p.transitions) trans.assign(states * static_cast<std::uint64_t>(p.n + 1), 0);
    spike.assign(static_cast<std::size_t>(p.n + 1) * p.m, 0);
    active.assign(static_cast<std::size_t>(p.n), 0);
    if (p.correlations && !p.histogram) {
      co = Eigen::MatrixXd::Zero(p.n, p.n);
      buf = Eigen::MatrixXd::Zero(kBufferRows, p.n);
    }
  }

  void flush() {
    if (rows == 0) return;
    co.selfadjointView<Eigen::Lower>().rankUpdate(buf.topRows(rows).transpose());
    rows = 0;
  }

  /// A recorded state of a word-state chain, and its successor (histogram mode).
  void record_word(std::uint64_t b, std::uint32_t x, std::uint64_t next_b) {
    const std::uint64_t s = (static_cast<std::uint64_t>(x) << n) | b;
    ++hist[s];
    if (!trans.empty()) {
      const std::uint64_t diff = b ^ next_b;
      trans[s * static_cast<std::uint64_t>(n + 1) + static_cast<std::uint64_t>(diff ? kernels::lowest_bit(diff) : n)] += 1;
    }
  }

  /// A recorded state without histogram: spike count, activity, pairs.
  template <class Bit>
  void record_bits(int spikes, std::uint32_t x, const Bit& bit) {
    ++spike[static_cast<std::size_t>(spikes) * m + x];
    const bool pairs = co.size() > 0;
    for (int i = 0; i < n; ++i) {
      const bool on = bit(i);
      active[i] += on ? 1 : 0;
      if (pairs) buf(rows, i) = on ? 1.0 : 0.0;
    }
    if (pairs && ++rows == kBufferRows) flush();
  }
};

/// The blocks of chains of a run and which rasters they own.
struct Schedule {
  std::uint64_t first = 0, count = 0, block = 64;
  std::uint64_t blocks() const { return (count + block - 1) / block; }
};

class RasterSink {
 public:
  RasterSink(const Plan& p, SampleStats& stats) : p_(p), stats_(stats) {}
  /// Raster slot of a chain, or -1.
  std::int64_t slot(std::uint64_t chain) const {
    const auto it = std::lower_bound(p_.raster_chains.begin(), p_.raster_chains.end(), chain);
    if (it == p_.raster_chains.end() || *it != chain) return -1;
    return it - p_.raster_chains.begin();
  }
  void word(std::int64_t slot, std::uint64_t sample, std::uint64_t b, std::uint32_t x) {
    auto& r = stats_.rasters[static_cast<std::size_t>(slot)];
    for (int i = 0; i < p_.n; ++i) r.states[sample * p_.n + i] = static_cast<std::uint8_t>((b >> i) & 1u);
    r.inputs[sample] = x;
  }
  void bytes(std::int64_t slot, std::uint64_t sample, const std::uint8_t* sigma, std::uint32_t x) {
    auto& r = stats_.rasters[static_cast<std::size_t>(slot)];
    std::copy(sigma, sigma + p_.n, r.states.begin() + static_cast<std::ptrdiff_t>(sample * p_.n));
    r.inputs[sample] = x;
  }

 private:
  const Plan& p_;
  SampleStats& stats_;
};

/// Per-thread scratch of a block of chains advanced in lockstep.
struct BlockScratch {
  std::vector<std::uint32_t> words;
  kernels::host::DrawBlock draws{};
  std::vector<int> neuron;
  std::vector<double> argument;
  std::vector<std::uint32_t> threshold;
  std::vector<std::int64_t> slots;

  explicit BlockScratch(std::uint64_t block)
      : words(4 * block), neuron(block), argument(block), threshold(block), slots(block) {
    draws = kernels::host::DrawBlock{{&words[0], &words[block], &words[2 * block], &words[3 * block]}};
  }
  BlockScratch(const BlockScratch&) = delete;  // draws points into words
  BlockScratch& operator=(const BlockScratch&) = delete;
  kernels::Philox4 draw(std::uint64_t k) const {
    return kernels::Philox4{{draws.w[0][k], draws.w[1][k], draws.w[2][k], draws.w[3][k]}};
  }
};

// The host runs each step of a block of chains as passes over the block: (1) the draws (SIMD over
// chains, the words of ChainConstants::step_draws), (2) the neurons and, for on-the-fly policies,
// the sigmoid arguments (or, for tables, prefetches of the entries), (3) the thresholds, (4) the
// decisions and counts. Every pass has independent iterations, so many chains are in flight; the
// maths is that of the step functors (decide(r, s, i, threshold(argument)) == operator()).

template <class Policy>
void run_word_host(const Plan& p, const SmallStepper<Policy>& shared_step, const Schedule& sch, std::vector<Accum>& acc,
                   RasterSink& raster, std::uint64_t burn_in, std::uint64_t thin) {
  constexpr bool kOnTheFly = std::is_same_v<Policy, ExactPolicy>;
  const auto nblocks = static_cast<std::int64_t>(sch.blocks());
#pragma omp parallel
  {
    // A private copy, so that the compiler sees no stores aliasing the step's constants.
    const SmallStepper<Policy> step = shared_step;
    Accum& a = acc[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<SmallChain> st(sch.block);
    BlockScratch scratch(sch.block);
    const kernels::host::SimdPath path = kernels::host::best_simd_path();
    const bool plain_histogram = p.histogram && a.trans.empty();
    std::uint64_t* const hist = a.hist.data();
    std::uint64_t flips = 0;
    const int n = p.n;
    // Tables beyond a quarter of a typical L2 are prefetched a pass ahead of their use.
    const bool large_table = p.table.size() * sizeof(std::uint32_t) > (std::size_t{256} << 10);
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t blk = 0; blk < nblocks; ++blk) {
      const std::uint64_t c0 = sch.first + static_cast<std::uint64_t>(blk) * sch.block;
      const std::uint64_t cnt = std::min(sch.block, sch.first + sch.count - c0);
      bool any_raster = false;
      for (std::uint64_t k = 0; k < cnt; ++k) {
        st[k] = step.initial(c0 + k);
        scratch.slots[k] = raster.slot(c0 + k);
        any_raster = any_raster || scratch.slots[k] >= 0;
      }
      SmallChain* const state = st.data();
      int* const neuron = scratch.neuron.data();
      double* const z = scratch.argument.data();
      std::uint32_t* const thr = scratch.threshold.data();
      std::uint64_t next_record = burn_in;
      for (std::uint64_t t = 0; t < p.total_steps; ++t) {
        const bool record = t == next_record;
        kernels::host::philox_block(path, static_cast<std::uint32_t>(c0), static_cast<std::uint32_t>(cnt),
                                    static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32), 0u, step.k.key0,
                                    step.k.key1, scratch.draws);
        if (kOnTheFly || large_table) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const int i = step.k.pick_neuron(scratch.draw(k));
            neuron[k] = i;
            if constexpr (kOnTheFly) {
              z[k] = step.policy.argument(state[k].b, state[k].x, i);
            } else {
              __builtin_prefetch(step.policy.thr + step.policy.index(state[k].b, state[k].x, i));
            }
            if (record && plain_histogram) __builtin_prefetch(hist + ((static_cast<std::uint64_t>(state[k].x) << n) | state[k].b), 1);
          }
          if constexpr (kOnTheFly) {
            kernels::host::threshold_block(path, z, thr, cnt);
          } else {
            for (std::uint64_t k = 0; k < cnt; ++k) thr[k] = step.policy.threshold(state[k].b, state[k].x, neuron[k]);
          }
        } else if (!record || (plain_histogram && !any_raster)) {
          // A table that stays in the core's caches: one fused pass (SmallStepper::apply).
          if (!record) {
            for (std::uint64_t k = 0; k < cnt; ++k) {
              const SmallChain now = state[k];
              state[k] = step.apply(scratch.draw(k), now);
              flips += state[k].b != now.b ? 1u : 0u;
            }
          } else {
            next_record += thin;
            for (std::uint64_t k = 0; k < cnt; ++k) {
              const SmallChain now = state[k];
              state[k] = step.apply(scratch.draw(k), now);
              flips += state[k].b != now.b ? 1u : 0u;
              ++hist[(static_cast<std::uint64_t>(now.x) << n) | now.b];
            }
          }
          continue;
        } else {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const int i = step.k.pick_neuron(scratch.draw(k));
            neuron[k] = i;
            thr[k] = step.policy.threshold(state[k].b, state[k].x, i);
          }
        }
        if (!record) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const SmallChain next = step.decide(scratch.draw(k), state[k], neuron[k], thr[k]);
            flips += next.b != state[k].b ? 1u : 0u;
            state[k] = next;
          }
          continue;
        }
        const std::uint64_t sample = (t - burn_in) / thin;
        next_record += thin;
        if (plain_histogram && !any_raster) {
          // The common case, kept free of aliasing: one count per chain.
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const SmallChain now = state[k];
            state[k] = step.decide(scratch.draw(k), now, neuron[k], thr[k]);
            flips += state[k].b != now.b ? 1u : 0u;
            ++hist[(static_cast<std::uint64_t>(now.x) << n) | now.b];
          }
          continue;
        }
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const SmallChain next = step.decide(scratch.draw(k), state[k], neuron[k], thr[k]);
          flips += next.b != state[k].b ? 1u : 0u;
          if (p.histogram) {
            a.record_word(state[k].b, state[k].x, next.b);
          } else {
            const std::uint64_t b = state[k].b;
            a.record_bits(popcount64(b), state[k].x, [b](int i) { return ((b >> i) & 1u) != 0; });
          }
          if (any_raster && scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, state[k].b, state[k].x);
          state[k] = next;
        }
      }
    }
    a.flips += flips;
  }
}

/// Ising chains with incrementally updated fields (kernel direct) or with one GEMM per block of
/// steps (kernel gemm).
void run_ising_host(const Plan& p, const Schedule& sch, std::vector<Accum>& acc, RasterSink& raster,
                    std::uint64_t burn_in, std::uint64_t thin, bool gemm, std::uint64_t gemm_block) {
  const IsingStepper shared_direct{p.constants(), p.ising_policy()};
  const IsingBlockedStepper blocked{p.constants(), p.ising_policy()};
  const auto nblocks = static_cast<std::int64_t>(sch.blocks());
  const auto n = static_cast<std::uint64_t>(p.n);
  using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMatrix> J(p.J.data(), p.n, p.n);
#pragma omp parallel
  {
    const IsingStepper direct = shared_direct;
    Accum& a = acc[static_cast<std::size_t>(omp_get_thread_num())];
    std::vector<IsingScalars> sc(sch.block);
    std::vector<std::uint8_t> sigma(sch.block * n);
    std::vector<double> field(sch.block * n);
    std::vector<double> delta(gemm ? sch.block * n : 0, 0.0);
    std::vector<std::int32_t> flips(gemm ? sch.block * gemm_block : 0);
    std::vector<std::int32_t> nflips(sch.block, 0);
    BlockScratch scratch(sch.block);
    const kernels::host::SimdPath path = kernels::host::best_simd_path();
    std::uint64_t flip_count = 0;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t blk = 0; blk < nblocks; ++blk) {
      const std::uint64_t c0 = sch.first + static_cast<std::uint64_t>(blk) * sch.block;
      const std::uint64_t cnt = std::min(sch.block, sch.first + sch.count - c0);
      for (std::uint64_t k = 0; k < cnt; ++k) {
        sc[k] = direct.initial(c0 + k, &sigma[k * n], 1);
        scratch.slots[k] = raster.slot(c0 + k);
      }
      if (n < 64) {
        for (std::uint64_t k = 0; k < cnt; ++k) direct.initial_fields(&sigma[k * n], &field[k * n], 1);
      } else {
        // F = S J with S the block's +-1 states: exact whatever the order of the GEMM's sums.
        RowMatrix S(static_cast<Eigen::Index>(cnt), p.n);
        for (std::uint64_t k = 0; k < cnt; ++k)
          for (std::uint64_t j = 0; j < n; ++j)
            S(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = sigma[k * n + j] ? 1.0 : -1.0;
        Eigen::Map<RowMatrix>(field.data(), static_cast<Eigen::Index>(cnt), p.n).noalias() = S * J;
      }
      int* const neuron = scratch.neuron.data();
      double* const z = scratch.argument.data();
      std::uint32_t* const thr = scratch.threshold.data();
      std::uint64_t next_record = burn_in;
      for (std::uint64_t t = 0; t < p.total_steps; ++t) {
        const bool record = t == next_record;
        const std::uint64_t sample = record ? (t - burn_in) / thin : 0;
        if (record) next_record += thin;
        if (record && !p.histogram) {
          // Counts of the states before step t.
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const std::uint8_t* s = &sigma[k * n];
            a.record_bits(sc[k].spikes, sc[k].x, [s](int i) { return s[i] != 0; });
            if (scratch.slots[k] >= 0) raster.bytes(scratch.slots[k], sample, s, sc[k].x);
          }
        }
        if (gemm) {
          for (std::uint64_t k = 0; k < cnt; ++k) {
            const std::uint64_t b = sc[k].b;
            const std::uint32_t x = sc[k].x;
            flip_count += blocked(c0 + k, t, sc[k], &sigma[k * n], &field[k * n], &flips[k * gemm_block], nflips[k],
                                  &delta[k * n], 1) >= 0
                              ? 1u
                              : 0u;
            if (record && p.histogram) {
              a.record_word(b, x, sc[k].b);
              if (scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, b, x);
            }
          }
          if ((t + 1) % gemm_block == 0 || t + 1 == p.total_steps) {
            // F += D J for the block's chains, then clear D and the flip lists.
            Eigen::Map<RowMatrix> F(field.data(), static_cast<Eigen::Index>(cnt), p.n);
            Eigen::Map<RowMatrix> D(delta.data(), static_cast<Eigen::Index>(cnt), p.n);
            F.noalias() += D * J;
            D.setZero();
            std::fill(nflips.begin(), nflips.end(), 0);
          }
          continue;
        }
        kernels::host::philox_block(path, static_cast<std::uint32_t>(c0), static_cast<std::uint32_t>(cnt),
                                    static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(t >> 32), 0u,
                                    direct.k.key0, direct.k.key1, scratch.draws);
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const int i = direct.k.pick_neuron(scratch.draw(k));
          neuron[k] = i;
          z[k] = direct.policy.argument(field[k * n + static_cast<std::uint64_t>(i)], sc[k].x, i);
        }
        kernels::host::threshold_block(path, z, thr, cnt);
        for (std::uint64_t k = 0; k < cnt; ++k) {
          const std::uint64_t b = sc[k].b;
          const std::uint32_t x = sc[k].x;
          flip_count += direct.decide(scratch.draw(k), neuron[k], thr[k], sc[k], &sigma[k * n], &field[k * n], 1) >= 0 ? 1u : 0u;
          if (record && p.histogram) {
            a.record_word(b, x, sc[k].b);
            if (scratch.slots[k] >= 0) raster.word(scratch.slots[k], sample, b, x);
          }
        }
      }
    }
    a.flips += flip_count;
  }
}

/// spike counts, activity and pair counts from the histogram (histogram mode).
void derive_from_histogram(SampleStats& st, bool correlations) {
  const int n = st.n, m = st.m;
  const std::uint64_t nb = std::uint64_t{1} << n;
  st.spike_count.assign(static_cast<std::size_t>(n + 1) * m, 0);
  st.active.assign(static_cast<std::size_t>(n), 0);
  for (int x = 0; x < m; ++x) {
    for (std::uint64_t b = 0; b < nb; ++b) {
      const std::uint64_t c = st.histogram[(static_cast<std::uint64_t>(x) << n) | b];
      if (c == 0) continue;
      st.spike_count[static_cast<std::size_t>(popcount64(b)) * m + x] += c;
      for (std::uint64_t r = b; r; r &= r - 1) st.active[kernels::lowest_bit(r)] += c;
    }
  }
  if (!correlations) return;
  const auto un = static_cast<std::size_t>(n);
  std::vector<std::vector<std::uint64_t>> part(static_cast<std::size_t>(threads()), std::vector<std::uint64_t>(un * un, 0));
  const auto total = static_cast<std::int64_t>(st.histogram.size());
#pragma omp parallel for schedule(dynamic, 4096)
  for (std::int64_t s = 0; s < total; ++s) {
    const std::uint64_t c = st.histogram[static_cast<std::size_t>(s)];
    if (c == 0) continue;
    auto& co = part[static_cast<std::size_t>(omp_get_thread_num())];
    const std::uint64_t b = static_cast<std::uint64_t>(s) & (nb - 1);
    for (std::uint64_t r = b; r; r &= r - 1) {
      const auto i = static_cast<std::size_t>(kernels::lowest_bit(r));
      for (std::uint64_t q = r; q; q &= q - 1) co[i * un + static_cast<std::size_t>(kernels::lowest_bit(q))] += c;
    }
  }
  st.coactive.assign(un * un, 0);
  for (const auto& co : part)
    for (std::size_t k = 0; k < un * un; ++k) st.coactive[k] += co[k];
  for (std::size_t i = 0; i < un; ++i)
    for (std::size_t j = 0; j < i; ++j) st.coactive[i * un + j] = st.coactive[j * un + i];
}

void run_host(const Plan& p, const SamplingOptions& o, SampleStats& st) {
  std::vector<Accum> acc(static_cast<std::size_t>(threads()));
  for (auto& a : acc) a.init(p);
  RasterSink raster(p, st);
  const std::uint64_t batch = o.batch == 0 ? o.chains : o.batch;
  for (std::uint64_t done = 0; done < o.chains; done += batch) {
    Schedule sch;
    sch.first = o.first_chain + done;
    sch.count = std::min(batch, o.chains - done);
    sch.block = host_block_size(o, p);
    if (p.kind == SamplerPolicy::Kind::exact && p.kernel == SamplerKernel::direct) {
      run_word_host(p, SmallStepper<ExactPolicy>{p.constants(), p.exact_policy()}, sch, acc, raster, o.burn_in, o.thin);
    } else if (p.kernel == SamplerKernel::table) {
      run_word_host(p, SmallStepper<TablePolicy>{p.constants(), p.table_policy()}, sch, acc, raster, o.burn_in, o.thin);
    } else {
      run_ising_host(p, sch, acc, raster, o.burn_in, o.thin, p.kernel == SamplerKernel::gemm, o.gemm_block);
    }
  }
  // Merge (integer sums: the order does not matter).
  for (auto& a : acc) {
    st.flips += a.flips;
    for (std::size_t k = 0; k < a.hist.size(); ++k) st.histogram[k] += a.hist[k];
    for (std::size_t k = 0; k < a.trans.size(); ++k) st.transitions[k] += a.trans[k];
    if (!p.histogram) {
      for (std::size_t k = 0; k < a.spike.size(); ++k) st.spike_count[k] += a.spike[k];
      for (std::size_t k = 0; k < a.active.size(); ++k) st.active[k] += a.active[k];
      if (a.co.size() > 0) {
        a.flush();
        const auto un = static_cast<std::size_t>(p.n);
        for (std::size_t i = 0; i < un; ++i)
          for (std::size_t j = 0; j <= i; ++j) {
            const auto c = static_cast<std::uint64_t>(a.co(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)));
            st.coactive[i * un + j] += c;
            if (i != j) st.coactive[j * un + i] += c;
          }
      }
    }
  }
}

#if defined(NETRL_HAVE_CUDA_SAMPLER)
void run_cuda(const Plan& p, const SamplingOptions& o, SampleStats& st) {
  kernels::cuda::SampleRequest rq;
  rq.k = p.constants();
  rq.first_chain = o.first_chain;
  rq.chains = o.chains;
  rq.batch = o.batch;
  rq.burn_in = o.burn_in;
  rq.steps = o.steps;
  rq.thin = o.thin;
  rq.histogram = p.histogram;
  rq.transitions = p.transitions;
  rq.correlations = p.correlations;
  rq.raster_chains = p.raster_chains.data();
  rq.raster_count = p.raster_chains.size();
  rq.gemm_block = o.gemm_block;
  if (p.kernel == SamplerKernel::table) {
    rq.kind = kernels::cuda::PolicyKind::table;
    rq.table = p.table_policy();
    rq.table_size = p.table.size();
  } else if (p.kind == SamplerPolicy::Kind::exact) {
    rq.kind = kernels::cuda::PolicyKind::exact;
    rq.exact = p.exact_policy();
    rq.w_size = p.w.size();
  } else {
    rq.kind = kernels::cuda::PolicyKind::ising;
    rq.ising = p.ising_policy();
    rq.ising_gemm = p.kernel == SamplerKernel::gemm;
  }
  std::vector<std::uint8_t> raster(p.raster_chains.size() * p.samples_per_chain * static_cast<std::uint64_t>(p.n));
  std::vector<std::uint32_t> raster_inputs(p.raster_chains.size() * p.samples_per_chain);
  kernels::cuda::SampleOutput out;
  out.histogram = st.histogram.empty() ? nullptr : st.histogram.data();
  out.transitions = st.transitions.empty() ? nullptr : st.transitions.data();
  out.spike_count = st.spike_count.data();
  out.active = st.active.data();
  out.coactive = st.coactive.empty() ? nullptr : st.coactive.data();
  out.raster = raster.data();
  out.flips = &st.flips;
  out.raster_inputs = raster_inputs.data();
  kernels::cuda::run(rq, out);
  const std::uint64_t per = p.samples_per_chain * static_cast<std::uint64_t>(p.n);
  for (std::size_t r = 0; r < st.rasters.size(); ++r) {
    std::copy(raster.begin() + static_cast<std::ptrdiff_t>(r * per), raster.begin() + static_cast<std::ptrdiff_t>((r + 1) * per),
              st.rasters[r].states.begin());
    std::copy(raster_inputs.begin() + static_cast<std::ptrdiff_t>(r * p.samples_per_chain),
              raster_inputs.begin() + static_cast<std::ptrdiff_t>((r + 1) * p.samples_per_chain), st.rasters[r].inputs.begin());
  }
}
#endif

}  // namespace

SampleResult sample(const NetworkModel& model, const SamplerPolicy& policy, const SamplingOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.threads < 0 || options.threads > SolverOptions::kMaxThreads) {
    throw InvalidInput("sampling.threads", "must lie in [0, " + std::to_string(SolverOptions::kMaxThreads) + "]");
  }
  const ThreadScope thread_scope(options.threads);
  const bool cuda = options.backend == Backend::cuda;
  if (cuda) {
    std::string reason;
    if (!cuda_sampler_available(&reason)) {
      throw BackendError("sampling.backend: the CUDA backend is not available: " + reason);
    }
  }
  const Plan p = make_plan(model, policy, options);
  SampleResult res;
  res.backend = cuda ? Backend::cuda : Backend::host;
  res.kernel = to_string(p.kernel);
  res.seed = options.seed;
  res.updates = options.chains * p.total_steps;
  SampleStats& st = res.stats;
  st.n = p.n;
  st.m = p.m;
  st.chains = options.chains;
  st.samples_per_chain = p.samples_per_chain;
  const std::uint64_t states = static_cast<std::uint64_t>(p.m) << std::min(p.n, 62);
  if (p.histogram) st.histogram.assign(states, 0);
  if (p.transitions) st.transitions.assign(states * static_cast<std::uint64_t>(p.n + 1), 0);
  st.spike_count.assign(static_cast<std::size_t>(p.n + 1) * p.m, 0);
  st.active.assign(static_cast<std::size_t>(p.n), 0);
  if (p.correlations && !p.histogram) st.coactive.assign(static_cast<std::size_t>(p.n) * p.n, 0);
  for (std::uint64_t c : p.raster_chains) {
    Raster r;
    r.chain = c;
    r.steps = p.samples_per_chain;
    r.n = p.n;
    r.states.assign(p.samples_per_chain * static_cast<std::uint64_t>(p.n), 0);
    r.inputs.assign(p.samples_per_chain, 0);
    st.rasters.push_back(std::move(r));
  }
  if (cuda) {
#if defined(NETRL_HAVE_CUDA_SAMPLER)
    run_cuda(p, options, st);
#endif
  } else {
    run_host(p, options, st);
  }
  if (p.histogram) derive_from_histogram(st, p.correlations);
  res.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

NETRL_NAMESPACE_END  // namespace netrl
