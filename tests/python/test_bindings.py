"""The Python module against the `netrl` tool: the same configurations through `netrl solve`,
`netrl sample` and `netrl infer` (files) and through the bindings (arrays) give the same arrays
to 1e-12; and bad input raises the documented exceptions.

Run by CTest (pytest_bindings) with PYTHONPATH=build/python and NETRL_CLI=build/host/netrl.
"""

import numpy as np
import pytest

import netrl
from conftest import COUNT8, SMALL_MAP, assert_same, load, raises_invalid, read_result, write_json


def spike_count_csv(directory):
    return np.loadtxt(directory / "spike_count.csv", delimiter=",", skiprows=1, ndmin=2)[:, 1:]


def check_solution(result, directory):
    """A SolveResult against a `netrl solve --out` directory."""
    js = read_result(directory)
    assert result.gain == pytest.approx(js["gain"], abs=1e-12)
    assert [result.gain_lo, result.gain_hi] == pytest.approx(js["gain_bounds"], abs=1e-12)
    assert result.mean_reward == pytest.approx(js["mean_reward"], abs=1e-12)
    assert result.mean_coding_cost == pytest.approx(js["mean_coding_cost"], abs=1e-12)
    assert_same(result.prior, [np.nan if p is None else p for p in js["prior"]])
    assert_same(result.gain_history, js["gain_history"])
    assert list(result.degenerate) == js["degenerate"]
    assert (result.outer_iterations, result.inner_iterations) == (js["outer_iterations"], js["inner_iterations"])
    assert (result.converged, result.states) == (js["converged"], js["states"])
    assert (result.backend, result.precision, result.method) == (js["backend"], js["precision"], js["method"])
    assert_same(result.values, load(directory, "values.npy"))
    assert_same(result.stationary, load(directory, "stationary.npy"))
    if js["model"] == "network":
        assert_same(result.spike_count, spike_count_csv(directory))


# ------------------------------------------------------------------------------------------------
# solve
# ------------------------------------------------------------------------------------------------

TABLE4 = np.sin(np.arange(16) * 0.7)  # a table reward over the 2^4 states of a network without input

SOLVE_CASES = {
    "count8_host_vi": (COUNT8, {}),
    "count8_reference_pi": (COUNT8, {"backend": "reference", "method": "policy_iteration"}),
    "count8_host_pi": (COUNT8, {"backend": "host", "method": "policy_iteration"}),
    "count8_host_float32": (COUNT8, {"precision": "float32", "tol": 1e-5, "prior_tol": 1e-6}),
    "table4_neuron_clamp": (
        {"model": "network", "n": 4, "reward": {"kind": "table", "values": TABLE4.tolist()}, "lambda": 0.3,
         "prior": "neuron", "clamp": [{"neuron": 1, "state": 1}]},
        {"backend": "host", "p0": 0.3},
    ),
    "ring_bump5": ({"model": "network", "n": 5, "reward": {"kind": "ring_bump", "width": 2}, "lambda": 0.2}, {}),
    "maze_small": ({"model": "maze", "map": SMALL_MAP, "slip": 0.1, "lambda": 0.05}, {"method": "policy_iteration"}),
}


def python_problem(config, solver):
    """The configuration built with the bindings' constructors (not the config parser)."""
    options = netrl.SolverOptions(**solver)
    if config["model"] == "maze":
        return netrl.Problem(netrl.Maze(config["map"], slip=config["slip"]), config["lambda"], options)
    kind = config["reward"]["kind"]
    reward = (netrl.RewardSpec.table(np.array(config["reward"]["values"])) if kind == "table"
              else netrl.RewardSpec.count(config["reward"]["targets"]) if kind == "count"
              else netrl.RewardSpec.ring_bump(config["reward"]["width"]))
    model = netrl.NetworkModel(
        n=config["n"], reward=reward, lambda_=config["lambda"],
        input=netrl.InputProcess(np.array(config["input"]["T"])) if "input" in config else None,
        prior_mode=config.get("prior", "population"),
        clamps=[netrl.Clamp(c["neuron"], c["state"]) for c in config.get("clamp", [])])
    return netrl.Problem(model, options)


