"""Validation and computation for the preference-learning pages' demo kinds.

``bradley-terry`` fits a win-count matrix, ``dpo`` puts DPO's one-stage fit beside RLHF's two
stages on the same pairs, and ``overoptimization`` traces proxy and gold reward against KL
from the reference. The parameter models live in ``demos.kinds_params`` and the table
entries in ``demos.catalogue`` with every other kind; this module holds what they call, and
the caps each kind publishes.

The canonicalisers use the RLHF page's shared checks (π_ref, overflow) from
``demos.kinds_pages_rlhf``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from demos import witnesses
from demos.kinds_pages_rlhf import (
    BETA_FLOOR,
    check_exploited_index,
    check_pi_ref,
    check_policy_overflow,
)

# Four items, ten comparisons per pair: item 0 is strongest, yet every item wins sometimes,
# so Ford's condition holds and the maximum-likelihood fit exists.
DEFAULT_WINS = [[0, 7, 8, 9], [3, 0, 6, 7], [2, 4, 0, 6], [1, 3, 4, 0]]
DEFAULT_N_MAX = 1_000
DEFAULT_OVEROPTIMIZATION_POINTS = 40
DPO_NO_OPTIMUM = (
    " (for DPO: the loss has no minimiser, it keeps falling as the policy's probabilities "
    "of these candidates run to 1 or to 0, whatever β)"
)

BRADLEY_TERRY_CAPS = {
    "max_items": witnesses.MAX_ITEMS,
    "max_comparisons": witnesses.MAX_PAIRS,
    "max_mm_steps": witnesses.MM_MAX_ITER,
}
DPO_CAPS = {
    "max_K": witnesses.DPO_MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "min_beta": BETA_FLOOR,
    "max_beta": witnesses.DPO_MAX_BETA,
}
OVEROPTIMIZATION_CAPS = {
    "max_K": witnesses.MAX_K,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
    "max_n": witnesses.MAX_N,
}


def win_counts_clean(value: object) -> list[list[int]]:
    """A JSON K×K array of whole numbers → integer rows; ValueError with the reason."""
    if not isinstance(value, list):
        raise ValueError("must be an array of K rows of win counts")
    k = len(value)
    if not 2 <= k <= witnesses.MAX_ITEMS:
        raise ValueError(f"must compare between 2 and {witnesses.MAX_ITEMS} items, got {k}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != k:
            raise ValueError(f"row {i} must be an array of {k} counts (the matrix is K×K)")
        cleaned = []
        for j, count in enumerate(row):
            if isinstance(count, float) and count.is_integer():
                count = int(count)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"wins[{i}][{j}] must be a whole number >= 0, got {count!r}")
            cleaned.append(count)
        rows.append(cleaned)
    try:
        witnesses.check_wins(np.asarray(rows, dtype=np.float64))
    except witnesses.WitnessInputError as exc:
        raise ValueError(exc.message) from None
    return rows


# bradley-terry -----------------------------------------------------------------------------


def canonical_bradley_terry(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    try:
        witnesses.check_identifiable(np.asarray(values["wins"], dtype=np.float64))
    except witnesses.WitnessInputError as exc:
        errors.witness(exc, "wins")
    return values


def compute_bradley_terry(params: dict[str, Any], progress) -> dict[str, Any]:
    report = witnesses.bradley_terry_report(
        np.asarray(params["wins"], dtype=np.float64), method=params["method"], progress=progress
    )
    return {"wins": params["wins"], **report}


# dpo ---------------------------------------------------------------------------------------


def canonical_dpo(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    k, pairs = values["K"], values["pairs"]
    if k > witnesses.DPO_MAX_K:
        errors.add("K", f"the DPO fit is dense Newton: at most {witnesses.DPO_MAX_K}, got {k}")
        return values
    try:
        witnesses.check_pairs("pairs", np.asarray(pairs, dtype=np.int64), k=k)
        if values["l2"] == 0.0:
            witnesses.check_ford_condition(np.asarray(pairs, dtype=np.int64), k)
    except witnesses.NoMaximumLikelihoodError as exc:
        errors.add("pairs", exc.message + DPO_NO_OPTIMUM)
    except witnesses.WitnessInputError as exc:
        errors.add("pairs", f"{exc.message} (K is {k})")
    check_pi_ref(values, k, errors)
    return values


def compute_dpo(params: dict[str, Any], progress) -> dict[str, Any]:
    pairs = np.asarray(params["pairs"], dtype=np.int64)
    report = witnesses.dpo_report(
        pairs, params["K"], params["pi_ref"], params["beta"], l2=params["l2"], progress=progress
    )
    return {"pairs": params["pairs"], **report}


# overoptimization --------------------------------------------------------------------------

_KL_FIELDS = ("beta_min", "beta_max")
_BON_FIELDS = ("n_max",)


def canonical_overoptimization(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    gold = values["gold_reward"]
    k = len(gold)
    check_pi_ref(values, k, errors)
    if values["proxy_reward"] is not None:
        clash = sorted(given.intersection(("proxy_gap", "exploited_index")))
        if clash:
            errors.add(
                "proxy_reward",
                "give either proxy_reward or proxy_gap with exploited_index, not both; also "
                "got " + ", ".join(clash),
            )
            return values
        if len(values["proxy_reward"]) != k:
            errors.add(
                "proxy_reward",
                f"must hold one value per candidate ({k}, like gold_reward), "
                f"got {len(values['proxy_reward'])}",
            )
            return values
        values.pop("proxy_gap")
        values.pop("exploited_index")
        proxy = values["proxy_reward"]
    else:
        if not check_exploited_index(values, k, errors):
            return values
        proxy = list(gold)
        proxy[values["exploited_index"]] += values["proxy_gap"]
        if not math.isfinite(proxy[values["exploited_index"]]):
            errors.add("proxy_gap", "gold_reward + proxy_gap overflows a 64-bit float")
            return values
        # The proxy is derived: the canonical form names the gap, not the vector it makes.
        values["proxy_reward"] = None
    if values["optimizer"] == "kl-regularized":
        for name in _BON_FIELDS:
            values.pop(name)
        if values["beta_min"] >= values["beta_max"]:
            errors.add("beta_max", f"must exceed beta_min ({values['beta_min']!r})")
        else:
            check_policy_overflow(proxy, values["beta_min"], errors, field="beta_min")
    else:
        for name in _KL_FIELDS:
            values.pop(name)
    if values["proxy_reward"] is None:
        values.pop("proxy_reward")
    return values


def compute_overoptimization(params: dict[str, Any], progress) -> dict[str, Any]:
    gold = np.asarray(params["gold_reward"], dtype=np.float64)
    if "proxy_reward" in params:
        proxy = np.asarray(params["proxy_reward"], dtype=np.float64)
    else:
        proxy = witnesses.proxy_rewards(gold, params["proxy_gap"], params["exploited_index"])
    if params["optimizer"] == "kl-regularized":
        betas = witnesses.beta_grid(params["beta_min"], params["beta_max"], params["points"])
        grid = {"betas": betas}
    else:
        grid = {"ns": witnesses.n_grid(params["n_max"], params["points"])}
    curve = witnesses.overoptimization_curve(
        proxy, gold, params["pi_ref"], optimizer=params["optimizer"], progress=progress, **grid
    )
    return {
        "gold_reward": gold.tolist(),
        "proxy_reward": proxy.tolist(),
        "pi_ref": params["pi_ref"],
        **curve,
    }


# Cost estimates -----------------------------------------------------------------------------

# Measured worst cases on 2 shared cores: MM on a chain of 1000:1 wins, which it never
# finishes in its MM_MAX_ITER steps, 0.17 s for 4 items and 0.6 s for 50 (1e-4 s per step plus
# 1e-7 s per count of the K×K matrix), plus the Newton cross-check on one pair per win; a DPO
# run is two Newton fits of the pairs, the reward model and the policy (K = 200 and 100,000
# pairs: 0.5 s); a best-of-n sweep builds each policy in Python, 5e-5 s per n (K = 1,000 at
# 175 values of n: 0.07 s) on top of the 1e-7 s per candidate and setting of any sweep.
MM_SECONDS_PER_STEP = 1e-4
MM_SECONDS_PER_COUNT_AND_STEP = 1e-7
NEWTON_SECONDS_PER_PAIR_AND_CANDIDATE = 2e-7
SWEEP_SECONDS_PER_VALUE = 1e-7
BEST_OF_N_SECONDS_PER_N = 5e-5


def preference_run_cost(*, kind: str, params: dict[str, Any]) -> tuple[float, str, str] | None:
    """(seconds, driving parameter, what drives it) for these kinds; None for any other."""
    if kind == "bradley-terry":
        k = len(params["wins"])
        comparisons = sum(map(sum, params["wins"]))
        seconds = (MM_SECONDS_PER_STEP + MM_SECONDS_PER_COUNT_AND_STEP * k * k) * (
            witnesses.MM_MAX_ITER
        ) + NEWTON_SECONDS_PER_PAIR_AND_CANDIDATE * comparisons * k
        return seconds, "wins", f"MM and Newton fits of {comparisons:,} wins among {k} items"
    if kind == "dpo":
        n, k = len(params["pairs"]), params["K"]
        seconds = 2 * NEWTON_SECONDS_PER_PAIR_AND_CANDIDATE * n * k
        return seconds, "pairs", f"two Newton fits of {n:,} pairs over K = {k:,} candidates"
    if kind == "overoptimization":
        k, points = len(params["gold_reward"]), params["points"]
        seconds = SWEEP_SECONDS_PER_VALUE * k * points
        if params["optimizer"] == "best-of-n":
            seconds += BEST_OF_N_SECONDS_PER_N * points
        return seconds, "points", f"a sweep of {points} settings over {k:,} candidates"
    return None
