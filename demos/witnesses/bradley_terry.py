r"""The Bradley–Terry model fitted from a matrix of win counts.

``wins[i, j]`` is how many times item i beat item j. With strengths γ_i > 0 the model says

    P(i beats j) = γ_i / (γ_i + γ_j) = σ(s_i − s_j),    s_i = log γ_i,

so only ratios of strengths (differences of scores) are identified. A fit is reported as
one representative of that class twice over: scores with Σ s_i = 0, and strengths scaled to
Σ γ_i = 1 as Bradley and Terry scaled theirs. The log-likelihood

    ℓ(s) = Σ_ij w_ij · log σ(s_i − s_j)

is concave; it has a maximiser, unique up to the shift, exactly when Ford's condition holds
(for every split of the items into two groups, each group beat the other at least once).
At the maximiser every item's observed wins equal the wins the model expects of it,

    W_i = Σ_j n_ij · γ_i / (γ_i + γ_j),    W_i = Σ_j w_ij,    n_ij = w_ij + w_ji,

and that residual is what both methods drive to zero:

* ``mm``: the minorise–maximise iteration γ_i ← W_i / Σ_j n_ij / (γ_i + γ_j) that Hunter
  (2004) analyses (Zermelo's iteration of 1929), rescaled after each step; every step raises ℓ;
* ``newton``: Newton's method on the exact Hessian, the reward fit's own solver
  (``preferences.fit_reward_model`` with l2 = 0) given each (winner, loser) edge and its
  win count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .errors import (
    MAX_PAIRS,
    NoMaximumLikelihoodError,
    WitnessInputError,
    check_float_array,
    check_int,
)
from .preferences import _frozen, check_ford_condition, fit_reward_model, sigmoid
from .progress import (
    Progress,
    ProgressReport,
    convergence_fraction,
    progress_part,
    progress_report,
)

BtMethod = Literal["mm", "newton"]
BT_METHODS: tuple[str, ...] = get_args(BtMethod)  # ("mm", "newton")
# A win matrix holds K² counts: 50 items is 2,500 numbers in a request.
MAX_ITEMS = 50
MAX_COMPARISONS = MAX_PAIRS
# Both methods stop once max_i |expected wins − observed wins| <= RESIDUAL_TOL · max(1, max W).
RESIDUAL_TOL = 1e-12
MM_MAX_ITER = 2_000


@dataclass(frozen=True, eq=False)
class BradleyTerryFit:
    """Mean-zero scores s (log-strengths) of a maximum-likelihood fit, and how it got there."""

    scores: np.ndarray
    method: str
    iterations: int
    converged: bool
    residual: float

    @property
    def strengths(self) -> np.ndarray:
        """γ ∝ exp(s), scaled to sum to one."""
        weights = np.exp(self.scores - self.scores.max())
        result: NDArray[np.float64] = weights / weights.sum()
        return result


def check_wins(wins: object) -> np.ndarray:
    """A square K×K matrix of non-negative integer win counts with an empty diagonal."""
    matrix = check_float_array("wins", wins, ndims=(2,))
    k = matrix.shape[0]
    if matrix.shape != (k, k):
        raise WitnessInputError("wins", f"must be a square K×K matrix, got shape {matrix.shape}")
    if not 2 <= k <= MAX_ITEMS:
        raise WitnessInputError("wins", f"must compare between 2 and {MAX_ITEMS} items, got {k}")
    if (matrix < 0).any() or (matrix != np.round(matrix)).any():
        raise WitnessInputError("wins", "must hold non-negative whole numbers of wins")
    if np.diagonal(matrix).any():
        bad = int(np.flatnonzero(np.diagonal(matrix))[0])
        raise WitnessInputError("wins", f"item {bad} cannot beat itself: wins[{bad}][{bad}] != 0")
    total = float(matrix.sum())
    if total > MAX_COMPARISONS:
        raise WitnessInputError(
            "wins", f"may hold at most {MAX_COMPARISONS:,} comparisons in all, got {total:,.0f}"
        )
    return matrix


def check_identifiable(wins: object) -> None:
    """Raise NoMaximumLikelihoodError (field ``wins``) unless Ford's condition holds."""
    _require_identifiable(check_wins(wins))


def expected_wins(scores: np.ndarray, wins: np.ndarray) -> np.ndarray:
    """Σ_j n_ij σ(s_i − s_j): the wins the model expects of each item in the games it played."""
    return _expected(scores, wins + wins.T)


def _expected(scores: np.ndarray, games: np.ndarray) -> np.ndarray:
    result: NDArray[np.float64] = np.sum(games * sigmoid(scores[:, None] - scores[None, :]), axis=1)
    return result


def win_probabilities(scores: np.ndarray) -> np.ndarray:
    """P[i, j] = σ(s_i − s_j) = γ_i / (γ_i + γ_j); the diagonal is 1/2."""
    s = check_float_array("scores", scores, ndims=(1,))
    return sigmoid(s[:, None] - s[None, :])


def log_likelihood(scores: np.ndarray, wins: np.ndarray) -> float:
    """ℓ(s) = Σ_ij w_ij log σ(s_i − s_j), with 0·log(·) = 0 for pairs that never met."""
    gaps = scores[:, None] - scores[None, :]
    # log σ(z) = −(max(−z, 0) + log1p(e^(−|z|))), exact in both tails.
    log_p = -(np.maximum(-gaps, 0.0) + np.log1p(np.exp(-np.abs(gaps))))
    return float(np.sum(np.where(wins > 0, wins * log_p, 0.0)))


