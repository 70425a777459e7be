"""The demo kinds of the RLHF page: reward-fit, kl-policy and reward-hacking.

This module holds the page's values (the defaults), the cross-field checks that make their
parameters canonical (π_ref, the fit's pairs or triplets, overflow of rewards / β), and the
computations. The checks of π_ref, the exploited candidate and overflow are shared with the
preference-learning pages' kinds. Their parameter models are in ``demos.kinds_params`` and
their entries in the catalogue's KINDS table; nothing here imports either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from demos import witnesses
from demos.params import FieldErrors
from demos.witnesses.errors import check_distribution, check_pairs

# The page's demo, value for value.
PAGE_PAIRS = [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]]
PAGE_K = 4
PAGE_PI_REF = [0.35, 0.30, 0.20, 0.15]
PAGE_BETA = 0.7
PAGE_SHIFT = 10.0
# The page prints its learned rewards as [2.674, -2.674, 0, 0]; the hacking demo takes
# them as the true utility that a proxy then overrates.
PAGE_LEARNED_REWARDS = [2.674, -2.674, 0.0, 0.0]
DEFAULT_PROXY_GAP = 3.0
DEFAULT_BETA_MIN = 0.05
DEFAULT_BETA_MAX = 20.0
DEFAULT_SWEEP_POINTS = 60
# The β grid a kl-policy run sweeps when its proxy gap is on (plus the run's own β).
KL_POLICY_SWEEP = (DEFAULT_BETA_MIN, DEFAULT_BETA_MAX, 40)
# The smallest β accepted: below it a fitted reward divided by β leaves the range in which the
# policy, its KL and its objective are finite (5e-324, the smallest float, would pass β > 0).
BETA_FLOOR = 1e-9

# The page's loop is plain Python over the pairs, 800 times: about 0.7 ms per pair.
MAX_PAGE_PAIRS = 5_000
# A result lists every pair's probability up to this many pairs, then only a summary.
PAIR_PROBABILITIES_SHOWN = 1_000

Progress = Callable[[float], None]


# Shared validation pieces -----------------------------------------------------------------


def _default_pi_ref(k: int) -> list[float]:
    return list(PAGE_PI_REF) if k == PAGE_K else [1.0 / k] * k


def check_pi_ref(values: dict[str, Any], k: int, errors: FieldErrors) -> None:
    if values["pi_ref"] is None:
        values["pi_ref"] = _default_pi_ref(k)
        return
    if len(values["pi_ref"]) != k:
        errors.add(
            "pi_ref",
            f"must hold one probability per candidate (K = {k}), got {len(values['pi_ref'])}",
        )
        return
    try:
        check_distribution("pi_ref", values["pi_ref"], shape=(k,), strictly_positive=True)
    except witnesses.WitnessInputError as exc:
        errors.witness(exc, "pi_ref")


def _fit_arrays(values: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """The (N, 2) pairs and their counts (None: one battle each) a fit's parameters give."""
    if values.get("triplets") is not None:
        rows = np.asarray(values["triplets"], dtype=np.int64)
        return rows[:, :2], rows[:, 2]
    return np.asarray(values["pairs"], dtype=np.int64), None


def _canonical_fit_data(values: dict[str, Any], given: set[str], errors: FieldErrors) -> bool:
    """Keep one of pairs and triplets; False when both were given."""
    if values["triplets"] is None:
        values.pop("triplets")
        return True
    if "pairs" in given:
        errors.add("triplets", "give either pairs or triplets, not both")
        return False
    values.pop("pairs")
    return True


def _check_fit_inputs(values: dict[str, Any], errors: FieldErrors) -> None:
    """Pairs against K, the page method's cap, and Ford's condition when l2 = 0.

    Valid triplets that all count 1 then become pairs, so that they share a run with the
    same pairs written plainly.
    """
    k = values["K"]
    field = "triplets" if values.get("triplets") is not None else "pairs"
    pairs, counts = _fit_arrays(values)
    try:
        check_pairs(field, pairs, k=k)
    except witnesses.WitnessInputError as exc:
        message = exc.message.replace("pair ", "row ", 1) if field == "triplets" else exc.message
        errors.add(field, f"{message} (K is {k})")
        return
    battles = len(pairs) if counts is None else int(counts.sum())
    if values["method"] == "page" and battles > MAX_PAGE_PAIRS:
        errors.add(
            "method",
            f"the page's 800-step loop is capped at {MAX_PAGE_PAIRS} battles "
            f"(got {battles}); use method newton",
        )
    if values["l2"] == 0.0:
        try:
            witnesses.check_ford_condition(pairs, k)
        except witnesses.NoMaximumLikelihoodError as exc:
            errors.add(field, exc.message)
    if counts is not None and field not in errors and bool((counts == 1).all()):
        values["pairs"] = pairs.tolist()
        values.pop("triplets")


