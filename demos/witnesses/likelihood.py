r"""Maximum likelihood: a Bernoulli proportion in closed form, a logistic model by Newton's method.

For n independent 0/1 outcomes with k successes the Bernoulli log-likelihood

    ℓ(p) = k·log p + (n − k)·log(1 − p)

peaks at p̂ = k/n. Its curvature there is the observed Fisher information
I(p̂) = −ℓ''(p̂) = n / (p̂(1 − p̂)), and the large-sample standard error of p̂ is
1/√I(p̂) = √(p̂(1 − p̂)/n).

A logistic model lets the probability depend on a feature x: P(y = 1 | x) = σ(a + b·x). Its
log-likelihood ℓ(θ) = Σ_i [y_i·η_i − log(1 + e^{η_i})] with η = Xθ is concave, with

    score      ∇ℓ(θ)  = Xᵀ(y − p),
    information −∇²ℓ(θ) = Xᵀ W X,   W = diag(p(1 − p)),

so Newton's method θ ← θ + (XᵀWX)⁻¹ Xᵀ(y − p) climbs it (each step is halved until ℓ does
not fall by more than rounding). For the logistic model the observed
and the expected information coincide (the Hessian does not depend on y), and the inverse of
the information at θ̂ estimates the covariance of θ̂: its diagonal gives the standard errors.

Two facts tie the halves together and make the fit checkable: with the intercept alone, the
fit is σ(â) = k/n exactly, and the delta method carries its standard error to the Bernoulli
one. A finite maximiser exists only when the two classes overlap in x (no threshold puts
every 1 on one side and every 0 on the other); otherwise the slope runs off to infinity and
the witness refuses the data, naming the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from .errors import WitnessInputError, check_float_array, check_int

MAX_OBSERVATIONS = 10_000
# |x| beyond this is refused: a feature of 1e300 has no statistical meaning here.
MAX_ABS_FEATURE = 1e6
NEWTON_MAX_ITER = 100
# Newton stops once every score component is below this, relative to n.
SCORE_TOL = 1e-11
CURVE_POINTS = 99
ROUNDING = 1e-13


@dataclass(frozen=True, eq=False)
class LogisticFit:
    """θ̂ = (intercept, slope) or (intercept,) and what the fit reports about itself."""

    theta: np.ndarray
    iterations: int
    converged: bool
    score: np.ndarray
    log_likelihood: float
    log_likelihood_trace: list[float]
    information: np.ndarray
    covariance: np.ndarray

    @property
    def standard_errors(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))


def bernoulli_log_likelihood(p: float | np.ndarray, k: int, n: int) -> float | np.ndarray:
    """ℓ(p) = k·log p + (n − k)·log(1 − p), with 0·log 0 = 0 so the boundary is finite."""
    n, k = _check_counts(k, n)
    probability = check_float_array("p", p, ndims=(0, 1))
    if ((probability < 0.0) | (probability > 1.0)).any():
        raise WitnessInputError("p", "must lie in [0, 1]")
    with np.errstate(divide="ignore", invalid="ignore"):
        success = np.where(k > 0, k * np.log(probability), 0.0)
        failure = np.where(n - k > 0, (n - k) * np.log1p(-probability), 0.0)
    total = success + failure
    return float(total) if total.ndim == 0 else total


def bernoulli_mle(k: int, n: int) -> dict[str, Any]:
    """p̂ = k/n, ℓ(p̂), the observed information and the standard error, JSON-ready.

    At the boundary (k = 0 or k = n) the information is infinite and the large-sample
    standard error says nothing: both are reported as None, with ``boundary`` true.
    """
    n, k = _check_counts(k, n)
    p_hat = k / n
    boundary = k in (0, n)
    information = None if boundary else n / (p_hat * (1.0 - p_hat))
    grid = np.linspace(0.01, 0.99, CURVE_POINTS)
    # A 1-d grid of probabilities gives one log-likelihood per point, never a float.
    curve = cast(np.ndarray, bernoulli_log_likelihood(grid, k, n))
    return {
        "k": k,
        "n": n,
        "p_hat": p_hat,
        "log_likelihood": bernoulli_log_likelihood(p_hat, k, n),
        "observed_information": information,
        "standard_error": None if boundary else float(np.sqrt(p_hat * (1.0 - p_hat) / n)),
        "boundary": boundary,
        "curve": {"p": grid.tolist(), "log_likelihood": curve.tolist()},
        "grid_argmax": float(grid[int(np.argmax(curve))]),
    }


def check_logistic_data(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Features and 0/1 labels of equal length, both classes present, and a finite maximiser."""
    features = check_float_array("x", x, ndims=(1,))
    labels = check_float_array("y", y, ndims=(1,))
    if not 2 <= features.size <= MAX_OBSERVATIONS:
        raise WitnessInputError(
            "x", f"must hold between 2 and {MAX_OBSERVATIONS} values, got {features.size}"
        )
    if labels.shape != features.shape:
        raise WitnessInputError(
            "y", f"must hold one label per x value ({features.size}), got {labels.size}"
        )
    if (np.abs(features) > MAX_ABS_FEATURE).any():
        raise WitnessInputError("x", f"values must lie within ±{MAX_ABS_FEATURE:g}")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise WitnessInputError("y", "labels must be 0 or 1")
    ones, zeros = features[labels == 1.0], features[labels == 0.0]
    if ones.size == 0 or zeros.size == 0:
        missing = "1" if ones.size == 0 else "0"
        raise WitnessInputError(
            "y", f"needs both labels; no y is {missing}, so the likelihood has no maximum"
        )
    if features.min() == features.max():
        raise WitnessInputError("x", "needs at least two distinct values to fit a slope")
    for low, high, direction in ((zeros, ones, "above"), (ones, zeros, "below")):
        if low.max() <= high.min():
            raise WitnessInputError(
                "y",
                f"the labels are separated at x = {low.max():g} (every 1 lies {direction} "
                "every 0), so the slope can grow without bound and the likelihood has no "
                "finite maximum",
            )
    return features, labels.astype(np.int64)


