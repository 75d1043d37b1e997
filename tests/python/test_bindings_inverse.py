"""netrl.inverse through the bindings, method by method, on data whose answer is known: exact
data give the true reward back (r^2 = 1), hand-derived values for the comparisons, the true
reward predicts the true response (KL = 0)."""

import numpy as np
import pytest

import netrl
from conftest import SMALL_MAP, assert_same, check_view

inv = netrl.inverse


# ------------------------------------------------------------------------------------------------
# netrl.inverse, method by method, on exact data (the reward must come back exactly)
# ------------------------------------------------------------------------------------------------

def test_network_inverse_methods_recover_the_reward(count8_solution):
    problem, solution = count8_solution
    model = problem.network
    truth = model.reward.tabulate(model.n, model.m)
    data = inv.expected_data(model, solution.values, solution.stationary, solution.prior, total=1.0)
    assert (data.n, data.m, data.num_states, data.exact, data.total, data.multi_flips) == (8, 2, 512, True, 1.0, 0)
    assert_same(data.visits, solution.stationary, tol=0)
    assert_same(data.transitions.sum(axis=1), solution.stationary, tol=1e-15)
    # In the stationary chain the firing rate is the prior at its fixed point (prior_tol 1e-10).
    assert_same(inv.firing_prior(model, data), solution.prior, tol=1e-8)
    logits = inv.policy_logits(model, solution.values, solution.prior, model.lambda_)
    assert logits.shape == (512, 8)
    exact = inv.invert_policy(model, logits, solution.prior, model.lambda_, solution.stationary)
    options = inv.OptimizerOptions(max_iterations=500, tolerance=1e-10, ridge=0.0, min_visits=1.0)
    assert (options.max_iterations, options.ridge, options.min_visits) == (500, 0.0, 1.0)
    ml = inv.maximum_likelihood(model, data, solution.prior, model.lambda_, options)
    for r in (exact, ml):
        c = inv.compare_rewards(r.reward, truth, solution.stationary, 256)
        assert isinstance(c, inv.RewardComparison)
        assert c.r2 == pytest.approx(1.0, abs=1e-8) and c.compared == 512
        assert c.scale == pytest.approx(1.0, abs=1e-6) and c.max_abs_error < 1e-5 and c.rms_error < 1e-5
        assert r.missing == 0 and r.converged and r.lambda_ == model.lambda_
        for name in ("values", "weights", "prior"):
            check_view(r, name)
    # Exact counts start maximum likelihood at its optimum (the closed form per input value).
    assert ml.method == "ml" and ml.iterations >= 0 and ml.evaluations >= 1 and ml.objective > 0
    # "A run that stalls on rounding counts as converged within 1e3 x tolerance" (docs/config-infer.md).
    assert ml.gradient_norm < 1e3 * options.tolerance and ml.notes == []
    assert isinstance(data, inv.NetworkData) and isinstance(ml, inv.NetworkInverse)


def test_inverse_without_input_closed_form_and_parametric():
    model = netrl.NetworkModel(5, netrl.RewardSpec.ring_bump(2), 0.2)
    solution = netrl.solve(model)
    truth = model.reward.tabulate(5, 1)
    counts = inv.sample_recording(model, solution.values, solution.prior, 20000, 3, 1000)
    recording = netrl.sample(model, netrl.SamplerPolicy.exact(solution.values, solution.prior),
                             netrl.SamplingOptions(chains=1, steps=20000, burn_in=1000, seed=3, raster_chains=[0]))
    raster_counts = inv.count_raster(recording.rasters[0], model, True)
    assert_same(counts.visits, raster_counts.visits, tol=0)  # both are chain 0 of the same sampler run
    closed = inv.closed_form(model, counts, inv.firing_prior(model, counts), model.lambda_)
    assert inv.compare_rewards(closed.reward, truth, counts.visits, 32).r2 > 0.9
    para = inv.parametric(model, counts, inv.firing_prior(model, counts), model.lambda_, "global")
    assert para.J.shape == (5, 5) and para.h.shape == (1, 5) and para.target.shape == (32,)
    np.testing.assert_allclose(para.J, para.J.T)
    hist = netrl.sample(model, netrl.SamplerPolicy.exact(solution.values, solution.prior),
                        netrl.SamplingOptions(chains=1, steps=20000, burn_in=1000, seed=3, transitions=True))
    sampled = inv.sampled_counts(model, hist.histogram, hist.transitions)
    assert_same(sampled.visits, counts.visits, tol=0)
    assert inv.MAX_TABULAR_NEURONS == 20


