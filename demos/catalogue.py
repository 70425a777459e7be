"""The demo catalogue: each demo kind, its parameter schema, defaults, caps and computation.

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
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

import numpy as np
from pydantic import BaseModel, Field

from demos import kinds_pages_foundations as foundations
from demos import kinds_pages_preferences, results, witnesses
from demos.params import (
    WIN_COUNTS_SCHEMA,
    Canonicaliser,
    DemoParams,
    FieldErrors,
    FiniteFloat,
    Pairs,
    Triplets,
    Vector,
    WholeNumber,
    as_whole_number,
    choice_aliases,
    same_field,
    vector_length,
    win_counts,
)
from demos.witnesses.errors import check_distribution, check_pairs

# Bump when the shape or content of a result built here changes: runs are cached under it.
RESULT_FORMAT = "1"

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

CAPS = {
    "max_K": witnesses.MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "max_pairs_page_method": MAX_PAGE_PAIRS,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
}

Progress = Callable[[float], None]


def code_version() -> str:
    """The version runs are cached under: the witnesses' numbers and this module's results."""
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


# Shared validation pieces -----------------------------------------------------------------


def _default_pi_ref(k: int) -> list[float]:
    return list(PAGE_PI_REF) if k == PAGE_K else [1.0 / k] * k


def _check_pi_ref(values: dict[str, Any], k: int, errors: FieldErrors) -> None:
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


def _check_exploited_index(values: dict[str, Any], k: int, errors: FieldErrors) -> bool:
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


def _check_policy_overflow(
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


def _canonical_reward_fit(
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


def _compute_reward_fit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    fit, details = _fit(params, progress)
    return {"rewards": fit.rewards.tolist(), **details}


# kl-policy ---------------------------------------------------------------------------------

_FIT_FIELDS = ("pairs", "triplets", "l2", "method")
_PROXY_FIELDS = ("proxy_gap_size", "exploited_index")


def _canonical_kl_policy(
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
    _check_pi_ref(values, k, errors)
    if values["proxy_gap"]:
        _check_exploited_index(values, k, errors)
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
        _check_policy_overflow(base, values["beta"], errors)
        if values["proxy_gap"]:
            # The run also sweeps β down to the sweep's smallest value.
            smallest = min(values["beta"], KL_POLICY_SWEEP[0])
            _check_policy_overflow(policy_rewards, smallest, errors)
        with np.errstate(over="ignore"):
            shifted = np.asarray(policy_rewards) + values["shift"]
            shifted_scaled = np.abs(shifted) / values["beta"]
        if not np.isfinite(shifted_scaled).all():
            errors.add("shift", "(rewards + shift) / beta overflows a 64-bit float")
    return values


# The share of a kl-policy run's progress its reward fit stands for.
KL_POLICY_FIT_SHARE = 0.9


def _compute_kl_policy(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
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


def _canonical_reward_hacking(
    values: dict[str, Any], given: set[str], errors: FieldErrors
) -> dict[str, Any]:
    k = len(values["true_utility"])
    _check_pi_ref(values, k, errors)
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
        if not _check_exploited_index(values, k, errors):
            return values
        proxy = list(values["true_utility"])
        proxy[values["exploited_index"]] += values["proxy_gap"]
        if not math.isfinite(proxy[values["exploited_index"]]):
            errors.add("proxy_gap", "true_utility + proxy_gap overflows a 64-bit float")
            return values
    if "beta_max" not in errors:
        _check_policy_overflow(proxy, values["beta_min"], errors, field="beta_min")
    return values


def _compute_reward_hacking(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
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


# bradley-terry, dpo, overoptimization (the preference-learning pages) ---------------------


_BRADLEY_TERRY_CAPS = {
    "max_items": witnesses.MAX_ITEMS,
    "max_comparisons": witnesses.MAX_PAIRS,
    "max_mm_steps": witnesses.MM_MAX_ITER,
}
_DPO_CAPS = {
    "max_K": witnesses.DPO_MAX_K,
    "max_pairs": witnesses.MAX_PAIRS,
    "min_beta": BETA_FLOOR,
    "max_beta": witnesses.DPO_MAX_BETA,
}
_OVEROPTIMIZATION_CAPS = {
    "max_K": witnesses.MAX_K,
    "max_sweep_points": witnesses.MAX_SWEEP_POINTS,
    "min_beta": BETA_FLOOR,
    "max_n": witnesses.MAX_N,
}
# Parameter models --------------------------------------------------------------------------

_INDEX: TypeAlias = Annotated[int, Field(ge=0, le=witnesses.MAX_K - 1), as_whole_number()]
_PI_REF_DESCRIPTION = (
    "Reference policy: K positive probabilities summing to 1. Default: the page's "
    "[0.35, 0.30, 0.20, 0.15] when K = 4, uniform otherwise."
)
_EXPLOITED_DESCRIPTION = "The candidate the proxy overrates. Default: the last candidate (K - 1)."
_HACK_GAP_DESCRIPTION = (
    "How much the proxy overrates the exploited candidate (when proxy_rewards is not given)."
)


class _FitParams(DemoParams):
    """The parameters of a Bradley–Terry reward fit, shared by reward-fit and kl-policy."""

    pairs: Pairs = Field(
        PAGE_PAIRS, description="Preference pairs [winner, loser] over candidates 0..K-1."
    )
    triplets: Triplets = Field(
        None,
        description=(
            "Instead of pairs: [winner, loser, count] rows, each standing for count battles "
            "the winner won (count >= 1), e.g. [[0, 1, 120], [1, 0, 45]]. Capped at "
            f"{witnesses.MAX_PAIRS:,} rows and {witnesses.MAX_BATTLES:,} battles in all, so "
            "millions of battles fit in one request; the fit works on the win counts, so its "
            "cost depends on the rows and K, not the battles. Give pairs or triplets, not both."
        ),
    )
    K: WholeNumber = Field(
        PAGE_K, ge=2, le=witnesses.MAX_K, description="Number of candidate completions."
    )
    l2: FiniteFloat = Field(
        witnesses.PAGE_L2,
        ge=0.0,
        description=(
            "L2 regularisation of the rewards. With l2 = 0 a fit exists only when every split "
            "of the candidates has a winner on each side (Ford's condition); otherwise 400."
        ),
    )
    method: Annotated[Literal["newton", "page"], choice_aliases({"gradient": "page"})] = Field(
        "newton",
        description=(
            "newton solves the fit to convergence; page runs the page's loop (800 steps, lr "
            "0.3) and reproduces its printed numbers."
        ),
    )


class RewardFitParams(_FitParams):
    """Parameters of reward-fit."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(_canonical_reward_fit)


