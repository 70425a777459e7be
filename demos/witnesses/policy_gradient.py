r"""REINFORCE on a multi-armed bandit with a softmax policy, with and without a baseline.

The policy over K arms is π_θ(a) = softmax(θ)_a; pulling arm a pays a reward with mean μ_a
plus Gaussian noise of standard deviation σ. The expected reward and its exact gradient are

    J(θ) = Σ_a π_θ(a)·μ_a,        ∂J/∂θ = π_θ ⊙ (μ − J),

and, because ∇_θ log π_θ(a) = e_a − π_θ, REINFORCE estimates that gradient from one pull:

    g = (r − b)·(e_a − π_θ),     a ~ π_θ.

For any baseline b that does not depend on the pulled arm, E[g] = ∇J: the baseline's
contribution b·E[e_a − π_θ] is zero because the score has mean zero. The baseline changes
only the variance. Its exact value here (the trace of the covariance of g) is

    V(b) = Σ_a π(a)·((μ_a − b)² + σ²)·w_a − ‖∇J‖²,    w_a = ‖e_a − π‖²,

a quadratic in b minimised by the weighted mean b* = Σ π(a) w_a μ_a / Σ π(a) w_a. The
witness compares b = 0, b = J and b = b*, exactly and from seeded samples (the same pulls
for every baseline), and trains the policy from single pulls with no baseline and with a
running mean of past rewards, a baseline that uses only the past and so stays unbiased.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import (
    WitnessInputError,
    check_float_array,
    check_int,
    check_non_negative,
    check_positive,
    check_real,
)
from .progress import Progress, ProgressReport, progress_report

MAX_ARMS = 50
MAX_SAMPLES = 200_000
MAX_STEPS = 2_000
MAX_RUNS = 200
# Training pulls in all: steps × runs.
MAX_PULLS = 100_000
MAX_SEED = 2**32 - 2
# A sampled mean counts as agreeing with the exact gradient within this many standard errors.
AGREEMENT_SE = 6.0
CURVE_POINTS = 101
BASELINES = ("none", "value", "optimal")


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    weights = np.exp(shifted)
    result: NDArray[np.float64] = weights / weights.sum()
    return result


def bandit_expected_reward(logits: object, mean_rewards: object) -> float:
    """J(θ) = Σ π_θ(a)·μ_a."""
    theta, mu = _check_bandit(logits, mean_rewards)
    return float(softmax(theta) @ mu)


def bandit_gradient(logits: object, mean_rewards: object) -> np.ndarray:
    """∇J(θ) = π ⊙ (μ − J)."""
    theta, mu = _check_bandit(logits, mean_rewards)
    pi = softmax(theta)
    result: NDArray[np.float64] = pi * (mu - pi @ mu)
    return result


def reinforce_expected_estimate(
    logits: object, mean_rewards: object, baseline: float
) -> np.ndarray:
    """E[(r − b)(e_a − π)] summed over the arms exactly: ∇J for every constant b."""
    theta, mu = _check_bandit(logits, mean_rewards)
    return _exact_mean(softmax(theta), mu, check_real("baseline", baseline))


def reinforce_variance(
    logits: object, mean_rewards: object, noise: float, baseline: float
) -> float:
    """V(b): the exact trace of the covariance of the one-pull estimate with baseline b."""
    theta, mu = _check_bandit(logits, mean_rewards)
    sigma = check_non_negative("noise", noise)
    pi = softmax(theta)
    return _variance(pi, mu, sigma, baseline)


def reinforce_optimal_baseline(logits: object, mean_rewards: object) -> float:
    """b* = Σ π w μ / Σ π w with w_a = ‖e_a − π‖²: the constant b that minimises V(b)."""
    theta, mu = _check_bandit(logits, mean_rewards)
    pi = softmax(theta)
    return _optimal_baseline(pi, mu)


def reinforce_report(
    mean_rewards: object,
    logits: object,
    *,
    noise: float,
    samples: int,
    steps: int,
    learning_rate: float,
    seed: int,
    runs: int,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Exact and sampled gradients and variances for each baseline, and two training runs.

    ``progress`` (optional) hears the share of the training steps done."""
    theta, mu = _check_bandit(logits, mean_rewards)
    sigma = check_non_negative("noise", noise)
    n = check_int("samples", samples, minimum=2, maximum=MAX_SAMPLES)
    steps = check_int("steps", steps, minimum=1, maximum=MAX_STEPS)
    rate = check_positive("learning_rate", learning_rate)
    seed = check_int("seed", seed, minimum=0, maximum=MAX_SEED)
    runs = check_int("runs", runs, minimum=1, maximum=MAX_RUNS)
    if steps * runs > MAX_PULLS:
        raise WitnessInputError("steps", f"steps × runs must be at most {MAX_PULLS:,}")
    pi = softmax(theta)
    value = float(pi @ mu)
    gradient = pi * (mu - value)
    score_mean = pi @ (np.eye(pi.size) - pi)
    rng = np.random.default_rng(seed)
    actions = _draw(rng, pi, n)
    rewards = mu[actions] + sigma * rng.standard_normal(n)
    values = {"none": 0.0, "value": value, "optimal": _optimal_baseline(pi, mu)}
    estimates = {}
    for name, b in values.items():
        exact_mean = _exact_mean(pi, mu, b)
        mean, standard_error, sampled_variance = _sampled(actions, rewards - b, pi)
        deviation = np.abs(mean - gradient)
        spread = standard_error > 0.0
        estimates[name] = {
            "baseline": b,
            "exact_mean": exact_mean.tolist(),
            "exact_mean_error": float(np.max(np.abs(exact_mean - gradient))),
            "exact_variance": _variance(pi, mu, sigma, b),
            "sampled_mean": mean.tolist(),
            "standard_error": standard_error.tolist(),
            "sampled_variance": sampled_variance,
            # Over the components that vary at all (a certain policy's do not).
            "max_deviation_in_se": float(
                np.max(deviation[spread] / standard_error[spread], initial=0.0)
            ),
            "agrees": bool(
                np.all(
                    deviation <= AGREEMENT_SE * standard_error + 1e-12 * (1.0 + np.abs(gradient))
                )
            ),
        }
    none, best = estimates["none"]["exact_variance"], estimates["optimal"]["exact_variance"]
    return {
        "arms": int(pi.size),
        "policy": pi.tolist(),
        "expected_reward": value,
        "exact_gradient": gradient.tolist(),
        "score_mean": score_mean.tolist(),
        "score_mean_max_abs": float(np.max(np.abs(score_mean))),
        "samples": n,
        "seed": seed,
        "estimates": estimates,
        "variance_ratio_none_to_optimal": none / best if best > 0 else None,
        "training": _train(theta, mu, sigma, steps, rate, seed, runs, progress_report(progress)),
    }


