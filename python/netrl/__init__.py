"""netrl: information-constrained, average-reward reinforcement learning on networks of binary
neurons (after Chalk, Tkacik & Marre, PLOS ONE 2021), from Python.

The C++ engine's API on numpy arrays, without files: models (NetworkModel, Maze, Mdp), the
forward problem (solve, solve_batch), sampled dynamics (sample), inverse RL (infer, and
netrl.inverse method by method), the paper's scenarios and the JSON configurations of the netrl
tool. Results expose their arrays as read-only numpy views (array.base is the result object);
long calls release the GIL; bad input raises netrl.InvalidInput (a ValueError whose message
starts with the field). See docs/python.md.

    >>> import netrl
    >>> netrl.solve(netrl.scenario("count8")).gain    # doctest: +ELLIPSIS
    0.3605475721...
"""

import os as _os


def _openmp_loaded():
    """Whether an OpenMP runtime is already mapped into this process (it read its settings then)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any("libgomp" in line or "libomp" in line for line in maps)
    except OSError:
        return False


# The netrl tool starts with OMP_WAIT_POLICY=passive (idle OpenMP threads sleep instead of spinning,
# which keeps the host kernels fast on cores shared with other work). An extension module cannot
# run before the OpenMP runtime's constructor as the tool does, so the default is set here, before
# the extension (and with it libgomp) is loaded: only when the user did not set the variable and
# no OpenMP runtime is loaded yet (one that already started has read its setting; netrl.wait_policy()
# then reports the variable as it is, unset).
if "OMP_WAIT_POLICY" not in _os.environ and not _openmp_loaded():
    _os.environ["OMP_WAIT_POLICY"] = "passive"

# An installed package (pip install .) of a CUDA build carries the CUDA backend's module beside the
# extension; the library loads it from NETRL_CUDA_MODULE on the first use of backend "cuda".
_cuda_module = _os.path.join(_os.path.dirname(__file__), "libnetrl_cuda.so")
if "NETRL_CUDA_MODULE" not in _os.environ and _os.path.exists(_cuda_module):
    _os.environ["NETRL_CUDA_MODULE"] = _cuda_module

from . import _netrl  # noqa: E402  (after the wait policy)
from ._netrl import *  # noqa: E402,F401,F403
from ._netrl import (  # noqa: E402,F401  (names the star import skips)
    __version__,
    Error,
    InvalidInput,
    NumericalError,
    BackendError,
    IoError,
)
import importlib as _importlib  # noqa: E402

# netrl.inverse is the Python module python/netrl/inverse.py (with its stubs), which re-exports the
# extension's submodule; the star import above bound the submodule itself to the name.
inverse = _importlib.import_module(".inverse", __name__)

__all__ = [name for name in dir(_netrl) if not name.startswith("_") and name != "inverse"] + ["inverse"]
