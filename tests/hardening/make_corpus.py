#!/usr/bin/env python3
"""Writes tests/hardening/corpus/: malformed inputs for `netrl solve|sample|infer` and the
manifest that says, for each, the command to run and the field its error must name.

The corpus is committed; this script documents how each file was made and regenerates it
(python3 tests/hardening/make_corpus.py). Files the repository cannot hold (a FIFO, a file over
a size limit) are made by the runner from a "setup" entry. Paths in commands are relative to
the corpus directory, where the runner runs the tool.

Manifest entry: {"name", "args": [...], "field": text the error line must start with after
"netrl: error: ", "status": 1 (2 for usage errors), "setup": optional list of
{"fifo": path} or {"sized": path, "bytes": n}}.
"""
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
cases = []
if os.path.isdir(OUT):
    shutil.rmtree(OUT)


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return rel


def jdump(obj):
    return json.dumps(obj, indent=1)


def npy(header, data=b"", major=1, minor=0, raw_len=None):
    """A .npy file with the given header text (padded as numpy pads it) and data."""
    h = header.encode() if isinstance(header, str) else header
    prefix = 10 if major == 1 else 12
    total = prefix + len(h) + 1
    h += b" " * ((64 - total % 64) % 64) + b"\n"
    n = len(h) if raw_len is None else raw_len
    length = struct.pack("<H", n) if major == 1 else struct.pack("<I", n)
    return b"\x93NUMPY" + bytes([major, minor]) + length + h + data


def hdr(descr, shape, order="False"):
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, order, shape)


def f8(values):
    return struct.pack("<%dd" % len(values), *values)


def case(name, args, field, status=1, setup=None):
    entry = {"name": name, "args": args, "field": field, "status": status}
    if setup:
        entry["setup"] = setup
    cases.append(entry)


# ---------------------------------------------------------------------------------------------
# netrl solve: a network configuration broken one key at a time
# ---------------------------------------------------------------------------------------------

BASE = {"model": "network", "n": 2, "lambda": 0.5, "reward": {"kind": "count", "targets": [1]}}


def solve_case(name, field, patch=None, drop=(), text=None, status=1):
    if text is None:
        cfg = json.loads(json.dumps(BASE))
        for k in drop:
            cfg.pop(k, None)
        for k, v in (patch or {}).items():
            cfg[k] = v
        text = jdump(cfg)
    rel = write("solve/%s.json" % name, text)
    case("solve_" + name, ["solve", rel], field, status)


solve_case("syntax_garbage", "solve/syntax_garbage.json", text="this is not JSON")
solve_case("syntax_trailing_comma", "solve/syntax_trailing_comma.json", text='{"model": "network", "n": 2,}')
solve_case("syntax_truncated", "solve/syntax_truncated.json", text='{"model": "network", "n": 2')
solve_case("syntax_empty", "solve/syntax_empty.json", text="")
write("solve/syntax_bad_utf8.json", b'{"model": "net\xffwork"}')
case("solve_syntax_bad_utf8", ["solve", "solve/syntax_bad_utf8.json"], "solve/syntax_bad_utf8.json")
solve_case("syntax_number_overflow", "solve/syntax_number_overflow.json", text='{"model": "network", "n": 1e400}')
solve_case("syntax_comment", "solve/syntax_comment.json", text='{"model": "network", // a comment\n "n": 2}')
solve_case("top_level_array", "config", text="[1, 2, 3]")
solve_case("top_level_string", "config", text='"network"')
solve_case("duplicate_top_key", "lambda", text='{"model": "network", "n": 2, "lambda": 0.5, "lambda": -1,\n'
           ' "reward": {"kind": "count", "targets": [1]}}')
solve_case("duplicate_nested_key", "solver.tol", text='{"model": "network", "n": 2, "lambda": 0.5,\n'
           ' "reward": {"kind": "count", "targets": [1]}, "solver": {"tol": -1, "tol": 1e-10}}')
