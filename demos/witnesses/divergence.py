r"""KL divergence between categorical distributions: Gibbs' inequality, asymmetry, and what
minimising it in each direction does.

For distributions p and q over the same K categories,

    KL(p‖q) = Σ_y p(y)·log(p(y)/q(y))        (0·log 0 = 0; +∞ if q(y) = 0 < p(y))

is the expected log-likelihood ratio of p against q under p: the extra log-loss paid, on
average, for coding or predicting data from p with q. Three facts are checked with numbers:

* Gibbs' inequality: KL(p‖q) ≥ 0, with equality exactly when p = q. Single terms
  p·log(p/q) can be negative; only their sum is bounded below. Pinsker's inequality
  KL(p‖q) ≥ 2·TV(p, q)² (TV = ½Σ|p − q|) makes the bound quantitative.
* the decomposition H(p, q) = H(p) + KL(p‖q): cross-entropy is entropy plus divergence, so
  fitting q to data from p by maximum likelihood (minimising H(p, q)) minimises KL(p‖q).
* asymmetry: KL(p‖q) ≠ KL(q‖p) in general. Fitted over a one-bump family, the forward
  direction KL(p‖q) must put mass wherever p has it (mass-covering), while the reverse
  direction KL(q‖p) pays nothing for ignoring one of p's modes (mode-seeking).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import WitnessInputError, check_distribution

MAX_CATEGORIES = 200
# The one-bump family fitted in each direction: a Gaussian bump over the category indices.
FIT_CENTRES_PER_CATEGORY = 4
MAX_CENTRES = 161
FIT_WIDTHS = 30
# KL of two distributions that differ is positive; a computed sum may round below zero by this.
ROUNDING_TOL = 1e-12


def categorical_kl(p: object, q: object) -> float:
    """KL(p‖q) in nats; ``inf`` when q is zero somewhere p is not."""
    first, second = _pair(p, q)
    return float(_kl(first, second))


def entropy(p: object) -> float:
    """H(p) = −Σ p·log p in nats."""
    dist = check_distribution("p", p, shape=None, strictly_positive=False)
    if dist.ndim != 1:
        raise WitnessInputError("p", f"must be 1-D, got shape {dist.shape}")
    return float(-np.sum(_xlogy(dist, dist)))


def cross_entropy(p: object, q: object) -> float:
    """H(p, q) = −Σ p·log q in nats; ``inf`` when q is zero somewhere p is not."""
    first, second = _pair(p, q)
    return float(-np.sum(_xlogy(first, second)))


def log_bump_family(k: int, centres: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """log q_{μ,σ}(y), q ∝ exp(−(y − μ)²/(2σ²)) over y = 0..K−1, one row per (μ, σ) pair
    (centres vary slowest): shape (len(centres)·len(widths), K)."""
    y = np.arange(k, dtype=np.float64)
    mu, sigma = np.meshgrid(centres, widths, indexing="ij")
    logits = -((y[None, :] - mu.reshape(-1, 1)) ** 2) / (2.0 * sigma.reshape(-1, 1) ** 2)
    top = logits.max(axis=1, keepdims=True)
    result: NDArray[np.float64] = logits - (
        top + np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    )
    return result


def direction_fits(p: object) -> dict[str, Any]:
    """The member of the bump family closest to p in each direction of KL, over a grid.

    Forward: argmin_q KL(p‖q), the maximum-likelihood fit to data drawn from p. Reverse:
    argmin_q KL(q‖p), the direction of RLHF's penalty KL(π‖π_ref) and of variational fits.
    The reverse direction needs p > 0 on every category (each bump is positive everywhere).
    """
    dist = check_distribution("p", p, shape=None, strictly_positive=True)
    if dist.ndim != 1:
        raise WitnessInputError("p", f"must be 1-D, got shape {dist.shape}")
    k = dist.size
    centres = np.linspace(0.0, k - 1.0, min(FIT_CENTRES_PER_CATEGORY * (k - 1) + 1, MAX_CENTRES))
    widths = np.geomspace(0.3, float(k), FIT_WIDTHS)
    log_family = log_bump_family(k, centres, widths)
    family = np.exp(log_family)
    log_p = np.log(dist)
    forward = np.sum(dist * (log_p - log_family), axis=1)
    reverse = np.sum(family * (log_family - log_p), axis=1)
    fits = {}
    for name, values in (("forward", forward), ("reverse", reverse)):
        best = int(np.argmin(values))
        q = family[best]
        fits[name] = {
            "mu": float(centres[best // widths.size]),
            "sigma": float(widths[best % widths.size]),
            "q": q.tolist(),
            "kl_p_q": float(forward[best]),
            "kl_q_p": float(reverse[best]),
            "mass_near_p_modes": _mass_near_modes(dist, q),
        }
    return {
        "family": "Gaussian bump over the category indices, q(y) ∝ exp(−(y − μ)²/(2σ²))",
        "grid": {"centres": int(centres.size), "widths": int(widths.size)},
        **fits,
    }


def kl_report(p: object, q: object) -> dict[str, Any]:
    """Both directions of KL between p and q with the checks that hold between them, and the
    forward and reverse fits of p over the bump family when p is positive everywhere."""
    first, second = _pair(p, q)
    forward, reverse = _kl(first, second), _kl(second, first)
    equal = bool(np.all(first == second))
    tv = 0.5 * float(np.sum(np.abs(first - second)))
    h_p = float(-np.sum(_xlogy(first, first)))
    h_pq = float(-np.sum(_xlogy(first, second)))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(first > 0.0, first * (np.log(first) - np.log(second)), 0.0)
    finite = bool(np.isfinite(forward) and np.isfinite(reverse))
    # Gibbs: both directions are >= 0, and exactly 0 when p = q. That they are > 0 whenever
    # p != q is what Pinsker's bound 2·TV² > 0 adds.
    gibbs = bool(
        forward >= -ROUNDING_TOL
        and reverse >= -ROUNDING_TOL
        and (not equal or (forward == 0.0 and reverse == 0.0))
    )
    return {
        "p": first.tolist(),
        "q": second.tolist(),
        "kl_p_q": _json_number(forward),
        "kl_q_p": _json_number(reverse),
        "kl_p_q_infinite": bool(np.isinf(forward)),
        "kl_q_p_infinite": bool(np.isinf(reverse)),
        "asymmetry": float(forward - reverse) if finite else None,
        "terms_p_q": [_json_number(term) for term in terms],
        "negative_terms": int(np.sum(terms < 0.0)),
        "kl_p_p": float(_kl(first, first)),
        "kl_q_q": float(_kl(second, second)),
        "equal": equal,
        "gibbs_holds": gibbs,
        "entropy_p": h_p,
        "cross_entropy_p_q": _json_number(h_pq),
        "decomposition_residual": (
            abs(h_pq - h_p - float(forward)) if np.isfinite(forward) else None
        ),
        "total_variation": tv,
        "pinsker_bound": 2.0 * tv**2,
        "pinsker_holds": bool(forward >= 2.0 * tv**2 - ROUNDING_TOL),
        "fits": direction_fits(first) if bool(np.all(first > 0.0)) else None,
    }


def _pair(p: object, q: object) -> tuple[np.ndarray, np.ndarray]:
    first = check_distribution("p", p, shape=None, strictly_positive=False)
    if first.ndim != 1:
        raise WitnessInputError("p", f"must be 1-D, got shape {first.shape}")
    if first.size > MAX_CATEGORIES:
        raise WitnessInputError(
            "p", f"must have at most {MAX_CATEGORIES} categories, got {first.size}"
        )
    second = check_distribution("q", q, shape=None, strictly_positive=False)
    if second.shape != first.shape:
        raise WitnessInputError(
            "q", f"must have one probability per category of p ({first.size}), got {second.size}"
        )
    return first, second


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x·log y with 0·log y = 0 (even for y = 0) and x·log 0 = −∞ for x > 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0.0, x * np.log(y), 0.0)


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    if np.any((p > 0.0) & (q == 0.0)):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0.0, p * (np.log(p) - np.log(q)), 0.0)
    # Not clamped at zero: Gibbs' inequality is checked on what is computed, within rounding.
    return float(np.sum(terms))


def _mass_near_modes(p: np.ndarray, q: np.ndarray) -> list[float]:
    """q's probability within one category of each local maximum of p, highest mode first."""
    padded = np.concatenate(([-np.inf], p, [-np.inf]))
    modes = [
        i for i in range(p.size) if padded[i + 1] > padded[i] and padded[i + 1] >= padded[i + 2]
    ]
    modes.sort(key=lambda i: -p[i])
    return [float(q[max(i - 1, 0) : i + 2].sum()) for i in modes]


def _json_number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None