def _check_bandit(logits: object, mean_rewards: object) -> tuple[np.ndarray, np.ndarray]:
    mu = check_float_array("mean_rewards", mean_rewards, ndims=(1,))
    if not 2 <= mu.size <= MAX_ARMS:
        raise WitnessInputError(
            "mean_rewards", f"must hold between 2 and {MAX_ARMS} arms, got {mu.size}"
        )
    theta = check_float_array("logits", logits, ndims=(1,))
    if theta.shape != mu.shape:
        raise WitnessInputError(
            "logits", f"must hold one logit per arm ({mu.size}), got {theta.size}"
        )
    return theta, mu


def _exact_mean(pi: np.ndarray, mu: np.ndarray, b: float) -> np.ndarray:
    """Σ_a π(a)(μ_a − b)(e_a − π): row a of I − π is e_a − π."""
    result: NDArray[np.float64] = (pi * (mu - b)) @ (np.eye(pi.size) - pi)
    return result


def _variance(pi: np.ndarray, mu: np.ndarray, sigma: float, b: float) -> float:
    w = 1.0 - 2.0 * pi + pi @ pi  # ‖e_a − π‖²
    gradient = pi * (mu - pi @ mu)
    return float(np.sum(pi * ((mu - b) ** 2 + sigma**2) * w) - gradient @ gradient)


def _optimal_baseline(pi: np.ndarray, mu: np.ndarray) -> float:
    weights = pi * (1.0 - 2.0 * pi + pi @ pi)
    total = weights.sum()
    # A policy sure of one arm has nothing left to estimate: every baseline gives V = σ²·0.
    return float(weights @ mu / total) if total > 0 else float(pi @ mu)