solve_case("deep_nesting", "n", text='{"model": "network", "n": ' + "[" * 1000 + "]" * 1000 + "}")
solve_case("deep_nesting_objects", "reward", text='{"model": "network", "reward": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}")
solve_case("long_model_name", "model", patch={"model": "m" * 3000})
solve_case("long_unknown_key", "k" * 20, patch={"k" * 3000: 1})
solve_case("unknown_key", "colour", patch={"colour": "blue"})
solve_case("model_missing", "model", drop=["model"])
solve_case("model_unknown", "model", patch={"model": "hopfield"})
solve_case("model_number", "model", patch={"model": 3})
solve_case("n_zero", "n", patch={"n": 0})
solve_case("n_too_large", "n", patch={"n": 41})
solve_case("n_negative", "n", patch={"n": -1})
solve_case("n_fraction", "n", patch={"n": 1.5})
solve_case("n_string", "n", patch={"n": "2"})
solve_case("n_huge", "n", patch={"n": 1e20})
solve_case("n_beyond_uint64", "n", text='{"model": "network", "n": 18446744073709551616, "lambda": 0.5,'
           ' "reward": {"kind": "count", "targets": [1]}}')
solve_case("n_missing", "n", drop=["n"])
solve_case("lambda_zero", "lambda", patch={"lambda": 0})
solve_case("lambda_negative", "lambda", patch={"lambda": -0.5})
solve_case("lambda_subnormal", "lambda", patch={"lambda": 1e-320})
solve_case("lambda_string", "lambda", patch={"lambda": "small"})
solve_case("lambda_missing", "lambda", drop=["lambda"])
solve_case("lambda_null", "lambda", patch={"lambda": None})
solve_case("reward_missing", "reward", drop=["reward"])
solve_case("reward_not_object", "reward", patch={"reward": [1, 2]})
solve_case("reward_kind_unknown", "reward.kind", patch={"reward": {"kind": "bonus"}})
solve_case("reward_targets_negative", "reward.targets[0]", patch={"reward": {"kind": "count", "targets": [-1]}})
solve_case("reward_targets_too_many", "reward.targets", patch={"reward": {"kind": "count", "targets": [1, 1]}})
solve_case("reward_targets_not_array", "reward.targets", patch={"reward": {"kind": "count", "targets": 1}})
solve_case("reward_width_zero", "reward.width", patch={"reward": {"kind": "ring_bump", "width": 0}})
solve_case("reward_values_count", "reward.values", patch={"reward": {"kind": "table", "values": [1, 2, 3]}})
solve_case("reward_values_null", "reward.values[1]", patch={"reward": {"kind": "table", "values": [1, None, 3, 4]}})
solve_case("reward_values_string", "reward.values[0]", patch={"reward": {"kind": "table", "values": ["1", 2, 3, 4]}})
solve_case("reward_values_and_file", "reward", patch={"reward": {"kind": "table", "values": [1, 2, 3, 4], "file": "x.npy"}})
solve_case("reward_unknown_key", "reward.scale", patch={"reward": {"kind": "count", "targets": [1], "scale": 2}})
solve_case("input_not_object", "input", patch={"input": [[1]]})
solve_case("input_T_not_square", "input.T[1]", patch={"input": {"T": [[0.5, 0.5], [1.0]]}})
solve_case("input_T_rows_sum", "input.T", patch={"input": {"T": [[0.5, 0.6], [0.5, 0.5]]},
                                                   "reward": {"kind": "count", "targets": [1, 1]}})
solve_case("input_T_negative", "input.T", patch={"input": {"T": [[1.5, -0.5], [0.5, 0.5]]},
                                                  "reward": {"kind": "count", "targets": [1, 1]}})
solve_case("input_T_empty", "input.T", patch={"input": {"T": []}})
solve_case("input_T_string", "input.T", patch={"input": {"T": "identity"}})
solve_case("prior_unknown", "prior", patch={"prior": "uniform"})
solve_case("clamp_neuron_range", "clamp[0].neuron", patch={"clamp": [{"neuron": 5, "state": -1}]})
solve_case("clamp_state_zero", "clamp[0].state", patch={"clamp": [{"neuron": 0, "state": 0}]})
solve_case("clamp_all", "clamp", patch={"clamp": [{"neuron": 0, "state": -1}, {"neuron": 1, "state": 1}]})
solve_case("clamp_twice", "clamp[1].neuron", patch={"clamp": [{"neuron": 0, "state": -1}, {"neuron": 0, "state": 1}]})
solve_case("clamp_not_array", "clamp", patch={"clamp": {"neuron": 0}})
solve_case("solver_tol_negative", "solver.tol", patch={"solver": {"tol": -1}})
solve_case("solver_tol_zero", "solver.tol", patch={"solver": {"tol": 0}})
solve_case("solver_method_unknown", "solver.method", patch={"solver": {"method": "newton"}})
solve_case("solver_backend_unknown", "solver.backend", patch={"solver": {"backend": "tpu"}})
solve_case("solver_precision_unknown", "solver.precision", patch={"solver": {"precision": "float16"}})
solve_case("solver_max_iterations_zero", "solver.max_iterations", patch={"solver": {"max_iterations": 0}})
solve_case("solver_max_iterations_over_limit", "solver.max_iterations", patch={"solver": {"max_iterations": 10**12}})
solve_case("solver_max_outer_negative", "solver.max_outer_iterations", patch={"solver": {"max_outer_iterations": -5}})
solve_case("solver_p0_range", "solver.p0", patch={"solver": {"p0": 1.5}})
solve_case("solver_prior_eps_range", "solver.prior_eps", patch={"solver": {"prior_eps": 0.7}})
solve_case("solver_threads_range", "solver.threads", patch={"solver": {"threads": 100000}})
solve_case("solver_policy_table_type", "solver.policy_table", patch={"solver": {"policy_table": "yes"}})
solve_case("solver_unknown_key", "solver.speed", patch={"solver": {"speed": "fast"}})

# Files named by a solve configuration.
write("npy/good_r4.npy", npy(hdr("<f8", "(4,)"), f8([0, 1, 0.5, 0.25])))
NPY_CASES = {
    "bad_magic": b"NOTNUMPY" + b"\0" * 64,
    "truncated_preamble": b"\x93NUMPY\x01",
    "header_longer_than_file": npy(hdr("<f8", "(4,)"), b"", raw_len=5000),
    "version_4": npy(hdr("<f8", "(4,)"), f8([0] * 4), major=4),
    "version_1_1": npy(hdr("<f8", "(4,)"), f8([0] * 4), minor=1),
    "header_no_shape": npy("{'descr': '<f8', 'fortran_order': False, }", f8([0] * 4)),
    "header_no_descr": npy("{'fortran_order': False, 'shape': (4,), }", f8([0] * 4)),
    "header_duplicate_key": npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", f8([0] * 4)),
    "header_unknown_key": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'units': 'mV', }", f8([0] * 4)),
    "header_not_dict": npy("['<f8', False, (4,)]", f8([0] * 4)),
    "header_unterminated_string": npy("{'descr': '<f8, 'fortran_order': False, 'shape': (4,), }", f8([0] * 4)),
    "header_order_lowercase": npy(hdr("<f8", "(4,)", order="false"), f8([0] * 4)),
    "shape_negative": npy(hdr("<f8", "(-4,)"), f8([0] * 4)),
    "shape_suffix": npy(hdr("<f8", "(4x,)"), f8([0] * 4)),
    "shape_float": npy(hdr("<f8", "(4.0,)"), f8([0] * 4)),
    "shape_no_comma": npy(hdr("<f8", "(4)"), f8([0] * 4)),
    "shape_leading_zero": npy(hdr("<f8", "(04,)"), f8([0] * 4)),
    "shape_list": npy(hdr("<f8", "[4]"), f8([0] * 4)),
    "shape_beyond_uint64": npy(hdr("<f8", "(99999999999999999999999,)"), f8([0] * 4)),
    "shape_product_overflow": npy(hdr("<f8", "(4294967296, 4294967296)"), b""),
    "shape_bytes_overflow": npy(hdr("<f8", "(2305843009213693952,)"), b""),
    "shape_33_dims": npy(hdr("<f8", "(" + "1, " * 33 + ")"), f8([0])),
    "data_truncated": npy(hdr("<f8", "(4,)"), f8([0] * 3)),
    "data_trailing": npy(hdr("<f8", "(4,)"), f8([0] * 5)),
    "dtype_big_endian": npy(hdr(">f8", "(4,)"), f8([0] * 4)),
    "dtype_complex": npy(hdr("<c16", "(4,)"), f8([0] * 8)),
    "dtype_float32": npy(hdr("<f4", "(4,)"), b"\0" * 16),
    "fortran_2d": npy(hdr("<f8", "(2, 2)", order="True"), f8([0] * 4)),
    "header_v2_claims_4GiB": npy(hdr("<f8", "(4,)"), f8([0] * 4), major=2, raw_len=0xFFFFFFF0),
    "header_over_limit": npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4," + " " * 2000 + "), }",
                             f8([0] * 4), major=2),
}
for name, data in NPY_CASES.items():
    rel = write("npy/%s.npy" % name, data)
    cfg = dict(BASE, reward={"kind": "table", "file": "../" + rel})
    solve_case("reward_file_" + name, "reward.file", text=jdump(cfg))
    if name == "header_over_limit":
        cases[-1]["args"] = ["--limit", "npy_header_bytes=1000"] + cases[-1]["args"]
