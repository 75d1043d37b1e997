// The regression on local fields (field_regression.hpp).
#include "solve/parametric/field_regression.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "netrl/kernels/parametric.hpp"
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace parametric {

bool rewards_in_parallel(const NetworkModel& model, std::size_t samples) {
  // An efficient_coding reward throws, which must not happen inside a parallel region.
  const double n = static_cast<double>(model.n);
  return model.reward.kind != RewardKind::efficient_coding && n * n * static_cast<double>(samples) > 1e6;
}

double flip_reward_differences(const NetworkModel& model, const std::uint8_t* on, int x, double* out, bool single,
                               FlipScratch* scratch) {
  const int n = model.n;
  const auto un = static_cast<std::size_t>(n);
  const RewardSpec& r = model.reward;
  double reward = 0.0;
  switch (r.kind) {
    case RewardKind::count: {
      int active = 0;
      for (std::size_t i = 0; i < un; ++i) active += on[i] ? 1 : 0;
      const int target = r.targets[static_cast<std::size_t>(x)];
      for (std::size_t i = 0; i < un; ++i) {
        const int others = active - (on[i] ? 1 : 0);
        out[i] = (others + 1 == target ? 1.0 : 0.0) - (others == target ? 1.0 : 0.0);
      }
      reward = active == target ? 1.0 : 0.0;
      break;
    }
    case RewardKind::planted:
      if (single) {
        if (scratch->J32.empty()) scratch->J32.assign(r.planted_J.begin(), r.planted_J.end());
        reward = kernels::planted_flip_differences(n, scratch->J32.data(), r.planted_h.data(), r.planted_prior,
                                                   r.planted_lambda, on, out, &scratch->work32);
      } else {
        reward = kernels::planted_flip_differences(n, r.planted_J.data(), r.planted_h.data(), r.planted_prior,
                                                   r.planted_lambda, on, out, &scratch->work);
      }
      break;
    case RewardKind::ring_bump: {
      // r = 1 iff K = width active neurons, contiguous (exactly one active neuron with a silent
      // successor, unless width = n): a flip of i changes K by one and the ends at i - 1 and i.
      int active = 0, ends = 0;
      auto end_at = [&](std::size_t j, std::size_t i, std::uint8_t bit) {
        const std::size_t next = (j + 1) % un;
        const bool here = j == i ? bit != 0 : on[j] != 0, after = next == i ? bit != 0 : on[next] != 0;
        return here && !after ? 1 : 0;
      };
      for (std::size_t i = 0; i < un; ++i) {
        active += on[i] ? 1 : 0;
        ends += on[i] && !on[(i + 1) % un] ? 1 : 0;
      }
      auto bump = [&](int k, int e) { return k == r.width && (r.width == n || e == 1) ? 1.0 : 0.0; };
      reward = bump(active, ends);
      for (std::size_t i = 0; i < un; ++i) {
        const std::size_t before = (i + un - 1) % un;
        int local = end_at(i, i, on[i]), up = end_at(i, i, 1), down = end_at(i, i, 0);
        if (before != i) {
          local += end_at(before, i, on[i]);
          up += end_at(before, i, 1);
          down += end_at(before, i, 0);
        }
        const int others = active - (on[i] ? 1 : 0);
        out[i] = bump(others + 1, ends - local + up) - bump(others, ends - local + down);
      }
      break;
    }
    default: {
      reward = r.evaluate_spins(n, on, x);
      std::vector<std::uint8_t>& s = scratch->state;
      s.assign(on, on + un);
      for (std::size_t i = 0; i < un; ++i) {
        s[i] = 1;
        const double up = r.evaluate_spins(n, s.data(), x);
        s[i] = 0;
        const double down = r.evaluate_spins(n, s.data(), x);
        s[i] = on[i];
        out[i] = up - down;
      }
    }
  }
  for (const Clamp& c : model.clamps) out[static_cast<std::size_t>(c.neuron)] = 0.0;
  return reward;
}

void flip_reward_differences(const NetworkModel& model, const std::vector<std::uint8_t>& on,
                             const std::vector<std::uint32_t>& x, bool single, std::vector<double>* out,
                             std::vector<double>* reward) {
  const auto un = static_cast<std::size_t>(model.n);
  const auto count = static_cast<std::int64_t>(x.size());
  out->resize(x.size() * un);
  reward->resize(x.size());
#pragma omp parallel if (rewards_in_parallel(model, x.size()))
  {
    FlipScratch scratch;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t s = 0; s < count; ++s) {
      const auto k = static_cast<std::size_t>(s);
      (*reward)[k] = flip_reward_differences(model, &on[k * un], static_cast<int>(x[k]), out->data() + k * un, single, &scratch);
    }
  }
}

double field_regression_step(const NetworkModel& model, const kernels::ParametricBatch& batch, double rate,
                             double curvature, bool horizon, const std::vector<double>& reward_differences,
                             std::vector<double>* h, std::vector<double>* a) {
  const auto un = static_cast<std::size_t>(model.n);
  const std::size_t samples = batch.x.size();
  const std::vector<int> free = model.free_neurons();
  const double nf = static_cast<double>(free.size());
  const double h_step = rate / (4.0 * curvature);
  const double j_step = rate / (8.0 * curvature) * (horizon ? 0.5 * nf : 1.0);
  const double lag = horizon ? 1.0 - 2.0 / nf : 0.0;
  a->assign(samples * un, 0.0);
  double sq = 0.0;
  for (std::size_t s = 0; s < samples; ++s) {
    const std::size_t x = batch.x[s];
    for (int i : free) {
      const std::size_t e = s * un + static_cast<std::size_t>(i);
      const double* f = &batch.flip[e * kernels::kFlipTerms];
      const double err = f[0] - (f[1] + reward_differences[e]);
      sq += err * err;
      const double lagged = err - lag * f[2];
      (*h)[x * un + static_cast<std::size_t>(i)] -= h_step * lagged;
      (*a)[e] = -j_step * lagged;
    }
  }
  return std::sqrt(sq / std::max(1.0, static_cast<double>(samples) * nf));
}

}  NETRL_NAMESPACE_END  // namespace netrl::parametric
