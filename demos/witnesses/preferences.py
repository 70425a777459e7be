r"""Bradley–Terry reward model fitted from pairwise preferences.

A preference datum says candidate ``winner`` was preferred to candidate ``loser``. With
rewards ``r`` over K candidates the model predicts

    P(winner ≻ loser) = σ(Δ),    Δ = r[winner] − r[loser]            (the reward gap)

The page fits ``r`` by gradient descent with the update ``r -= lr * grad / len(pairs)``
where ``grad = l2 * r + Σ_i (σ(Δ_i) − 1)(e_w − e_l)``. That step is gradient descent,
with step ``lr``, on

    F(r) = (1/N) [ Σ_i −log σ(Δ_i) + (l2/2)·‖r‖² ]

(the regulariser sits inside the 1/N: the page divides its whole gradient by N). Both
methods here minimise this same F, so they agree once both have converged:

* ``method="page"`` runs the page's loop step for step (800 steps, lr 0.3, l2 0.05,
  re-centring after every step); its floating-point result is bit-identical to the
  page's script. After 800 steps it has not converged, and the result says so.
* ``method="newton"`` (the default) runs Newton's method on the exact Hessian

      H = (1/N) [ Σ_i p_i(1 − p_i)(e_w − e_l)(e_w − e_l)ᵀ + l2·I ],

  a weighted graph Laplacian plus the L2 term, to a gradient norm ~1e-12 relative.

The likelihood depends on the pairs only through the K×K win counts w_ij (how often i beat
j), so Newton aggregates the pairs once (``np.bincount(winner·K + loser)``) and from then on
works on the M <= K(K−1)/2 compared couples i < j, with games n_ij = w_ij + w_ji:

    N·F(r) = Σ_{i<j} [w_ij·(−log σ(d_ij)) + w_ji·(−log σ(−d_ij))] + (l2/2)‖r‖²,  d = r_i − r_j

so each pass costs O(M) however many battles there are; ``counts`` gives a pair's
multiplicity directly ([winner, loser, count] triplets), so 10⁷ battles need no 10⁷ rows.
Only the page's loop walks the battles one by one.

Only reward differences are observed, so the fit is reported as its mean-zero
representative. With l2 > 0 the minimiser of F is mean-zero by itself: the likelihood
gradient sums to zero over candidates, so stationarity forces l2·Σ r = 0. With l2 = 0, F
is shift-invariant and Newton works on the subspace orthogonal to the ones vector; the
minimiser then exists only under Ford's condition (see ``check_ford_condition``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from .errors import (
    NoMaximumLikelihoodError,
    WitnessInputError,
    check_counts,
    check_index,
    check_int,
    check_non_negative,
    check_pairs,
    check_positive,
    check_rewards,
)
from .progress import Progress, ProgressReport, convergence_fraction, progress_report

PAGE_STEPS = 800
PAGE_LR = 0.3
PAGE_L2 = 0.05

FIT_METHODS = ("newton", "page")
LINEAR_SOLVERS = ("auto", "dense", "cg")

# Newton stops once ‖∇F‖ <= NEWTON_TOL · max(‖∇F(0)‖, 1/N).
NEWTON_TOL = 1e-12
NEWTON_MAX_ITER = 100
# Above this many candidates the Newton system is solved matrix-free.
DENSE_MAX_K = 200
# Up to this many candidates Ford's condition is searched on a dense adjacency matrix.
DENSE_REACH_MAX_K = 2000

_ARMIJO = 1e-4


@dataclass(frozen=True, eq=False)
class RewardFit:
    """A fitted mean-zero reward vector and how the fit got there."""

    rewards: np.ndarray
    method: str
    iterations: int
    grad_norm: float
    objective: float
    converged: bool
    solver: str
    l2: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rewards": self.rewards.tolist(),
            "method": self.method,
            "iterations": int(self.iterations),
            "grad_norm": float(self.grad_norm),
            "objective": float(self.objective),
            "converged": bool(self.converged),
            "solver": self.solver,
            "l2": float(self.l2),
        }


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)) without overflow for large |z|."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    result: NDArray[np.float64] = np.where(z >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result


def reward_gap(rewards: np.ndarray, winner: int, loser: int) -> float:
    """Δ = r[winner] − r[loser]: the only thing a preference observes."""
    r = check_rewards("rewards", rewards)
    k = r.shape[0]
    w = check_index("winner", winner, k=k)
    lo = check_index("loser", loser, k=k)
    if w == lo:
        raise WitnessInputError("loser", f"must differ from winner ({w})")
    return float(r[w] - r[lo])


def preference_probabilities(rewards: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """σ(r[winner] − r[loser]) for every (winner, loser) pair, shape (N,)."""
    r = check_rewards("rewards", rewards)
    w, lo = check_pairs("pairs", pairs, k=r.shape[0])
    return sigmoid(r[w] - r[lo])


def bradley_terry_objective(rewards: np.ndarray, pairs: object, l2: float) -> float:
    """F(r) = (1/N)[Σ −log σ(Δ_i) + (l2/2)‖r‖²], the objective both fit methods minimise.

    Summed pair by pair: the definition the win-count form of the fit is checked against.
    """
    r = check_rewards("rewards", rewards)
    problem = _PairProblem.build(pairs, r.shape[0], check_non_negative("l2", l2))
    value, _, _ = problem.evaluate(r)
    return value / problem.n


def bradley_terry_gradient(rewards: np.ndarray, pairs: np.ndarray, l2: float) -> np.ndarray:
    """∇F(r) = (1/N)[l2·r + Σ (σ(Δ_i) − 1)(e_w − e_l)]: the page's ``grad / len(pairs)``."""
    r = check_rewards("rewards", rewards)
    problem = _PairProblem.build(pairs, r.shape[0], check_non_negative("l2", l2))
    _, gradient, _ = problem.evaluate(r)
    return gradient / problem.n