def check_exploited_index(values: dict[str, Any], k: int, errors: FieldErrors) -> bool:
    """Default the candidate a proxy overrates to the last one; False if it is not one of K."""
    if values["exploited_index"] is None:
        values["exploited_index"] = k - 1
    elif values["exploited_index"] >= k:
        errors.add(
            "exploited_index",
            f"must be a candidate index in [0, {k}), got {values['exploited_index']}",
        )
        return False
    return True


def check_policy_overflow(
    rewards: list[float], beta: float, errors: FieldErrors, *, field: str = "beta"
) -> None:
    values = np.asarray(rewards, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.abs(values) / beta
        # The log-sum-exp subtracts the largest logit: the spread must stay finite too.
        spread = (values.max() - values.min()) / beta
    if not np.isfinite(scaled).all() or not np.isfinite(spread):
        errors.add(field, f"rewards / {field} overflows a 64-bit float; use a larger {field}")


# reward-fit --------------------------------------------------------------------------------


def canonical_reward_fit(
    values: dict[str, Any], given: set[str], errors: FieldErrors
) -> dict[str, Any]:
    if _canonical_fit_data(values, given, errors):
        _check_fit_inputs(values, errors)
    return values


def _fit(
    params: dict[str, Any], progress: Progress | None = None
) -> tuple[witnesses.RewardFit, dict[str, Any]]:
    pairs, counts = _fit_arrays(params)
    fit = witnesses.fit_reward_model(
        pairs,
        params["K"],
        counts=counts,
        l2=params["l2"],
        method=params["method"],
        progress=progress,
    )
    probabilities = witnesses.preference_probabilities(fit.rewards, pairs)
    diagnostics = fit.to_dict()
    diagnostics.pop("rewards")
    return fit, {"fit": diagnostics, "pair_probabilities": _pair_summary(probabilities, counts)}


def _pair_summary(probabilities: np.ndarray, counts: np.ndarray | None = None) -> dict[str, Any]:
    """Each row's σ(Δ) (the first PAIR_PROBABILITIES_SHOWN), and how well the fit explains
    the battles (each row weighted by its count)."""
    shown = probabilities[:PAIR_PROBABILITIES_SHOWN]
    summary = {
        "values": shown.tolist(),
        "total": int(probabilities.size if counts is None else counts.sum()),
        "truncated": bool(probabilities.size > shown.size),
        "mean": float(np.average(probabilities, weights=counts)),
        "min": float(probabilities.min()),
        "agreement": float(np.average(probabilities > 0.5, weights=counts)),
        "mean_log_likelihood": float(np.average(np.log(probabilities), weights=counts)),
    }
    if counts is not None:
        summary["rows"] = int(probabilities.size)
    return summary


def compute_reward_fit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    fit, details = _fit(params, progress)
    return {"rewards": fit.rewards.tolist(), **details}


# kl-policy ---------------------------------------------------------------------------------

_FIT_FIELDS = ("pairs", "triplets", "l2", "method")
_PROXY_FIELDS = ("proxy_gap_size", "exploited_index")


def canonical_kl_policy(
    values: dict[str, Any], given: set[str], errors: FieldErrors
) -> dict[str, Any]:
    rewards = values["rewards"]
    if rewards is not None:
        clash = sorted(given.intersection(_FIT_FIELDS))
        if clash:
            errors.add(
                "rewards",
                "give either rewards or a fit (pairs or triplets, l2, method), not both; "
                "also got " + ", ".join(clash),
            )
            return values
        if "K" in given and values["K"] != len(rewards):
            errors.add("K", f"must equal the number of rewards ({len(rewards)}), got {values['K']}")
            return values
        values["K"] = len(rewards)
        for name in _FIT_FIELDS:
            values.pop(name)
    else:
        values.pop("rewards")
        if not _canonical_fit_data(values, given, errors):
            return values
        _check_fit_inputs(values, errors)
    k = values["K"]
    check_pi_ref(values, k, errors)
    if values["proxy_gap"]:
        check_exploited_index(values, k, errors)
    else:
        for name in _PROXY_FIELDS:
            values.pop(name)
    if "beta" not in errors and "exploited_index" not in errors:
        # A fit's rewards are not known before the run, but they are small (centred, and
        # bounded by the fit's regularisation); zeros stand in for them here.
        base = list(rewards) if rewards is not None else [0.0] * k
        policy_rewards = list(base)
        if values["proxy_gap"]:
            policy_rewards[values["exploited_index"]] += values["proxy_gap_size"]
        check_policy_overflow(base, values["beta"], errors)
        if values["proxy_gap"]:
            # The run also sweeps β down to the sweep's smallest value.
            smallest = min(values["beta"], KL_POLICY_SWEEP[0])
            check_policy_overflow(policy_rewards, smallest, errors)
        with np.errstate(over="ignore"):
            shifted = np.asarray(policy_rewards) + values["shift"]
            shifted_scaled = np.abs(shifted) / values["beta"]
        if not np.isfinite(shifted_scaled).all():
            errors.add("shift", "(rewards + shift) / beta overflows a 64-bit float")
    return values


# The share of a kl-policy run's progress its reward fit stands for.
KL_POLICY_FIT_SHARE = 0.9


def compute_kl_policy(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if params.get("rewards") is not None:
        learned = np.asarray(params["rewards"], dtype=np.float64)
        result.update({"fit": None, "pair_probabilities": None})
    else:
        # The fit is nearly all of the work; the policy and its sweep are closed forms.
        fit, details = _fit(params, witnesses.progress_part(progress, 0.0, KL_POLICY_FIT_SHARE))
        learned = fit.rewards
        result.update(details)
    pi_ref, beta, shift = params["pi_ref"], params["beta"], params["shift"]
    result["learned_rewards"] = learned.tolist()
    if params["proxy_gap"]:
        index, gap = params["exploited_index"], params["proxy_gap_size"]
        policy_rewards = witnesses.proxy_rewards(learned, gap, index)
        report = witnesses.kl_policy_report(policy_rewards, pi_ref, beta, shift)
        honest = witnesses.kl_regularized_policy(learned, pi_ref, beta)
        low, high, points = KL_POLICY_SWEEP
        betas = np.append(witnesses.beta_grid(low, high, points), beta)
        sweep = witnesses.reward_hacking_sweep(policy_rewards, learned, pi_ref, betas=betas)
        pi_star = np.asarray(report["pi_star"])
        result["proxy"] = {
            "proxy_gap_size": gap,
            "exploited_index": index,
            "proxy_rewards": policy_rewards.tolist(),
            "true_utility": learned.tolist(),
            "pi_star_without_gap": honest.tolist(),
            "expected_true_utility": float(pi_star @ learned),
            "expected_true_utility_without_gap": float(honest @ learned),
            "expected_true_utility_reference": float(np.asarray(pi_ref) @ learned),
            "expected_proxy_reward": float(pi_star @ policy_rewards),
        }
        result["sweep"] = sweep
    else:
        report = witnesses.kl_policy_report(learned, pi_ref, beta, shift)
        result["proxy"] = None
        result["sweep"] = None
    result.update(report)
    return result


# reward-hacking ----------------------------------------------------------------------------


def canonical_reward_hacking(
    values: dict[str, Any], given: set[str], errors: FieldErrors
) -> dict[str, Any]:
    k = len(values["true_utility"])
    check_pi_ref(values, k, errors)
    if values["beta_min"] >= values["beta_max"]:
        errors.add("beta_max", f"must exceed beta_min ({values['beta_min']!r})")
    if values["proxy_rewards"] is not None:
        proxy = values["proxy_rewards"]
        if given.intersection(("proxy_gap", "exploited_index")):
            errors.add(
                "proxy_rewards",
                "give either proxy_rewards or proxy_gap with exploited_index, not both",
            )
            return values
        if len(proxy) != k:
            errors.add(
                "proxy_rewards",
                f"must hold one value per candidate ({k}, like true_utility), got {len(proxy)}",
            )
            return values
        values.pop("proxy_gap")
        values.pop("exploited_index")
    else:
        values.pop("proxy_rewards")
        if not check_exploited_index(values, k, errors):
            return values
        proxy = list(values["true_utility"])
        proxy[values["exploited_index"]] += values["proxy_gap"]
        if not math.isfinite(proxy[values["exploited_index"]]):
            errors.add("proxy_gap", "true_utility + proxy_gap overflows a 64-bit float")
            return values
    if "beta_max" not in errors:
        check_policy_overflow(proxy, values["beta_min"], errors, field="beta_min")
    return values


def compute_reward_hacking(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    beta_range = (params["beta_min"], params["beta_max"], params["points"])
    if params.get("proxy_rewards") is not None:
        sweep = witnesses.reward_hacking_sweep(
            params["proxy_rewards"],
            params["true_utility"],
            params["pi_ref"],
            beta_range=beta_range,
        )
        return {
            "true_utility": params["true_utility"],
            "proxy_rewards": params["proxy_rewards"],
            "proxy_gap": None,
            "exploited_index": None,
            "pi_ref": params["pi_ref"],
            **sweep,
        }
    report = witnesses.reward_hacking_report(
        params["true_utility"],
        params["pi_ref"],
        proxy_gap=params["proxy_gap"],
        exploited_index=params["exploited_index"],
        beta_range=beta_range,
    )
    return {"pi_ref": params["pi_ref"], **report}