@pytest.mark.parametrize("case", sorted(SOLVE_CASES))
def test_solve_matches_cli(case, cli, tmp_path):
    config, solver = SOLVE_CASES[case]
    out = tmp_path / "out"
    cli("solve", write_json(tmp_path / "c.json", {**config, "solver": solver}), "--out", out)
    problem = python_problem(config, solver)
    check_solution(netrl.solve(problem), out)
    # The same through the overloads that take the model itself, and through the config parser.
    if problem.kind == netrl.ModelKind.network:
        check_solution(netrl.solve(problem.network, problem.solver), out)
    else:
        check_solution(netrl.solve(problem.maze, problem.lambda_, problem.solver), out)
        check_solution(netrl.solve(problem.maze.mdp(), problem.lambda_, problem.solver), out)
    check_solution(netrl.solve(netrl.parse_problem({**config, "solver": solver})), out)


def test_solve_scenario_and_config_file_match_cli(count8_cli_dir, tmp_path):
    check_solution(netrl.solve(netrl.scenario("count8")), count8_cli_dir)
    path = write_json(tmp_path / "count8.json", COUNT8)
    check_solution(netrl.solve(netrl.load_problem(str(path))), count8_cli_dir)


def test_solve_batch_equals_single_solves():
    base = netrl.count8_model()
    models = []
    for lam in (0.1, 0.114, 0.2):
        model = netrl.count8_model()
        model.lambda_ = lam
        models.append(model)
    batch = netrl.solve_batch(models, netrl.SolverOptions(backend="host"))
    assert len(batch) == 3
    for model, result in zip(models, batch):
        alone = netrl.solve(model, netrl.SolverOptions(backend="host"))
        # "equal to solving each alone up to rounding" (netrl/solve.hpp)
        assert result.gain == pytest.approx(alone.gain, abs=1e-9)
        assert_same(result.stationary, alone.stationary, tol=1e-9)
    assert batch[1].gain == pytest.approx(netrl.solve(base).gain, abs=1e-9)


# ------------------------------------------------------------------------------------------------
# sample
# ------------------------------------------------------------------------------------------------

SAMPLING = {"chains": 4, "steps": 3000, "burn_in": 500, "seed": 11}


@pytest.fixture(scope="module")
def count8_samples(cli, count8_cli_dir, tmp_path_factory):
    """`netrl sample` of the count8 solution, and the same run through netrl.sample."""
    out = tmp_path_factory.mktemp("smp") / "smp"
    config = {**COUNT8, "policy": {"kind": "exact", "dir": str(count8_cli_dir)},
              "sampling": {**SAMPLING, "record": {"transitions": True, "raster_chains": [0, 2]}}}
    cli("sample", write_json(out.parent / "sample.json", config), "--out", out)
    js = read_result(count8_cli_dir)
    policy = netrl.SamplerPolicy.exact(load(count8_cli_dir, "values.npy"), np.array(js["prior"], dtype=float))
    options = netrl.SamplingOptions(**SAMPLING, transitions=True, raster_chains=[0, 2])
    return out, netrl.sample(netrl.count8_model(), policy, options)


def check_samples(result, out):
    js = read_result(out)
    assert (result.n, result.m, result.chains, result.samples_per_chain) == (js["n"], js["m"], js["chains"],
                                                                             js["samples_per_chain"])
    assert (result.samples, result.flips, result.updates, result.seed) == (js["samples"], js["flips"],
                                                                           js["updates"], js["seed"])
    assert (str(result.backend), result.kernel) == (js["backend"], js["kernel"])
    assert_same(result.histogram, load(out, "histogram.npy"))
    assert_same(result.spike_count, load(out, "spike_count_counts.npy"))
    assert_same(result.active / result.samples, load(out, "rates.npy"))
    assert_same(result.coactive / result.samples, load(out, "coactivation.npy"))
    if (out / "transitions.npy").exists():
        assert_same(result.transitions, load(out, "transitions.npy"))
    for raster in result.rasters:
        np.testing.assert_array_equal(raster.states, load(out, f"raster_chain{raster.chain}.npy"))
        assert_same(raster.inputs, load(out, f"inputs_chain{raster.chain}.npy"))


