"""The invariant each demo witness must show for a claim resting on it to count as verified.

Each check reads a demo result (computed afresh by the verification, in the shape a DemoRun
stores) and says whether the invariant holds; the description is what the verification records
as "the invariant checked". A new demo kind adds its Invariant to INVARIANTS.
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SHIFT_TOLERANCE = 1e-12
DPO_TOLERANCE = 1e-9
NORMALISATION_TOLERANCE = 1e-12
CENTRING_TOLERANCE = 1e-9
# The kinds of the pages RLHF builds on.
MLE_TOLERANCE = 1e-9
IDENTITY_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Invariant:
    description: str
    holds: Callable[[dict[str, Any]], bool]


def _kl_policy(result: dict[str, Any]) -> bool:
    pi_star = result.get("pi_star") or []
    return (
        bool(result.get("shift_invariant"))
        and float(result.get("shift_max_abs_diff", 1.0)) <= SHIFT_TOLERANCE
        and float(result.get("dpo_residual", 1.0)) <= DPO_TOLERANCE
        and abs(sum(pi_star) - 1.0) <= NORMALISATION_TOLERANCE
    )


def _reward_fit(result: dict[str, Any]) -> bool:
    rewards = result.get("rewards") or []
    fit = result.get("fit") or {}
    centred = bool(rewards) and abs(sum(rewards) / len(rewards)) <= CENTRING_TOLERANCE
    return centred and (fit.get("method") == "page" or bool(fit.get("converged")))


def _reward_hacking(result: dict[str, Any]) -> bool:
    rows = result.get("rows") or (result.get("sweep") or {}).get("rows") or []
    if len(rows) < 2:
        return False
    by_beta = sorted(rows, key=lambda row: row["beta"], reverse=True)
    proxy = [row["expected_proxy_reward"] for row in by_beta]
    # dE_π*[r]/d(1/β) = Var_π*(r) ≥ 0: the proxy reward never falls as β is lowered.
    return all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(proxy))


def _scale(*values: float) -> float:
    return max([1.0, *(abs(float(value)) for value in values)])


def _mle_fit(result: dict[str, Any]) -> bool:
    bernoulli = result.get("bernoulli") or {}
    null = result.get("intercept_only") or {}
    logistic = result.get("logistic") or {}
    n = result.get("n") or 0
    k: Any = result.get("k")  # a value of the run's JSON record, as read by the checks below
    trace = logistic.get("log_likelihood_trace") or []
    se, delta = bernoulli.get("standard_error"), null.get("delta_method_standard_error")
    return (
        n > 0
        and bernoulli.get("p_hat") == k / n
        and abs(float(null.get("probability_minus_p_hat", 1.0))) <= MLE_TOLERANCE
        and bool(logistic.get("converged"))
        and float(logistic.get("score_relative", 1.0)) <= MLE_TOLERANCE
        and float(logistic.get("information_min_eigenvalue", 0.0)) > 0.0
        and len(trace) >= 1
        and all(
            later >= earlier - MLE_TOLERANCE * _scale(earlier)
            for earlier, later in itertools.pairwise(trace)
        )
        and se is not None
        and delta is not None
        and abs(se - delta) <= MLE_TOLERANCE * _scale(se)
    )


def _kl_asymmetry(result: dict[str, Any]) -> bool:
    p, q = result.get("p") or [], result.get("q") or []
    forward, reverse = result.get("kl_p_q"), result.get("kl_q_p")
    if not p or len(p) != len(q) or forward is None:
        return False
    # Recomputed here from the stored distributions, not taken from the run's own flags.
    if any(b == 0.0 < a for a, b in zip(p, q, strict=True)):
        return False
    recomputed = sum(a * (math.log(a) - math.log(b)) for a, b in zip(p, q, strict=True) if a > 0)
    tv = 0.5 * sum(abs(a - b) for a, b in zip(p, q, strict=True))
    residual = result.get("decomposition_residual")
    return (
        abs(recomputed - forward) <= IDENTITY_TOLERANCE * _scale(forward)
        and forward >= -IDENTITY_TOLERANCE
        and (reverse is None or reverse >= -IDENTITY_TOLERANCE)
        and result.get("kl_p_p") == 0.0
        and result.get("kl_q_q") == 0.0
        and forward >= 2.0 * tv**2 - IDENTITY_TOLERANCE
        and residual is not None
        and residual <= IDENTITY_TOLERANCE * _scale(forward)
        and bool(result.get("gibbs_holds"))
    )


def _reinforce_bandit(result: dict[str, Any]) -> bool:
    estimates = result.get("estimates") or {}
    if set(estimates) != {"none", "value", "optimal"}:
        return False
    scale = _scale(result.get("expected_reward", 0.0), *(e["baseline"] for e in estimates.values()))
    variances = {name: float(e["exact_variance"]) for name, e in estimates.items()}
    return (
        float(result.get("score_mean_max_abs", 1.0)) <= IDENTITY_TOLERANCE
        and all(
            float(e["exact_mean_error"]) <= IDENTITY_TOLERANCE * scale and bool(e["agrees"])
            for e in estimates.values()
        )
        and all(
            variances["optimal"] <= other + IDENTITY_TOLERANCE * _scale(other)
            for other in variances.values()
        )
    )


def _ppo_clip(result: dict[str, Any]) -> bool:
    runs = (result.get("runs") or {}).values()
    curve = result.get("term_curve") or {}
    gradient = result.get("policy_gradient") or [0.0]
    return (
        len(runs) == 2
        and all(
            bool(run.get("bound_holds"))
            and float(run.get("max_clip_minus_cpi", 1.0)) <= IDENTITY_TOLERANCE
            for run in runs
        )
        and float(result.get("gradient_at_old_matches", 1.0))
        <= IDENTITY_TOLERANCE * _scale(*gradient)
        and bool(curve.get("flat_above_for_positive"))
        and bool(curve.get("flat_below_for_negative"))
        and bool(curve.get("unclipped_inside"))
    )


# bradley-terry, dpo, overoptimization ---------------------------------------------------------

LIKELIHOOD_EQUATIONS_TOLERANCE = 1e-9
METHODS_AGREE_TOLERANCE = 1e-8
DPO_POLICY_TOLERANCE = 1e-9
OVEROPTIMIZATION_TOLERANCE = 1e-9


def _bradley_terry(result: dict[str, Any]) -> bool:
    scores = result.get("scores") or []
    observed = result.get("observed_wins") or []
    expected = result.get("expected_wins") or []
    cross = result.get("cross_check") or {}
    if not scores or len(observed) != len(scores) or len(expected) != len(scores):
        return False
    # Recomputed from the stored wins, not read from the result's own residual.
    scale = max(1.0, *observed)
    gaps = [abs(e - o) for e, o in zip(expected, observed, strict=True)]
    return (
        abs(sum(scores) / len(scores)) <= CENTRING_TOLERANCE
        and max(gaps) <= LIKELIHOOD_EQUATIONS_TOLERANCE * scale
        and bool(result.get("converged"))
        and bool(cross.get("converged"))
        and float(cross.get("max_abs_score_diff", 1.0)) <= METHODS_AGREE_TOLERANCE
    )


def _dpo(result: dict[str, Any]) -> bool:
    dpo, rlhf = result.get("dpo_policy") or [], result.get("rlhf_policy") or []
    offsets = result.get("implicit_minus_rewards") or []
    if not dpo or len(dpo) != len(rlhf) or len(offsets) != len(dpo):
        return False
    losses = result.get("dpo_loss") or {}
    return (
        bool((result.get("dpo_fit") or {}).get("converged"))
        and bool((result.get("reward_model") or {}).get("converged"))
        and max(abs(a - b) for a, b in zip(dpo, rlhf, strict=True)) <= DPO_POLICY_TOLERANCE
        and max(offsets) - min(offsets) <= DPO_TOLERANCE
        and float(losses.get("at_dpo_policy", 1.0)) <= float(losses.get("at_reference", 0.0))
    )


def _overoptimization(result: dict[str, Any]) -> bool:
    rows = result.get("rows") or []
    if len(rows) < 3:
        return False
    proxy = [row["expected_proxy"] for row in rows]
    gold = [row["expected_gold"] for row in rows]
    peak = max(range(len(gold)), key=gold.__getitem__)
    tol = OVEROPTIMIZATION_TOLERANCE * max(1.0, *(abs(g) for g in result.get("gold_reward") or []))
    return (
        all(later >= earlier - tol for earlier, later in itertools.pairwise(proxy))
        and 0 < peak < len(rows) - 1
        and gold[peak] - gold[-1] > tol
        and gold[peak] - gold[0] > tol
        and rows[peak]["kl"] > 0.0
    )


INVARIANTS: dict[str, Invariant] = {
    "kl-policy": Invariant(
        "π* is unchanged by a shift of every reward (max difference ≤ 1e-12), sums to 1, and "
        "β·log(π*/π_ref) + β·log Z recovers the rewards (residual ≤ 1e-9)",
        _kl_policy,
    ),
    "reward-fit": Invariant(
        "the Bradley–Terry rewards are centred (mean ≤ 1e-9) and the exact fit converged",
        _reward_fit,
    ),
    "reward-hacking": Invariant(
        "expected proxy reward never falls as β is lowered (its derivative in 1/β is a variance)",
        _reward_hacking,
    ),
    "mle-fit": Invariant(
        "p̂ = k/n and σ(intercept-only fit) = p̂; the logistic Newton fit converged (score ≤ "
        "1e-9), its information is positive definite, ℓ never fell, and the delta-method SE is "
        "the Bernoulli SE",
        _mle_fit,
    ),
    "kl-asymmetry": Invariant(
        "KL(p‖q) recomputed from p and q matches, both directions are ≥ 0 and 0 from a "
        "distribution to itself, KL ≥ 2·TV² (Pinsker), and H(p, q) = H(p) + KL(p‖q)",
        _kl_asymmetry,
    ),
    "reinforce-bandit": Invariant(
        "for b = 0, J and b*, E[(r − b)∇log π] = ∇J exactly (≤ 1e-12) and the seeded mean lies "
        "within 6 standard errors; the score has mean zero; b* has the least variance",
        _reinforce_bandit,
    ),
    "ppo-clip": Invariant(
        "L^CLIP ≤ L^CPI at every epoch of both ascents; at π_old its gradient is π⊙(μ − J); each "
        "clipped term is flat past 1 ± ε on its advantage's side and ρA inside",
        _ppo_clip,
    ),
    "bradley-terry": Invariant(
        "the scores are centred (mean ≤ 1e-9), each item's expected wins equal its observed wins "
        "(≤ 1e-9 relative), and MM and Newton converged to the same scores (≤ 1e-8)",
        _bradley_terry,
    ),
    "dpo": Invariant(
        "DPO's optimum equals the RLHF policy π_ref·exp(r/β)/Z (≤ 1e-9), β·log(π/π_ref) − r is "
        "one constant (spread ≤ 1e-9), both fits converged, and DPO's loss fell from π_ref",
        _dpo,
    ),
    "overoptimization": Invariant(
        "the proxy score never falls as KL grows, while the gold score peaks strictly inside "
        "the sweep at a positive KL and is lower at the largest KL",
        _overoptimization,
    ),
}


def invariant_for(demo_kind: str) -> Invariant | None:
    return INVARIANTS.get(demo_kind)