def check_ford_condition(pairs: np.ndarray, K: int, *, regularised: bool = True) -> None:
    """Raise NoMaximumLikelihoodError unless the unregularised fit has a unique maximiser.

    Ford's condition: for every split of the candidates into two groups, someone in each
    group beat someone in the other. Equivalently the directed graph with an edge
    loser → winner per pair is strongly connected, i.e. every candidate is reachable from
    candidate 0 along the edges and along the reversed edges. ``regularised=False`` is for
    fits that have no l2 to fall back on: the message then does not suggest one.
    """
    k = check_int("K", K, minimum=2)
    w, lo = check_pairs("pairs", pairs, k=k)
    _require_ford_condition(w, lo, k, regularised=regularised)


def fit_reward_model(
    pairs: np.ndarray,
    K: int,
    *,
    counts: np.ndarray | None = None,
    l2: float = PAGE_L2,
    method: str = "newton",
    tol: float = NEWTON_TOL,
    max_iter: int = NEWTON_MAX_ITER,
    solver: str = "auto",
    steps: int = PAGE_STEPS,
    lr: float = PAGE_LR,
    progress: Progress | None = None,
) -> RewardFit:
    """Fit mean-zero Bradley–Terry rewards to (winner, loser) pairs over K candidates.

    ``counts`` (optional, one whole number >= 1 per pair) says how many times each pair's
    winner beat its loser: pair i then stands for counts[i] identical battles, and N is
    their total.

    ``method="newton"`` minimises F to convergence (``tol``, ``max_iter``, ``solver``:
    "dense" solves the Newton system directly, "cg" matrix-free, "auto" picks by K).
    ``method="page"`` runs the page's loop (``steps``, ``lr``). ``"gradient"`` is accepted
    as another name for ``"page"``. Either way ``converged`` means
    ‖∇F‖ <= tol·max(‖∇F(0)‖, 1/N). With l2 = 0 the pairs must satisfy Ford's condition,
    or NoMaximumLikelihoodError names the candidates whose rewards would run off.
    ``progress`` (optional) is called with the fraction done: steps, or Newton's progress
    towards the tolerance.
    """
    k = check_int("K", K, minimum=2)
    l2 = check_non_negative("l2", l2)
    if not isinstance(method, str) or method not in (*FIT_METHODS, "gradient"):
        raise WitnessInputError("method", f"must be one of {FIT_METHODS}, got {method!r}")
    if method == "gradient":
        method = "page"
    tol = check_positive("tol", tol)
    winners, losers = check_pairs("pairs", pairs, k=k)
    multiplicity = None if counts is None else check_counts("counts", counts, n=winners.size)
    problem = _Problem.from_pairs(winners, losers, k, l2, multiplicity)
    if l2 == 0.0:
        _require_ford_condition(*problem.edges(), k)
    if method == "page":
        steps = check_int("steps", steps, minimum=1)
        lr = check_positive("lr", lr)
        if multiplicity is not None:
            winners, losers = np.repeat(winners, multiplicity), np.repeat(losers, multiplicity)
        report = progress_report(progress)
        return _fit_page(problem, winners, losers, steps=steps, lr=lr, tol=tol, report=report)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    if not isinstance(solver, str) or solver not in LINEAR_SOLVERS:
        raise WitnessInputError("solver", f"must be one of {LINEAR_SOLVERS}, got {solver!r}")
    if solver == "auto":
        solver = "dense" if k <= DENSE_MAX_K else "cg"
    report = progress_report(progress)
    return _fit_newton(problem, tol=tol, max_iter=max_iter, solver=solver, report=report)


