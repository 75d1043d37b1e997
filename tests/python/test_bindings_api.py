"""The Python module's own promises: zero-copy views, the GIL released during long calls, every
binding exercised, the README example, and the bindings that have no CLI counterpart checked
against values derived by hand or by numpy.
"""

import gc
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import netrl
from conftest import COPIED, COUNT8, ROOT, SMALL_MAP, assert_same, check_copy, check_view, write_json

inv = netrl.inverse


# ------------------------------------------------------------------------------------------------
# zero-copy views
# ------------------------------------------------------------------------------------------------

def test_solve_result_arrays_are_views_of_the_result(count8_solution):
    _, result = count8_solution
    for name in ("values", "stationary", "prior", "gain_history", "spike_count"):
        check_view(result, name)
    assert result.values.shape == (512,) and result.spike_count.shape == (9, 2)
    with pytest.raises(ValueError):
        result.values[0] = 1.0


def test_sampler_kernels_give_the_same_chains():
    """"Results do not depend on" the kernel (netrl/sample.hpp): table and direct agree exactly."""
    solution = netrl.solve(netrl.count8_model())
    policy = netrl.SamplerPolicy.exact(solution.values, solution.prior)
    runs = [netrl.sample(netrl.count8_model(), policy, netrl.SamplingOptions(chains=3, steps=400, seed=9, kernel=k))
            for k in (netrl.SamplerKernel.table, "direct")]
    assert [r.kernel for r in runs] == ["table", "direct"]
    np.testing.assert_array_equal(runs[0].histogram, runs[1].histogram)
    if not netrl.backend_available("cuda"):
        with pytest.raises(netrl.BackendError, match="sampling.backend"):
            netrl.sample(netrl.count8_model(), policy, netrl.SamplingOptions(chains=1, backend="cuda"))


def test_a_view_keeps_its_result_alive():
    values = netrl.solve(netrl.scenario("count8")).values
    expected = values.copy()
    gc.collect()
    assert isinstance(values.base, netrl.SolveResult)
    assert_same(values, expected, tol=0)


def test_sample_and_raster_arrays_are_views():
    solution = netrl.solve(netrl.count8_model())
    result = netrl.sample(netrl.count8_model(), netrl.SamplerPolicy.exact(solution.values, solution.prior),
                          netrl.SamplingOptions(chains=2, steps=500, seed=1, transitions=True, raster_chains=[1]))
    for name in ("histogram", "transitions", "spike_count", "active", "coactive"):
        check_view(result, name)
    raster = result.rasters[0]
    states = check_view(raster, "states")
    check_view(raster, "inputs")
    copy = states.copy()
    del result, raster
    gc.collect()
    assert_same(states, copy, tol=0)  # the Raster keeps the SampleResult alive


def test_inference_arrays_are_views(count8_solution):
    problem, solution = count8_solution
    data = netrl.InferData.from_solution(problem, solution)
    for name in ("values", "stationary", "prior"):
        check_view(data, name)
    result = netrl.infer(netrl.InferSettings(problem, has_truth=True), data)
    for name in ("reward", "values", "weights", "prior"):
        check_view(result, name)
    expected = inv.expected_data(problem.network, solution.values, solution.stationary, solution.prior)
    check_view(expected, "visits")
    check_view(expected, "transitions")
    check_copy(netrl.Maze(SMALL_MAP), "cell_of_state")


def test_arrays_of_models_outlive_the_member_they_came_from():
    # Views into model members dangled once the member was assigned anew: T read freed memory.
    model = netrl.count8_model()
    T = model.input.T
    model.input = netrl.InputProcess(np.full((3, 3), 1 / 3))
    del model
    gc.collect()
    assert_same(T, [[0.98, 0.02], [0.02, 0.98]], tol=0)
    problem = netrl.scenario("count8")
    T = problem.network.input.T
    problem.network = netrl.NetworkModel(2, netrl.RewardSpec.table(np.arange(16.0)), 0.1,
                                         netrl.InputProcess(np.full((4, 4), 0.25)))
    gc.collect()
    assert_same(T, [[0.98, 0.02], [0.02, 0.98]], tol=0)


