"""Inputs the bindings must refuse rather than reinterpret or crash on: arrays of the wrong kind,
shape or size, out-of-range enums and sizes, options of the inverse methods and sampler."""
import numpy as np
import pytest

import netrl
from conftest import COUNT8, SMALL_MAP, raises_invalid


def test_arrays_of_the_wrong_kind_or_shape_are_refused_not_reinterpreted():
    # Index arrays were cast to int32/int64: 2^32 + 2 wrapped to state 2, 1.9 was truncated to 1.
    def mdp(next_state, row_ptr=(0, 1, 2, 3)):
        return netrl.Mdp(3, 1, np.array(row_ptr), np.array(next_state), [1.0, 1.0, 1.0], [0.0, 0.0, 1.0])
    assert list(mdp([1, 2, 0]).next_state) == [1, 2, 0]
    assert "value 4294967298 lies outside" in raises_invalid("mdp.next_state[1]", lambda: mdp([1, 2**32 + 2, 0]))
    assert "dtype float64" in raises_invalid("mdp.next_state", lambda: mdp([1, 1.9, 0]))
    raises_invalid("mdp.row_ptr", lambda: mdp([1, 2, 0], row_ptr=[0, 1.5, 2, 3]))
    # A flat copy of an (n, m) h was read as (m, n): the field of neuron 0 landed on neuron 1.
    J = np.zeros((8, 8))
    assert "(8, 2)" in raises_invalid("h", lambda: netrl.SamplerPolicy.ising(J, np.zeros((8, 2)), [0.5]))
    assert netrl.SamplerPolicy.ising(J, np.zeros((2, 8)), [0.5]).h.shape == (16,)
    raises_invalid("J", lambda: netrl.SamplerPolicy.ising(np.zeros(64), np.zeros(8), [0.5]))
    raises_invalid("values", lambda: netrl.SamplerPolicy.exact(np.zeros((256, 2)), [0.5]))
    assert "has shape (4,)" in raises_invalid("T", lambda: netrl.InputProcess(np.full(4, 0.5)))
    raises_invalid("T", lambda: netrl.InputProcess(np.full((1, 2, 2), 0.5)))
    # An enum from an integer takes only its enumerators' values (Method(99) ran as the default).
    from netrl import inverse as inv
    for module in (netrl, inv):
        for name in dir(module):
            enum = getattr(module, name)
            if hasattr(enum, "__members__"):
                with pytest.raises(netrl.InvalidInput):
                    enum(99)
    assert netrl.Method(1) == netrl.Method.policy_iteration
    # Records, objects and complex numbers are refused, not read as zeros or NaN.
    for bad in (np.zeros(4, dtype=[("a", "f8")]), [1.0, None], np.array([1 + 2j]), None):
        with pytest.raises(TypeError):
            netrl.RewardSpec.table(bad)
    assert list(netrl.RewardSpec.table(np.arange(8, dtype=np.int32)[::2]).values) == [0, 2, 4, 6]
    count8 = netrl.count8_model()
    with pytest.raises(TypeError):
        netrl.Raster(count8, np.zeros((5, 8), dtype=[("a", "u1")]), np.zeros(5))
    # A raster of a model with an input needs its input sequence, one index per step.
    raises_invalid("inputs", lambda: netrl.Raster(count8, np.zeros((5, 8))))
    raises_invalid("inputs", lambda: netrl.Raster(count8, np.zeros((5, 8)), np.zeros(3)))