def test_sample_exact_policy_matches_cli(count8_samples):
    out, result = count8_samples
    assert [r.chain for r in result.rasters] == [0, 2]
    assert result.rasters[0].states.shape == (result.samples_per_chain, 8)
    assert result.histogram.dtype == np.uint64
    check_samples(result, out)


def test_sample_ising_policy_matches_cli(cli, tmp_path):
    n = 6
    rng = np.random.default_rng(3)
    J = rng.normal(0, 0.3, (n, n))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0)
    h = rng.normal(0, 0.2, n)
    np.save(tmp_path / "J.npy", J)
    np.save(tmp_path / "h.npy", h)
    config = {"model": "network", "n": n, "lambda": 0.5,
              "policy": {"kind": "ising", "J": "J.npy", "h": "h.npy", "prior": 0.3},
              "sampling": {**SAMPLING, "thin": 2, "record": {"raster_chains": [1]}}}
    cli("sample", write_json(tmp_path / "s.json", config), "--out", tmp_path / "out")
    model = netrl.NetworkModel(n, netrl.RewardSpec.count([0]), 0.5)
    options = netrl.SamplingOptions(**SAMPLING, thin=2, raster_chains=[1])
    result = netrl.sample(model, netrl.SamplerPolicy.ising(J, h, [0.3]), options)
    assert result.samples_per_chain == 1500  # ceil(steps / thin)
    check_samples(result, tmp_path / "out")


# ------------------------------------------------------------------------------------------------
# infer
# ------------------------------------------------------------------------------------------------

def check_inference(result, out):
    js = read_result(out)
    assert str(result.method) == js["method"]
    assert_same(result.reward, load(out, "reward.npy"))
    assert_same(result.values, load(out, "values.npy"))
    assert list(result.reward_shape) == js["reward_shape"]
    if result.comparison is not None:
        assert result.comparison.r2 == pytest.approx(js["comparison"]["r2"], abs=1e-12)
    for name in ("J", "h", "target"):
        if (out / f"{name}.npy").exists():
            expected = load(out, f"{name}.npy")  # h: (n,) without input in the file, (m, n) in NetworkInverse
            assert_same(getattr(result.network, name).reshape(expected.shape), expected)
    for k, p in enumerate(result.predictions):
        assert not p.failed, p.error
        assert_same(p.result.predicted.result.stationary, load(out, f"predict_{k}_stationary.npy"))
    return js


NETWORK_KEYS = {k: v for k, v in COUNT8.items() if k != "reward"}
TRUTH = {"kind": "count", "targets": [2, 6]}


def test_infer_from_solution_with_prediction_matches_cli(cli, count8_cli_dir, count8_solution, tmp_path):
    problem, solution = count8_solution
    config = {**NETWORK_KEYS, "data": {"solution": str(count8_cli_dir)}, "true_reward": TRUTH,
              "method": "policy",
              "predict": [{"name": "flip 0.01", "input": {"T": [[0.99, 0.01], [0.01, 0.99]]},
                           "keep_coding_cost": True}]}
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    changed = netrl.scenario("count8")
    changed.network.input = netrl.InputProcess.binary_flip(0.01)
    spec = netrl.inverse.PredictionSpec("flip 0.01", changed, keep_coding_cost=True)
    settings = netrl.InferSettings(problem, has_truth=True, method="policy", predictions=[spec])
    result = netrl.infer(settings, netrl.InferData.from_solution(problem, solution))
    js = check_inference(result, tmp_path / "out")
    prediction = result.predictions[0].result
    assert prediction.predicted.lambda_ == pytest.approx(js["predictions"][0]["predicted"]["lambda"], abs=1e-12)
    assert prediction.predicted.result.gain == pytest.approx(js["predictions"][0]["predicted"]["gain"], abs=1e-12)
    assert prediction.kl_stationary == pytest.approx(js["predictions"][0]["kl_stationary"], abs=1e-12)
    assert result.comparison.r2 == pytest.approx(1.0, abs=1e-9)  # exact data: the reward comes back


