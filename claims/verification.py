"""The invariant each demo witness must show for a claim resting on it to count as verified.

Each check reads a demo result (computed afresh by the verification, in the shape a DemoRun
stores) and says whether the invariant holds; the description is what the verification records
as "the invariant checked". A new demo kind adds its Invariant to INVARIANTS.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SHIFT_TOLERANCE = 1e-12
DPO_TOLERANCE = 1e-9
NORMALISATION_TOLERANCE = 1e-12
CENTRING_TOLERANCE = 1e-9


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
}


def invariant_for(demo_kind: str) -> Invariant | None:
    return INVARIANTS.get(demo_kind)
