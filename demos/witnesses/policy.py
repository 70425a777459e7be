r"""The KL-regularised policy: the exact optimum of J(π) = E_π[r] − β·KL(π‖π_ref).

For one prompt with K candidates, reference policy π_ref > 0 and temperature β > 0,

    π*(y) = π_ref(y)·exp(r(y)/β) / Z,    Z = Σ_y' π_ref(y')·exp(r(y')/β).

Every function takes rewards of shape (K,) for one prompt or (B, K) for B prompts at
once; π_ref is (K,) (shared by all prompts) or the same shape as the rewards. Work is
done along the last axis, with a max-subtracted log-sum-exp so nothing overflows.

Three identities make the optimum checkable with numbers:

* shift invariance: π* for r and for r + c agree, because only reward differences
  enter (the constant cancels against Z);
* the DPO bridge: β·log(π*/π_ref) + β·log Z recovers r exactly. It is also the page's
  Lagrange stationarity condition r − β(log(π*/π_ref) + 1) + λ = 0 with λ = β(1 − log Z);
* the optimal value: for any π, J(π) = β·log Z − β·KL(π‖π*), so J(π*) = β·log Z and
  ``optimality_gap(π) = β·log Z − J(π)`` is zero exactly at π*, positive elsewhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import (
    WitnessInputError,
    check_distribution,
    check_float_array,
    check_positive,
    check_real,
    check_rewards,
)

SHIFT_TOL = 1e-12
ONLY_DIFFERENCES_MATTER = (
    "Only reward differences matter: adding the same constant to every reward changes "
    "neither the pairwise preference probabilities nor the KL-regularized policy; "
    "beta sets how strongly the policy stays anchored to the reference."
)


def kl_regularized_policy(rewards: np.ndarray, pi_ref: np.ndarray, beta: float) -> np.ndarray:
    """π* ∝ π_ref·exp(r/β) along the last axis; shape of ``rewards``."""
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta)
    return _solve(r, log_ref, beta)[1]


def log_kl_regularized_policy(rewards: np.ndarray, pi_ref: np.ndarray, beta: float) -> np.ndarray:
    """log π*, computed in the log domain so that tiny probabilities keep their digits."""
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta)
    return _solve(r, log_ref, beta)[0]


def log_partition(rewards: np.ndarray, pi_ref: np.ndarray, beta: float) -> float | np.ndarray:
    """log Z = log Σ π_ref·exp(r/β): a float for (K,) rewards, shape (B,) for (B, K)."""
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta)
    return _per_prompt(_solve(r, log_ref, beta)[2])


def kl_divergence(pi: np.ndarray, pi_ref: np.ndarray) -> float | np.ndarray:
    """KL(π‖π_ref) = Σ π·log(π/π_ref), with 0·log 0 = 0."""
    p = check_distribution("pi", pi, shape=None, strictly_positive=False)
    ref = check_distribution("pi_ref", pi_ref, shape=p.shape, strictly_positive=True)
    safe = np.where(p > 0.0, p, 1.0)
    return _per_prompt(np.sum(p * (np.log(safe) - np.log(ref)), axis=-1))


def expected_reward(pi: np.ndarray, rewards: np.ndarray) -> float | np.ndarray:
    """E_π[r] = Σ π·r; either argument may be one (K,) vector shared by a (B, K) batch."""
    r = check_rewards("rewards", rewards, ndims=(1, 2))
    p = _check_pi(pi, r)
    return _per_prompt(np.sum(p * r, axis=-1))


def kl_objective(
    pi: np.ndarray, rewards: np.ndarray, pi_ref: np.ndarray, beta: float
) -> float | np.ndarray:
    """J(π) = E_π[r] − β·KL(π‖π_ref), the objective π* maximises."""
    p, r, log_ref, beta = _check_objective_inputs(pi, rewards, pi_ref, beta)
    safe = np.where(p > 0.0, p, 1.0)
    return _per_prompt(_objective(p, np.log(safe), r, log_ref, beta))


def optimality_gap(
    pi: np.ndarray, rewards: np.ndarray, pi_ref: np.ndarray, beta: float
) -> float | np.ndarray:
    """β·log Z − J(π) = β·KL(π‖π*): how far π falls short of the optimum (0 at π*)."""
    p, r, log_ref, beta = _check_objective_inputs(pi, rewards, pi_ref, beta)
    safe = np.where(p > 0.0, p, 1.0)
    log_z = _solve(r, log_ref, beta)[2]
    return _per_prompt(beta * log_z - _objective(p, np.log(safe), r, log_ref, beta))


def dpo_implied_rewards(
    pi_star: np.ndarray, pi_ref: np.ndarray, beta: float, log_z: float | np.ndarray
) -> np.ndarray:
    """The DPO bridge read backwards: r = β·log(π*/π_ref) + β·log Z."""
    p = check_distribution("pi_star", pi_star, shape=None, strictly_positive=True)
    ref = check_distribution("pi_ref", pi_ref, shape=p.shape, strictly_positive=True)
    beta = check_positive("beta", beta)
    z = check_float_array("log_z", log_z, ndims=(p.ndim - 1,))
    if z.shape != p.shape[:-1]:
        raise WitnessInputError("log_z", f"must have shape {p.shape[:-1]}, got {z.shape}")
    result: NDArray[np.float64] = beta * (np.log(p) - np.log(ref)) + beta * z[..., None]
    return result


def shift_invariance(
    rewards: np.ndarray, pi_ref: np.ndarray, beta: float, shift: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """π* for r and for r + shift, and the largest absolute difference between them."""
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta)
    shift = check_real("shift", shift)
    pi_star = _solve(r, log_ref, beta)[1]
    pi_shifted = _solve(_shifted(r, shift), log_ref, beta)[1]
    return pi_star, pi_shifted, float(np.max(np.abs(pi_star - pi_shifted)))


def kl_policy_checks(
    rewards: np.ndarray, pi_ref: np.ndarray, beta: float, shift: float = 10.0
) -> dict[str, Any]:
    """The worst case, over all prompts, of each identity π* must satisfy.

    ``shift_max_abs_diff``: max |π*(r) − π*(r + shift)|; ``dpo_residual``:
    max |β·log(π*/π_ref) + β·log Z − r|; ``optimality_gap``: max |β·log Z − J(π*)|;
    ``normalisation_error``: max |Σ π* − 1|.
    """
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta)
    shift = check_real("shift", shift)
    log_pi, pi_star, log_z = _solve(r, log_ref, beta)
    pi_shifted = _solve(_shifted(r, shift), log_ref, beta)[1]
    recovered = beta * (log_pi - log_ref) + beta * log_z[..., None]
    gap = beta * log_z - _objective(pi_star, log_pi, r, log_ref, beta)
    return {
        "prompts": int(np.prod(r.shape[:-1], dtype=np.int64)),
        "candidates": int(r.shape[-1]),
        "shift_max_abs_diff": float(np.max(np.abs(pi_star - pi_shifted))),
        "dpo_residual": float(np.max(np.abs(recovered - r))),
        "optimality_gap": float(np.max(np.abs(gap))),
        "normalisation_error": float(np.max(np.abs(pi_star.sum(axis=-1) - 1.0))),
    }


def kl_policy_report(
    rewards: np.ndarray, pi_ref: np.ndarray, beta: float, shift: float = 10.0
) -> dict[str, Any]:
    """Everything the page's policy witness shows for one prompt, JSON-ready."""
    r, log_ref, beta = _check_policy_inputs(rewards, pi_ref, beta, ndims=(1,))
    ref = np.broadcast_to(np.asarray(pi_ref, dtype=np.float64), r.shape)
    shift = check_real("shift", shift)
    log_pi, pi_star, log_z = _solve(r, log_ref, beta)
    pi_shifted = _solve(_shifted(r, shift), log_ref, beta)[1]
    shift_diff = float(np.max(np.abs(pi_star - pi_shifted)))
    kl = float(np.sum(pi_star * (log_pi - log_ref)))
    reward_mean = float(pi_star @ r)
    objective = reward_mean - beta * kl
    recovered = beta * (log_pi - log_ref) + beta * float(log_z)
    return {
        "beta": beta,
        "shift": shift,
        "rewards": r.tolist(),
        "pi_ref": ref.tolist(),
        "pi_star": pi_star.tolist(),
        "pi_shifted": pi_shifted.tolist(),
        "shift_max_abs_diff": shift_diff,
        "shift_invariant": shift_diff <= SHIFT_TOL,
        "shift_tolerance": SHIFT_TOL,
        "kl": kl,
        "expected_reward": reward_mean,
        "objective": objective,
        "log_partition": float(log_z),
        "optimal_value": beta * float(log_z),
        "optimality_gap": beta * float(log_z) - objective,
        "dpo_implied_rewards": recovered.tolist(),
        "dpo_residual": float(np.max(np.abs(recovered - r))),
        "note": ONLY_DIFFERENCES_MATTER,
    }