class KlPolicyParams(_FitParams):
    """Parameters of kl-policy."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(_canonical_kl_policy)

    rewards: Vector | None = Field(
        None,
        description=(
            "Rewards to use instead of a fit (then leave out pairs, l2 and method; K defaults "
            "to their length)."
        ),
    )
    pi_ref: Vector | None = Field(None, description=_PI_REF_DESCRIPTION)
    beta: FiniteFloat = Field(
        PAGE_BETA, ge=BETA_FLOOR, description="KL strength β > 0: larger keeps π* near π_ref."
    )
    shift: FiniteFloat = Field(
        PAGE_SHIFT, description="A constant added to every reward; π* must not change."
    )
    proxy_gap: bool = Field(
        False,
        description=(
            "Toggle: optimise a proxy that overrates one candidate by proxy_gap_size, and "
            "report the true utility (the learned rewards) it then earns."
        ),
    )
    proxy_gap_size: FiniteFloat = Field(
        DEFAULT_PROXY_GAP,
        description=(
            "How much the proxy overrates the exploited candidate (used when proxy_gap is on)."
        ),
    )
    exploited_index: _INDEX | None = Field(None, description=_EXPLOITED_DESCRIPTION)


class RewardHackingParams(DemoParams):
    """Parameters of reward-hacking."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(_canonical_reward_hacking)

    true_utility: Vector = Field(
        PAGE_LEARNED_REWARDS,
        description=(
            "The real target u, one value per candidate. Default: the page's learned rewards."
        ),
    )
    proxy_rewards: Vector | None = Field(
        None,
        description=(
            "The proxy r the policy optimises. Default: u with proxy_gap added to exploited_index."
        ),
    )
    proxy_gap: FiniteFloat = Field(DEFAULT_PROXY_GAP, description=_HACK_GAP_DESCRIPTION)
    exploited_index: _INDEX | None = Field(None, description=_EXPLOITED_DESCRIPTION)
    pi_ref: Vector | None = Field(None, description=_PI_REF_DESCRIPTION)
    beta_min: FiniteFloat = Field(
        DEFAULT_BETA_MIN, ge=BETA_FLOOR, description="Smallest β of the sweep."
    )
    beta_max: FiniteFloat = Field(
        DEFAULT_BETA_MAX, ge=BETA_FLOOR, description="Largest β of the sweep."
    )
    points: WholeNumber = Field(
        DEFAULT_SWEEP_POINTS,
        ge=2,
        le=witnesses.MAX_SWEEP_POINTS,
        description="Number of geometrically spaced β values.",
    )


