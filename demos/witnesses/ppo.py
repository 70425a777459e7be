r"""PPO's clipped surrogate objective on a bandit, computed exactly over the arms.

The data come from an old softmax policy π_old over K arms with mean rewards μ; the
advantage of arm a is A_a = μ_a − Σ_b π_old(b)·μ_b (exact: the infinite-batch limit). A new
policy π_θ is scored through the probability ratio ρ_a(θ) = π_θ(a)/π_old(a):

    L^CPI(θ)  = Σ_a π_old(a)·ρ_a·A_a                                     (unclipped)
    L^CLIP(θ) = Σ_a π_old(a)·min(ρ_a·A_a, clip(ρ_a, 1 − ε, 1 + ε)·A_a)    (clipped)

Facts the witness checks with numbers:

* each clipped term is flat in ρ beyond the clip on the side its advantage favours
  (ρ > 1 + ε when A > 0, ρ < 1 − ε when A < 0), so its gradient there is zero;
* L^CLIP ≤ L^CPI everywhere (a pessimistic bound), with equality while every ratio is
  inside [1 − ε, 1 + ε];
* at θ = θ_old both objectives have the gradient of the true expected reward J, π ⊙ (μ − J):
  a small step from the old policy is an ordinary policy-gradient step.

Gradient ascent on L^CLIP stops once every term is clipped; on L^CPI it never stops and
drives the policy to one arm. Clipping removes the incentive to move a ratio further, not
the possibility: softmax couples the arms, so pushing one ratio down can carry another
past 1 + ε, and the result reports how far each run moved (max |ρ − 1|, KL(π_old‖π_θ)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import WitnessInputError, check_float_array, check_int, check_positive
from .progress import Progress, ProgressReport, progress_report

MAX_ARMS = 50
MAX_EPOCHS = 1_000
MAX_EPSILON = 0.9
BOUND_TOL = 1e-12
TERM_GRID = np.linspace(0.0, 2.0, 81)
HISTORY_POINTS = 101


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log π, finite for every finite logit (a probability may underflow; its log does not)."""
    shifted = logits - logits.max()
    result: NDArray[np.float64] = shifted - np.log(np.exp(shifted).sum())
    return result


def clipped_term(ratio: object, advantage: float, epsilon: float) -> np.ndarray:
    """min(ρ·A, clip(ρ, 1 − ε, 1 + ε)·A), elementwise over ratios ρ ≥ 0."""
    rho = check_float_array("ratio", ratio, ndims=(0, 1))
    if (rho < 0.0).any():
        raise WitnessInputError("ratio", "probability ratios are never negative")
    eps = _check_epsilon(epsilon)
    result: NDArray[np.float64] = np.minimum(
        rho * advantage, np.clip(rho, 1.0 - eps, 1.0 + eps) * advantage
    )
    return result


def ppo_surrogates(
    logits: object, old_logits: object, mean_rewards: object, epsilon: float
) -> dict[str, Any]:
    """L^CLIP and L^CPI at θ with their exact gradients in θ, the ratios and which terms are
    still active (unclipped)."""
    theta, old, mu = _check_arms(logits, old_logits, mean_rewards)
    eps = _check_epsilon(epsilon)
    log_old = log_softmax(old)
    old_pi = np.exp(log_old)
    state = _surrogates(log_softmax(theta), log_old, mu - old_pi @ mu, eps)
    return {
        name: value.tolist() if isinstance(value, np.ndarray) else value
        for name, value in state.items()
    }


