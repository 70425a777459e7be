"""The pydantic parameter model of each demo kind, with its fields' defaults and descriptions.

Each model names its kind's canonicaliser (in the ``kinds_pages_*`` modules); the field types
and the base model are in ``demos.params``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field

from demos import kinds_pages_foundations as foundations
from demos import kinds_pages_preferences, witnesses
from demos.kinds_pages_rlhf import (
    BETA_FLOOR,
    DEFAULT_BETA_MAX,
    DEFAULT_BETA_MIN,
    DEFAULT_PROXY_GAP,
    DEFAULT_SWEEP_POINTS,
    PAGE_BETA,
    PAGE_K,
    PAGE_LEARNED_REWARDS,
    PAGE_PAIRS,
    PAGE_SHIFT,
    canonical_kl_policy,
    canonical_reward_fit,
    canonical_reward_hacking,
)
from demos.params import (
    WIN_COUNTS_SCHEMA,
    Canonicaliser,
    DemoParams,
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

    canonicalise: ClassVar[Canonicaliser] = staticmethod(canonical_reward_fit)


class KlPolicyParams(_FitParams):
    """Parameters of kl-policy."""

    canonicalise: ClassVar[Canonicaliser] = staticmethod(canonical_kl_policy)

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

    canonicalise: ClassVar[Canonicaliser] = staticmethod(canonical_reward_hacking)

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