def _draw(rng: np.random.Generator, pi: np.ndarray, n: int) -> np.ndarray:
    cumulative = np.cumsum(pi)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, rng.random(n), side="right")


def _sampled(
    actions: np.ndarray, centred: np.ndarray, pi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean, componentwise standard error and variance trace of g_i = c_i(e_{a_i} − π), in
    O(N + K): the per-sample vectors are never built."""
    n, k = centred.size, pi.size
    by_arm = np.bincount(actions, weights=centred, minlength=k)
    squares = np.bincount(actions, weights=centred**2, minlength=k)
    mean = (by_arm - centred.sum() * pi) / n
    # Σ_i g_ij² = Σ_{a_i=j} c_i²·(1 − 2π_j) + π_j²·Σ_i c_i²
    second = (squares * (1.0 - 2.0 * pi) + pi**2 * squares.sum()) / n
    component_variance = np.maximum(second - mean**2, 0.0) * n / (n - 1)
    w = 1.0 - 2.0 * pi + pi @ pi
    trace = (np.sum(squares * w) / n - mean @ mean) * n / (n - 1)
    return mean, np.sqrt(component_variance / n), float(trace)


def _train(
    theta: np.ndarray,
    mu: np.ndarray,
    sigma: float,
    steps: int,
    rate: float,
    seed: int,
    runs: int,
    report: ProgressReport | None = None,
) -> dict[str, dict[str, Any]]:
    """``runs`` independent learners per baseline, one pull each per step,
    θ ← θ + rate·(r − b)(e_a − π), with b = 0 and with b = the mean of the run's past rewards.

    Both baselines see the same random stream (seed + 1), so they differ only in b; they are
    stepped together, as 2·runs rows of one array.
    """
    rng = np.random.default_rng(seed + 1)
    uniforms, normals = rng.random((steps, runs)), rng.standard_normal((steps, runs))
    uniforms, normals = np.tile(uniforms, 2), np.tile(normals, 2)
    uses_baseline = np.repeat([0.0, 1.0], runs)
    thetas = np.tile(theta, (2 * runs, 1))
    rows = np.arange(2 * runs)
    pi = _policies(thetas)
    values = np.empty((steps + 1, 2 * runs))
    values[0] = pi @ mu
    total = np.zeros(2 * runs)
    for step in range(steps):
        cumulative = np.cumsum(pi, axis=1)
        cumulative[:, -1] = 1.0
        actions = (cumulative <= uniforms[step][:, None]).sum(axis=1)
        reward = mu[actions] + sigma * normals[step]
        b = uses_baseline * total / step if step else np.zeros(2 * runs)
        advantage = rate * (reward - b)
        thetas -= advantage[:, None] * pi
        thetas[rows, actions] += advantage
        total += reward
        pi = _policies(thetas)
        values[step + 1] = pi @ mu
        if report is not None:
            report((step + 1) / steps)
    shown = np.unique(np.linspace(0, steps, min(CURVE_POINTS, steps + 1)).round().astype(int))
    best = int(np.argmax(mu))
    results = {}
    for index, name in enumerate(("none", "running_mean")):
        part = values[:, index * runs : (index + 1) * runs]
        mean = part.mean(axis=1)
        results[name] = {
            "baseline": name,
            "steps": steps,
            "runs": runs,
            "curve_steps": shown.tolist(),
            "mean_expected_reward": mean[shown].tolist(),
            "spread_expected_reward": part[shown].std(axis=1).tolist(),
            "final_mean_expected_reward": float(mean[-1]),
            "final_spread_expected_reward": float(part[-1].std()),
            "average_over_training": float(mean.mean()),
            "best_arm": best,
            "runs_on_best_arm": int(
                np.sum(np.argmax(thetas[index * runs : (index + 1) * runs], axis=1) == best)
            ),
        }
    return results


def _policies(thetas: np.ndarray) -> np.ndarray:
    shifted = thetas - thetas.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    result: NDArray[np.float64] = weights / weights.sum(axis=1, keepdims=True)
    return result