_OBSERVATIONS: TypeAlias = Annotated[
    list[FiniteFloat], vector_length(witnesses.likelihood.MAX_OBSERVATIONS)
]
_CATEGORIES: TypeAlias = Annotated[
    list[FiniteFloat], vector_length(witnesses.divergence.MAX_CATEGORIES)
]


class MleFitParams(DemoParams):
    """Parameters of mle-fit."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(foundations.canonical_mle_fit)

    x: _OBSERVATIONS = Field(
        foundations.MLE_X, description="One feature value per observation (|x| <= 1e6)."
    )
    y: _OBSERVATIONS = Field(
        foundations.MLE_Y,
        description=(
            "One 0/1 label per observation. Both labels must occur, and the classes must "
            "overlap in x (else the likelihood has no finite maximum: 400)."
        ),
    )


class KlAsymmetryParams(DemoParams):
    """Parameters of kl-asymmetry."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(foundations.canonical_kl_asymmetry)

    p: _CATEGORIES = Field(
        foundations.KL_P,
        description="A distribution over K categories: non-negative, summing to 1.",
    )
    q: _CATEGORIES = Field(
        foundations.KL_Q, description="A second distribution over the same K categories."
    )


_PG_ARMS: TypeAlias = Annotated[
    list[FiniteFloat], vector_length(witnesses.policy_gradient.MAX_ARMS)
]
_PPO_ARMS: TypeAlias = Annotated[list[FiniteFloat], vector_length(witnesses.ppo.MAX_ARMS)]


class ReinforceBanditParams(DemoParams):
    """Parameters of reinforce-bandit."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(foundations.canonical_reinforce_bandit)

    mean_rewards: _PG_ARMS = Field(
        foundations.BANDIT_REWARDS, description="Mean reward of each arm (|μ| <= 1e6)."
    )
    logits: _PG_ARMS | None = Field(
        None, description="Initial softmax logits θ, one per arm (|θ| <= 30). Default: zeros."
    )
    noise: FiniteFloat = Field(
        foundations.PG_NOISE,
        ge=0.0,
        le=foundations.MAX_NOISE,
        description="Standard deviation of the reward noise.",
    )
    samples: WholeNumber = Field(
        foundations.PG_SAMPLES,
        ge=2,
        le=witnesses.policy_gradient.MAX_SAMPLES,
        description="Seeded pulls for the sampled gradient estimates.",
    )
    steps: WholeNumber = Field(
        foundations.PG_STEPS,
        ge=1,
        le=witnesses.policy_gradient.MAX_STEPS,
        description="Training steps (one pull per run each).",
    )
    runs: WholeNumber = Field(
        foundations.PG_RUNS,
        ge=1,
        le=witnesses.policy_gradient.MAX_RUNS,
        description="Independent training runs averaged in the curves.",
    )
    learning_rate: FiniteFloat = Field(
        foundations.PG_LEARNING_RATE,
        gt=0.0,
        le=foundations.MAX_LEARNING_RATE,
        description="Step size of each REINFORCE update.",
    )
    seed: WholeNumber = Field(
        0,
        ge=0,
        le=witnesses.policy_gradient.MAX_SEED,
        description="Seed of the random pulls and rewards.",
    )


class PpoClipParams(DemoParams):
    """Parameters of ppo-clip."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(foundations.canonical_ppo_clip)

    mean_rewards: _PPO_ARMS = Field(
        foundations.PPO_REWARDS,
        description="Mean reward of each arm (|μ| <= 1e6); advantages are exact under π_old.",
    )
    old_logits: _PPO_ARMS | None = Field(
        None,
        description="Logits of the old policy π_old (|θ| <= 30). Default: zeros (uniform).",
    )
    epsilon: FiniteFloat = Field(
        foundations.PPO_EPSILON,
        gt=0.0,
        le=witnesses.ppo.MAX_EPSILON,
        description="Clip range ε: ratios are clipped to [1 − ε, 1 + ε].",
    )
    learning_rate: FiniteFloat = Field(
        foundations.PPO_LEARNING_RATE,
        gt=0.0,
        le=foundations.MAX_LEARNING_RATE,
        description="Step size of the gradient ascent on each surrogate.",
    )
    epochs: WholeNumber = Field(
        foundations.PPO_EPOCHS,
        ge=1,
        le=witnesses.ppo.MAX_EPOCHS,
        description="Gradient-ascent steps on each surrogate.",
    )


