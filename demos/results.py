"""The result of each demo kind, as one pydantic model per kind.

The models describe what the computations in the ``kinds_pages_*`` modules return (a JSON
object, stored on the run), and give the API its response schemas. They refuse fields they
do not name, so a result that gains a field without its model fails the tests that validate
every kind's real result.

A value that can be infinite or undefined in the mathematics (a KL with a zero in the
denominator, a standard error at a boundary) is reported as null, so those fields are
optional numbers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


Floats = list[float]
Matrix = list[list[float]]


# reward-fit, kl-policy, reward-hacking -----------------------------------------------------


class FitDiagnostics(Result):
    method: str
    iterations: int
    grad_norm: float
    objective: float
    converged: bool
    solver: str
    l2: float


class PairProbabilities(Result):
    """σ(Δ) of each row (the first 1,000) and how well the fit explains the battles."""

    values: Floats
    total: int
    truncated: bool
    mean: float
    min: float
    agreement: float
    mean_log_likelihood: float
    rows: int | None = None


class RewardFitResult(Result):
    rewards: Floats
    fit: FitDiagnostics
    pair_probabilities: PairProbabilities


class SweepRow(Result):
    beta: float
    expected_proxy_reward: float
    expected_true_utility: float
    kl: float
    lowering_beta_costs_true_utility: bool | None


class SweepReference(Result):
    expected_proxy_reward: float
    expected_true_utility: float


class HackingSweep(Result):
    betas: Floats
    rows: list[SweepRow]
    beta_at_max_true_utility: float
    max_expected_true_utility: float
    hacking_onset_beta: float | None
    reference: SweepReference
    proxy_argmax: int
    true_argmax: int
    note: str


class ProxyReport(Result):
    proxy_gap_size: float
    exploited_index: int
    proxy_rewards: Floats
    true_utility: Floats
    pi_star_without_gap: Floats
    expected_true_utility: float
    expected_true_utility_without_gap: float
    expected_true_utility_reference: float
    expected_proxy_reward: float


class KlPolicyResult(Result):
    fit: FitDiagnostics | None
    pair_probabilities: PairProbabilities | None
    learned_rewards: Floats
    proxy: ProxyReport | None
    sweep: HackingSweep | None
    beta: float
    shift: float
    rewards: Floats
    pi_ref: Floats
    pi_star: Floats
    pi_shifted: Floats
    shift_max_abs_diff: float
    shift_invariant: bool
    shift_tolerance: float
    kl: float
    expected_reward: float
    objective: float
    log_partition: float
    optimal_value: float
    optimality_gap: float
    dpo_implied_rewards: Floats
    dpo_residual: float
    note: str


class RewardHackingResult(HackingSweep):
    true_utility: Floats
    proxy_rewards: Floats
    proxy_gap: float | None
    exploited_index: int | None
    pi_ref: Floats


# mle-fit -----------------------------------------------------------------------------------


class BernoulliCurve(Result):
    p: Floats
    log_likelihood: Floats


class BernoulliFit(Result):
    k: int
    n: int
    p_hat: float
    log_likelihood: float
    observed_information: float | None
    standard_error: float | None
    boundary: bool
    curve: BernoulliCurve
    grid_argmax: float


class InterceptOnlyFit(Result):
    intercept: float
    probability: float
    probability_minus_p_hat: float
    standard_error: float | None
    delta_method_standard_error: float | None
    iterations: int
    converged: bool
    log_likelihood: float


class LogisticCurve(Result):
    x: Floats
    probability: Floats


class LogisticFit(Result):
    intercept: float
    slope: float
    standard_errors: Floats
    wald_z_slope: float
    iterations: int
    converged: bool
    score: Floats
    score_max_abs: float
    score_relative: float
    log_likelihood: float
    log_likelihood_trace: Floats
    observed_information: Matrix
    information_min_eigenvalue: float
    covariance: Matrix
    curve: LogisticCurve


class MleFitResult(Result):
    n: int
    k: int
    bernoulli: BernoulliFit
    intercept_only: InterceptOnlyFit
    logistic: LogisticFit
    likelihood_ratio: float


# kl-asymmetry ------------------------------------------------------------------------------


class BumpGrid(Result):
    centres: int
    widths: int


class BumpFit(Result):
    mu: float
    sigma: float
    q: Floats
    kl_p_q: float
    kl_q_p: float
    mass_near_p_modes: Floats


class DirectionFits(Result):
    family: str
    grid: BumpGrid
    forward: BumpFit
    reverse: BumpFit


class KlAsymmetryResult(Result):
    p: Floats
    q: Floats
    kl_p_q: float | None
    kl_q_p: float | None
    kl_p_q_infinite: bool
    kl_q_p_infinite: bool
    asymmetry: float | None
    terms_p_q: list[float | None]
    negative_terms: int
    kl_p_p: float
    kl_q_q: float
    equal: bool
    gibbs_holds: bool
    entropy_p: float
    cross_entropy_p_q: float | None
    decomposition_residual: float | None
    total_variation: float
    pinsker_bound: float
    pinsker_holds: bool
    fits: DirectionFits | None


# reinforce-bandit --------------------------------------------------------------------------


class GradientEstimate(Result):
    baseline: float
    exact_mean: Floats
    exact_mean_error: float
    exact_variance: float
    sampled_mean: Floats
    standard_error: Floats
    sampled_variance: float
    max_deviation_in_se: float
    agrees: bool


class GradientEstimates(Result):
    none: GradientEstimate
    value: GradientEstimate
    optimal: GradientEstimate


class TrainingCurve(Result):
    baseline: str
    steps: int
    runs: int
    curve_steps: list[int]
    mean_expected_reward: Floats
    spread_expected_reward: Floats
    final_mean_expected_reward: float
    final_spread_expected_reward: float
    average_over_training: float
    best_arm: int
    runs_on_best_arm: int


class TrainingRuns(Result):
    none: TrainingCurve
    running_mean: TrainingCurve


class ReinforceBanditResult(Result):
    arms: int
    policy: Floats
    expected_reward: float
    exact_gradient: Floats
    score_mean: Floats
    score_mean_max_abs: float
    samples: int
    seed: int
    estimates: GradientEstimates
    variance_ratio_none_to_optimal: float | None
    training: TrainingRuns


# ppo-clip ----------------------------------------------------------------------------------


class SurrogateTermCurve(Result):
    ratio: Floats
    positive_advantage: Floats
    negative_advantage: Floats
    flat_above_for_positive: bool
    flat_below_for_negative: bool
    unclipped_inside: bool


class AscentEpoch(Result):
    epoch: int
    objective_clip: float
    objective_cpi: float
    expected_reward: float
    kl_old_new: float
    max_ratio_deviation: float
    active_terms: int


class AscentRun(Result):
    objective: str
    history: list[AscentEpoch]
    final_policy: Floats
    final_ratio: Floats
    final_expected_reward: float
    final_kl_old_new: float
    final_max_ratio_deviation: float
    stalled_at_epoch: int | None
    max_clip_minus_cpi: float
    bound_holds: bool


class AscentRuns(Result):
    clipped: AscentRun
    unclipped: AscentRun


class PpoClipResult(Result):
    arms: int
    epsilon: float
    old_policy: Floats
    advantages: Floats
    old_expected_reward: float
    policy_gradient: Floats
    gradient_at_old_policy: Floats
    gradient_at_old_matches: float
    term_curve: SurrogateTermCurve
    runs: AscentRuns
    bound_holds: bool


# bradley-terry -----------------------------------------------------------------------------


class CrossCheck(Result):
    method: str
    iterations: int
    converged: bool
    residual: float
    max_abs_score_diff: float


class BradleyTerryResult(Result):
    wins: list[list[int]]
    method: str
    items: int
    comparisons: int
    scores: Floats
    strengths: Floats
    score_sum: float
    strength_sum: float
    ranking: list[int]
    observed_wins: Floats
    expected_wins: Floats
    residual: float
    iterations: int
    converged: bool
    log_likelihood: float
    win_probabilities: Matrix
    observed_win_share: Matrix
    cross_check: CrossCheck
    note: str


# dpo ---------------------------------------------------------------------------------------


class RewardModelFit(Result):
    rewards: Floats
    iterations: int
    converged: bool
    loss: float


class DpoFit(Result):
    iterations: int
    grad_norm: float
    converged: bool
    loss: float


class DpoLosses(Result):
    at_dpo_policy: float
    at_rlhf_policy: float
    at_reference: float


class DpoResult(Result):
    pairs: list[list[int]]
    beta: float
    l2: float
    pi_ref: Floats
    reward_model: RewardModelFit
    rlhf_policy: Floats
    dpo_policy: Floats
    dpo_fit: DpoFit
    policy_max_abs_diff: float
    implicit_rewards: Floats
    implicit_minus_rewards: Floats
    offset_spread: float
    minus_beta_log_partition: float
    dpo_loss: DpoLosses
    kl_from_reference: float
    pair_probabilities: Floats
    pairs_total: int
    note: str


# overoptimization --------------------------------------------------------------------------


class PressurePoint(Result):
    """One setting of the optimisation pressure: a β (kl-regularized) or an n (best-of-n)."""

    beta: float | None = None
    n: int | None = None
    kl_bound: float | None = None
    kl: float
    sqrt_kl: float
    expected_proxy: float
    expected_gold: float


class GoldPeak(PressurePoint):
    index: int


class PressureReference(Result):
    expected_proxy: float
    expected_gold: float


class OveroptimizationResult(Result):
    gold_reward: Floats
    proxy_reward: Floats
    pi_ref: Floats
    optimizer: str
    rows: list[PressurePoint]
    reference: PressureReference
    gold_peak: GoldPeak
    at_max_pressure: PressurePoint
    gold_drop_after_peak: float
    overoptimized: bool
    proxy_never_falls: bool
    kl_never_falls: bool
    proxy_argmax: int
    gold_argmax: int
    note: str
