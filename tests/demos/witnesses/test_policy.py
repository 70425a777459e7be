"""The KL-regularised policy π* ∝ π_ref·exp(r/β) and the identities it satisfies."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from demos.witnesses import (
    WitnessInputError,
    dpo_implied_rewards,
    expected_reward,
    kl_divergence,
    kl_objective,
    kl_policy_checks,
    kl_policy_report,
    kl_regularized_policy,
    log_kl_regularized_policy,
    log_partition,
    optimality_gap,
    shift_invariance,
)

# The page's inputs and its printed outputs, at full precision.
PAGE_REWARDS = np.array([2.6742786489260526, -2.6742786489260526, 0.0, 0.0])
PAGE_PI_REF = np.array([0.35, 0.30, 0.20, 0.15])
PAGE_BETA = 0.7
PAGE_PI_STAR = np.array(
    [0.9781568914175066, 0.0004028154582955684, 0.012251596070970264, 0.009188697053227697]
)
PAGE_KL = 0.9427486380891882


def page_policy(reward: np.ndarray, pi_ref: np.ndarray, beta: float) -> np.ndarray:
    """The page's kl_regularized_policy, for one prompt."""
    logits = np.log(pi_ref) + reward / beta
    logits = logits - logits.max()
    e = np.exp(logits)
    return e / e.sum()


