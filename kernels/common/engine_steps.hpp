#pragma once
// The BatchEngine steps both engines (exact_engine.cpp, mdp_engine.cpp) take the same way, written
// once over BatchState: the relative value and evaluation steps, the stationary step, the chain
// operations of the fixed policy and the transfers. Each engine supplies its own sweeps (CRTP):
//   void bellman(const Mask& active)                        th_ = T h (BatchEngine's override)
//   void adjoint_sweep(const Buf<Real>& mu)                 th_ = mu P, active problems
//   template <int kTerms> void fixed_policy_sweep(const Buf<Real>& v)
//                                                            th_ = the kTerms of the fixed policy
// Included by the engines after their launch glue, like batch_state.hpp.
#include <string>
#include <utility>
#include <vector>

#include "batch_state.hpp"
#include "config.hpp"
#include "netrl/kernels/batch_engine.hpp"
#include "pair_functors.hpp"  // PolicyTerms
#include "netrl/version.hpp"

NETRL_NAMESPACE_BEGIN namespace kernels::NETRL_KERNELS_NS {

template <class Derived, class Interface, class Real>
class EngineSteps : public Interface, protected BatchState<Real> {
  using State = BatchState<Real>;

 public:
  EngineSteps(Exec exec, index_t states, int batch, index_t chunk, bool serial)
      : State(std::move(exec), states, batch, chunk, serial) {}

  std::string description() const override { return this->exec_.description(); }

  void reset_values(const Mask& which) override { this->reset_values_of(which); }

  void value_step(const Mask& active, std::vector<SpanStats>* stats) override {
    this->bellman(active);
    this->relative_step(this->h_buf(), stats);
  }

  void accept_values(const Mask& advance) override { this->flip(State::kH, advance); }

  void reset_stationary(const Mask& which) override { this->reset_stationary_of(which); }

  void stationary_step(const Mask& active, const std::vector<double>& scale,
                       std::vector<MuStats>* stats) override {
    this->upload_mask(active);
    derived().adjoint_sweep(this->mu_buf());
    this->stationary_update(scale, stats);
  }

  void accept_stationary(const Mask& advance) override { this->flip(State::kMu, advance); }

  void start_evaluation(const Mask& which) override { this->copy_values_to_evaluation(which); }

  void evaluation_step(const Mask& active, std::vector<SpanStats>* stats) override {
    this->upload_mask(active);
    derived().template fixed_policy_sweep<kRewardTerm | kCostTerm | kNextTerm>(this->v_buf());
    this->relative_step(this->v_buf(), stats);
  }

  void accept_evaluation(const Mask& advance) override { this->flip(State::kV, advance); }

  void apply_chain(const Mask& active, bool adjoint, const double* x, double* y) override {
    this->upload_mask(active);
    const Buf<Real> in = this->v_scratch();
    this->upload_operand(x);
    if (adjoint) {
      derived().adjoint_sweep(in);
    } else {
      derived().template fixed_policy_sweep<kNextTerm>(in);
    }
    this->for_active([&](int q) { this->download_block(this->th_, q, y); });
  }

  void policy_reward(const Mask& active, double* g) override {
    this->upload_mask(active);
    derived().template fixed_policy_sweep<kRewardTerm | kCostTerm>(this->v_buf());
    this->for_active([&](int q) { this->download_block(this->th_, q, g); });
  }

  void set_values(const Mask& which, const double* values) override {
    this->upload_current(this->h_, State::kH, which, values);
  }
  void set_stationary(const Mask& which, const double* values) override {
    this->upload_current(this->mu_, State::kMu, which, values);
  }

  void download_values(int problem, std::vector<double>* out) const override {
    this->download(this->h_, State::kH, problem, out);
  }
  void download_evaluation(int problem, std::vector<double>* out) const override {
    this->download(this->v_, State::kV, problem, out);
  }
  void download_stationary(int problem, std::vector<double>* out) const override {
    this->download(this->mu_, State::kMu, problem, out);
  }

 private:
  Derived& derived() { return static_cast<Derived&>(*this); }
};

}  NETRL_NAMESPACE_END  // namespace netrl::kernels::NETRL_KERNELS_NS