def every_object(tmp_path):
    """One object of every class the bindings define (from a small run of each area)."""
    np.save(tmp_path / "J.npy", np.zeros((8, 8)))
    sample_config = netrl.parse_sample_config({**COUNT8, "policy": {"kind": "ising", "J": "J.npy"},
                                               "sampling": {"chains": 1, "steps": 1}}, str(tmp_path / "s.json"))
    infer_config = netrl.parse_infer_config({"model": "network", "n": 8, "lambda": 0.1, "data": {"raster": "r.npy"}})
    problem = netrl.scenario("count8")
    solution = netrl.solve(problem)
    samples = netrl.sample(problem.network, netrl.SamplerPolicy.exact(solution.values, solution.prior),
                           netrl.SamplingOptions(chains=2, steps=300, seed=2, transitions=True, raster_chains=[0]))
    spec = netrl.count8_predictions(problem)[2]
    settings = netrl.InferSettings(problem, has_truth=True, predictions=[spec])
    data = netrl.InferData.from_solution(problem, solution)
    inferred = netrl.infer(settings, data)
    counts = inv.expected_data(problem.network, solution.values, solution.stationary, solution.prior)
    ml = inv.maximum_likelihood(problem.network, counts, solution.prior, 0.114, inv.OptimizerOptions(ridge=0.0))
    maze = netrl.Maze(SMALL_MAP)
    maze_solution = netrl.solve(maze, 0.05)
    policy = inv.mdp_greedy_policy(maze.mdp(), maze_solution.values, maze_solution.prior, 0.05)
    maze_inverse = inv.invert_mdp_policy(maze.mdp(), policy, maze_solution.prior, 0.05, np.ones(10))
    experiment = netrl.count8_from_samples(netrl.SampleSizeOptions(sizes=[500], repeats=2, predictions=False))
    parametric_options = netrl.SolverOptions(method="parametric")
    parametric_options.parametric = netrl.ParametricOptions(max_batches=100, regression="fields")
    parametric = netrl.solve(netrl.NetworkModel(6, netrl.RewardSpec.ring_bump(2), 0.1), parametric_options)
    return [parametric, parametric.parametric, parametric.parametric.curve[0], parametric_options.parametric,
            problem, problem.network, problem.network.input, problem.network.reward, problem.solver,
            netrl.Clamp(0), solution, samples, samples.rasters[0], netrl.SamplingOptions(),
            netrl.SamplerPolicy.ising(np.zeros((2, 2)), [0.1, 0.2], [0.5]), settings, data, inferred,
            inferred.predictions[0], inferred.comparison, inferred.predictions[0].result,
            inferred.predictions[0].result.predicted, spec, counts, ml, maze, maze.mdp(), maze_inverse,
            inv.OptimizerOptions(), inv.Baseline(), experiment, experiment.rows[0], experiment.options,
            netrl.summarize(experiment)[0], sample_config, infer_config,
            inv.visited_states(samples.rasters[0], problem.network, transitions=True)]


def test_every_property_of_every_class_reads_and_arrays_are_views(tmp_path):
    """Every property of one object of each class is read, and every non-empty array property is
    a read-only view whose base is its object (no copy), or, for model arrays (COPIED), a copy."""
    seen = set()
    for obj in every_object(tmp_path):
        seen.add(type(obj).__name__)
        for name in dir(type(obj)):
            if name.startswith("_") or not isinstance(getattr(type(obj), name), property):
                continue
            value = getattr(obj, name)
            if isinstance(value, np.ndarray) and value.size:
                (check_copy if (type(obj).__name__, name) in COPIED else check_view)(obj, name)
    classes = {n for m in (netrl, inv) for n in public(m)
               if isinstance(getattr(m, n), type) and not issubclass(getattr(m, n), BaseException)}
    enums = {n for n in classes if hasattr(getattr(netrl, n, None) or getattr(inv, n), "__members__")}
    assert classes - enums - seen == set()


# ------------------------------------------------------------------------------------------------
# the GIL
# ------------------------------------------------------------------------------------------------

def test_two_solves_in_two_threads_overlap_in_time():
    """Each thread notes t0 just before and t1 just after its solve; the C++ solve of length e
    (SolveResult.elapsed_seconds) ran somewhere inside [t0, t1]. The two solves certainly overlapped
    when each one's latest possible start (t1 - e) precedes the other's earliest possible end
    (t0 + e). Holding the GIL would serialise them, which this condition excludes; a scheduler
    that delays one thread past the other's end can defeat it, so it is tried up to 3 times."""
    model = netrl.NetworkModel(12, netrl.RewardSpec.count([3, 9]), 0.1, netrl.InputProcess.binary_flip(0.02))
    options = netrl.SolverOptions(backend="host", threads=1)
    for _ in range(3):
        barrier = threading.Barrier(2)
        spans = [None, None]

        def run(k):
            barrier.wait()
            t0 = time.perf_counter()
            result = netrl.solve(model, options)
            spans[k] = (t0, time.perf_counter(), result.elapsed_seconds)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        (a0, a1, ea), (b0, b1, eb) = spans
        assert ea <= a1 - a0 and eb <= b1 - b0
        if a1 - ea < b0 + eb and b1 - eb < a0 + ea:
            return
    pytest.fail(f"the two solves did not overlap: {spans}")