solve_case("reward_file_missing", "reward.file", patch={"reward": {"kind": "table", "file": "../npy/absent.npy"}})
solve_case("reward_file_directory", "reward.file", patch={"reward": {"kind": "table", "file": "../npy"}})
solve_case("reward_file_dev_zero", "reward.file", patch={"reward": {"kind": "table", "file": "/dev/zero"}})
solve_case("reward_file_empty_name", "reward.file", patch={"reward": {"kind": "table", "file": ""}})
solve_case("reward_file_nul", "reward.file", patch={"reward": {"kind": "table", "file": "r\u0000.npy"}})
solve_case("reward_file_long_name", "reward.file", patch={"reward": {"kind": "table", "file": "r" * 5000}})
solve_case("reward_file_fifo", "reward.file", patch={"reward": {"kind": "table", "file": "../special/fifo.npy"}})
cases[-1]["setup"] = [{"fifo": "special/fifo.npy"}]
solve_case("reward_file_too_large", "reward.file", patch={"reward": {"kind": "table", "file": "../special/big.npy"}})
cases[-1]["setup"] = [{"sized": "special/big.npy", "bytes": 4096}]
cases[-1]["args"] = ["--limit", "npy_bytes=1000"] + cases[-1]["args"]

# Configuration files that are not regular files.
case("config_missing", ["solve", "solve/absent.json"], "solve/absent.json")
case("config_directory", ["solve", "solve"], "solve")
case("config_fifo", ["solve", "special/config.json"], "special/config.json", setup=[{"fifo": "special/config.json"}])
case("config_dev_zero", ["solve", "/dev/zero"], "/dev/zero")
case("config_too_large", ["--limit", "json_bytes=100", "solve", "solve/unknown_key.json"], "solve/unknown_key.json")

