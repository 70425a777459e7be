r"""Direct Preference Optimization on one prompt with K candidates (a tabular policy).

DPO scores a policy π by the reward it implies, h(y) = β·log(π(y)/π_ref(y)), and fits that
reward to the preference pairs with the Bradley–Terry likelihood:

    L(π) = (1/N) [ Σ_i −log σ(h(w_i) − h(l_i)) + (l2/2)·‖h − mean(h)‖² ].

With l2 = 0 this is the DPO loss; l2 > 0 adds the RLHF page's L2 penalty on the reward (on
the centred implicit reward, since a shift of h is only the normalisation of π). Because
π ↦ h is one-to-one up to that shift, the minimiser is the policy whose implicit reward is
the Bradley–Terry fit r̂ of the same pairs, i.e. the RLHF policy for the same β:

    π_DPO = π_ref·exp(r̂/β) / Z,    β·log(π_DPO/π_ref) = r̂ − β·log Z.

``dpo_fit`` minimises L over the policy's logits θ (π = softmax θ) by Newton's method. L
depends on θ only through h, so its gradient is DPO's: each pair pushes its winner up and its
loser down with weight σ(h(l) − h(w)), the probability that the current implicit reward
orders the pair wrongly; and each Newton step is the reward fit's step in the coordinates
θ = log π_ref + h/β. That is DPO's derivation, carried out step by step. ``dpo_report``
fits the same pairs the RLHF way (reward model, then π*) and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .errors import (
    WitnessInputError,
    check_distribution,
    check_non_negative,
    check_positive,
)
from .policy import kl_divergence, log_kl_regularized_policy, log_partition
from .preferences import (
    _descend,
    _frozen,
    _newton_direction,
    _Problem,
    _require_ford_condition,
    _threshold,
    bradley_terry_objective,
    fit_reward_model,
    sigmoid,
)
from .progress import Progress, progress_part, progress_report

DPO_TOL = 1e-12
DPO_MAX_ITER = 50
# Dense Newton on K×K; beyond this β the implicit reward h = β(θ − log π_ref) is known to
# fewer digits than the stopping rule asks for (β = 1e3 stalls at a gradient of ~1e-9).
DPO_MAX_K = 200
DPO_MAX_BETA = 100.0
# A result lists every pair's probability up to this many pairs.
PAIRS_SHOWN = 1_000


@dataclass(frozen=True, eq=False)
class DPOFit:
    """The tabular policy that minimises the DPO loss, and how Newton got there."""

    log_policy: np.ndarray
    iterations: int
    grad_norm: float
    loss: float
    converged: bool

    @property
    def policy(self) -> np.ndarray:
        result: NDArray[np.float64] = np.exp(self.log_policy)
        return result


def implicit_rewards(pi: np.ndarray, pi_ref: np.ndarray, beta: float) -> np.ndarray:
    """h = β·log(π/π_ref): the reward a policy implies, defined up to a constant."""
    p = check_distribution("pi", pi, shape=None, strictly_positive=True)
    ref = check_distribution("pi_ref", pi_ref, shape=p.shape, strictly_positive=True)
    result: NDArray[np.float64] = check_positive("beta", beta) * (np.log(p) - np.log(ref))
    return result


def dpo_loss(
    pi: np.ndarray, pi_ref: np.ndarray, pairs: np.ndarray, beta: float, l2: float = 0.0
) -> float:
    """L(π) = (1/N)[Σ −log σ(h_w − h_l) + (l2/2)‖h − mean h‖²] with h = β·log(π/π_ref)."""
    return _loss(implicit_rewards(pi, pi_ref, beta), pairs, check_non_negative("l2", l2))


def dpo_fit(
    pairs: np.ndarray,
    K: int,
    pi_ref: np.ndarray,
    beta: float,
    *,
    l2: float = 0.0,
    tol: float = DPO_TOL,
    max_iter: int = DPO_MAX_ITER,
    progress: Progress | None = None,
) -> DPOFit:
    """Minimise the DPO loss over tabular policies, starting from π = π_ref.

    With l2 = 0 the pairs must satisfy Ford's condition: otherwise the loss keeps falling as
    the policy piles onto a candidate that never loses, and NoMaximumLikelihoodError says so.
    ``progress`` (optional) hears Newton's progress towards the tolerance.
    """
    ref = check_distribution("pi_ref", pi_ref, shape=None, strictly_positive=True)
    if ref.ndim != 1 or ref.shape[0] != K:
        raise WitnessInputError("pi_ref", f"must hold K = {K} probabilities, got {ref.shape}")
    beta = check_positive("beta", beta)
    l2 = check_non_negative("l2", l2)
    problem = _LogitProblem(_Problem.build(pairs, K, l2), np.log(ref), beta)
    if l2 == 0.0:
        _require_ford_condition(*problem.bt.edges(), K)
    theta = problem.log_ref - problem.log_ref.mean()  # π = π_ref: every implicit reward 0
    value, gradient, e = problem.evaluate(theta)
    threshold = beta * _threshold(gradient / beta, tol)
    reward_step = _newton_direction(problem.bt, "dense", 1.0)

    def direction(e: np.ndarray, gradient: np.ndarray, grad_norm: float) -> np.ndarray | None:
        # In θ the gradient is β times the reward fit's and the Hessian β² times it.
        step = reward_step(e, gradient / beta, grad_norm / beta)
        return None if step is None else step / beta

    theta, value, grad_norm, iterations = _descend(
        problem,
        theta,
        value,
        gradient,
        e,
        threshold=threshold,
        max_iter=max_iter,
        direction=direction,
        report=progress_report(progress),
    )
    if progress is not None:
        progress(1.0)
    return DPOFit(
        log_policy=_frozen(_log_softmax(theta)),
        iterations=iterations,
        grad_norm=grad_norm / problem.bt.n,
        loss=value / problem.bt.n,
        converged=grad_norm <= threshold,
    )


def dpo_report(
    pairs: np.ndarray,
    K: int,
    pi_ref: np.ndarray,
    beta: float,
    *,
    l2: float = 0.0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """DPO in one stage against RLHF in two (reward model, then π*), on the same pairs.
    ``progress`` (optional) hears the DPO fit over [0, 0.5] and the reward model's after."""
    fit = dpo_fit(pairs, K, pi_ref, beta, l2=l2, progress=progress_part(progress, 0.0, 0.5))
    reward_model = fit_reward_model(
        pairs, K, l2=l2, method="newton", progress=progress_part(progress, 0.5, 1.0)
    )
    rewards = np.asarray(reward_model.rewards)
    log_ref = np.log(np.asarray(pi_ref, dtype=np.float64))
    log_rlhf = log_kl_regularized_policy(rewards, pi_ref, beta)
    rlhf = np.exp(log_rlhf)
    # From log π, not π: with a small β the policy's smallest probabilities underflow.
    implied = beta * (fit.log_policy - log_ref)
    offset = implied - rewards
    minus_beta_log_z = -beta * float(log_partition(rewards, pi_ref, beta))
    pair_array = np.asarray(pairs, dtype=np.int64)
    probabilities = sigmoid(implied[pair_array[:, 0]] - implied[pair_array[:, 1]])
    return {
        "beta": beta,
        "l2": l2,
        "pi_ref": np.asarray(pi_ref, dtype=np.float64).tolist(),
        "reward_model": {
            "rewards": rewards.tolist(),
            "iterations": reward_model.iterations,
            "converged": reward_model.converged,
            "loss": reward_model.objective,
        },
        "rlhf_policy": rlhf.tolist(),
        "dpo_policy": fit.policy.tolist(),
        "dpo_fit": {
            "iterations": fit.iterations,
            "grad_norm": fit.grad_norm,
            "converged": fit.converged,
            "loss": fit.loss,
        },
        "policy_max_abs_diff": float(np.max(np.abs(fit.policy - rlhf))),
        "implicit_rewards": implied.tolist(),
        "implicit_minus_rewards": offset.tolist(),
        "offset_spread": float(offset.max() - offset.min()),
        "minus_beta_log_partition": minus_beta_log_z,
        "dpo_loss": {
            "at_dpo_policy": fit.loss,
            "at_rlhf_policy": _loss(beta * (log_rlhf - log_ref), pairs, l2),
            "at_reference": _loss(np.zeros(K), pairs, l2),
        },
        "kl_from_reference": kl_divergence(fit.policy, pi_ref),
        "pair_probabilities": probabilities[:PAIRS_SHOWN].tolist(),
        "pairs_total": int(probabilities.size),
        "note": (
            "DPO never fits a reward model, yet the policy it finds implies the Bradley–Terry "
            "rewards up to one constant (−β·log Z) and equals the RLHF policy for the same β."
        ),
    }


@dataclass(frozen=True, eq=False)
class _LogitProblem:
    """N·L(θ) for π = softmax(θ): the reward fit's objective at the implicit reward.

    Centring h = β(θ − log π_ref) removes log Σ e^θ, so h is β·log(π/π_ref) up to the shift
    that no pair sees; the gradient in θ is β times the reward fit's at h.
    """

    bt: _Problem
    log_ref: np.ndarray
    beta: float

    def evaluate(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        h = self.beta * (theta - self.log_ref)
        h -= h.mean()
        value, gradient, e = self.bt.evaluate(h)
        return value, self.beta * gradient, e


def _loss(h: np.ndarray, pairs: object, l2: float) -> float:
    return bradley_terry_objective(h - h.mean(), pairs, l2)


def _log_softmax(theta: np.ndarray) -> np.ndarray:
    # Subtract the top logit first: with β = 1e-9 the logits are ~1e10 and adding log Σ back
    # onto them would round away the digits that tell candidates apart.
    shifted = theta - theta.max()
    result: NDArray[np.float64] = shifted - np.log(np.sum(np.exp(shifted)))
    return result