class BradleyTerryParams(DemoParams):
    """Parameters of bradley-terry."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(
        kinds_pages_preferences.canonical_bradley_terry
    )

    wins: Annotated[
        list[list[int]],
        win_counts(kinds_pages_preferences.win_counts_clean),
        WIN_COUNTS_SCHEMA,
    ] = Field(
        kinds_pages_preferences.DEFAULT_WINS,
        description=(
            "Win counts: wins[i][j] is how often item i beat item j (diagonal 0). A fit exists "
            "only when every split of the items has a win across it both ways (Ford's "
            "condition)."
        ),
    )
    method: Annotated[witnesses.BtMethod, choice_aliases()] = Field(
        "mm",
        description=(
            "mm multiplies each strength by observed/expected wins until they agree; newton "
            "uses the exact Hessian. The result also reports the other method as a cross-check."
        ),
    )


class DpoParams(DemoParams):
    """Parameters of dpo."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(kinds_pages_preferences.canonical_dpo)

    pairs: Pairs = same_field(_FitParams, "pairs")
    K: WholeNumber = same_field(_FitParams, "K")
    pi_ref: Vector | None = Field(None, description=_PI_REF_DESCRIPTION)
    beta: FiniteFloat = Field(
        PAGE_BETA,
        ge=BETA_FLOOR,
        le=witnesses.DPO_MAX_BETA,
        description=(
            "KL strength β > 0 of the RLHF policy DPO's optimum is compared with; beyond 100 "
            "the policy stays within rounding of π_ref."
        ),
    )
    l2: FiniteFloat = Field(
        witnesses.PAGE_L2,
        ge=0.0,
        description=(
            "L2 penalty on the centred implicit reward, as the RLHF page's reward model uses "
            "(0.05). l2 = 0 is plain DPO, which has an optimum only under Ford's condition."
        ),
    )


class OveroptimizationParams(DemoParams):
    """Parameters of overoptimization."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(
        kinds_pages_preferences.canonical_overoptimization
    )

    gold_reward: Vector = Field(
        PAGE_LEARNED_REWARDS,
        description=(
            "The gold reward g (the real target), one value per candidate. Default: the RLHF "
            "page's learned rewards."
        ),
    )
    proxy_reward: Vector | None = Field(
        None,
        description=(
            "The proxy r the optimiser sees. Default: g with proxy_gap added to exploited_index."
        ),
    )
    proxy_gap: FiniteFloat = Field(DEFAULT_PROXY_GAP, description=_HACK_GAP_DESCRIPTION)
    exploited_index: _INDEX | None = Field(None, description=_EXPLOITED_DESCRIPTION)
    pi_ref: Vector | None = Field(None, description=_PI_REF_DESCRIPTION)
    optimizer: Annotated[witnesses.Optimizer, choice_aliases()] = Field(
        "kl-regularized",
        description=(
            "kl-regularized: π ∝ π_ref·exp(r/β) as β falls from beta_max to beta_min; "
            "best-of-n: the proxy's favourite of n draws from π_ref, for n from 1 to n_max."
        ),
    )
    beta_min: FiniteFloat = same_field(RewardHackingParams, "beta_min")
    beta_max: FiniteFloat = same_field(RewardHackingParams, "beta_max")
    n_max: WholeNumber = Field(
        kinds_pages_preferences.DEFAULT_N_MAX,
        ge=2,
        le=witnesses.MAX_N,
        description="Largest n of the best-of-n sweep.",
    )
    points: WholeNumber = Field(
        kinds_pages_preferences.DEFAULT_OVEROPTIMIZATION_POINTS,
        ge=2,
        le=witnesses.MAX_SWEEP_POINTS,
        description="Number of pressure settings (β values, or distinct n), spaced geometrically.",
    )


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
        caps=_BRADLEY_TERRY_CAPS,
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
        caps=_DPO_CAPS,
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
        caps=_OVEROPTIMIZATION_CAPS,
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
            compute=_compute_reward_fit,
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
            compute=_compute_kl_policy,
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
            compute=_compute_reward_hacking,
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
