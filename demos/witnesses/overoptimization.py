r"""Reward-model overoptimisation: a proxy reward optimised ever harder, scored by a gold reward.

One prompt, K candidate outputs, a reference policy π_ref, a gold reward g (the real target)
and a proxy r that agrees with g except where it errs. Optimisation pressure is measured, as
Gao, Schulman and Hilton measure it, by the KL divergence from the reference it buys, and two
optimisers apply it:

* ``kl-regularized``: the RLHF policy π_β ∝ π_ref·exp(r/β); pressure grows as β falls. Both
  KL(π_β‖π_ref) and E_{π_β}[r] only rise as β falls (their derivatives in 1/β are (1/β)·Var
  and Var of r under π_β);
* ``best-of-n``: draw n outputs from π_ref and keep the one the proxy scores highest;
  pressure grows with n. For a finite candidate set its distribution is exact: sort the
  candidates by proxy score, let F be the reference mass at or below a score; the top score
  among n draws is that score with probability F^n − F_below^n (tied candidates share it in
  proportion to π_ref). Its KL is at most log n − (n − 1)/n, the value for a continuous
  score with no ties.

Along either sweep E[r] keeps rising, while E[g] rises only as long as the proxy and the
gold reward agree on where to move probability; the curve reports the KL at which E[g] peaks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .errors import (
    MAX_SWEEP_POINTS,
    WitnessInputError,
    check_distribution,
    check_float_array,
    check_int,
    check_rewards,
)
from .policy import _solve
from .progress import Progress, progress_report

Optimizer = Literal["kl-regularized", "best-of-n"]
OPTIMIZERS: tuple[str, ...] = get_args(Optimizer)  # ("kl-regularized", "best-of-n")
MAX_N = 1_000_000
# "Gold falls after its peak" means a drop larger than rounding, relative to max|g|.
DROP_TOL = 1e-9
OVEROPTIMIZATION_NOTE = (
    "The proxy score never falls as optimisation pressure (KL from the reference) grows; the "
    "gold score rises only while the proxy and the gold reward agree, then falls once the "
    "policy concentrates on what the proxy overrates."
)


def n_grid(n_max: int, points: int) -> np.ndarray:
    """Up to ``points`` distinct integers from 1 to ``n_max``, spaced geometrically."""
    top = check_int("n_max", n_max, minimum=2, maximum=MAX_N)
    count = check_int("points", points, minimum=2, maximum=MAX_SWEEP_POINTS)
    return np.unique(np.round(np.geomspace(1, top, count)).astype(np.int64))


def best_of_n_policy(proxy: np.ndarray, pi_ref: np.ndarray, n: int) -> np.ndarray:
    """The exact distribution of the best of n draws from π_ref under the proxy (ties share)."""
    r = check_rewards("proxy", proxy)
    ref = check_distribution("pi_ref", pi_ref, shape=r.shape, strictly_positive=True)
    n = check_int("n", n, minimum=1, maximum=MAX_N)
    return _best_of_n(r, ref / ref.sum(), n)


def best_of_n_kl_bound(n: int) -> float:
    """log n − (n − 1)/n: KL(best-of-n ‖ π_ref) when no two outputs share a score."""
    n = check_int("n", n, minimum=1, maximum=MAX_N)
    return math.log(n) - (n - 1) / n


def overoptimization_curve(
    proxy: np.ndarray,
    gold: np.ndarray,
    pi_ref: np.ndarray,
    *,
    optimizer: str = "kl-regularized",
    betas: Sequence[float] | np.ndarray | None = None,
    ns: Sequence[int] | np.ndarray | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Expected proxy and gold reward against KL from π_ref as the pressure grows.

    ``kl-regularized`` takes ``betas`` (visited from the largest to the smallest),
    ``best-of-n`` takes ``ns`` (from the smallest to the largest). Rows are in order of
    growing pressure; ``gold_peak`` is the row of highest expected gold reward.
    ``progress`` (optional) hears the share of the best-of-n points computed.
    """
    r = check_rewards("proxy", proxy)
    g = check_rewards("gold", gold)
    if g.shape != r.shape:
        raise WitnessInputError("gold", f"must have shape {r.shape}, got {g.shape}")
    ref = check_distribution("pi_ref", pi_ref, shape=r.shape, strictly_positive=True)
    if optimizer == "kl-regularized":
        grid = _betas(betas)
        log_pi, pi, _ = _solve(r, np.log(ref), grid[:, None])
        kl = np.sum(pi * (log_pi - np.log(ref)), axis=1)
        pressure = [{"beta": float(beta)} for beta in grid]
    elif optimizer == "best-of-n":
        grid = _ns(ns)
        normalised = ref / ref.sum()
        report = progress_report(progress)
        policies = []
        for index, n in enumerate(grid.tolist()):
            policies.append(_best_of_n(r, normalised, int(n)))
            if report is not None:
                report((index + 1) / grid.size)
        pi = np.stack(policies)
        kl = np.array([_kl(row, normalised) for row in pi])
        pressure = [{"n": int(n), "kl_bound": best_of_n_kl_bound(int(n))} for n in grid]
    else:
        raise WitnessInputError("optimizer", f"must be one of {OPTIMIZERS}, got {optimizer!r}")
    kl = np.maximum(kl, 0.0)  # rounding can leave −1e-16 at the reference itself
    proxy_mean, gold_mean = pi @ r, pi @ g
    rows = [
        {
            **pressure[i],
            "kl": float(kl[i]),
            "sqrt_kl": math.sqrt(float(kl[i])),
            "expected_proxy": float(proxy_mean[i]),
            "expected_gold": float(gold_mean[i]),
        }
        for i in range(grid.size)
    ]
    peak = int(np.argmax(gold_mean))
    drop = float(gold_mean[peak] - gold_mean[-1])
    scale = DROP_TOL * max(1.0, float(np.max(np.abs(g))))
    return {
        "optimizer": optimizer,
        "rows": rows,
        "reference": {"expected_proxy": float(ref @ r), "expected_gold": float(ref @ g)},
        "gold_peak": {"index": peak, **rows[peak]},
        "at_max_pressure": rows[-1],
        "gold_drop_after_peak": drop,
        "overoptimized": drop > scale,
        "proxy_never_falls": bool(np.all(np.diff(proxy_mean) >= -scale)),
        "kl_never_falls": bool(np.all(np.diff(kl) >= -scale)),
        "proxy_argmax": int(np.argmax(r)),
        "gold_argmax": int(np.argmax(g)),
        "note": OVEROPTIMIZATION_NOTE,
    }