# ------------------------------------------------------------------------------------------------
# the README example
# ------------------------------------------------------------------------------------------------

def readme_example():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "README.md's Python section holds one ```python example"
    return blocks[0]


def test_readme_example_runs_as_written(tmp_path):
    code = readme_example()
    assert len(code.strip().splitlines()) <= 10
    script = tmp_path / "example.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                          cwd=tmp_path, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"r\^2 = ([0-9.]+)", proc.stdout)
    assert match, proc.stdout
    # 2 x 10^5 steps of count8 give r^2 ~ 0.99 (README); the seed is fixed.
    assert float(match.group(1)) > 0.95


# ------------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------------

def test_models_and_options():
    model = netrl.count8_model()
    assert (model.n, model.m, model.num_states, model.num_network_states) == (8, 2, 512, 256)
    assert model.lambda_ == 0.114 and model.prior_mode == netrl.PriorMode.population
    np.testing.assert_array_equal(model.input.T, [[0.98, 0.02], [0.02, 0.98]])
    np.testing.assert_array_equal(netrl.InputProcess.none().T, [[1.0]])
    counts = np.array([bin(b).count("1") for b in range(256)])
    table = model.reward.tabulate(8, 2)
    assert_same(table, np.concatenate([counts == 2, counts == 6]).astype(float), tol=0)
    assert model.reward.kind == netrl.RewardKind.count and list(model.reward.targets) == [2, 6]
    assert model.reward.evaluate(8, 0b11, 0) == 1.0 and model.reward.evaluate(8, 0b111, 0) == 0.0
    model.reward.validate(8, 2)
    model.input.validate()
    model.clamps = [netrl.Clamp(3, 1), netrl.Clamp(neuron=0, state=-1)]
    assert model.free_neurons() == [1, 2, 4, 5, 6, 7]
    assert model.consistent(0b1000) and not model.consistent(0b1001) and not model.consistent(0)
    assert model.num_consistent_states == 2 * 2 ** 6
    assert repr(model.clamps[0]) == "Clamp(neuron=3, state=1)"
    model.validate()
    ring = netrl.RewardSpec.ring_bump(2)
    assert (ring.kind, ring.width) == (netrl.RewardKind.ring_bump, 2)
    table = netrl.RewardSpec.table(np.arange(4.0).reshape(2, 2))
    assert_same(table.values, [0, 1, 2, 3], tol=0)
    options = netrl.SolverOptions(method="policy_iteration", backend="reference", precision="float64", tol=1e-9,
                                  prior_tol=1e-8, max_iterations=10, max_outer_iterations=20, p0=0.4,
                                  prior_eps=1e-7, threads=1)
    assert (options.method, options.backend) == (netrl.Method.policy_iteration, netrl.Backend.reference)
    assert (options.tol, options.prior_tol, options.max_iterations, options.max_outer_iterations) == (1e-9, 1e-8,
                                                                                                      10, 20)
    assert (options.p0, options.prior_eps, options.threads, options.precision) == (0.4, 1e-7, 1, netrl.Precision.float64)
    options.validate()
    assert str(netrl.Backend("auto")) == "auto" and netrl.Backend("host") == netrl.Backend.host
    problem = netrl.Problem(netrl.count8_model(), options, source="mine")
    assert (problem.kind, problem.source, problem.lambda_, problem.num_states) == (netrl.ModelKind.network, "mine",
                                                                                   0.114, 512)
    problem.solver.backend = "host"  # edits in place
    assert problem.solver.backend == netrl.Backend.host
    assert netrl.backend_available("host") and netrl.backend_available(netrl.Backend.reference)
    assert netrl.backend_unavailable_reason("host") == ""