def logistic_fit(x: object, y: object, *, slope: bool = True) -> LogisticFit:
    """The maximum-likelihood logistic fit by damped Newton steps, in standardised x.

    Newton's method is affine invariant, so it runs on z = (x − mean)/sd, where the 2×2
    information is well conditioned whatever the scale of x, and maps θ̂ and its covariance
    back exactly. Each step halves until the log-likelihood does not fall.
    """
    features, labels = check_logistic_data(x, y)
    centre, scale = float(features.mean()), float(features.std())
    columns = [np.ones_like(features)]
    if slope:
        columns.append((features - centre) / scale)
    design = np.column_stack(columns)
    theta = np.zeros(design.shape[1])
    trace = [_log_likelihood(design, labels, theta)]
    converged = False
    iterations = 0
    tolerance = SCORE_TOL * labels.size
    while True:
        probability = _sigmoid(design @ theta)
        score = design.T @ (labels - probability)
        if np.max(np.abs(score)) <= tolerance:
            converged = True
            break
        if iterations == NEWTON_MAX_ITER:
            break
        information = design.T @ (design * (probability * (1.0 - probability))[:, None])
        step = np.linalg.solve(information, score)
        size = 1.0
        # Near the peak ℓ changes by less than its own rounding: a step is refused only if it
        # loses more than that.
        floor = trace[-1] - ROUNDING * max(abs(trace[-1]), 1.0)
        for _ in range(60):
            candidate = theta + size * step
            value = _log_likelihood(design, labels, candidate)
            if value >= floor:
                break
            size /= 2.0
        else:
            break  # no step gains at float precision: θ is as good as it can be made
        theta = candidate
        trace.append(value)
        iterations += 1
    to_x = np.eye(design.shape[1])
    if slope:
        # η = a + b·(x − centre)/scale = (a − b·centre/scale) + (b/scale)·x
        to_x = np.array([[1.0, -centre / scale], [0.0, 1.0 / scale]])
    probability = _sigmoid(design @ theta)
    information_z = design.T @ (design * (probability * (1.0 - probability))[:, None])
    covariance = to_x @ np.linalg.inv(information_z) @ to_x.T
    raw = np.column_stack([np.ones_like(features), features][: design.shape[1]])
    weights = probability * (1.0 - probability)
    return LogisticFit(
        theta=to_x @ theta,
        iterations=iterations,
        converged=converged,
        score=raw.T @ (labels - probability),
        log_likelihood=trace[-1],
        log_likelihood_trace=trace,
        information=raw.T @ (raw * weights[:, None]),
        covariance=covariance,
    )


