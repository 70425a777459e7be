"""REINFORCE on a softmax bandit: the exact gradient, the baseline's zero mean, the variance."""

import numpy as np
import pytest

from demos.witnesses import (
    WitnessInputError,
    bandit_expected_reward,
    bandit_gradient,
    reinforce_expected_estimate,
    reinforce_optimal_baseline,
    reinforce_report,
    reinforce_variance,
)

# The page's demo: four arms, a start that favours the worst one.
MU = [5.0, 5.5, 4.5, 6.0]
THETA = [0.0, 0.0, 1.0, -1.0]
SETTINGS = {"noise": 1.0, "samples": 5000, "steps": 300, "learning_rate": 0.1, "seed": 0}


def report(**changes):
    return reinforce_report(MU, THETA, **{**SETTINGS, "runs": 50, **changes})


def test_exact_gradient_matches_finite_differences():
    """∇J = π ⊙ (μ − J) is the derivative of J(θ) = Σ softmax(θ)·μ."""
    h, theta = 1e-6, np.asarray(THETA)
    numeric = [
        (bandit_expected_reward(theta + h * e, MU) - bandit_expected_reward(theta - h * e, MU))
        / (2 * h)
        for e in np.eye(4)
    ]
    assert bandit_gradient(THETA, MU) == pytest.approx(numeric, abs=1e-9)


@pytest.mark.parametrize("baseline", [0.0, 5.0, -1e3, 123.456])
def test_any_constant_baseline_leaves_the_expected_estimate_unchanged(baseline):
    """E[(r − b)(e_a − π)] summed exactly over the arms is ∇J, whatever the constant b."""
    assert reinforce_expected_estimate(THETA, MU, baseline) == pytest.approx(
        bandit_gradient(THETA, MU), abs=1e-12 * (1 + abs(baseline))
    )


def test_variance_is_a_quadratic_in_the_baseline_minimised_by_the_weighted_mean():
    """V(b) has its minimum at b*; moving b either way from b* raises V by the same amount."""
    best = reinforce_optimal_baseline(THETA, MU)
    at = reinforce_variance(THETA, MU, 1.0, best)
    for step in (0.1, 1.0, 5.0):
        up = reinforce_variance(THETA, MU, 1.0, best + step)
        down = reinforce_variance(THETA, MU, 1.0, best - step)
        assert up > at and up == pytest.approx(down, rel=1e-12)
    grid = np.linspace(best - 3, best + 3, 601)
    assert grid[np.argmin([reinforce_variance(THETA, MU, 1.0, b) for b in grid])] == pytest.approx(
        best, abs=0.01
    )


def test_uniform_policy_makes_the_optimal_baseline_the_expected_reward():
    """With every arm equally likely, the weights ‖e_a − π‖² are equal and b* = J."""
    uniform = [0.0] * 4
    assert reinforce_optimal_baseline(uniform, MU) == pytest.approx(
        bandit_expected_reward(uniform, MU)
    )


def test_exact_variance_matches_a_direct_monte_carlo():
    """V(b) equals the trace of the covariance of (r − b)(e_a − π) over 200,000 explicit pulls."""
    rng = np.random.default_rng(7)
    theta, mu = np.asarray(THETA), np.asarray(MU)
    pi = np.exp(theta - theta.max()) / np.exp(theta - theta.max()).sum()
    actions = rng.choice(4, size=200_000, p=pi)
    rewards = mu[actions] + rng.standard_normal(actions.size)
    for b in (0.0, 5.0):
        g = (rewards - b)[:, None] * (np.eye(4)[actions] - pi)
        assert reinforce_variance(THETA, MU, 1.0, b) == pytest.approx(
            np.trace(np.cov(g.T)), rel=0.02
        )


def test_report_sampled_means_agree_and_the_baseline_cuts_variance():
    """Seeded pulls: each baseline's sample mean is within 6 SE of ∇J; b* cuts V about 24-fold."""
    result = report()
    assert result["score_mean_max_abs"] < 1e-15
    estimates = result["estimates"]
    for estimate in estimates.values():
        assert estimate["agrees"] and estimate["exact_mean_error"] < 1e-12
        assert estimate["sampled_variance"] == pytest.approx(estimate["exact_variance"], rel=0.1)
    assert estimates["optimal"]["exact_variance"] < estimates["value"]["exact_variance"]
    assert estimates["value"]["exact_variance"] < estimates["none"]["exact_variance"]
    assert result["variance_ratio_none_to_optimal"] == pytest.approx(24.3, abs=0.1)


def test_sampled_estimates_use_the_same_pulls_for_every_baseline():
    """Same pulls: a baseline b moves the sample mean by exactly −b times the pulls' mean score,
    so (mean_b − mean_0)/(−b) is the same vector for every b, and small but not zero."""
    estimates = report()["estimates"]
    none = np.asarray(estimates["none"]["sampled_mean"])
    scores = [
        (np.asarray(estimates[name]["sampled_mean"]) - none) / -estimates[name]["baseline"]
        for name in ("value", "optimal")
    ]
    assert scores[0] == pytest.approx(scores[1], abs=1e-12)
    assert 0 < np.abs(scores[0]).max() < 0.05


def test_same_seed_same_numbers_other_seed_other_numbers():
    """The witness is deterministic in its seed."""
    small = {"samples": 200, "steps": 20, "runs": 4}
    first, again, other = report(**small), report(**small), report(**small, seed=1)
    assert first == again
    assert first["estimates"]["none"]["sampled_mean"] != other["estimates"]["none"]["sampled_mean"]


def test_training_with_a_running_mean_baseline_learns_faster_and_steadier():
    """On the page's bandit, 50 runs of 300 pulls: the baseline's runs end nearer the best arm,
    with less spread between runs, and more of them prefer the best arm."""
    training = report()["training"]
    none, running = training["none"], training["running_mean"]
    assert running["final_mean_expected_reward"] > none["final_mean_expected_reward"] + 0.2
    assert running["final_spread_expected_reward"] < none["final_spread_expected_reward"] / 2
    assert running["runs_on_best_arm"] > none["runs_on_best_arm"]
    assert none["mean_expected_reward"][0] == pytest.approx(bandit_expected_reward(THETA, MU))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"samples": 1}, "samples"),
        ({"steps": 0}, "steps"),
        ({"runs": 0}, "runs"),
        ({"steps": 2000, "runs": 51}, "steps"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"noise": -1.0}, "noise"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(changes, field):
    """Each out-of-range setting is a WitnessInputError on that setting."""
    with pytest.raises(WitnessInputError) as caught:
        report(**changes)
    assert caught.value.field == field


def test_mismatched_logits_and_too_many_arms_are_refused():
    """One logit per arm, at most 50 arms."""
    with pytest.raises(WitnessInputError) as caught:
        bandit_gradient([0.0, 0.0], MU)
    assert caught.value.field == "logits"
    with pytest.raises(WitnessInputError) as caught:
        bandit_gradient([0.0] * 51, [1.0] * 51)
    assert caught.value.field == "mean_rewards"