@dataclass(frozen=True, eq=False)
class _PairProblem:
    """Validated pair arrays, evaluated one pair at a time (the definition of F)."""

    winners: np.ndarray
    losers: np.ndarray
    k: int
    n: int
    l2: float

    @classmethod
    def build(cls, pairs: object, k: int, l2: float) -> _PairProblem:
        w, lo = check_pairs("pairs", pairs, k=k)
        return cls(winners=w, losers=lo, k=k, n=int(w.shape[0]), l2=l2)

    def evaluate(self, r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """N·F(r), its gradient N·∇F(r), and e^(−|Δ|) (from which p(1 − p) follows)."""
        delta = r[self.winners] - r[self.losers]
        e = np.exp(-np.abs(delta))
        # −log σ(Δ) = max(−Δ, 0) + log1p(e^(−|Δ|)), exact in both tails.
        loss = float(np.maximum(-delta, 0.0).sum() + np.log1p(e).sum())
        value = loss + 0.5 * self.l2 * float(r @ r)
        # 1 − σ(Δ), the weight each pair pushes its winner up and its loser down with.
        tail = np.where(delta >= 0.0, e, 1.0) / (1.0 + e)
        gradient = self.l2 * r
        gradient += np.bincount(self.losers, weights=tail, minlength=self.k)
        gradient -= np.bincount(self.winners, weights=tail, minlength=self.k)
        return value, gradient, e


@dataclass(frozen=True, eq=False)
class _Problem:
    """The fit on win counts: each compared couple i < j once, with its two win counts.

    ``first`` < ``second`` index the M couples that met at least once; ``first_wins`` and
    ``second_wins`` count each side's wins, ``games`` their sum; ``n`` is the number of
    battles N. Every evaluation costs O(M + K), whatever N is.
    """

    first: np.ndarray
    second: np.ndarray
    first_wins: np.ndarray
    second_wins: np.ndarray
    games: np.ndarray
    imbalance: np.ndarray  # second_wins − first_wins
    k: int
    n: int
    l2: float

    @classmethod
    def build(cls, pairs: object, k: int, l2: float) -> _Problem:
        w, lo = check_pairs("pairs", pairs, k=k)
        return cls.from_pairs(w, lo, k, l2)

    @classmethod
    def from_pairs(
        cls,
        winners: np.ndarray,
        losers: np.ndarray,
        k: int,
        l2: float,
        counts: np.ndarray | None = None,
    ) -> _Problem:
        """Aggregate validated pairs (each repeated ``counts`` times) into win counts."""
        wins = np.bincount(winners * k + losers, weights=counts, minlength=k * k)
        wins = wins.reshape(k, k).astype(np.float64, copy=False)
        couples = np.flatnonzero(np.triu(wins + wins.T, 1))
        first, second = np.divmod(couples, k)
        first_wins = wins[first, second]
        second_wins = wins[second, first]
        total = int(winners.size if counts is None else counts.sum())
        return cls(
            first=first,
            second=second,
            first_wins=first_wins,
            second_wins=second_wins,
            games=first_wins + second_wins,
            imbalance=second_wins - first_wins,
            k=k,
            n=total,
            l2=l2,
        )

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """(winners, losers) with one edge per ordered couple that happened at least once."""
        forward, backward = self.first_wins > 0, self.second_wins > 0
        winners = np.concatenate([self.first[forward], self.second[backward]])
        losers = np.concatenate([self.second[forward], self.first[backward]])
        return winners, losers

    def evaluate(self, r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """N·F(r), its gradient N·∇F(r), and e^(−|d|) per couple."""
        d = r[self.first] - r[self.second]
        magnitude = np.abs(d)
        e = np.exp(-magnitude)
        # −log σ(d) = max(−d, 0) + log1p(e^(−|d|)) and −log σ(−d) = max(d, 0) + log1p(…);
        # w·max(−d, 0) + w'·max(d, 0) = ((w + w')·|d| + (w' − w)·d) / 2, exactly.
        loss = 0.5 * float(self.games @ magnitude + self.imbalance @ d)
        loss += float(self.games @ np.log1p(e))
        value = loss + 0.5 * self.l2 * float(r @ r)
        # σ(d) and 1 − σ(d), each without cancellation.
        inverse = 1.0 / (1.0 + e)
        positive = d >= 0.0
        p = np.where(positive, inverse, e * inverse)
        q = np.where(positive, e * inverse, inverse)
        # ∂/∂r_first: first loses second_wins·σ(d) and gains first_wins·(1 − σ(d)).
        push = self.second_wins * p - self.first_wins * q
        gradient = self.l2 * r
        gradient += np.bincount(self.first, weights=push, minlength=self.k)
        gradient -= np.bincount(self.second, weights=push, minlength=self.k)
        return value, gradient, e


def _fit_page(
    problem: _Problem,
    winners: np.ndarray,
    losers: np.ndarray,
    *,
    steps: int,
    lr: float,
    tol: float,
    report: ProgressReport | None = None,
) -> RewardFit:
    """The page's reward-model loop over every battle, kept operation for operation so its
    bits match."""
    pairs = list(zip(winners.tolist(), losers.tolist(), strict=True))
    n_pairs = len(pairs)
    l2 = problem.l2
    r = np.zeros(problem.k)
    with np.errstate(over="ignore"):
        for step in range(steps):
            grad = l2 * r
            for winner, loser in pairs:
                margin = r[winner] - r[loser]
                p = 1.0 / (1.0 + np.exp(-margin))
                g = p - 1.0
                grad[winner] += g
                grad[loser] -= g
            r -= lr * grad / n_pairs
            r -= r.mean()
            if report is not None:
                report((step + 1) / steps)
    value, gradient, _ = problem.evaluate(r)
    _, gradient0, _ = problem.evaluate(np.zeros(problem.k))
    grad_norm = float(np.linalg.norm(gradient))
    return RewardFit(
        rewards=_frozen(r),
        method="page",
        iterations=steps,
        grad_norm=grad_norm / problem.n,
        objective=value / problem.n,
        converged=grad_norm <= _threshold(gradient0, tol),
        solver="gradient-descent",
        l2=l2,
    )


def _threshold(gradient0: np.ndarray, tol: float) -> float:
    # In the N·F scale the gradient at r = 0 has entries (losses − wins)/2, so it is
    # either 0 or at least 1/2; the floor of 1 keeps the test meaningful when it is 0.
    return tol * max(float(np.linalg.norm(gradient0)), 1.0)


def _fit_newton(
    problem: _Problem,
    *,
    tol: float,
    max_iter: int,
    solver: str,
    report: ProgressReport | None = None,
) -> RewardFit:
    r = np.zeros(problem.k)
    value, gradient, e = problem.evaluate(r)
    threshold = _threshold(gradient, tol)
    direction = _newton_direction(problem, solver, max(float(np.linalg.norm(gradient)), 1.0))
    r, value, grad_norm, iterations = _descend(
        problem,
        r,
        value,
        gradient,
        e,
        threshold=threshold,
        max_iter=max_iter,
        direction=direction,
        report=report,
    )
    if report is not None:
        report(1.0)
    return RewardFit(
        rewards=_frozen(r),
        method="newton",
        iterations=iterations,
        grad_norm=grad_norm / problem.n,
        objective=value / problem.n,
        converged=grad_norm <= threshold,
        solver=solver,
        l2=problem.l2,
    )


class _Evaluates(Protocol):
    """A problem ``_descend`` minimises: ``evaluate(x)`` gives (value, gradient, aux)."""

    def evaluate(self, x: np.ndarray, /) -> tuple[float, np.ndarray, np.ndarray]: ...


# (aux, gradient, ‖gradient‖) → a descent step, or None when there is none.
_Direction = Callable[[np.ndarray, np.ndarray, float], "np.ndarray | None"]


def _newton_direction(problem: _Problem, solver: str, initial_norm: float) -> _Direction:
    """The Newton step on the exact Hessian at a point, from that point's e^(−|d|) and
    gradient (None when the dense system cannot be solved)."""
    k, l2 = problem.k, problem.l2
    flat_index = problem.first * k + problem.second if solver == "dense" else None

    def direction(e: np.ndarray, gradient: np.ndarray, grad_norm: float) -> np.ndarray | None:
        weights = problem.games * e / (1.0 + e) ** 2  # n·p(1 − p), symmetric in d's sign
        degree = np.bincount(problem.first, weights=weights, minlength=k)
        degree += np.bincount(problem.second, weights=weights, minlength=k)
        # The ones direction carries no information (l2 = 0) or only the tiny l2 term;
        # adding c·11ᵀ/K lifts it to the scale of the rest of the spectrum. The gradient
        # is orthogonal to ones at mean-zero r, so the Newton step itself is unchanged.
        lift = float(degree.mean()) + l2
        if flat_index is not None:  # the dense solver
            try:
                return _dense_newton_step(flat_index, weights, degree, gradient, k, l2, lift)
            except np.linalg.LinAlgError:
                return None  # reported as not converged rather than raised
        forcing = min(0.1, grad_norm / initial_norm)
        return _cg_newton_step(problem, weights, degree, gradient, lift, forcing)

    return direction


def _descend(
    problem: _Evaluates,
    x: np.ndarray,
    value: float,
    gradient: np.ndarray,
    aux: np.ndarray,
    *,
    threshold: float,
    max_iter: int,
    direction: _Direction,
    report: ProgressReport | None = None,
) -> tuple[np.ndarray, float, float, int]:
    """Steps along ``direction(aux, gradient, ‖gradient‖)`` with a backtracking line search
    until ‖gradient‖ <= threshold; ``problem.evaluate(x)`` gives (value, gradient, aux).
    Answers (x, value, ‖gradient‖, iterations). ``report`` (a ProgressReport) hears how far
    the gradient has come towards the threshold after each step."""
    grad_norm = float(np.linalg.norm(gradient))
    initial_norm = grad_norm
    iterations = 0
    while grad_norm > threshold and iterations < max_iter:
        step = direction(aux, gradient, grad_norm)
        if step is None:
            break
        slope = float(gradient @ step)
        if not slope < 0.0:
            break
        accepted = _line_search(problem, x, value, grad_norm, step, slope)
        if accepted is None:
            break
        x, value, gradient, aux = accepted
        grad_norm = float(np.linalg.norm(gradient))
        iterations += 1
        if report is not None:
            report(convergence_fraction(initial_norm, grad_norm, threshold, iterations, max_iter))
    return x, value, grad_norm, iterations


def _dense_newton_step(
    flat_index: np.ndarray,
    weights: np.ndarray,
    degree: np.ndarray,
    gradient: np.ndarray,
    k: int,
    l2: float,
    lift: float,
) -> np.ndarray:
    # With weights bincount sums them as float64 (its stub types every count as intp).
    counts = cast(
        "NDArray[np.float64]", np.bincount(flat_index, weights=weights, minlength=k * k)
    ).reshape(k, k)
    hessian = -(counts + counts.T)
    hessian += lift / k
    hessian.flat[:: k + 1] += degree + l2
    return np.linalg.solve(hessian, -gradient)


def _cg_newton_step(
    problem: _Problem,
    weights: np.ndarray,
    degree: np.ndarray,
    gradient: np.ndarray,
    lift: float,
    forcing: float,
) -> np.ndarray:
    """Solve H·d = −g by conjugate gradients, H applied through the couples only."""
    w, lo, k, l2 = problem.first, problem.second, problem.k, problem.l2
    lifted = lift / k

    def hessian_times(v: np.ndarray) -> np.ndarray:
        flow = weights * (v[w] - v[lo])
        # With weights bincount sums them as float64 (its stub types every count as intp).
        out = cast("NDArray[np.float64]", np.bincount(w, weights=flow, minlength=k))
        out -= np.bincount(lo, weights=flow, minlength=k)
        out += l2 * v
        out += lifted * v.sum()
        return out

    inverse_diagonal = 1.0 / (degree + l2 + lifted)
    residual = -gradient
    target = forcing * float(np.linalg.norm(residual))
    step = np.zeros(k)
    z = inverse_diagonal * residual
    direction = z.copy()
    rz = float(residual @ z)
    for _ in range(2 * k + 50):
        hd = hessian_times(direction)
        alpha = rz / float(direction @ hd)
        step += alpha * direction
        residual -= alpha * hd
        if float(np.linalg.norm(residual)) <= target:
            break
        z = inverse_diagonal * residual
        rz_next = float(residual @ z)
        direction *= rz_next / rz
        direction += z
        rz = rz_next
    return step


def _line_search(
    problem: _Evaluates,
    r: np.ndarray,
    value: float,
    grad_norm: float,
    step: np.ndarray,
    slope: float,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray] | None:
    """Backtrack until Armijo's sufficient decrease holds; None if no step helps."""
    # Near the optimum F changes by less than its rounding error, so Armijo cannot be
    # judged; a step that leaves F unchanged to rounding and shrinks ‖∇F‖ is taken.
    noise = 64.0 * np.finfo(np.float64).eps * max(abs(value), 1.0)
    t = 1.0
    for _ in range(60):
        candidate = r + t * step
        candidate -= candidate.mean()  # never raises F: the likelihood ignores shifts
        new_value, new_gradient, new_e = problem.evaluate(candidate)
        if new_value <= value + _ARMIJO * t * slope or (
            new_value <= value + noise and float(np.linalg.norm(new_gradient)) < grad_norm
        ):
            return candidate, new_value, new_gradient, new_e
        t *= 0.5
    return None


def _require_ford_condition(
    w: np.ndarray, lo: np.ndarray, k: int, *, regularised: bool = True
) -> None:
    up = _reachable(lo, w, k)  # candidates reachable from 0 by "was beaten by" steps
    down = _reachable(w, lo, k)
    if up.all() and down.all():
        return
    lead, remedy = ("with l2 = 0 ", " or use l2 > 0") if regularised else ("", "")
    wins = np.bincount(w, minlength=k)
    losses = np.bincount(lo, minlength=k)
    unseen = np.flatnonzero((wins + losses) == 0)
    if unseen.size:
        raise NoMaximumLikelihoodError(
            "pairs",
            f"{lead}the fit is undetermined: candidate(s) {_names(unseen)} appear in "
            f"no pair, so nothing fixes their reward; add pairs for them{remedy}",
            unseen,
        )
    never_lose = np.flatnonzero(losses == 0)
    if never_lose.size:
        raise NoMaximumLikelihoodError(
            "pairs",
            f"{lead}no maximum-likelihood fit exists: candidate(s) "
            f"{_names(never_lose)} never lose, so raising their reward always increases "
            f"the likelihood; add pairs they lose{remedy}",
            never_lose,
        )
    never_win = np.flatnonzero(wins == 0)
    if never_win.size:
        raise NoMaximumLikelihoodError(
            "pairs",
            f"{lead}no maximum-likelihood fit exists: candidate(s) "
            f"{_names(never_win)} never win, so lowering their reward always increases "
            f"the likelihood; add pairs they win{remedy}",
            never_win,
        )
    linked = _reachable(np.concatenate([w, lo]), np.concatenate([lo, w]), k)
    if not linked.all():
        apart = np.flatnonzero(~linked)
        raise NoMaximumLikelihoodError(
            "pairs",
            f"{lead}the fit is undetermined: the comparison graph is disconnected and "
            f"candidate(s) {_names(apart)} are never compared, even indirectly, with "
            "candidate 0; their rewards can shift freely",
            apart,
        )
    # Connected, everyone wins and loses, yet not strongly connected: some group only
    # ever beats the rest. ``up`` is closed under "was beaten by", so nobody outside it
    # ever beat anyone inside it.
    group = np.flatnonzero(up if not up.all() else ~down)
    raise NoMaximumLikelihoodError(
        "pairs",
        f"{lead}no maximum-likelihood fit exists: candidate(s) {_names(group)} never "
        "lose to anyone outside that group, so their rewards can rise without bound; "
        f"add pairs they lose to the others{remedy}",
        group,
    )


def _reachable(source: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Candidates reachable from candidate 0 along source → target edges (BFS)."""
    seen = np.zeros(k, dtype=bool)
    seen[0] = True
    if k <= DENSE_REACH_MAX_K:
        # A K×K boolean adjacency (1 MB at K = 1,000): each BFS level is one row gather.
        adjacent = np.zeros((k, k), dtype=bool)
        adjacent[source, target] = True
        frontier = np.zeros(1, dtype=np.intp)
        while frontier.size:
            fresh = adjacent[frontier].any(axis=0) & ~seen
            seen |= fresh
            frontier = np.flatnonzero(fresh)
        return seen
    order = np.argsort(source, kind="stable")
    neighbours = target[order]
    offsets = np.zeros(k + 1, dtype=np.intp)
    np.cumsum(np.bincount(source, minlength=k), out=offsets[1:])
    level = [0]
    while level:
        reached = np.concatenate([neighbours[offsets[u] : offsets[u + 1]] for u in level])
        fresh = np.unique(reached[~seen[reached]])
        seen[fresh] = True
        level = fresh.tolist()
    return seen


def _names(candidates: np.ndarray, limit: int = 20) -> str:
    shown = ", ".join(str(int(c)) for c in candidates[:limit])
    more = f", … ({candidates.size} in all)" if candidates.size > limit else ""
    return f"[{shown}{more}]"


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array
