"""The demo catalogue: the table of demo kinds, their lookups, and the key runs are cached under.

A kind validates raw parameters (JSON values from a request body or an object key's query
string) into canonical parameters: every default filled in, numbers as floats, integers as
ints, keys sorted, and fields that cannot change the result left out. Two requests that mean
the same computation therefore hash the same and share one DemoRun. Validation raises
Django's ValidationError with a message per field and does nothing expensive: the costliest
check is Ford's condition for an unregularised fit, a graph search linear in the pairs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from demos import kinds_pages_foundations as foundations
from demos import kinds_pages_preferences, kinds_pages_rlhf, results, witnesses
from demos.kinds_pages_rlhf import BETA_FLOOR, MAX_PAGE_PAIRS, Progress
from demos.kinds_params import (
    BradleyTerryParams,
    DpoParams,
    KlAsymmetryParams,
    KlPolicyParams,
    MleFitParams,
    OveroptimizationParams,
    PpoClipParams,
    ReinforceBanditParams,
    RewardFitParams,
    RewardHackingParams,
)
from demos.params import DemoParams

# Bump when the shape or content of a result built in demos.kinds_pages_rlhf changes: runs
# are cached under it.
RESULT_FORMAT = "1"

# The caps of the RLHF page's kinds, and of any kind without caps of its own.
CAPS = {
    "max_K": witnesses.MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "max_pairs_page_method": MAX_PAGE_PAIRS,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
}


def code_version() -> str:
    """The version runs are cached under: the witnesses' numbers and the RLHF kinds' results."""
    return f"w{witnesses.WITNESS_CODE_VERSION}.r{RESULT_FORMAT}"


@dataclass(frozen=True)
class DemoKind:
    slug: str
    title: str
    summary: str
    params: type[DemoParams]
    compute: Callable[[dict[str, Any], Progress], dict[str, Any]]
    result: type[BaseModel]
    notes: tuple[str, ...] = ()
    # The caps this kind enforces; None: the catalogue-wide CAPS.
    caps: Mapping[str, Any] | None = None

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.params.model_fields)

    def defaults(self) -> dict[str, Any]:
        return self.params.defaults()

    def json_schema(self) -> dict[str, Any]:
        return self.params.model_json_schema()

    def validate(self, raw: object) -> dict[str, Any]:
        """Raw JSON-like parameters → canonical parameters, or ValidationError per field."""
        return self.params.canonical(raw, kind=self.slug)


def params_hash(kind: str, params: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"kind": kind, "params": params}, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# The kinds ---------------------------------------------------------------------------------


PREFERENCE_KINDS = (
    DemoKind(
        slug="bradley-terry",
        title="Bradley–Terry fit from win counts",
        summary=(
            "Maximum-likelihood strengths from a win matrix (MM or Newton), with each "
            "item's expected wins against its observed wins."
        ),
        params=BradleyTerryParams,
        compute=kinds_pages_preferences.compute_bradley_terry,
        result=results.BradleyTerryResult,
        caps=kinds_pages_preferences.BRADLEY_TERRY_CAPS,
    ),
    DemoKind(
        slug="dpo",
        title="DPO against RLHF on the same pairs",
        summary=(
            "Minimise DPO's loss over a tabular policy and compare it with the RLHF policy "
            "π_ref·exp(r/β)/Z built from the Bradley–Terry fit: same policy, and "
            "β·log(π/π_ref) is r up to one constant."
        ),
        params=DpoParams,
        compute=kinds_pages_preferences.compute_dpo,
        result=results.DpoResult,
        caps=kinds_pages_preferences.DPO_CAPS,
    ),
    DemoKind(
        slug="overoptimization",
        title="Reward-model overoptimisation against KL",
        summary=(
            "Optimise a proxy that overrates one candidate ever harder (KL-regularised or "
            "best-of-n): the proxy score keeps rising, the gold score peaks, and the KL at "
            "the peak is reported."
        ),
        params=OveroptimizationParams,
        compute=kinds_pages_preferences.compute_overoptimization,
        result=results.OveroptimizationResult,
        caps=kinds_pages_preferences.OVEROPTIMIZATION_CAPS,
    ),
)


KINDS: dict[str, DemoKind] = {
    kind.slug: kind
    for kind in (
        DemoKind(
            slug="reward-fit",
            title="Bradley–Terry reward fit",
            summary="Fit mean-zero rewards to pairwise preferences: P(winner ≻ loser) = σ(Δ).",
            params=RewardFitParams,
            compute=kinds_pages_rlhf.compute_reward_fit,
            result=results.RewardFitResult,
        ),
        DemoKind(
            slug="kl-policy",
            title="KL-regularised policy",
            summary=(
                "Fit rewards from the pairs (or take them as given), reweight π_ref by "
                "exp(r/β), and check that shifting every reward leaves π* unchanged."
            ),
            params=KlPolicyParams,
            compute=kinds_pages_rlhf.compute_kl_policy,
            result=results.KlPolicyResult,
        ),
        DemoKind(
            slug="reward-hacking",
            title="Reward hacking β sweep",
            summary=(
                "Optimise a proxy reward that overrates one candidate across a β sweep, and "
                "find the β below which lowering it costs true utility."
            ),
            params=RewardHackingParams,
            compute=kinds_pages_rlhf.compute_reward_hacking,
            result=results.RewardHackingResult,
        ),
        # The pages RLHF builds on: maximum likelihood, KL divergence, policy gradient, PPO.
        DemoKind(
            slug="mle-fit",
            title="Maximum likelihood: Bernoulli and logistic fits",
            summary=(
                "Fit p̂ = k/n to the labels, then a logistic model P(y = 1 | x) = σ(a + bx) by "
                "Newton's method, with the Fisher information and standard errors."
            ),
            params=MleFitParams,
            compute=foundations.compute_mle_fit,
            result=results.MleFitResult,
            caps=foundations.MLE_CAPS,
        ),
        DemoKind(
            slug="kl-asymmetry",
            title="KL divergence: Gibbs' inequality and asymmetry",
            summary=(
                "KL(p‖q) and KL(q‖p) with the checks between them, and the one-bump fits of p "
                "that minimise each direction."
            ),
            params=KlAsymmetryParams,
            compute=foundations.compute_kl_asymmetry,
            result=results.KlAsymmetryResult,
            caps=foundations.KL_CAPS,
        ),
        DemoKind(
            slug="reinforce-bandit",
            title="REINFORCE on a bandit, with and without a baseline",
            summary=(
                "The score-function gradient of a softmax policy: the same mean for every "
                "baseline, a smaller variance with a good one, and training runs of each."
            ),
            params=ReinforceBanditParams,
            compute=foundations.compute_reinforce_bandit,
            result=results.ReinforceBanditResult,
            caps=foundations.PG_CAPS,
        ),
        DemoKind(
            slug="ppo-clip",
            title="PPO's clipped surrogate on a bandit",
            summary=(
                "Ascend L^CLIP and the unclipped surrogate from an old policy: the ratio clip at "
                "1 ± ε, the flat regions, and how far each step moves the policy."
            ),
            params=PpoClipParams,
            compute=foundations.compute_ppo_clip,
            result=results.PpoClipResult,
            caps=foundations.PPO_CAPS,
        ),
        # The preference pages: Bradley–Terry, DPO, reward hacking.
        *PREFERENCE_KINDS,
    )
}

# The symbol each parameter is shown with in a demo state's title.
SYMBOLS = {"beta": "β", "pi_ref": "π_ref", "l2": "l2", "shift": "shift"}


def demo_kind_get(slug: str) -> DemoKind | None:
    return KINDS.get(slug)


def demo_kind_describe(kind: DemoKind) -> dict[str, Any]:
    return {
        "kind": kind.slug,
        "title": kind.title,
        "summary": kind.summary,
        "parameters": kind.json_schema(),
        "defaults": kind.defaults(),
        "caps": CAPS if kind.caps is None else kind.caps,
        "code_version": code_version(),
    }


def demo_compute(kind: str, params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run a kind on canonical parameters; raises WitnessInputError for what validation missed."""
    return KINDS[kind].compute(params, progress)