# ---------------------------------------------------------------------------------------------
# Mazes
# ---------------------------------------------------------------------------------------------

MAZE = {"model": "maze", "map": ["S..", ".#.", "..R"], "lambda": 0.1}


def maze_case(name, field, patch=None, drop=()):
    cfg = dict(MAZE)
    for k in drop:
        cfg.pop(k)
    cfg.update(patch or {})
    rel = write("maze/%s.json" % name, jdump(cfg))
    case("maze_" + name, ["solve", rel], field)


maze_case("map_missing", "map", drop=["map"])
maze_case("map_and_file", "map", patch={"map_file": "m.txt"})
maze_case("map_not_array", "map", patch={"map": "S.R"})
maze_case("map_row_number", "map[1]", patch={"map": ["S.R", 7]})
maze_case("map_empty", "map", patch={"map": []})
maze_case("map_first_row_empty", "map[0]", patch={"map": ["", "S.R"]})
maze_case("map_not_rectangular", "map[1]", patch={"map": ["S..", "..", "..R"]})
maze_case("map_bad_character", "map[1]", patch={"map": ["S..", ".x.", "..R"]})
maze_case("map_control_character", "map[0]", patch={"map": ["S.\u0007", "..R"]})
maze_case("map_no_start", "map", patch={"map": ["...", "..R"]})
maze_case("map_two_starts", "map", patch={"map": ["S.S", "..R"]})
maze_case("map_no_reward", "map", patch={"map": ["S..", "..."]})
maze_case("map_reward_unreachable", "map", patch={"map": ["S#.", "##.", "..R"]})
maze_case("map_cell_unreachable", "map", patch={"map": ["S.R", "###", "..."]})
maze_case("map_over_limit", "map", patch={"map": ["S" + "." * 19] + ["." * 20] * 18 + ["." * 19 + "R"]})
cases[-1]["args"] = ["--limit", "maze_cells=100"] + cases[-1]["args"]
maze_case("slip_range", "slip", patch={"slip": 2})
maze_case("slip_string", "slip", patch={"slip": "low"})
maze_case("lambda_subnormal", "lambda", patch={"lambda": 5e-324})
maze_case("map_file_missing", "map_file", patch={"map_file": "absent.txt"}, drop=["map"])
maze_case("map_file_device", "map_file", patch={"map_file": "/dev/null"}, drop=["map"])
maze_case("map_file_too_large", "map_file", patch={"map_file": "../special/big_map.txt"}, drop=["map"])
cases[-1]["setup"] = [{"sized": "special/big_map.txt", "bytes": 17 * 1024 * 1024}]
write("maze/binary_map.txt", b"S.\x00\xff\n..R\n")
maze_case("map_file_binary", "map_file", patch={"map_file": "binary_map.txt"}, drop=["map"])

