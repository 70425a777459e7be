"""Executable witnesses for the concept pages, in NumPy alone.

Small modules mirror each page's math with the page's names. For the RLHF page:

* ``preferences``: the Bradley–Terry reward model fitted from (winner, loser) pairs;
* ``policy``: the KL-regularised policy π* ∝ π_ref·exp(r/β) and the identities it obeys;
* ``hacking``: a proxy reward against a true utility, swept over β.

For the preference pages (Bradley–Terry, DPO, reward hacking):

* ``bradley_terry``: the Bradley–Terry model fitted from a win-count matrix (MM or Newton);
* ``dpo``: the DPO loss over a tabular policy, and its optimum against the RLHF policy;
* ``overoptimization``: proxy and gold reward against KL, for KL-regularised and best-of-n.

For the pages RLHF builds on:

* ``likelihood``: a Bernoulli MLE in closed form and a logistic fit by Newton's method, with
  the Fisher information and standard errors;
* ``divergence``: KL between categorical distributions, Gibbs' inequality, its asymmetry and
  the forward and reverse fits;
* ``policy_gradient``: REINFORCE on a softmax bandit, with and without a baseline;
* ``ppo``: PPO's clipped surrogate on a bandit, exactly over the arms.

Every public function validates its inputs and raises ``WitnessInputError`` naming the
field at fault. Results are NumPy arrays or JSON-ready dicts.
"""

from .bradley_terry import (
    BT_METHODS,
    MAX_ITEMS,
    MM_MAX_ITER,
    BradleyTerryFit,
    BtMethod,
    bradley_terry_report,
    check_identifiable,
    check_wins,
    fit_bradley_terry,
)
from .divergence import (
    categorical_kl,
    cross_entropy,
    direction_fits,
    entropy,
    kl_report,
    log_bump_family,
)
from .dpo import (
    DPO_MAX_BETA,
    DPO_MAX_K,
    DPOFit,
    dpo_fit,
    dpo_loss,
    dpo_report,
    implicit_rewards,
)
from .errors import (
    MAX_BATTLES,
    MAX_K,
    MAX_PAIRS,
    MAX_SWEEP_POINTS,
    PROBABILITY_SUM_TOL,
    NoMaximumLikelihoodError,
    WitnessInputError,
    check_counts,
    check_pairs,
)
from .hacking import beta_grid, proxy_rewards, reward_hacking_report, reward_hacking_sweep
from .likelihood import (
    LogisticFit,
    bernoulli_log_likelihood,
    bernoulli_mle,
    check_logistic_data,
    logistic_fit,
    mle_report,
)
from .overoptimization import (
    MAX_N,
    OPTIMIZERS,
    Optimizer,
    best_of_n_kl_bound,
    best_of_n_policy,
    n_grid,
    overoptimization_curve,
)
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
from .policy_gradient import (
    bandit_expected_reward,
    bandit_gradient,
    reinforce_expected_estimate,
    reinforce_optimal_baseline,
    reinforce_report,
    reinforce_variance,
)
from .ppo import clipped_term, ppo_report, ppo_surrogates
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
from .progress import PROGRESS_REPORTS, Progress, ProgressReport, progress_part

# Bump whenever any witness's numbers could change: demo runs are cached under it.
WITNESS_CODE_VERSION = "2"

__all__ = [
    "BT_METHODS",
    "DPO_MAX_BETA",
    "DPO_MAX_K",
    "FIT_METHODS",
    "LINEAR_SOLVERS",
    "MAX_BATTLES",
    "MAX_ITEMS",
    "MAX_K",
    "MAX_N",
    "MAX_PAIRS",
    "MAX_SWEEP_POINTS",
    "MM_MAX_ITER",
    "OPTIMIZERS",
    "PAGE_L2",
    "PAGE_LR",
    "PAGE_STEPS",
    "PROBABILITY_SUM_TOL",
    "PROGRESS_REPORTS",
    "SHIFT_TOL",
    "WITNESS_CODE_VERSION",
    "BradleyTerryFit",
    "BtMethod",
    "DPOFit",
    "LogisticFit",
    "NoMaximumLikelihoodError",
    "Optimizer",
    "Progress",
    "ProgressReport",
    "RewardFit",
    "WitnessInputError",
    "bandit_expected_reward",
    "bandit_gradient",
    "bernoulli_log_likelihood",
    "bernoulli_mle",
    "best_of_n_kl_bound",
    "best_of_n_policy",
    "beta_grid",
    "bradley_terry_gradient",
    "bradley_terry_objective",
    "bradley_terry_report",
    "categorical_kl",
    "check_counts",
    "check_ford_condition",
    "check_identifiable",
    "check_logistic_data",
    "check_pairs",
    "check_wins",
    "clipped_term",
    "cross_entropy",
    "direction_fits",
    "dpo_fit",
    "dpo_implied_rewards",
    "dpo_loss",
    "dpo_report",
    "entropy",
    "expected_reward",
    "fit_bradley_terry",
    "fit_reward_model",
    "implicit_rewards",
    "kl_divergence",
    "kl_objective",
    "kl_policy_checks",
    "kl_policy_report",
    "kl_regularized_policy",
    "kl_report",
    "log_bump_family",
    "log_kl_regularized_policy",
    "log_partition",
    "logistic_fit",
    "mle_report",
    "n_grid",
    "optimality_gap",
    "overoptimization_curve",
    "ppo_report",
    "ppo_surrogates",
    "preference_probabilities",
    "progress_part",
    "proxy_rewards",
    "reinforce_expected_estimate",
    "reinforce_optimal_baseline",
    "reinforce_report",
    "reinforce_variance",
    "reward_gap",
    "reward_hacking_report",
    "reward_hacking_sweep",
    "shift_invariance",
    "sigmoid",
]