def test_infer_from_samples_matches_cli(cli, count8_samples, tmp_path):
    out, samples = count8_samples
    config = {**NETWORK_KEYS, "data": {"samples": str(out)}, "true_reward": TRUTH, "method": "ml"}
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    model = netrl.count8_model()
    data = netrl.InferData.from_samples(model, samples.histogram, samples.transitions)
    result = netrl.infer(netrl.InferSettings(netrl.Problem(model), has_truth=True, method="ml"), data)
    check_inference(result, tmp_path / "out")
    assert result.samples == samples.samples


@pytest.mark.parametrize("method, reward_model", [("ml", "table"), ("parametric", "pairwise")])
def test_infer_from_raster_matches_cli(cli, count8_samples, tmp_path, method, reward_model):
    _, samples = count8_samples
    raster = samples.rasters[0]
    np.save(tmp_path / "raster.npy", raster.states)
    np.save(tmp_path / "inputs.npy", raster.inputs.astype(np.int64))
    config = {**NETWORK_KEYS, "data": {"raster": "raster.npy", "inputs": "inputs.npy"}, "true_reward": TRUTH,
              "method": method}
    if method == "parametric":
        config["reward_model"] = reward_model
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    problem = netrl.scenario("count8")
    settings = netrl.InferSettings(problem, has_truth=True, method=method, reward_model=reward_model)
    # The raster as plain numpy arrays of other dtypes (bool states, float inputs).
    data = netrl.InferData.from_raster(problem.network, raster.states.astype(bool), raster.inputs.astype(float))
    result = netrl.infer(settings, data)
    check_inference(result, tmp_path / "out")
    assert (result.samples, result.data_kind) == (raster.steps, netrl.InferData.Kind.raster)
    # The Raster object itself is data too.
    again = netrl.infer(settings, netrl.InferData.from_raster(raster))
    assert_same(again.reward, result.reward, tol=0)


def test_infer_parametric_on_visited_states_matches_cli(cli, tmp_path):
    # A 70-neuron Ising raster (beyond the exact state space): the reward on the visited states.
    n, lam = 70, 0.05
    rng = np.random.default_rng(5)
    J = np.triu(rng.normal(0, 0.5 / np.sqrt(n), (n, n)), 1) * (n * lam / 2)
    J = J + J.T
    model = netrl.NetworkModel(n, netrl.RewardSpec.count([0]), lam)
    options = netrl.SamplingOptions(chains=1, steps=300 * n, thin=n, seed=2, raster_chains=[0])
    raster = netrl.sample(model, netrl.SamplerPolicy.ising(J, np.zeros(n), [0.5]), options).rasters[0]
    np.save(tmp_path / "raster.npy", raster.states)
    config = {"model": "network", "n": n, "lambda": lam, "method": "parametric",
              "data": {"raster": "raster.npy"}}
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    settings = netrl.InferSettings(netrl.Problem(model), method="parametric", states="visited")
    result = netrl.infer(settings, netrl.InferData.from_raster(raster))
    js = check_inference(result, tmp_path / "out")
    assert result.on_visited and js["states"] == "visited" and len(result.visited) == 300
    assert list(result.reward_shape) == [300] and js["reward_shape"] == [300]
    assert_same(result.visited.spins, load(tmp_path / "out", "visited_states.npy"), tol=0)
    assert_same(result.visited.visits, load(tmp_path / "out", "visits.npy"), tol=0)
    assert result.network.converged and result.network.gradient_norm <= result.network.gradient_threshold
    # The library path: visited states, then the inverse on them.
    assert settings.states == netrl.StateReport.visited
    visited = netrl.inverse.visited_states(raster, model)
    assert isinstance(visited, netrl.inverse.VisitedStates) and (visited.n, visited.m, visited.total) == (n, 1, 300)
    prior = netrl.inverse.firing_prior(model, visited)
    direct = netrl.inverse.parametric(model, visited, prior, lam)
    assert_same(direct.J, result.network.J, tol=0)
    assert_same(direct.reward, result.reward, tol=0)


