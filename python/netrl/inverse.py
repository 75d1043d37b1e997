"""netrl.inverse: inverse RL method by method (the C++ namespace netrl::inverse).

Observations (NetworkData, count_raster, sampled_counts, expected_data, firing_prior), policies
(policy_logits), the network methods (closed_form, invert_policy, maximum_likelihood, parametric),
the maze (mdp_greedy_policy, invert_mdp_policy), comparisons (compare_rewards, center_per_block,
kl_divergence) and predictions (PredictionSpec, predict, transfer_reward, solve_with_reward,
solve_true, retune_lambda, solve_ising). netrl.infer runs a whole inference with them.
"""

from ._netrl.inverse import *  # noqa: F401,F403
from . import _netrl as _ext

__all__ = [name for name in dir(_ext.inverse) if not name.startswith("_")]