def _check_policy_inputs(
    rewards: object, pi_ref: object, beta: object, *, ndims: tuple[int, ...] = (1, 2)
) -> tuple[np.ndarray, np.ndarray, float]:
    r = check_rewards("rewards", rewards, ndims=ndims)
    ref = check_distribution("pi_ref", pi_ref, shape=r.shape, strictly_positive=True)
    return r, np.log(ref), check_positive("beta", beta)


def _check_pi(pi: object, r: np.ndarray) -> np.ndarray:
    p = check_distribution("pi", pi, shape=None, strictly_positive=False)
    if p.shape[-1] != r.shape[-1] or (p.ndim == r.ndim == 2 and p.shape != r.shape):
        raise WitnessInputError("pi", f"must match the rewards' shape {r.shape}, got {p.shape}")
    return p


def _check_objective_inputs(
    pi: object, rewards: object, pi_ref: object, beta: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    r = check_rewards("rewards", rewards, ndims=(1, 2))
    p = _check_pi(pi, r)
    shape = p.shape if p.ndim > r.ndim else r.shape
    ref = check_distribution("pi_ref", pi_ref, shape=shape, strictly_positive=True)
    return p, r, np.log(ref), check_positive("beta", beta)


def _solve(
    r: np.ndarray, log_ref: np.ndarray, beta: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log π*, π*, log Z) along the last axis; inputs are already validated."""
    with np.errstate(over="ignore"):
        logits = log_ref + r / beta
    if not np.isfinite(logits).all():
        raise WitnessInputError("beta", "rewards / beta overflows; use a larger beta")
    top = logits.max(axis=-1, keepdims=True)
    logits -= top
    weights = np.exp(logits)
    total = weights.sum(axis=-1, keepdims=True)
    weights /= total
    log_total = np.log(total)
    logits -= log_total
    return logits, weights, (top + log_total)[..., 0]


def _objective(
    p: np.ndarray, log_p: np.ndarray, r: np.ndarray, log_ref: np.ndarray, beta: float
) -> np.ndarray:
    # J = Σ π·{r − β·q} with q = log(π/π_ref), the page's second form of the objective.
    result: NDArray[np.float64] = np.sum(p * (r - beta * (log_p - log_ref)), axis=-1)
    return result


def _shifted(r: np.ndarray, shift: float) -> np.ndarray:
    with np.errstate(over="ignore"):
        shifted = r + shift
    if not np.isfinite(shifted).all():
        raise WitnessInputError("shift", "rewards + shift overflows")
    return shifted


def _per_prompt(values: np.ndarray) -> float | np.ndarray:
    return float(values) if np.ndim(values) == 0 else values