def ppo_report(
    mean_rewards: object,
    old_logits: object,
    *,
    epsilon: float,
    learning_rate: float,
    epochs: int,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Gradient ascent from π_old on L^CLIP and on L^CPI, step by step, with the checks.

    ``progress`` (optional) hears the share of the epochs of both ascents done."""
    mu = _check_rewards(mean_rewards)
    old = _check_logits("old_logits", old_logits, mu)
    eps = _check_epsilon(epsilon)
    rate = check_positive("learning_rate", learning_rate)
    epochs = check_int("epochs", epochs, minimum=1, maximum=MAX_EPOCHS)
    log_old = log_softmax(old)
    old_pi = np.exp(log_old)
    value = float(old_pi @ mu)
    advantages = mu - value
    start = _surrogates(log_old, log_old, advantages, eps)
    policy_gradient = old_pi * (mu - value)
    runs = {
        name: _ascend(
            old,
            log_old,
            mu,
            advantages,
            eps,
            rate,
            epochs,
            clipped=name == "clipped",
            report=progress_report(progress, start=0.5 * index, stop=0.5 * (index + 1)),
        )
        for index, name in enumerate(("clipped", "unclipped"))
    }
    positive = clipped_term(TERM_GRID, 1.0, eps)
    negative = clipped_term(TERM_GRID, -1.0, eps)
    above, below = 1.0 + eps < TERM_GRID, 1.0 - eps > TERM_GRID
    inside = ~(above | below)
    return {
        "arms": int(mu.size),
        "epsilon": eps,
        "old_policy": old_pi.tolist(),
        "advantages": advantages.tolist(),
        "old_expected_reward": value,
        "policy_gradient": policy_gradient.tolist(),
        "gradient_at_old_policy": start["gradient_clip"].tolist(),
        "gradient_at_old_matches": float(np.max(np.abs(start["gradient_clip"] - policy_gradient))),
        "term_curve": {
            "ratio": TERM_GRID.tolist(),
            "positive_advantage": positive.tolist(),
            "negative_advantage": negative.tolist(),
            # Flat beyond the clip on the favoured side; the plain ρ·A inside the clip range.
            "flat_above_for_positive": bool(np.ptp(positive[above]) == 0.0),
            "flat_below_for_negative": bool(np.ptp(negative[below]) == 0.0),
            "unclipped_inside": bool(
                np.allclose(positive[inside], TERM_GRID[inside], rtol=0.0, atol=1e-15)
                and np.allclose(negative[inside], -TERM_GRID[inside], rtol=0.0, atol=1e-15)
            ),
        },
        "runs": runs,
        "bound_holds": all(run["bound_holds"] for run in runs.values()),
    }


def _check_epsilon(epsilon: object) -> float:
    eps = check_positive("epsilon", epsilon)
    if eps > MAX_EPSILON:
        raise WitnessInputError("epsilon", f"must be at most {MAX_EPSILON}, got {eps!r}")
    return eps


def _check_arms(
    logits: object, old_logits: object, mean_rewards: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mu = _check_rewards(mean_rewards)
    return _check_logits("logits", logits, mu), _check_logits("old_logits", old_logits, mu), mu


def _check_rewards(mean_rewards: object) -> np.ndarray:
    mu = check_float_array("mean_rewards", mean_rewards, ndims=(1,))
    if not 2 <= mu.size <= MAX_ARMS:
        raise WitnessInputError(
            "mean_rewards", f"must hold between 2 and {MAX_ARMS} arms, got {mu.size}"
        )
    return mu


def _check_logits(name: str, value: object, mu: np.ndarray) -> np.ndarray:
    array = check_float_array(name, value, ndims=(1,))
    if array.shape != mu.shape:
        raise WitnessInputError(name, f"must hold one logit per arm ({mu.size}), got {array.size}")
    return array


def _surrogates(
    log_pi: np.ndarray, log_old: np.ndarray, advantages: np.ndarray, eps: float
) -> dict[str, Any]:
    pi, old_pi = np.exp(log_pi), np.exp(log_old)
    ratio = np.exp(log_pi - log_old)
    unclipped = ratio * advantages
    clipped = np.minimum(unclipped, np.clip(ratio, 1.0 - eps, 1.0 + eps) * advantages)
    # A term moves with θ unless the min picked its clipped, constant branch.
    active = ((advantages > 0.0) & (ratio < 1.0 + eps)) | ((advantages < 0.0) & (ratio > 1.0 - eps))
    # π_old(a)·∂ρ_a/∂θ = ∂π(a)/∂θ = π(a)(e_a − π), so ∇ Σ v_a = v − π·Σ v with v = A·π.
    v_all = advantages * pi
    v_active = np.where(active, v_all, 0.0)
    return {
        "ratio": ratio,
        "active": active,
        "kl_old_new": float(old_pi @ (log_old - log_pi)),
        "objective_clip": float(old_pi @ clipped),
        "objective_cpi": float(old_pi @ unclipped),
        "gradient_clip": v_active - pi * v_active.sum(),
        "gradient_cpi": v_all - pi * v_all.sum(),
    }


def _ascend(
    old: np.ndarray,
    log_old: np.ndarray,
    mu: np.ndarray,
    advantages: np.ndarray,
    eps: float,
    rate: float,
    epochs: int,
    *,
    clipped: bool,
    report: ProgressReport | None = None,
) -> dict[str, Any]:
    theta = old.copy()
    shown = set(np.linspace(0, epochs, min(HISTORY_POINTS, epochs + 1)).round().astype(int))
    history = []
    stalled_at = None
    gap = -np.inf
    for epoch in range(epochs + 1):
        log_pi = log_softmax(theta)
        state = _surrogates(log_pi, log_old, advantages, eps)
        gap = max(gap, state["objective_clip"] - state["objective_cpi"])
        if clipped and stalled_at is None and not state["active"].any():
            stalled_at = epoch
        if epoch in shown:
            history.append(
                {
                    "epoch": epoch,
                    "objective_clip": state["objective_clip"],
                    "objective_cpi": state["objective_cpi"],
                    "expected_reward": float(np.exp(log_pi) @ mu),
                    "kl_old_new": state["kl_old_new"],
                    "max_ratio_deviation": float(np.max(np.abs(state["ratio"] - 1.0))),
                    "active_terms": int(state["active"].sum()),
                }
            )
        if report is not None:
            report(epoch / epochs)
        if epoch == epochs:
            break
        theta = theta + rate * state["gradient_clip" if clipped else "gradient_cpi"]
    final = np.exp(log_softmax(theta))
    return {
        "objective": "clipped" if clipped else "unclipped",
        "history": history,
        "final_policy": final.tolist(),
        "final_ratio": state["ratio"].tolist(),
        "final_expected_reward": history[-1]["expected_reward"],
        "final_kl_old_new": history[-1]["kl_old_new"],
        "final_max_ratio_deviation": history[-1]["max_ratio_deviation"],
        # Every term clipped: the clipped objective's gradient is exactly zero from here on.
        "stalled_at_epoch": stalled_at,
        # L^CLIP − L^CPI over every epoch: never above zero (rounding aside).
        "max_clip_minus_cpi": float(gap),
        "bound_holds": bool(gap <= BOUND_TOL),
    }