# ---------------------------------------------------------------------------------------------
# Solution and sample directories (n = 2, no input, lambda 0.5), read by infer and sample
# ---------------------------------------------------------------------------------------------

GOOD_RESULT = {"model": "network", "n": 2, "m": 1, "lambda": 0.5, "prior": [0.4, 0.4], "degenerate": [],
               "gain": 0.3, "mean_reward": 0.5, "mean_coding_cost": 0.4,
               "prior_mode": "population", "converged": True}
GOOD_VALUES = [0.1, -0.2, 0.3, -0.2]
GOOD_MU = [0.25, 0.25, 0.25, 0.25]


def result_text(base, changes, drop):
    """The text of a result.json: `base` with `changes` applied and the keys in `drop` removed."""
    r = dict(base)
    r.update(changes or {})
    for k in drop:
        r.pop(k, None)
    return jdump(r)


def solution_dir(name, result=None, values=None, mu=None, values_npy=None, mu_npy=None, drop=()):
    d = "dirs/" + name
    write(d + "/result.json", result if isinstance(result, str) else result_text(GOOD_RESULT, result, drop))
    if "values.npy" not in drop:
        write(d + "/values.npy", values_npy or npy(hdr("<f8", "(%d,)" % len(values or GOOD_VALUES)), f8(values or GOOD_VALUES)))
    write(d + "/stationary.npy", mu_npy or npy(hdr("<f8", "(%d,)" % len(mu or GOOD_MU)), f8(mu or GOOD_MU)))
    write(d + "/.netrl-output", "netrl output directory\n")
    return d


INFER = {"model": "network", "n": 2, "lambda": 0.5}


def infer_case(name, field, data=None, patch=None, status=1):
    cfg = dict(INFER, data=data if data is not None else {"solution": "../dirs/good"})
    cfg.update(patch or {})
    rel = write("infer/%s.json" % name, jdump(cfg) if len(json.dumps(cfg)) < 4000 else json.dumps(cfg))
    case("infer_" + name, ["infer", rel], field, status)


solution_dir("good")
for name, kw in {
    "result_degenerate_huge": {"result": {"degenerate": [1e300]}},
    "result_degenerate_negative": {"result": {"degenerate": [-1]}},
    "result_degenerate_fraction": {"result": {"degenerate": [0.5]}},
    "result_prior_above_one": {"result": {"prior": [2, 0.4]}},
    "result_prior_string": {"result": {"prior": ["a", 0.4]}},
    "result_prior_count": {"result": {"prior": [0.4]}},
    "result_n_string": {"result": {"n": "2"}},
    "result_n_mismatch": {"result": {"n": 3}},
    "result_m_huge": {"result": {"m": 2 ** 40}},
    "result_lambda_array": {"result": {"lambda": []}},
    "result_lambda_mismatch": {"result": {"lambda": 0.25}},
    "result_model_number": {"result": {"model": 7}},
    "result_model_unknown": {"result": {"model": "ising"}},
    "result_not_object": {"result": "[1, 2]"},
    "result_malformed": {"result": "{\"model\": "},
    "result_duplicate_key": {"result": "{\"model\": \"network\", \"n\": 2, \"n\": 2, \"m\": 1, \"lambda\": 0.5, "
                                       "\"prior\": [0.4, 0.4]}"},
    "result_missing_prior": {"drop": ["prior"]},
    "values_missing": {"drop": ["values.npy"]},
    "values_wrong_length": {"values": [0.1, 0.2, 0.3]},
    "values_2d": {"values_npy": npy(hdr("<f8", "(2, 2)"), f8(GOOD_VALUES))},
    "values_float32": {"values_npy": npy(hdr("<f4", "(4,)"), b"\0" * 16)},
    "values_nan": {"values": [0.1, float("nan"), 0.3, 0.4]},
    "values_bad_header": {"values_npy": npy(hdr("<f8", "(4x,)"), f8(GOOD_VALUES))},
    "stationary_negative": {"mu": [-0.5, 0.5, 0.5, 0.5]},
    "stationary_nan": {"mu": [float("nan"), 0.25, 0.25, 0.25]},
    "stationary_zero": {"mu": [0.0, 0.0, 0.0, 0.0]},
    "stationary_sum": {"mu": [0.5, 0.5, 0.5, 0.5]},
    "stationary_infinite": {"mu": [float("inf"), 0.0, 0.0, 0.0]},
}.items():
    d = solution_dir(name, **kw)
    infer_case("solution_" + name, "data.solution", data={"solution": "../" + d})