def test_parametric_solve_matches_cli(cli, tmp_path):
    # The parametric solver with the regression on local fields, from Python and from the tool on
    # the same configuration: the same seed gives the same bits (J, h, the learning curve).
    n, lam = 24, 0.05
    config = {"model": "network", "n": n, "lambda": lam, "reward": {"kind": "ring_bump", "width": 8},
              "solver": {"method": "parametric",
                         "parametric": {"regression": "fields", "max_batches": 200, "seed": 4}}}
    cli("solve", write_json(tmp_path / "p.json", config), "--out", tmp_path / "out", expect=3)  # not converged
    options = netrl.SolverOptions(method="parametric")
    assert options.parametric.regression == netrl.ParametricRegression.value  # the paper's default
    options.parametric = netrl.ParametricOptions(regression="fields", max_batches=200, seed=4)
    result = netrl.solve(netrl.NetworkModel(n, netrl.RewardSpec.ring_bump(8), lam), options)
    js = read_result(tmp_path / "out")
    solution = result.parametric
    assert isinstance(solution, netrl.ParametricSolution) and isinstance(solution.curve[0], netrl.LearningCurvePoint)
    assert not result.converged and solution.batches == js["batches"] == 200
    assert js["parametric"]["regression"] == "fields"
    assert_same(solution.J, load(tmp_path / "out", "J.npy"), tol=0)
    assert_same(solution.h, load(tmp_path / "out", "h.npy"), tol=0)
    curve = np.loadtxt(tmp_path / "out" / "learning_curve.csv", delimiter=",", skiprows=1, ndmin=2)
    assert len(solution.curve) == len(curve) == 2
    assert_same([p.phi_change for p in solution.curve], curve[:, 7], tol=1e-15)
    assert_same([p.field_error for p in solution.curve], curve[:, 10], tol=1e-15)  # the fields' RMS error
    assert all(np.isfinite(p.field_error) and p.field_error >= 0 for p in solution.curve)
    assert solution.J.shape == (n, n) and np.all(solution.J == solution.J.T) and np.all(np.diag(solution.J) == 0)
    assert netrl.solve(netrl.NetworkModel(5, netrl.RewardSpec.ring_bump(2), 0.2)).parametric is None
    with pytest.raises(netrl.InvalidInput, match="solver.parametric.regression"):
        options.parametric.regression = "field"


def test_infer_closed_form_without_input_matches_cli(cli, tmp_path):
    model = netrl.NetworkModel(5, netrl.RewardSpec.ring_bump(2), 0.2)
    solution = netrl.solve(model)
    recording = netrl.sample(model, netrl.SamplerPolicy.exact(solution.values, solution.prior),
                             netrl.SamplingOptions(chains=1, steps=20000, burn_in=1000, seed=5, raster_chains=[0]))
    states = recording.rasters[0].states
    np.save(tmp_path / "raster.npy", states)
    config = {"model": "network", "n": 5, "lambda": 0.2, "data": {"raster": "raster.npy"},
              "true_reward": {"kind": "ring_bump", "width": 2}, "method": "closed_form"}
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    settings = netrl.InferSettings(netrl.Problem(model), has_truth=True, method="closed_form")
    result = netrl.infer(settings, netrl.InferData.from_raster(model, states))
    check_inference(result, tmp_path / "out")


def test_infer_maze_matches_cli(cli, tmp_path):
    maze_keys = {"model": "maze", "map": SMALL_MAP, "slip": 0.1, "lambda": 0.05,
                 "solver": {"method": "policy_iteration"}}
    cli("solve", write_json(tmp_path / "s.json", maze_keys), "--out", tmp_path / "sol")
    config = {**maze_keys, "data": {"solution": "sol"}, "true_reward": "map", "optimizer": {"tolerance": 1e-12}}
    cli("infer", write_json(tmp_path / "i.json", config), "--out", tmp_path / "out")
    problem = netrl.parse_problem(maze_keys)
    settings = netrl.InferSettings(problem, has_truth=True, optimizer=netrl.inverse.OptimizerOptions(tolerance=1e-12))
    result = netrl.infer(settings, netrl.InferData.from_solution(problem, netrl.solve(problem)))
    assert result.method == netrl.InferMethod.maze
    check_inference(result, tmp_path / "out")
    # The configuration route: load_infer_config + load_infer_data read the same files.
    config_run = netrl.load_infer_config(str(tmp_path / "i.json"))
    again = netrl.infer(config_run.settings, netrl.load_infer_data(config_run))
    check_inference(again, tmp_path / "out")


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------