def random_problem(b: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rewards = rng.normal(scale=2.0, size=(b, k))
    pi_ref = rng.dirichlet(np.ones(k), size=b)
    pi_ref /= pi_ref.sum(axis=1, keepdims=True)
    return rewards, pi_ref


def test_policy_reproduces_the_pages_printout():
    """π* and KL(π*‖π_ref) for the page's rewards match the page's numbers exactly."""
    pi_star = kl_regularized_policy(PAGE_REWARDS, PAGE_PI_REF, PAGE_BETA)
    assert np.array_equal(pi_star, PAGE_PI_STAR)
    assert np.round(pi_star, 3).tolist() == [0.978, 0.0, 0.012, 0.009]
    kl = kl_divergence(pi_star, PAGE_PI_REF)
    assert kl == pytest.approx(PAGE_KL, rel=1e-15)
    assert round(kl, 4) == 0.9427


def test_report_holds_every_quantity_the_page_shows():
    """The report for the page's demo state has π_ref, π*, π*(r + 10) and the checks."""
    report = kl_policy_report(PAGE_REWARDS, PAGE_PI_REF, PAGE_BETA, 10.0)
    assert report["pi_ref"] == PAGE_PI_REF.tolist()
    assert report["pi_star"] == PAGE_PI_STAR.tolist()
    assert report["kl"] == PAGE_KL
    assert report["shift_invariant"] is True
    assert report["shift_max_abs_diff"] <= 1e-16
    assert report["dpo_residual"] <= 1e-15
    assert abs(report["optimality_gap"]) <= 1e-15
    assert report["objective"] == pytest.approx(
        report["expected_reward"] - PAGE_BETA * report["kl"], rel=1e-15
    )
    assert report["optimal_value"] == pytest.approx(PAGE_BETA * report["log_partition"])
    assert "Only reward differences matter" in report["note"]


def test_report_is_json_ready():
    """Every value in the report is a plain JSON type; no NaN or Infinity."""
    report = kl_policy_report([1.0, 0.0, -2.0], [0.2, 0.3, 0.5], 0.5, shift=-3.0)
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert {
        "pi_ref",
        "pi_star",
        "pi_shifted",
        "shift_max_abs_diff",
        "shift_invariant",
        "kl",
        "objective",
        "expected_reward",
        "log_partition",
        "dpo_residual",
    } <= set(report)


def test_batched_policy_matches_the_page_policy_row_by_row():
    """A (B, K) batch gives, row for row, the page's one-prompt policy."""
    rewards, pi_ref = random_problem(50, 7, seed=1)
    batched = kl_regularized_policy(rewards, pi_ref, 0.4)
    rows = np.array([page_policy(r, p, 0.4) for r, p in zip(rewards, pi_ref, strict=True)])
    np.testing.assert_allclose(batched, rows, rtol=1e-14, atol=1e-300)


def test_shared_reference_broadcasts_over_prompts():
    """A (K,) π_ref serves every prompt of a (B, K) reward batch."""
    rewards, _ = random_problem(5, 4, seed=2)
    shared = kl_regularized_policy(rewards, PAGE_PI_REF, 1.3)
    tiled = kl_regularized_policy(rewards, np.tile(PAGE_PI_REF, (5, 1)), 1.3)
    assert np.array_equal(shared, tiled)


def test_policy_never_overflows_for_large_rewards():
    """Rewards of ±700/β stay finite thanks to the max-subtracted log-sum-exp."""
    pi_star = kl_regularized_policy([700.0, -700.0, 699.0], [0.2, 0.3, 0.5], 0.01)
    assert np.isfinite(pi_star).all()
    assert pi_star[0] > 0.99
    log_pi = log_kl_regularized_policy([700.0, -700.0, 699.0], [0.2, 0.3, 0.5], 0.01)
    assert np.isfinite(log_pi).all() and log_pi[1] < -1e5


def test_large_beta_returns_the_reference_and_small_beta_the_argmax():
    """β → ∞ keeps π_ref; β → 0 puts all mass on the highest reward."""
    r = np.array([0.1, 0.9, 0.4])
    ref = np.array([0.5, 0.25, 0.25])
    np.testing.assert_allclose(kl_regularized_policy(r, ref, 1e9), ref, atol=1e-9)
    assert kl_regularized_policy(r, ref, 1e-3)[1] == pytest.approx(1.0)


def test_optimum_beats_every_perturbed_policy():
    """J(π*) >= J(π) for random π, and the shortfall equals β·KL(π‖π*)."""
    rng = np.random.default_rng(3)
    r = rng.normal(size=6)
    ref = rng.dirichlet(np.ones(6))
    ref /= ref.sum()
    beta = 0.8
    pi_star = kl_regularized_policy(r, ref, beta)
    best = kl_objective(pi_star, r, ref, beta)
    others = rng.dirichlet(np.ones(6), size=200)
    others /= others.sum(axis=1, keepdims=True)
    values = kl_objective(others, r, ref, beta)
    assert (values < best).all()
    gaps = optimality_gap(others, r, ref, beta)
    np.testing.assert_allclose(gaps, beta * kl_divergence(others, pi_star), rtol=1e-9)
    assert abs(optimality_gap(pi_star, r, ref, beta)) <= 1e-15


def test_objective_is_expected_reward_minus_beta_kl():
    """J(π) = E_π[r] − β·KL(π‖π_ref)."""
    pi = np.array([0.1, 0.6, 0.3])
    r = np.array([1.0, 2.0, -1.0])
    ref = np.array([0.3, 0.3, 0.4])
    expected = expected_reward(pi, r) - 0.5 * kl_divergence(pi, ref)
    assert kl_objective(pi, r, ref, 0.5) == pytest.approx(expected, rel=1e-15)


def test_kl_divergence_handles_zero_probabilities():
    """0·log 0 counts as 0; KL(π_ref‖π_ref) = 0; KL is non-negative."""
    ref = np.array([0.25, 0.25, 0.5])
    assert kl_divergence(ref, ref) == 0.0
    assert kl_divergence([0.0, 0.0, 1.0], ref) == pytest.approx(np.log(2.0))
    assert kl_divergence([0.5, 0.5, 0.0], ref) > 0.0


def test_dpo_bridge_recovers_the_rewards():
    """β·log(π*/π_ref) + β·log Z returns the rewards π* was built from."""
    rewards, pi_ref = random_problem(20, 5, seed=4)
    pi_star = kl_regularized_policy(rewards, pi_ref, 0.3)
    log_z = log_partition(rewards, pi_ref, 0.3)
    recovered = dpo_implied_rewards(pi_star, pi_ref, 0.3, log_z)
    np.testing.assert_allclose(recovered, rewards, atol=1e-12)


def test_shift_invariance_returns_both_policies_and_their_distance():
    """π*(r) and π*(r + shift) are returned with max |difference| ≈ 0."""
    pi_star, pi_shifted, diff = shift_invariance(PAGE_REWARDS, PAGE_PI_REF, PAGE_BETA, 10.0)
    assert np.array_equal(pi_star, PAGE_PI_STAR)
    assert diff == float(np.abs(pi_star - pi_shifted).max()) <= 1e-16


def test_checks_report_worst_cases_over_a_batch():
    """kl_policy_checks gives the worst shift, DPO and optimality residuals of a batch."""
    rewards, pi_ref = random_problem(300, 16, seed=5)
    checks = kl_policy_checks(rewards, pi_ref, 0.5, shift=7.0)
    assert checks["prompts"] == 300 and checks["candidates"] == 16
    for key in ("shift_max_abs_diff", "dpo_residual", "optimality_gap", "normalisation_error"):
        assert 0.0 <= checks[key] <= 1e-12, key


finite_rewards = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(2, 8)),
    elements=st.floats(min_value=-20, max_value=20),
)
betas = st.floats(min_value=0.1, max_value=10.0)