def test_policy_table_option_changes_no_answer():
    """solver.policy_table only changes where the host solver's fixed policy comes from (a stored
    table, or recomputed per step): the same fixed point at the default tolerances (1e-10)."""
    assert netrl.SolverOptions().policy_table is True
    model = netrl.count8_model()
    got = {flag: netrl.solve(model, netrl.SolverOptions(backend="host", policy_table=flag)) for flag in (True, False)}
    assert abs(got[True].gain - got[False].gain) < 1e-10
    assert_same(got[True].prior, got[False].prior, tol=1e-10)
    assert_same(got[True].values, got[False].values, tol=1e-9)
    assert_same(got[True].stationary, got[False].stationary, tol=1e-10)


def test_stationary_distribution_without_input_is_the_gibbs_distribution_of_the_values():
    """Without input, the greedy policy of the values is the Gibbs sampler of
    mu(b) ~ exp(v(b) / (nf lambda)) prod_i p_i^b_i (1 - p_i)^(1 - b_i) over the free neurons: the
    reference backend's stationary distribution (a dense solve of the chain) and the host's (in
    closed form) both equal it, here with per-neuron priors, a table reward and a clamp."""
    n, lam, clamp = 6, 0.3, 2
    rng = np.random.default_rng(5)
    model = netrl.NetworkModel(n, netrl.RewardSpec.table(rng.uniform(0, 1, 2 ** n)), lam,
                               prior_mode="neuron", clamps=[netrl.Clamp(clamp, +1)])
    b = np.arange(2 ** n)
    bits = (b[:, None] >> np.arange(n)) & 1
    consistent = bits[:, clamp] == 1
    free = [i for i in range(n) if i != clamp]
    for backend in ("reference", "host"):
        r = netrl.solve(model, netrl.SolverOptions(backend=backend))
        assert np.isnan(r.prior[clamp])
        p = r.prior[free]
        logw = r.values[consistent] / (len(free) * lam)
        logw = logw + (bits[consistent][:, free] * np.log(p) + (1 - bits[consistent][:, free]) * np.log1p(-p)).sum(1)
        want = np.exp(logw - logw.max())
        want /= want.sum()
        # The values are the evaluated bias (to 1e-3 tol), the policy that of the last inner
        # solve's h (to tol): they differ by about tol, which moves log mu by tol / (nf lambda).
        assert_same(r.stationary[consistent], want, tol=1e-8)
        assert abs(r.stationary[consistent].sum() - 1.0) < 1e-12


def test_every_configuration_name_of_an_enum_converts():
    # The names docs/config-solve.md, docs/config-sample.md and docs/config-infer.md list for each
    # key (solver.method, reward.kind, model, ...): each converts to its member and back, so that
    # Python reaches every value a configuration can name (Method.parametric, RewardKind.planted and
    # .efficient_coding and ModelKind.mdp were once missing).
    import netrl.inverse as inv
    names = {
        netrl.Method: ["value_iteration", "policy_iteration", "parametric"],
        netrl.RewardKind: ["table", "count", "ring_bump", "planted", "efficient_coding"],
        netrl.ModelKind: ["network", "maze", "mdp"],
        netrl.PriorMode: ["population", "neuron"],
        netrl.Precision: ["float32", "float64"],
        netrl.Backend: ["auto", "reference", "host", "cuda"],
        netrl.SamplerKernel: ["auto", "table", "direct", "gemm"],
        netrl.InferMethod: ["auto", "closed_form", "policy", "ml", "maze", "parametric"],
        inv.RewardModel: ["table", "pairwise", "global", "sparse"],
        netrl.ParametricRegression: ["value", "fields"],
    }
    for enum, known in names.items():
        assert len(enum.__members__) == len(known), enum
        for name in known:
            assert str(enum(name)) == name
    options = netrl.SolverOptions()
    options.method = "parametric"
    assert options.method == netrl.Method.parametric
    with pytest.raises(netrl.InvalidInput, match="solver.method"):
        options.method = "gradient_descent"


