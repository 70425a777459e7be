r"""Reward hacking: optimising a proxy reward r that differs from the true utility u.

The policy is the page's π* ∝ π_ref·exp(r/β), built from the proxy. Sweeping β shows the
trade: as β falls the policy leaves π_ref, expected proxy reward rises monotonically
(its derivative in 1/β is Var_π*(r) >= 0) and so does KL(π*‖π_ref), but expected true
utility rises only while the proxy and u agree on where to move mass. Below some β the
policy concentrates on what the proxy overrates and true utility falls. KL regularisation
reduces this pressure; it does not make the proxy correct.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import (
    MAX_SWEEP_POINTS,
    WitnessInputError,
    check_distribution,
    check_float_array,
    check_index,
    check_int,
    check_positive,
    check_real,
    check_rewards,
)
from .policy import _solve

# "Lowering β costs true utility" means a drop larger than rounding, relative to max|u|.
DECREASE_TOL = 1e-12
HACKING_NOTE = (
    "KL regularization reduces the pressure to exploit a proxy reward but does not make "
    "the proxy correct: below the beta of maximal true utility, lowering beta moves "
    "probability toward what the proxy overrates."
)


def proxy_rewards(true_utility: np.ndarray, proxy_gap: float, exploited_index: int) -> np.ndarray:
    """The true utility with ``proxy_gap`` added to one candidate the proxy overrates."""
    u = check_rewards("true_utility", true_utility)
    gap = check_real("proxy_gap", proxy_gap)
    index = check_index("exploited_index", exploited_index, k=u.shape[0])
    proxy = u.copy()
    proxy[index] += gap
    if not np.isfinite(proxy[index]):
        raise WitnessInputError("proxy_gap", "true_utility + proxy_gap overflows")
    return proxy


def beta_grid(beta_min: float, beta_max: float, points: int) -> np.ndarray:
    """``points`` geometrically spaced β from ``beta_max`` down to ``beta_min``."""
    low = check_positive("beta_min", beta_min)
    high = check_positive("beta_max", beta_max)
    if not low < high:
        raise WitnessInputError("beta_max", f"must exceed beta_min ({low!r}), got {high!r}")
    count = check_int("points", points, minimum=2, maximum=MAX_SWEEP_POINTS)
    return np.geomspace(high, low, count)


def reward_hacking_sweep(
    rewards: np.ndarray,
    true_utility: np.ndarray,
    pi_ref: np.ndarray,
    *,
    betas: Sequence[float] | np.ndarray | None = None,
    beta_range: tuple[float, float, int] | None = None,
    include_policies: bool = False,
) -> dict[str, Any]:
    """Expected proxy reward, expected true utility and KL of π*(β) along a β sweep.

    Give either ``betas`` (any order; sorted high to low) or ``beta_range`` =
    (beta_min, beta_max, points) for a geometric grid. Each row says whether lowering β
    to the next row costs true utility; ``beta_at_max_true_utility`` is where that
    starts when true utility is single-peaked along the sweep, and
    ``hacking_onset_beta`` is the largest β from which lowering it costs true utility.
    """
    r = check_rewards("rewards", rewards)
    u = check_rewards("true_utility", true_utility)
    if u.shape != r.shape:
        raise WitnessInputError("true_utility", f"must have shape {r.shape}, got {u.shape}")
    ref = check_distribution("pi_ref", pi_ref, shape=r.shape, strictly_positive=True)
    sweep = _sweep_betas(betas, beta_range)
    log_ref = np.log(ref)

    log_pi, pi, _ = _solve(r, log_ref, sweep[:, None])
    proxy_mean = pi @ r
    true_mean = pi @ u
    kl = np.sum(pi * (log_pi - log_ref), axis=1)

    scale = DECREASE_TOL * max(1.0, float(np.max(np.abs(u))))
    costs: list[bool | None] = [bool(x) for x in true_mean[1:] < true_mean[:-1] - scale]
    costs.append(None)  # the smallest β has no lower β on the sweep
    best = int(np.argmax(true_mean))
    onset = next((i for i, cost in enumerate(costs) if cost), None)

    rows = []
    for i, beta in enumerate(sweep.tolist()):
        row: dict[str, Any] = {
            "beta": beta,
            "expected_proxy_reward": float(proxy_mean[i]),
            "expected_true_utility": float(true_mean[i]),
            "kl": float(kl[i]),
            "lowering_beta_costs_true_utility": costs[i],
        }
        if include_policies:
            row["policy"] = pi[i].tolist()
        rows.append(row)
    return {
        "betas": sweep.tolist(),
        "rows": rows,
        "beta_at_max_true_utility": float(sweep[best]),
        "max_expected_true_utility": float(true_mean[best]),
        "hacking_onset_beta": None if onset is None else float(sweep[onset]),
        "reference": {
            "expected_proxy_reward": float(ref @ r),
            "expected_true_utility": float(ref @ u),
        },
        "proxy_argmax": int(np.argmax(r)),
        "true_argmax": int(np.argmax(u)),
        "note": HACKING_NOTE,
    }


def reward_hacking_report(
    true_utility: np.ndarray,
    pi_ref: np.ndarray,
    *,
    proxy_gap: float,
    exploited_index: int,
    betas: Sequence[float] | np.ndarray | None = None,
    beta_range: tuple[float, float, int] | None = None,
    include_policies: bool = False,
) -> dict[str, Any]:
    """The page's demo toggle: a proxy that overrates one candidate, swept over β."""
    proxy = proxy_rewards(true_utility, proxy_gap, exploited_index)
    sweep = reward_hacking_sweep(
        proxy,
        true_utility,
        pi_ref,
        betas=betas,
        beta_range=beta_range,
        include_policies=include_policies,
    )
    return {
        "true_utility": np.asarray(true_utility, dtype=np.float64).tolist(),
        "proxy_rewards": proxy.tolist(),
        "proxy_gap": float(proxy_gap),
        "exploited_index": int(exploited_index),
        **sweep,
    }


def _sweep_betas(
    betas: Sequence[float] | np.ndarray | None, beta_range: tuple[float, float, int] | None
) -> np.ndarray:
    if (betas is None) == (beta_range is None):
        raise WitnessInputError("betas", "give exactly one of betas or beta_range")
    if beta_range is not None:
        if not isinstance(beta_range, tuple | list) or len(beta_range) != 3:
            raise WitnessInputError("beta_range", "must be (beta_min, beta_max, points)")
        return beta_grid(*beta_range)
    grid = check_float_array("betas", betas, ndims=(1,))
    if grid.size == 0:
        raise WitnessInputError("betas", "must contain at least one beta")
    if grid.size > MAX_SWEEP_POINTS:
        raise WitnessInputError(
            "betas", f"must contain at most {MAX_SWEEP_POINTS} values, got {grid.size}"
        )
    if not (grid > 0.0).all():
        raise WitnessInputError("betas", "every beta must be > 0")
    return np.unique(grid)[::-1].copy()
