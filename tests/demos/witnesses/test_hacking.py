"""Reward hacking: a proxy reward against a true utility, swept over β."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from demos.witnesses import (
    MAX_SWEEP_POINTS,
    WitnessInputError,
    beta_grid,
    kl_regularized_policy,
    proxy_rewards,
    reward_hacking_report,
    reward_hacking_sweep,
)

TRUE_UTILITY = np.array([1.0, 0.8, 0.2, 0.0])
UNIFORM = np.full(4, 0.25)


def test_proxy_rewards_overrate_exactly_one_candidate():
    """The proxy equals the true utility except for the gap added to one candidate."""
    proxy = proxy_rewards(TRUE_UTILITY, 1.5, 2)
    assert proxy.tolist() == [1.0, 0.8, 1.7, 0.0]
    assert TRUE_UTILITY.tolist() == [1.0, 0.8, 0.2, 0.0]


def test_beta_grid_is_geometric_from_high_to_low():
    """beta_grid spans beta_max down to beta_min with a constant ratio."""
    grid = beta_grid(0.01, 100.0, 5)
    np.testing.assert_allclose(grid, [100.0, 10.0, 1.0, 0.1, 0.01], rtol=1e-14)


def test_sweep_rows_match_the_policy_at_each_beta():
    """Each row's expectations and KL are those of π*(β) built from the proxy."""
    proxy = proxy_rewards(TRUE_UTILITY, 1.5, 2)
    sweep = reward_hacking_sweep(proxy, TRUE_UTILITY, UNIFORM, betas=[0.3, 2.0])
    for row in sweep["rows"]:
        pi = kl_regularized_policy(proxy, UNIFORM, row["beta"])
        assert row["expected_proxy_reward"] == pytest.approx(pi @ proxy, rel=1e-14)
        assert row["expected_true_utility"] == pytest.approx(pi @ TRUE_UTILITY, rel=1e-14)
        assert row["kl"] == pytest.approx(np.sum(pi * np.log(pi / UNIFORM)), rel=1e-12)


def test_a_proxy_gap_makes_low_beta_cost_true_utility():
    """With the proxy overrating a poor candidate, true utility peaks at an interior β."""
    report = reward_hacking_report(
        TRUE_UTILITY, UNIFORM, proxy_gap=1.5, exploited_index=2, beta_range=(0.05, 5.0, 8)
    )
    betas = report["betas"]
    best = report["beta_at_max_true_utility"]
    assert betas[-1] < best < betas[0]
    assert report["hacking_onset_beta"] == best
    flags = [row["lowering_beta_costs_true_utility"] for row in report["rows"]]
    peak = betas.index(best)
    assert flags[:peak] == [False] * peak
    assert all(flags[peak:-1])
    assert flags[-1] is None
    assert report["proxy_argmax"] == 2 and report["true_argmax"] == 0
    assert report["rows"][-1]["expected_true_utility"] == pytest.approx(0.2, abs=1e-5)


def test_an_honest_proxy_never_makes_lowering_beta_costly():
    """With no gap, lowering β only ever raises true utility."""
    report = reward_hacking_report(
        TRUE_UTILITY, UNIFORM, proxy_gap=0.0, exploited_index=2, beta_range=(0.01, 10.0, 20)
    )
    assert report["hacking_onset_beta"] is None
    assert report["beta_at_max_true_utility"] == report["betas"][-1]
    assert not any(row["lowering_beta_costs_true_utility"] for row in report["rows"])


def test_explicit_betas_are_sorted_high_to_low_without_duplicates():
    """A caller's β list is de-duplicated and ordered from anchored to greedy."""
    sweep = reward_hacking_sweep(TRUE_UTILITY, TRUE_UTILITY, UNIFORM, betas=[0.5, 2.0, 0.5, 1])
    assert sweep["betas"] == [2.0, 1.0, 0.5]
    assert [row["beta"] for row in sweep["rows"]] == [2.0, 1.0, 0.5]


def test_policies_are_included_on_request():
    """include_policies adds each β's π* to its row."""
    sweep = reward_hacking_sweep(
        TRUE_UTILITY, TRUE_UTILITY, UNIFORM, betas=[1.0], include_policies=True
    )
    policy = sweep["rows"][0]["policy"]
    assert policy == kl_regularized_policy(TRUE_UTILITY, UNIFORM, 1.0).tolist()
    plain = reward_hacking_sweep(TRUE_UTILITY, TRUE_UTILITY, UNIFORM, betas=[1.0])
    assert "policy" not in plain["rows"][0]