def _best_of_n(r: np.ndarray, ref: np.ndarray, n: int) -> np.ndarray:
    scores, group = np.unique(r, return_inverse=True)
    mass = np.bincount(group, weights=ref, minlength=scores.size)
    at_or_below = np.minimum(np.cumsum(mass), 1.0)
    at_or_below[-1] = 1.0
    below = np.concatenate([[0.0], at_or_below[:-1]])
    # F^n − F_below^n = F^n·(1 − (F_below/F)^n), the second factor by expm1 for accuracy.
    with np.errstate(divide="ignore"):
        log_top, log_below = np.log(at_or_below), np.log(below)
    top_share = -np.expm1(n * (log_below - log_top))
    group_probability = np.exp(n * log_top) * top_share
    result: NDArray[np.float64] = group_probability[group] * ref / mass[group]
    return result


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    present = p > 0.0
    return float(np.sum(p[present] * (np.log(p[present]) - np.log(q[present]))))


def _betas(betas: Sequence[float] | np.ndarray | None) -> np.ndarray:
    grid = check_float_array("betas", betas, ndims=(1,))
    if not 1 <= grid.size <= MAX_SWEEP_POINTS or not (grid > 0.0).all():
        raise WitnessInputError(
            "betas", f"must hold 1 to {MAX_SWEEP_POINTS} positive values, got {grid.size}"
        )
    return np.unique(grid)[::-1].copy()


def _ns(ns: Sequence[int] | np.ndarray | None) -> np.ndarray:
    grid = np.asarray(ns)
    if grid.ndim != 1 or grid.dtype.kind not in "iu" or not 1 <= grid.size <= MAX_SWEEP_POINTS:
        raise WitnessInputError("ns", f"must hold 1 to {MAX_SWEEP_POINTS} integers")
    if grid.min() < 1 or grid.max() > MAX_N:
        raise WitnessInputError("ns", f"every n must be between 1 and {MAX_N:,}")
    return np.unique(grid)