def test_helpers_refuse_bad_arguments_instead_of_crashing(count8_solution):
    # Each of these crashed the interpreter (SIGSEGV or SIGFPE) or read past an array.
    from netrl import inverse as inv
    problem, solution = count8_solution
    model = problem.network
    raises_invalid("x", lambda: netrl.RewardSpec.count([1]).evaluate(3, 1, 10**9))
    raises_invalid("b", lambda: netrl.RewardSpec.table(np.ones(8)).evaluate(3, 100, 0))
    raises_invalid("reward.values", lambda: netrl.RewardSpec.table(np.ones(4)).evaluate(30, 2**29, 0))
    raises_invalid("prior", lambda: inv.policy_logits(model, solution.values, [], 0.114))
    raises_invalid("values", lambda: inv.policy_logits(model, np.zeros(10), solution.prior, 0.114))
    raises_invalid("block", lambda: inv.center_per_block(np.arange(4.0), np.ones(4), 0))
    raises_invalid("weights", lambda: inv.center_per_block(np.arange(4000.0), [], 2))
    raises_invalid("block", lambda: inv.compare_rewards(np.arange(4.0), np.arange(4.0), np.ones(4), 0))
    raises_invalid("n", lambda: inv.kl_spike_count(solution, solution, 100, 2))
    raises_invalid("stationary", lambda: inv.kl_spike_count(solution, solution, 8, 100))
    # The sample_steps limit holds for every caller, not only the command line (these ran for ever),
    # and chain numbers do not wrap past 2^64 onto chain 0.
    policy = netrl.SamplerPolicy.exact(solution.values, solution.prior)
    raises_invalid("sampling.steps", lambda: netrl.sample(model, policy, netrl.SamplingOptions(chains=1, steps=10**15)))
    raises_invalid("sampling.steps", lambda: inv.sample_recording(model, solution.values, solution.prior, 2**62, 1, 0))
    raises_invalid("sampling.chains", lambda: netrl.sample(
        model, policy, netrl.SamplingOptions(chains=2, first_chain=2**64 - 1, steps=10)))
    # A transposed policy has the right size but not the right shape (it was read as another policy),
    # and weights cover every state (4 of 512 were read past).
    logits = inv.policy_logits(model, solution.values, solution.prior, model.lambda_)
    raises_invalid("policy", lambda: inv.invert_policy(model, np.ascontiguousarray(logits.T), solution.prior,
                                                       model.lambda_, solution.stationary))
    raises_invalid("weights", lambda: inv.invert_policy(model, logits, solution.prior, model.lambda_,
                                                        solution.stationary[:4]))
    maze = netrl.Maze(SMALL_MAP)
    raises_invalid("policy", lambda: inv.invert_mdp_policy(maze.mdp(), np.full((4, 10), 0.25), [0.25] * 4, 0.05,
                                                           np.ones(10)))
    # A solution of another problem (a network's for a maze) is refused where the data are made.
    raises_invalid("data.solution", lambda: netrl.InferData.from_solution(netrl.scenario("maze"), solution))
    # A solution is inverted at its own lambda (another gave another reward, reported as success).
    other = netrl.Problem(netrl.NetworkModel(8, netrl.RewardSpec.count([2, 6]), 0.5, input=model.input))
    data = netrl.InferData.from_solution(problem, solution)
    raises_invalid("data.solution", lambda: netrl.infer(netrl.InferSettings(other, has_truth=True), data))
    # Sizes and probabilities of the small helpers.
    raises_invalid("n", lambda: netrl.NetworkModel(64, netrl.RewardSpec.count([1]), 0.1).num_states)
    raises_invalid("n", lambda: netrl.NetworkModel(2**31 - 1, netrl.RewardSpec.count([1]), 0.1).free_neurons())
    raises_invalid("flip", lambda: netrl.InputProcess.binary_flip(float("nan")))
    raises_invalid("kl", lambda: inv.kl_divergence([0.5, 0.5], [-1.0, 2.0]))
    raises_invalid("lambda_rel_tol", lambda: inv.retune_lambda(problem, None, 0.114, 0.1, float("nan")))
    raises_invalid("total", lambda: inv.expected_data(model, solution.values, solution.stationary, solution.prior,
                                                      float("nan")))
    # Optimizer options are checked by every method, as the command line checks them.
    for key, value in (("ridge", -1.0), ("tolerance", float("nan")), ("min_visits", 0.0), ("max_iterations", 0)):
        settings = netrl.InferSettings(problem, optimizer=inv.OptimizerOptions(**{key: value}))
        raises_invalid("optimizer." + key, lambda: netrl.infer(settings, data))