def mle_report(x: object, y: object) -> dict[str, Any]:
    """Everything the demo shows: the Bernoulli fit of y, the intercept-only and the full
    logistic fits with their information and standard errors, and the checks between them."""
    features, labels = check_logistic_data(x, y)
    k, n = int(labels.sum()), int(labels.size)
    bernoulli = bernoulli_mle(k, n)
    null = logistic_fit(features, labels, slope=False)
    full = logistic_fit(features, labels)
    null_probability = float(_sigmoid(null.theta[0]))
    information = full.information
    grid = np.linspace(features.min(), features.max(), 50)
    return {
        "n": n,
        "k": k,
        "bernoulli": bernoulli,
        "intercept_only": {
            "intercept": float(null.theta[0]),
            "probability": null_probability,
            "probability_minus_p_hat": null_probability - bernoulli["p_hat"],
            "standard_error": float(null.standard_errors[0]),
            # The delta method: SE(p̂) ≈ p̂(1 − p̂)·SE(â), which is the Bernoulli SE exactly.
            "delta_method_standard_error": float(
                null_probability * (1.0 - null_probability) * null.standard_errors[0]
            ),
            "iterations": null.iterations,
            "converged": null.converged,
            "log_likelihood": null.log_likelihood,
        },
        "logistic": {
            "intercept": float(full.theta[0]),
            "slope": float(full.theta[1]),
            "standard_errors": full.standard_errors.tolist(),
            "wald_z_slope": float(full.theta[1] / full.standard_errors[1]),
            "iterations": full.iterations,
            "converged": full.converged,
            "score": full.score.tolist(),
            "score_max_abs": float(np.max(np.abs(full.score))),
            # Each score component relative to the size of its terms, Σ|x_ij|: scale-free.
            "score_relative": float(
                np.max(np.abs(full.score) / np.array([n, np.abs(features).sum()]))
            ),
            "log_likelihood": full.log_likelihood,
            "log_likelihood_trace": full.log_likelihood_trace,
            "observed_information": information.tolist(),
            "information_min_eigenvalue": float(np.linalg.eigvalsh(information).min()),
            "covariance": full.covariance.tolist(),
            "curve": {
                "x": grid.tolist(),
                "probability": _sigmoid(full.theta[0] + full.theta[1] * grid).tolist(),
            },
        },
        "likelihood_ratio": 2.0 * (full.log_likelihood - null.log_likelihood),
    }


def _check_counts(k: object, n: object) -> tuple[int, int]:
    trials = check_int("n", n, minimum=1)
    successes = check_int("k", k, minimum=0, maximum=trials)
    return trials, successes


def _sigmoid(z: np.ndarray | float) -> np.ndarray:
    # exp of a negative number only: no overflow for any finite z.
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    result: NDArray[np.float64] = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return result


def _log_likelihood(design: np.ndarray, labels: np.ndarray, theta: np.ndarray) -> float:
    eta = design @ theta
    # log(1 + e^η) computed without overflow.
    return float(np.sum(labels * eta - np.logaddexp(0.0, eta)))
