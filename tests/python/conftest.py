"""Shared fixtures of the Python binding tests (tests/python/test_bindings*.py).

The tests import the module `netrl` from the build tree (CTest sets PYTHONPATH=build/python) and
run the `netrl` tool (NETRL_CLI, set by CTest; default build/host/netrl) on the same
configurations, to compare the arrays the two produce.
"""

import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def cli_path():
    return pathlib.Path(os.environ.get("NETRL_CLI", ROOT / "build" / "host" / "netrl"))


@pytest.fixture(scope="session")
def cli():
    """Runs `netrl ARGS...` and returns its stdout; fails the test on a non-zero exit."""
    path = cli_path()
    if not path.exists():
        pytest.fail(f"the netrl tool is missing at {path} (set NETRL_CLI)")

    def run(*args, expect=0):
        proc = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True, check=False)
        assert proc.returncode == expect, f"netrl {' '.join(map(str, args))}: exit {proc.returncode}\n{proc.stderr}"
        return proc.stdout

    return run


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def read_result(directory):
    return json.loads((pathlib.Path(directory) / "result.json").read_text())


def load(directory, name):
    return np.load(pathlib.Path(directory) / name)


def assert_same(actual, expected, tol=1e-12):
    """Equal shapes, NaN at the same places, and finite entries within tol (absolute)."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=0, atol=tol)


# Arrays of model and configuration classes, reachable through read-write attributes
# (`model.input.T`): read-only copies, since assigning `model.input = ...` frees what a view would
# point into.
COPIED = {("InputProcess", "T"), ("RewardSpec", "values"), ("Mdp", "row_ptr"), ("Mdp", "next_state"),
          ("Mdp", "probability"), ("Mdp", "reward"), ("Maze", "cell_of_state"), ("Maze", "reward_states"),
          ("SamplerPolicy", "values"), ("SamplerPolicy", "J"), ("SamplerPolicy", "h"), ("SamplerPolicy", "prior")}


def check_copy(owner, name):
    a = getattr(owner, name)
    assert a.base is not owner and not a.flags.writeable
    assert a.__array_interface__["data"][0] != getattr(owner, name).__array_interface__["data"][0]
    return a


def check_view(owner, name):
    a = getattr(owner, name)
    assert a.base is owner, f"{type(owner).__name__}.{name}: base is {type(a.base).__name__}"
    assert not a.flags.writeable
    # Two reads are views of the same memory (the C++ vector), not two copies.
    assert a.__array_interface__["data"][0] == getattr(owner, name).__array_interface__["data"][0]
    return a


# The count8 model as a `netrl solve` configuration (README, "Built-in scenarios").
COUNT8 = {
    "model": "network",
    "n": 8,
    "input": {"T": [[0.98, 0.02], [0.02, 0.98]]},
    "reward": {"kind": "count", "targets": [2, 6]},
    "lambda": 0.114,
    "prior": "population",
}

# A small maze: the forward solve and the maze inverse take well under a second.
SMALL_MAP = ["S..#", ".#..", "...R"]


@pytest.fixture(scope="session")
def count8_solution():
    import netrl

    problem = netrl.scenario("count8")
    return problem, netrl.solve(problem)


@pytest.fixture(scope="session")
def count8_cli_dir(cli, tmp_path_factory):
    """`netrl solve --scenario count8 --out DIR` (the sample and infer configurations read it)."""
    out = tmp_path_factory.mktemp("count8") / "sol"
    cli("solve", "--scenario", "count8", "--out", out)
    return out


def raises_invalid(field, call):
    """`call` raises netrl.InvalidInput, a ValueError whose message starts with `field`."""
    import netrl  # here: this file is read before the tests import the module from the build tree
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, netrl.InvalidInput) and isinstance(info.value, netrl.Error)
    assert info.value.field == field
    assert str(info.value).startswith(field + ": "), str(info.value)
    return str(info.value)