def test_maze_inverse_and_comparisons():
    maze = netrl.Maze(SMALL_MAP, slip=0.1)
    solution = netrl.solve(maze, 0.05, netrl.SolverOptions(method="policy_iteration"))
    mdp = maze.mdp()
    policy = inv.mdp_greedy_policy(mdp, solution.values, solution.prior, 0.05)
    assert policy.shape == (10, 4)
    np.testing.assert_allclose(policy.sum(axis=1), 1.0, atol=1e-12)
    r = inv.invert_mdp_policy(mdp, policy, solution.prior, 0.05, np.ones(10),
                              inv.OptimizerOptions(tolerance=1e-12))
    assert inv.compare_rewards(r.reward, mdp.reward, solution.stationary, 10).r2 == pytest.approx(1.0, abs=1e-8)
    assert isinstance(r, inv.MdpInverse)
    assert r.converged and r.iterations >= 0 and r.newton_steps >= 0 and r.objective > 0
    assert r.gradient_norm < 1e-6 and r.group_inverse_residual < 1e-6 and r.values.shape == (10,)
    # Derived by hand: KL([1/2, 1/2] || [1/4, 3/4]) = (1/2) log 2 + (1/2) log(2/3).
    assert inv.kl_divergence([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.5 * np.log(2) + 0.5 * np.log(2 / 3))
    centred = inv.center_per_block(np.array([1.0, 3.0, 10.0, np.nan]), np.array([1.0, 1.0, 2.0, 5.0]), 2)
    assert_same(centred, [-1.0, 1.0, 0.0, np.nan], tol=1e-15)


def test_predictions_with_the_true_reward(count8_solution):
    problem, solution = count8_solution
    truth = problem.network.reward.tabulate(8, 2)
    reward, filled = inv.transfer_reward(problem, truth, problem)
    assert filled == 0
    assert_same(reward, truth, tol=0)
    assert inv.solve_with_reward(problem, truth, 0.114).gain == pytest.approx(solution.gain, abs=1e-12)
    assert inv.solve_true(problem, 0.114).gain == pytest.approx(solution.gain, abs=1e-12)
    tuned = inv.retune_lambda(problem, truth, 0.12, solution.mean_coding_cost)
    assert isinstance(tuned, inv.ForwardSolve)
    assert tuned.lambda_ == pytest.approx(0.114, rel=1e-8) and tuned.solves > 1
    assert tuned.result.mean_coding_cost == pytest.approx(solution.mean_coding_cost, rel=1e-8)
    assert netrl.inverse.kl_spike_count(solution, solution, 8, 2) == 0.0
    changed = netrl.scenario("count8")
    changed.network.clamps = [netrl.Clamp(0, -1)]
    spec = inv.PredictionSpec("cell 0 removed", changed, keep_coding_cost=True, lambda_rel_tol=1e-10)
    assert (spec.name, spec.keep_coding_cost, spec.lambda_rel_tol, spec.reference_dir) == ("cell 0 removed", True,
                                                                                           1e-10, "")
    assert spec.setting.network.clamps[0].neuron == 0 and spec.coupling_mask.size == 0
    baseline = inv.Baseline()
    result = inv.predict(problem, truth, True, spec, baseline)
    assert isinstance(result, inv.PredictionResult)
    assert baseline.computed and baseline.predicted_cost == pytest.approx(solution.mean_coding_cost, rel=1e-9)
    assert baseline.reference_cost == pytest.approx(solution.mean_coding_cost, rel=1e-9)
    # The true reward predicts the true response: the KLs vanish.
    assert result.name == "cell 0 removed" and result.has_reference and result.filled == 0
    assert result.kl_stationary < 1e-12 and result.kl_spike_count < 1e-12
    assert result.predicted.lambda_ == pytest.approx(result.reference.lambda_, rel=1e-9)
    assert result.target_coding_cost == pytest.approx(result.reference_target_coding_cost, rel=1e-9)
    # The same Baseline given another original (lambda 0.2) computes that one's costs anew: it gave
    # the first original's cost before.
    other = netrl.scenario("count8")
    other.network.lambda_ = 0.2
    inv.predict(other, truth, True, spec, baseline)
    assert baseline.predicted_cost == pytest.approx(netrl.solve(other).mean_coding_cost, rel=1e-9)


def test_masked_ising_family():
    model = netrl.NetworkModel(4, netrl.RewardSpec.count([2]), 0.3)
    mask = np.ones((4, 4)) - np.eye(4)
    inv.validate_coupling_mask(mask, 4)
    with pytest.raises(netrl.InvalidInput, match="mask"):
        inv.validate_coupling_mask(np.ones((3, 3)), 4)
    result, J, h = inv.solve_ising(model, mask, netrl.SolverOptions())
    assert J.shape == (4, 4) and h.shape == (4,) and result.backend == "ising"
    # The Ising family contains no better policy than the exact optimum.
    assert result.gain <= netrl.solve(model).gain + 1e-9