def test_report_is_json_ready():
    """The report holds only plain JSON values (null where no lower β exists)."""
    report = reward_hacking_report(
        TRUE_UTILITY,
        UNIFORM,
        proxy_gap=2.0,
        exploited_index=3,
        beta_range=(0.1, 1.0, 4),
        include_policies=True,
    )
    assert json.loads(json.dumps(report, allow_nan=False)) == report


utilities = hnp.arrays(np.float64, st.integers(2, 6), elements=st.floats(-5, 5))


@settings(max_examples=60, deadline=None)
@given(u=utilities, gap=st.floats(0, 5), data=st.data())
def test_lowering_beta_raises_proxy_reward_and_kl(u, gap, data):
    """Down the sweep, expected proxy reward and KL never decrease (up to rounding)."""
    index = data.draw(st.integers(0, u.shape[0] - 1))
    report = reward_hacking_report(
        u,
        np.full(u.shape[0], 1.0 / u.shape[0]),
        proxy_gap=gap,
        exploited_index=index,
        beta_range=(0.05, 20.0, 12),
    )
    proxy = np.array([row["expected_proxy_reward"] for row in report["rows"]])
    kl = np.array([row["kl"] for row in report["rows"]])
    assert (np.diff(proxy) >= -1e-12).all()
    assert (np.diff(kl) >= -1e-12).all()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "betas"),
        ({"betas": [1.0], "beta_range": (0.1, 1.0, 3)}, "betas"),
        ({"betas": []}, "betas"),
        ({"betas": [1.0, 0.0]}, "betas"),
        ({"betas": [1.0, float("nan")]}, "betas"),
        ({"betas": np.linspace(0.1, 1.0, MAX_SWEEP_POINTS + 1)}, "betas"),
        ({"beta_range": (0.1, 1.0)}, "beta_range"),
        ({"beta_range": (0.1, 1.0, MAX_SWEEP_POINTS + 1)}, "points"),
        ({"beta_range": (0.1, 1.0, 1)}, "points"),
        ({"beta_range": (0.1, 1.0, 2.5)}, "points"),
        ({"beta_range": (1.0, 1.0, 5)}, "beta_max"),
        ({"beta_range": (-1.0, 1.0, 5)}, "beta_min"),
        ({"beta_range": (0.1, float("inf"), 5)}, "beta_max"),
    ],
)
def test_sweep_rejects_invalid_betas_naming_the_field(kwargs, field):
    """Missing, non-positive, non-finite or too many betas are refused."""
    with pytest.raises(WitnessInputError) as caught:
        reward_hacking_sweep(TRUE_UTILITY, TRUE_UTILITY, UNIFORM, **kwargs)
    assert caught.value.field == field


def test_sweep_accepts_the_maximum_number_of_points():
    """Exactly MAX_SWEEP_POINTS betas is allowed."""
    sweep = reward_hacking_sweep(
        TRUE_UTILITY, TRUE_UTILITY, UNIFORM, beta_range=(0.01, 100.0, MAX_SWEEP_POINTS)
    )
    assert len(sweep["rows"]) == MAX_SWEEP_POINTS


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: proxy_rewards(TRUE_UTILITY, float("nan"), 0), "proxy_gap"),
        (lambda: proxy_rewards(TRUE_UTILITY, 1.0, 4), "exploited_index"),
        (lambda: proxy_rewards([1.0, float("inf")], 1.0, 0), "true_utility"),
        (
            lambda: reward_hacking_sweep(TRUE_UTILITY, [0.0, 1.0], UNIFORM, betas=[1]),
            "true_utility",
        ),
        (lambda: reward_hacking_sweep(TRUE_UTILITY, TRUE_UTILITY, [0.5, 0.5], betas=[1]), "pi_ref"),
    ],
)
def test_hacking_functions_validate_their_inputs(call, field):
    """Bad utilities, gaps, indices and references name the offending field."""
    with pytest.raises(WitnessInputError) as caught:
        call()
    assert caught.value.field == field