def fit_bradley_terry(
    wins: object,
    *,
    method: str = "mm",
    tol: float = RESIDUAL_TOL,
    max_iter: int = MM_MAX_ITER,
    progress: Progress | None = None,
) -> BradleyTerryFit:
    """The maximum-likelihood scores for a win matrix, by ``mm`` or ``newton``.

    Raises NoMaximumLikelihoodError when Ford's condition fails: then some group of items
    could be pushed apart from the rest forever while the likelihood keeps rising.
    ``progress`` (optional) hears how far the fit has come towards its tolerance.
    """
    matrix = check_wins(wins)
    if not isinstance(method, str) or method not in BT_METHODS:
        raise WitnessInputError("method", f"must be one of {BT_METHODS}, got {method!r}")
    max_iter = check_int("max_iter", max_iter, minimum=1)
    k = matrix.shape[0]
    edges = _require_identifiable(matrix)
    observed = matrix.sum(axis=1)
    threshold = tol * max(1.0, float(observed.max()))
    if method == "newton":
        counts = matrix[edges[:, 0], edges[:, 1]].astype(np.int64)
        fit = fit_reward_model(edges, k, counts=counts, l2=0.0, method="newton", progress=progress)
        scores = np.asarray(fit.rewards, dtype=np.float64)
        iterations = fit.iterations
    else:
        report = progress_report(progress)
        scores, iterations = _mm(matrix, observed, threshold, max_iter, report)
        if report is not None:
            report(1.0)
    residual = float(np.max(np.abs(expected_wins(scores, matrix) - observed)))
    return BradleyTerryFit(
        scores=_frozen(scores),
        method=method,
        iterations=int(iterations),
        converged=residual <= threshold,
        residual=residual,
    )


def bradley_terry_report(
    wins: object, *, method: str = "mm", progress: Progress | None = None
) -> dict[str, Any]:
    """The fit by ``method``, checked against the other method, JSON-ready. ``progress``
    (optional) hears both fits, the first over [0, 0.5] and the check over [0.5, 1]."""
    matrix = check_wins(wins)
    fit = fit_bradley_terry(matrix, method=method, progress=progress_part(progress, 0.0, 0.5))
    other = fit_bradley_terry(
        matrix,
        method="newton" if method == "mm" else "mm",
        progress=progress_part(progress, 0.5, 1.0),
    )
    observed = matrix.sum(axis=1)
    games = matrix + matrix.T
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(games > 0, matrix / np.where(games > 0, games, 1.0), 0.5)
    return {
        "method": fit.method,
        "items": int(matrix.shape[0]),
        "comparisons": int(matrix.sum()),
        "scores": fit.scores.tolist(),
        "strengths": fit.strengths.tolist(),
        "score_sum": float(fit.scores.sum()),
        "strength_sum": float(fit.strengths.sum()),
        "ranking": np.argsort(-fit.scores, kind="stable").tolist(),
        "observed_wins": observed.tolist(),
        "expected_wins": expected_wins(fit.scores, matrix).tolist(),
        "residual": fit.residual,
        "iterations": fit.iterations,
        "converged": fit.converged,
        "log_likelihood": log_likelihood(fit.scores, matrix),
        "win_probabilities": win_probabilities(fit.scores).tolist(),
        "observed_win_share": share.tolist(),
        "cross_check": {
            "method": other.method,
            "iterations": other.iterations,
            "converged": other.converged,
            "residual": other.residual,
            "max_abs_score_diff": float(np.max(np.abs(other.scores - fit.scores))),
        },
        "note": (
            "Only score differences are identified: the scores are the mean-zero "
            "representative and the strengths the one that sums to 1."
        ),
    }


def _mm(
    wins: np.ndarray,
    observed: np.ndarray,
    threshold: float,
    max_iter: int,
    report: ProgressReport | None = None,
) -> tuple[np.ndarray, int]:
    """Hunter's update γ_i ← W_i / Σ_j n_ij/(γ_i + γ_j), carried out on s = log γ.

    Since n_ij/(γ_i + γ_j) = (n_ij/γ_i)·σ(s_i − s_j), the denominator is E_i/γ_i with E_i the
    expected wins, so the step is s_i ← s_i + log(W_i / E_i): each strength is multiplied by
    its observed over its expected wins. In logs, strengths 1e300 apart stay representable.
    """
    games = wins + wins.T
    log_observed = np.log(observed)
    scores = np.zeros(wins.shape[0])
    expected = _expected(scores, games)
    iterations = 0
    residual = initial = float(np.max(np.abs(expected - observed)))
    while iterations < max_iter and residual > threshold:
        iterations += 1
        scores = scores + log_observed - np.log(expected)
        scores -= scores.mean()
        expected = _expected(scores, games)
        residual = float(np.max(np.abs(expected - observed)))
        if report is not None:
            report(convergence_fraction(initial, residual, threshold, iterations, max_iter))
    return scores, iterations


def _require_identifiable(matrix: np.ndarray) -> np.ndarray:
    """The (winner, loser) edges of the win graph, once Ford's condition is known to hold."""
    edges = np.argwhere(matrix > 0).astype(np.int64)
    if edges.size == 0:
        raise NoMaximumLikelihoodError("wins", "records no wins at all, so nothing is fitted")
    try:
        check_ford_condition(edges, matrix.shape[0], regularised=False)
    except NoMaximumLikelihoodError as exc:
        raise NoMaximumLikelihoodError("wins", exc.message, exc.candidates) from None
    return edges