@settings(max_examples=80, deadline=None)
@given(rewards=finite_rewards, beta=betas, shift=st.floats(min_value=-100, max_value=100))
def test_policy_is_invariant_to_a_common_reward_shift(rewards, beta, shift):
    """π*(r + c) = π*(r) to 1e-12: only reward differences matter."""
    ref = np.full(rewards.shape[-1], 1.0 / rewards.shape[-1])
    _, _, diff = shift_invariance(rewards, ref, beta, shift)
    assert diff <= 1e-12


@settings(max_examples=80, deadline=None)
@given(rewards=finite_rewards, beta=betas)
def test_policy_is_a_normalised_distribution(rewards, beta):
    """Every row of π* is non-negative and sums to 1 within rounding."""
    ref = np.full(rewards.shape[-1], 1.0 / rewards.shape[-1])
    pi_star = kl_regularized_policy(rewards, ref, beta)
    assert (pi_star >= 0.0).all()
    assert np.abs(pi_star.sum(axis=-1) - 1.0).max() <= 1e-14


@settings(max_examples=80, deadline=None)
@given(rewards=finite_rewards, beta=betas)
def test_dpo_identity_holds_for_any_rewards(rewards, beta):
    """β·log(π*/π_ref) + β·log Z − r vanishes to rounding for every reward vector."""
    ref = np.full(rewards.shape[-1], 1.0 / rewards.shape[-1])
    checks = kl_policy_checks(rewards, ref, beta)
    assert checks["dpo_residual"] <= 1e-12
    assert checks["optimality_gap"] <= 1e-12


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (([1.0, 2.0], [0.5, 0.5], 0.0), "beta"),
        (([1.0, 2.0], [0.5, 0.5], -1.0), "beta"),
        (([1.0, 2.0], [0.5, 0.5], float("nan")), "beta"),
        (([1.0, 2.0], [0.5, 0.5], float("inf")), "beta"),
        (([1.0, 2.0], [0.5, 0.5], True), "beta"),
        (([1.0, float("nan")], [0.5, 0.5], 1.0), "rewards"),
        (([1.0, float("-inf")], [0.5, 0.5], 1.0), "rewards"),
        (([1.0], [1.0], 1.0), "rewards"),
        ((["a", "b"], [0.5, 0.5], 1.0), "rewards"),
        (([1.0, 2.0], [0.5, 0.5 + 1e-8], 1.0), "pi_ref"),
        (([1.0, 2.0], [1.0, 0.0], 1.0), "pi_ref"),
        (([1.0, 2.0], [1.5, -0.5], 1.0), "pi_ref"),
        (([1.0, 2.0], [0.2, 0.3, 0.5], 1.0), "pi_ref"),
        (([1.0, 2.0], [0.5, float("nan")], 1.0), "pi_ref"),
        (([1e300, 0.0], [0.5, 0.5], 1e-10), "beta"),
    ],
)
def test_policy_rejects_invalid_input_naming_the_field(args, field):
    """Non-finite values, β <= 0, and a π_ref that is not a positive distribution fail."""
    with pytest.raises(WitnessInputError) as caught:
        kl_regularized_policy(*args)
    assert caught.value.field == field


def test_reference_summing_to_one_within_tolerance_is_accepted():
    """π_ref may miss 1 by less than 1e-9."""
    pi_star = kl_regularized_policy([0.0, 1.0], [0.5, 0.5 + 5e-10], 1.0)
    assert pi_star.shape == (2,)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: kl_divergence([0.5, 0.6], [0.5, 0.5]), "pi"),
        (lambda: kl_divergence([0.5, 0.5], [0.0, 1.0]), "pi_ref"),
        (lambda: kl_policy_report([1.0, 2.0], [0.5, 0.5], 1.0, float("inf")), "shift"),
        (lambda: kl_policy_report([[1.0, 2.0]], [0.5, 0.5], 1.0), "rewards"),
        (lambda: expected_reward([0.5, 0.5], [1.0, 2.0, 3.0]), "pi"),
        (lambda: dpo_implied_rewards([0.5, 0.5], [0.5, 0.5], 1.0, [0.0, 1.0]), "log_z"),
    ],
)
def test_other_policy_functions_validate_their_inputs(call, field):
    """Each public policy function names the offending field."""
    with pytest.raises(WitnessInputError) as caught:
        call()
    assert caught.value.field == field