def test_bad_input_raises_value_error_naming_the_field():
    model = netrl.count8_model()
    raises_invalid("solver.tol", lambda: netrl.solve(model, netrl.SolverOptions(tol=-1.0)))
    model.n = 0
    raises_invalid("n", lambda: netrl.solve(model))
    raises_invalid("lambda", lambda: netrl.solve(netrl.NetworkModel(8, netrl.RewardSpec.count([2, 6]), -1.0,
                                                                     netrl.InputProcess.binary_flip(0.02))))
    raises_invalid("T", lambda: netrl.InputProcess(np.array([[0.5, 0.6], [0.5, 0.5]])))
    raises_invalid("scenario", lambda: netrl.scenario("count9"))
    raises_invalid("backend", lambda: netrl.SolverOptions(backend="gpu"))
    raises_invalid("map", lambda: netrl.Maze(["S..", "..."]))
    raises_invalid("sampling.chains", lambda: netrl.sample(netrl.count8_model(), netrl.SamplerPolicy.ising(
        np.zeros((8, 8)), np.zeros(8), [0.5]), netrl.SamplingOptions(chains=0)))
    count8 = netrl.count8_model()
    msg = raises_invalid("raster", lambda: netrl.InferData.from_raster(count8, np.full((3, 8), 2), np.zeros(3)))
    assert "entry [0, 0] = 2 is not binary" in msg
    raises_invalid("raster", lambda: netrl.Raster(count8, np.zeros((3, 7)), np.zeros(3)))
    raises_invalid("inputs", lambda: netrl.Raster(count8, np.zeros((3, 8)), np.array([0, 1, 2])))
    raises_invalid("samples", lambda: netrl.InferData.from_samples(count8, np.ones(10)))
    raises_invalid("solver.tol", lambda: netrl.parse_problem({**COUNT8, "solver": {"tol": -1}}))
    raises_invalid("config", lambda: netrl.parse_problem("{not json"))
    # numpy numbers read as their values; NaN named as such (it was a JSON syntax error at a column).
    numpy_config = {**COUNT8, "n": np.int64(8), "lambda": np.float64(0.114)}
    assert netrl.parse_problem(numpy_config).network.n == 8
    assert "NaN" in raises_invalid("config", lambda: netrl.parse_problem({**COUNT8, "lambda": float("nan")}))
    raises_invalid("threads", lambda: netrl.set_threads(-1))
    # The ml method cannot use counts without transitions: the field of the settings.
    data = netrl.InferData.from_samples(count8, np.ones(512))
    raises_invalid("data.samples", lambda: netrl.infer(
        netrl.InferSettings(netrl.Problem(count8), method="ml"), data))


def test_numerical_failure_raises_netrl_numerical_error():
    problem = netrl.scenario("count8")
    with pytest.raises(netrl.NumericalError, match="target mean coding cost"):
        netrl.inverse.retune_lambda(problem, None, 0.114, -1.0)
    problem.solver.max_iterations = 2
    with pytest.raises(netrl.NumericalError, match="did not converge"):
        netrl.inverse.retune_lambda(problem, None, 0.114, 0.5)
    assert issubclass(netrl.NumericalError, netrl.Error) and not issubclass(netrl.NumericalError, ValueError)


def test_io_and_backend_errors():
    with pytest.raises(netrl.IoError) as info:
        netrl.load_problem("/nonexistent/netrl.json")
    assert isinstance(info.value, OSError) and "/nonexistent/netrl.json" in str(info.value)
    if netrl.backend_available("cuda"):
        pytest.skip("a CUDA device answers here: no BackendError to provoke")
    reason = netrl.backend_unavailable_reason("cuda")
    assert reason
    with pytest.raises(netrl.BackendError):
        netrl.solve(netrl.count8_model(), netrl.SolverOptions(backend="cuda"))