infer_case("solution_missing_dir", "data.solution", data={"solution": "../dirs/absent"})
infer_case("solution_is_file", "data.solution", data={"solution": "../dirs/good/result.json"})

# A sample directory: histogram (4 states) and transitions (4 x 3).
SAMPLE_RESULT = {"command": "sample", "n": 2, "m": 1, "lambda": 0.5, "burn_in": 10}


def sample_dir(name, result=None, hist=None, trans=None, drop=()):
    d = "dirs/" + name
    write(d + "/result.json", result_text(SAMPLE_RESULT, result, drop))
    if "histogram.npy" not in drop:
        write(d + "/histogram.npy", hist or npy(hdr("<f8", "(4,)"), f8([10, 20, 30, 40])))
    write(d + "/transitions.npy", trans or npy(hdr("<f8", "(4, 3)"), f8([4, 3, 3, 10, 5, 5, 10, 10, 10, 20, 10, 10])))
    write(d + "/.netrl-output", "netrl output directory\n")
    return d


for name, kw in {
    "no_command": {"drop": ["command"]},
    "command_solve": {"result": {"command": "solve"}},
    "n_mismatch": {"result": {"n": 3}},
    "n_negative": {"result": {"n": -2}},
    "lambda_mismatch": {"result": {"lambda": 0.7}},
    "lambda_string": {"result": {"lambda": "0.5"}},
    "burn_in_fraction": {"result": {"burn_in": 2.5}},
    "histogram_missing": {"drop": ["histogram.npy"]},
    "histogram_shape": {"hist": npy(hdr("<f8", "(8,)"), f8([1] * 8))},
    "histogram_negative": {"hist": npy(hdr("<f8", "(4,)"), f8([10, -20, 30, 40]))},
    "histogram_fraction": {"hist": npy(hdr("<f8", "(4,)"), f8([10.5, 20, 30, 40]))},
    "histogram_wrapping_shape": {"hist": npy(hdr("<f8", "(9223372036854775808, 2)"), b"")},
    "transitions_shape": {"trans": npy(hdr("<f8", "(4, 2)"), f8([1] * 8))},
    "transitions_rows": {"trans": npy(hdr("<f8", "(4, 3)"), f8([1] * 12))},
}.items():
    d = sample_dir("samples_" + name, **kw)
    infer_case("samples_" + name, "data.samples", data={"samples": "../" + d})

# Rasters (n = 2).
RASTERS = {
    "non_binary": npy(hdr("|u1", "(3, 2)"), bytes([0, 1, 2, 0, 1, 1])),
    "one_dimensional": npy(hdr("|u1", "(6,)"), bytes([0, 1, 1, 0, 1, 1])),
    "wrong_columns": npy(hdr("|u1", "(2, 3)"), bytes([0, 1, 1, 0, 1, 1])),
    "empty": npy(hdr("|u1", "(0, 2)"), b""),
    "wrapping_shape": npy(hdr("|u1", "(9223372036854775808, 2)"), b""),
    "float_half": npy(hdr("<f8", "(1, 2)"), f8([0.5, 1.0])),
    "bad_header": npy(hdr("|u1", "(3, 2"), bytes(6)),
    "string_dtype": npy(hdr("<U1", "(3, 2)"), bytes(24)),
}
for name, data in RASTERS.items():
    rel = write("rasters/%s.npy" % name, data)
    infer_case("raster_" + name, "data.raster", data={"raster": "../" + rel})
write("rasters/good.npy", npy(hdr("|u1", "(3, 2)"), bytes([0, 1, 1, 1, 0, 0])))
write("rasters/inputs_out_of_range.npy", npy(hdr("<f8", "(3,)"), f8([0, 1, 5])))
write("rasters/inputs_2d.npy", npy(hdr("<f8", "(3, 2)"), f8([0] * 6)))
TWO = {"input": {"T": [[0.9, 0.1], [0.1, 0.9]]}}
infer_case("raster_inputs_out_of_range", "data.inputs",
           data={"raster": "../rasters/good.npy", "inputs": "../rasters/inputs_out_of_range.npy"}, patch=TWO)
infer_case("raster_inputs_2d", "data.inputs",
           data={"raster": "../rasters/good.npy", "inputs": "../rasters/inputs_2d.npy"}, patch=TWO)