def test_maze_and_mdp():
    maze = netrl.Maze(SMALL_MAP, slip=0.1)
    assert (maze.rows, maze.cols, maze.num_states, maze.start_state, maze.slip) == (3, 4, 10, 0, 0.1)
    assert list(maze.map) == SMALL_MAP and maze.num_actions == 4
    np.testing.assert_array_equal(maze.cell_of_state, [0, 1, 2, 4, 6, 7, 8, 9, 10, 11])
    np.testing.assert_array_equal(maze.reward_states, [9])
    assert len(netrl.Maze.default_map()) == 15
    mdp = maze.mdp()
    assert (mdp.num_states, mdp.num_actions, mdp.row(2, 3)) == (10, 4, 11)
    rows = np.add.reduceat(mdp.probability, mdp.row_ptr[:-1])
    np.testing.assert_allclose(rows, 1.0, atol=1e-15)
    assert_same(mdp.reward, (np.arange(10) == 9).astype(float), tol=0)
    mdp.validate()
    copy = netrl.Mdp(mdp.num_states, mdp.num_actions, mdp.row_ptr, mdp.next_state, mdp.probability, mdp.reward)
    a, b = netrl.solve(copy, 0.05), netrl.solve(maze, 0.05)
    assert a.gain == b.gain
    problem = netrl.Problem(maze, 0.05)
    assert (problem.kind, problem.maze_lambda, problem.maze.num_states) == (netrl.ModelKind.maze, 0.05, 10)


# ------------------------------------------------------------------------------------------------
# infer's types, scenarios, configurations, runtime
# ------------------------------------------------------------------------------------------------

def test_infer_settings_data_and_result(count8_solution):
    problem, solution = count8_solution
    settings = netrl.infer_scenario("count8")
    assert settings.has_truth and [p.name for p in settings.predictions] == ["flip 0.01", "flip 0.03",
                                                                            "cell 0 removed"]
    assert settings.method == netrl.InferMethod.automatic and settings.reward_model == inv.RewardModel.table
    assert settings.optimizer.tolerance == 1e-12 and settings.source == "scenario count8"
    assert settings.problem.network.n == 8
    settings.predictions = settings.predictions[2:]
    data = netrl.InferData.from_solution(settings.problem, solution)
    assert data.kind == netrl.InferData.Kind.solution and data.lambda_ == 0.114 and data.description
    assert data.notes == [] and data.counts.n == 0 and data.raster.steps == 0
    result = netrl.infer(settings, data)
    assert isinstance(result, netrl.InferResult)
    assert result.method == netrl.InferMethod.policy and result.model == netrl.ModelKind.network
    assert (result.n, result.m, result.maze_states, result.network.missing) == (8, 2, 0, 0)
    assert result.has_comparison and result.comparison.r2 == pytest.approx(1.0, abs=1e-9)
    assert result.converged and result.elapsed_seconds > 0 and result.lambda_ == 0.114
    assert result.source == "scenario count8" and result.data_kind == netrl.InferData.Kind.solution
    assert result.data_description and isinstance(result.notes, list)
    assert (result.samples, result.visited_states, result.multi_flip_steps) == (0, 0, 0)
    assert isinstance(result.network, inv.NetworkInverse) and result.network.method == "policy"
    assert_same(result.values, result.network.values, tol=0)
    assert result.maze.values.size == 0 and result.network.J.size == 0 and result.network.target.size == 0
    (p,) = result.predictions
    assert isinstance(p, netrl.InferPrediction)
    assert not p.failed and p.error == "" and p.spec.name == "cell 0 removed" and p.result.kl_stationary < 1e-12
    counts = inv.expected_data(problem.network, solution.values, solution.stationary, solution.prior, total=1e6)
    assert netrl.InferData.from_counts(counts, "expected").kind == netrl.InferData.Kind.samples
    no_truth = netrl.infer(netrl.InferSettings(problem, method="ml"), netrl.InferData.from_counts(counts))
    assert no_truth.comparison is None and not no_truth.has_comparison


