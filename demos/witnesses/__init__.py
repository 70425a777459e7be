"""Executable witnesses for the RLHF concept page, in NumPy alone.

Three small modules mirror the page's math with the page's names:

* ``preferences``: the Bradley–Terry reward model fitted from (winner, loser) pairs;
* ``policy``: the KL-regularised policy π* ∝ π_ref·exp(r/β) and the identities it obeys;
* ``hacking``: a proxy reward against a true utility, swept over β.

Every public function validates its inputs and raises ``WitnessInputError`` naming the
field at fault. Results are NumPy arrays or JSON-ready dicts.
"""

from .errors import (
    MAX_K,
    MAX_PAIRS,
    MAX_SWEEP_POINTS,
    PROBABILITY_SUM_TOL,
    NoMaximumLikelihoodError,
    WitnessInputError,
)
from .hacking import beta_grid, proxy_rewards, reward_hacking_report, reward_hacking_sweep
from .policy import (
    SHIFT_TOL,
    dpo_implied_rewards,
    expected_reward,
    kl_divergence,
    kl_objective,
    kl_policy_checks,
    kl_policy_report,
    kl_regularized_policy,
    log_kl_regularized_policy,
    log_partition,
    optimality_gap,
    shift_invariance,
)
from .preferences import (
    FIT_METHODS,
    LINEAR_SOLVERS,
    PAGE_L2,
    PAGE_LR,
    PAGE_STEPS,
    RewardFit,
    bradley_terry_gradient,
    bradley_terry_objective,
    check_ford_condition,
    fit_reward_model,
    preference_probabilities,
    reward_gap,
    sigmoid,
)

# Bump whenever any witness's numbers could change: demo runs are cached under it.
WITNESS_CODE_VERSION = "1"

__all__ = [
    "FIT_METHODS",
    "LINEAR_SOLVERS",
    "MAX_K",
    "MAX_PAIRS",
    "MAX_SWEEP_POINTS",
    "PAGE_L2",
    "PAGE_LR",
    "PAGE_STEPS",
    "PROBABILITY_SUM_TOL",
    "SHIFT_TOL",
    "WITNESS_CODE_VERSION",
    "NoMaximumLikelihoodError",
    "RewardFit",
    "WitnessInputError",
    "beta_grid",
    "bradley_terry_gradient",
    "bradley_terry_objective",
    "check_ford_condition",
    "dpo_implied_rewards",
    "expected_reward",
    "fit_reward_model",
    "kl_divergence",
    "kl_objective",
    "kl_policy_checks",
    "kl_policy_report",
    "kl_regularized_policy",
    "log_kl_regularized_policy",
    "log_partition",
    "optimality_gap",
    "preference_probabilities",
    "proxy_rewards",
    "reward_gap",
    "reward_hacking_report",
    "reward_hacking_sweep",
    "shift_invariance",
    "sigmoid",
]