infer_case("raster_fifo", "data.raster", data={"raster": "../special/raster_fifo.npy"})
cases[-1]["setup"] = [{"fifo": "special/raster_fifo.npy"}]

# Infer configuration keys.
infer_case("data_missing", "data", data={})
cases[-1]["args"] = ["infer", write("infer/data_missing.json", jdump(INFER))]
infer_case("data_two_sources", "data", data={"solution": "../dirs/good", "raster": "../rasters/good.npy"})
infer_case("data_inputs_alone", "data.inputs", data={"solution": "../dirs/good", "inputs": "x.npy"})
infer_case("data_min_visits_zero", "data.min_visits", data={"raster": "../rasters/good.npy", "min_visits": 0})
infer_case("reward_given", "reward", patch={"reward": {"kind": "count", "targets": [1]}})
infer_case("method_unknown", "method", patch={"method": "magic"})
infer_case("reward_model_without_parametric", "reward_model", patch={"reward_model": "pairwise"})
infer_case("optimizer_iterations_zero", "optimizer.max_iterations", patch={"optimizer": {"max_iterations": 0}})
infer_case("optimizer_tolerance_negative", "optimizer.tolerance", patch={"optimizer": {"tolerance": -1}})
infer_case("predict_not_array", "predict", patch={"predict": {"lambda": 0.2}})
infer_case("predict_over_limit", "predict", patch={"predict": [{"lambda": 0.5}] * 1001})
infer_case("predict_unknown_key", "predict[0].colour", patch={"predict": [{"colour": 1}]})
infer_case("predict_bad_lambda", "predict[0].lambda", patch={"predict": [{"lambda": -1}]})
infer_case("predict_mask_size", "predict[0].coupling_mask", patch={"predict": [{"coupling_mask": [[0, 1, 1]]}]})
infer_case("true_reward_number", "true_reward", patch={"true_reward": 3})
infer_case("true_reward_bad_npy", "true_reward", patch={"true_reward": "../npy/shape_negative.npy"})
infer_case("unknown_key", "colour", patch={"colour": 1})

# ---------------------------------------------------------------------------------------------
# netrl sample
# ---------------------------------------------------------------------------------------------

SAMPLE = {"model": "network", "n": 2, "lambda": 0.5, "policy": {"kind": "exact", "dir": "../dirs/good"},
          "sampling": {"chains": 2, "steps": 10}}


def sample_case(name, field, patch=None, sampling=None, drop=()):
    cfg = json.loads(json.dumps(SAMPLE))
    for k in drop:
        cfg.pop(k)
    cfg.update(patch or {})
    cfg["sampling"].update(sampling or {}) if "sampling" in cfg else None
    rel = write("sample/%s.json" % name, jdump(cfg))
    case("sample_" + name, ["sample", rel], field)