def test_scenarios_and_the_sample_size_experiment():
    ring12 = ["ring12", "ring12-lambda0.1", "ring12-local", "ring12-clamped"]
    assert netrl.scenario_names() == ["count8", "maze", "maze-high", "effcode"] + ring12
    assert netrl.infer_scenario_names() == ["count8", "count8-samples", "maze", "ring12"]
    assert netrl.scenario("maze-high").maze_lambda == 0.13
    assert netrl.infer_scenario("maze", "reference").problem.solver.method == netrl.Method.policy_iteration
    names = [s.name for s in netrl.count8_predictions(netrl.scenario("count8"))]
    assert names == ["flip 0.01", "flip 0.03", "cell 0 removed"]
    options = netrl.SampleSizeOptions(sizes=[2000], repeats=2, seed=4, predictions=False, backend="host",
                                      progress=False)
    assert (options.sizes, options.repeats, options.seed, options.predictions, options.progress) == ([2000], 2, 4,
                                                                                                     False, False)
    result = netrl.count8_from_samples(options)
    assert isinstance(result, netrl.SampleSizeResult) and isinstance(result.rows[0], netrl.SampleSizeRow)
    assert [(r.T, r.repeat) for r in result.rows] == [(2000, 0), (2000, 1)]
    assert result.burn_in == 10000 and result.prediction_names == [] and result.options.repeats == 2
    assert result.elapsed_seconds > 0
    row = result.rows[0]
    assert 0 < row.r2 <= 1 and row.seed > 0 and row.iterations >= 0 and row.converged in (True, False)
    assert row.missing >= 0 and row.kl_spike_count == [] and row.kl_stationary == []
    (summary,) = netrl.summarize(result)
    assert (summary.T, summary.repeats, summary.predictions) == (2000, 2, [])
    assert summary.r2_mean == pytest.approx(np.mean([r.r2 for r in result.rows]))
    assert summary.r2_sem == pytest.approx(np.std([r.r2 for r in result.rows], ddof=1) / np.sqrt(2))
    assert netrl.SampleSizeSummary.Prediction is not None


def test_configurations(tmp_path, count8_cli_dir):
    sample = {**COUNT8, "policy": {"kind": "exact", "dir": str(count8_cli_dir)},
              "sampling": {"chains": 3, "steps": 10, "seed": 2, "record": {"raster_chains": [1]}}}
    config = netrl.parse_sample_config(sample)
    assert isinstance(config, netrl.SampleConfig)
    assert config.has_reward and config.model.n == 8 and config.options.chains == 3 and config.source == ""
    assert config.policy.kind == netrl.SamplerPolicy.Kind.exact and config.policy.values.shape == (512,)
    assert '"exact"' in config.policy_json and list(config.options.raster_chains) == [1]
    loaded = netrl.load_sample_config(str(write_json(tmp_path / "s.json", sample)))
    assert loaded.source.endswith("s.json")
    infer = {k: v for k, v in COUNT8.items() if k != "reward"}
    infer.update({"data": {"raster": "r.npy"}, "method": "ml"})
    parsed = netrl.parse_infer_config(infer, str(tmp_path / "i.json"))
    assert isinstance(parsed, netrl.InferConfig)
    assert parsed.raster_path == str(tmp_path / "r.npy") and parsed.settings.method == netrl.InferMethod.ml
    assert (parsed.solution_dir, parsed.samples_dir, parsed.inputs_path) == ("", "", "")
    assert netrl.parse_problem('{"model": "maze", "map": ["SR"], "lambda": 0.1}').maze.num_states == 2


def test_threads_and_wait_policy():
    netrl.set_threads(1)
    assert netrl.threads() == 1
    netrl.set_threads(0)
    assert netrl.threads() >= 1
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    code = "import netrl, os; print(netrl.wait_policy(), os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["passive", "passive"]
    env["OMP_WAIT_POLICY"] = "active"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["active", "active"]  # the user's setting is kept


# ------------------------------------------------------------------------------------------------
# coverage of the bindings and their documentation
# ------------------------------------------------------------------------------------------------

def public(module):
    return [n for n in module.__all__ if not n.startswith("_")]


def test_every_binding_is_exercised_by_these_tests():
    """Every public function and class of netrl and netrl.inverse is named in a test, so none is
    left without a test that calls it (docs/python.md lists them by area)."""
    sources = "\n".join(p.read_text() for p in pathlib.Path(__file__).parent.glob("test_bindings*.py"))
    missing = [f"{m.__name__}.{n}" for m in (netrl, inv) for n in public(m)
               if n not in ("inverse", "Error") and not re.search(rf"\b{n}\b", sources)]
    assert not missing, f"bindings no test names: {missing}"


def test_docstrings_and_stubs():
    for module in (netrl, inv):
        for name in public(module):
            obj = getattr(module, name)
            if callable(obj):
                assert obj.__doc__, f"{module.__name__}.{name} has no docstring"
    stubs = {p.name: p.read_text() for p in pathlib.Path(netrl.__file__).parent.glob("*.pyi")}
    for module, stub in ((netrl, "__init__.pyi"), (inv, "inverse.pyi")):
        text = stubs[stub]
        missing = [n for n in public(module) if n != "inverse" and not re.search(rf"\b(def|class) {n}\b|^{n}\b", text,
                                                                                  flags=re.M)]
        assert not missing, f"{stub} lacks {missing}"