write("npy/J_3x3.npy", npy(hdr("<f8", "(3, 3)"), f8([0] * 9)))
write("npy/J_2x2.npy", npy(hdr("<f8", "(2, 2)"), f8([0, 0.1, 0.1, 0])))
write("npy/h_3.npy", npy(hdr("<f8", "(3,)"), f8([0] * 3)))
write("npy/J_2x2_f4.npy", npy(hdr("<f4", "(2, 2)"), b"\0" * 16))
sample_case("policy_missing", "policy", drop=["policy"])
sample_case("sampling_missing", "sampling", drop=["sampling"])
sample_case("policy_kind_unknown", "policy.kind", patch={"policy": {"kind": "random"}})
sample_case("policy_dir_missing", "policy.dir", patch={"policy": {"kind": "exact", "dir": "../dirs/absent"}})
sample_case("policy_dir_lambda", "policy.dir", patch={"lambda": 0.3})
sample_case("policy_dir_bad_stationary", "policy.dir", patch={"policy": {"kind": "exact", "dir": "../dirs/stationary_negative"}})
sample_case("ising_J_wrong_size", "policy.J", patch={"policy": {"kind": "ising", "J": "../npy/J_3x3.npy", "h": "../npy/h_3.npy"}})
sample_case("ising_h_wrong_size", "policy.h", patch={"policy": {"kind": "ising", "J": "../npy/J_2x2.npy", "h": "../npy/h_3.npy"}})
sample_case("ising_J_float32", "policy.J", patch={"policy": {"kind": "ising", "J": "../npy/J_2x2_f4.npy"}})
sample_case("ising_J_missing", "policy.J", patch={"policy": {"kind": "ising", "J": "../npy/absent.npy"}})
sample_case("ising_J_overflow", "policy.J", patch={"policy": {"kind": "ising", "J": "../npy/shape_product_overflow.npy"}})
sample_case("chains_zero", "sampling.chains", sampling={"chains": 0})
sample_case("chains_negative", "sampling.chains", sampling={"chains": -3})
sample_case("steps_zero", "sampling.steps", sampling={"steps": 0})
sample_case("steps_over_limit", "sampling.steps", sampling={"steps": 10**15})
sample_case("steps_times_chains_over_limit", "sampling.steps", sampling={"chains": 10**6, "steps": 10**7})
sample_case("burn_in_overflow", "sampling.burn_in", sampling={"burn_in": 2**63})
sample_case("thin_zero", "sampling.thin", sampling={"thin": 0})
sample_case("sampling_unknown_key", "sampling.speed", sampling={"speed": 1})
sample_case("record_histogram_string", "sampling.record.histogram", sampling={"record": {"histogram": "yes"}})
sample_case("record_raster_chain_range", "sampling.record.raster_chains", sampling={"record": {"raster_chains": [5]}})
sample_case("kernel_unknown", "sampling.kernel", sampling={"kernel": "fast"})
sample_case("n_beyond_sampler", "n", patch={"n": 20000, "policy": {"kind": "ising", "J": "../npy/J_2x2.npy"}})
sample_case("reward_with_large_n", "reward", patch={"n": 50, "reward": {"kind": "count", "targets": [1]},
                                                    "policy": {"kind": "ising", "J": "../npy/J_2x2.npy"}})
sample_case("model_maze", "model", patch={"model": "maze"})

# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------

case("cli_out_empty", ["solve", "--scenario", "count8", "--out", ""], "--out", status=2)
case("cli_out_is_file", ["solve", "--scenario", "count8", "--out", "solve/unknown_key.json"], "--out")
case("cli_out_foreign_directory", ["solve", "--scenario", "count8", "--out", "npy"], "--out")
case("cli_limit_unknown", ["--limit", "speed=1", "solve", "--scenario", "count8"], "--limit", status=2)
case("cli_limit_zero", ["--limit", "maze_cells=0", "solve", "--scenario", "count8"], "--limit", status=2)
case("cli_limit_syntax", ["--limit", "maze_cells", "solve", "--scenario", "count8"], "--limit", status=2)
case("cli_limit_overflow", ["--limit", "maze_cells=99999999999999999999999", "solve", "--scenario", "count8"], "--limit", status=2)
case("cli_scenario_unknown", ["solve", "--scenario", "x" * 500], "scenario")


# ---------------------------------------------------------------------------------------------
# Controls: the unbroken inputs every case above starts from must be accepted (status 0), so
# that each refusal above is the refusal of its one defect.
# ---------------------------------------------------------------------------------------------

case("control_solve", ["solve", write("control/solve.json", jdump(BASE))], "", status=0)
case("control_maze", ["solve", write("control/maze.json", jdump(MAZE))], "", status=0)
case("control_infer_solution", ["infer", write("control/infer_solution.json",
                                                 jdump(dict(INFER, data={"solution": "../dirs/good"})))], "", status=0)
case("control_infer_raster", ["infer", write("control/infer_raster.json",
                                               jdump(dict(INFER, data={"raster": "../rasters/good.npy"})))], "", status=0)
d = sample_dir("samples_good")
case("control_infer_samples", ["infer", write("control/infer_samples.json",
                                                jdump(dict(INFER, data={"samples": "../" + d})))], "", status=0)
case("control_sample", ["sample", write("control/sample.json", jdump(SAMPLE))], "", status=0)
case("control_sample_ising", ["sample", write("control/sample_ising.json", jdump(dict(
    SAMPLE, policy={"kind": "ising", "J": "../npy/J_2x2.npy"})))], "", status=0)
case("control_reward_file", ["solve", write("control/reward_file.json", jdump(dict(
    BASE, reward={"kind": "table", "file": "../npy/good_r4.npy"})))], "", status=0)


def main():
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"comment": "Malformed inputs and the field each error must name; written by "
                              "tests/hardening/make_corpus.py, run by tests/hardening/run_corpus.py.",
                   "cases": cases}, f, indent=1)
        f.write("\n")
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    print("%d cases in %s" % (len(cases), OUT))


if __name__ == "__main__":
    sys.exit(main())
