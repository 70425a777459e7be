"""Overoptimisation: the proxy keeps rising with KL while the gold reward peaks and falls."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from demos.witnesses import (
    WitnessInputError,
    best_of_n_kl_bound,
    best_of_n_policy,
    beta_grid,
    kl_divergence,
    kl_regularized_policy,
    n_grid,
    overoptimization_curve,
    proxy_rewards,
)

GOLD = np.array([2.674, -2.674, 0.0, 0.0])
PROXY = proxy_rewards(GOLD, 3.0, 3)
PI_REF = np.array([0.35, 0.30, 0.20, 0.15])


def test_best_of_one_is_the_reference():
    """Keeping the best of a single draw is just drawing from π_ref."""
    np.testing.assert_allclose(best_of_n_policy(PROXY, PI_REF, 1), PI_REF, atol=1e-15)


def test_best_of_n_has_the_order_statistic_closed_form():
    """With distinct scores, the top candidate wins unless all n draws miss it:
    P(top) = 1 − (1 − π_ref(top))^n, and the next one F^n − F_below^n."""
    policy = best_of_n_policy(PROXY, PI_REF, 3)
    assert policy[3] == pytest.approx(1 - 0.85**3, abs=1e-15)
    assert policy[0] == pytest.approx(0.85**3 - 0.5**3, abs=1e-15)
    assert policy[1] == pytest.approx(0.3**3, abs=1e-15)
    assert policy.sum() == pytest.approx(1.0, abs=1e-15)


def test_tied_candidates_share_in_proportion_to_the_reference():
    """A proxy that scores everything alike selects nothing: best-of-n stays π_ref."""
    for n in (2, 10, 1000):
        np.testing.assert_allclose(best_of_n_policy(np.zeros(4), PI_REF, n), PI_REF, atol=1e-12)
    tied = best_of_n_policy(np.array([1.0, 1.0, 0.0, 0.0]), PI_REF, 4)
    assert tied[0] / tied[1] == pytest.approx(0.35 / 0.30)


def test_best_of_n_kl_meets_log_n_minus_one_for_a_near_continuous_score():
    """With many equally likely distinct scores, the exact KL approaches log n − (n − 1)/n."""
    k = 20_000
    policy = best_of_n_policy(np.arange(k, dtype=float), np.full(k, 1 / k), 8)
    assert kl_divergence(policy, np.full(k, 1 / k)) == pytest.approx(
        best_of_n_kl_bound(8), abs=1e-3
    )
    assert best_of_n_kl_bound(1) == 0.0


def test_kl_regularized_rows_are_the_rlhf_policy_at_each_beta():
    """Each row's KL and expectations are those of π ∝ π_ref·exp(r/β)."""
    curve = overoptimization_curve(PROXY, GOLD, PI_REF, betas=[0.3, 2.0])
    assert [row["beta"] for row in curve["rows"]] == [2.0, 0.3]
    for row in curve["rows"]:
        pi = kl_regularized_policy(PROXY, PI_REF, row["beta"])
        assert row["kl"] == pytest.approx(kl_divergence(pi, PI_REF), rel=1e-12)
        assert row["expected_gold"] == pytest.approx(pi @ GOLD, rel=1e-12)
        assert row["sqrt_kl"] == pytest.approx(math.sqrt(row["kl"]))


@pytest.mark.parametrize(
    ("optimizer", "grid", "peak_kl"),
    [
        ("kl-regularized", {"betas": beta_grid(0.05, 20.0, 40)}, 0.5749),
        ("best-of-n", {"ns": n_grid(1000, 40)}, 0.3934),
    ],
)
def test_the_pages_proxy_is_overoptimised(optimizer, grid, peak_kl):
    """Proxy overrating candidate 3 by 3.0: gold peaks at a moderate KL, then falls toward the
    gold value of candidate 3 (0) while the proxy climbs to its value there (3.0)."""
    curve = overoptimization_curve(PROXY, GOLD, PI_REF, optimizer=optimizer, **grid)
    json.dumps(curve, allow_nan=False)
    peak = curve["gold_peak"]
    assert 0 < peak["index"] < len(curve["rows"]) - 1
    assert peak["kl"] == pytest.approx(peak_kl, abs=1e-4)
    assert curve["overoptimized"] and curve["proxy_never_falls"] and curve["kl_never_falls"]
    assert curve["at_max_pressure"]["expected_gold"] == pytest.approx(0.0, abs=0.01)
    assert curve["at_max_pressure"]["expected_proxy"] == pytest.approx(3.0, abs=0.01)
    assert peak["expected_gold"] > curve["reference"]["expected_gold"]


def test_an_honest_proxy_is_never_overoptimised():
    """When the proxy is the gold reward, more pressure only ever helps."""
    for optimizer, grid in (
        ("kl-regularized", {"betas": beta_grid(0.01, 10, 30)}),
        ("best-of-n", {"ns": n_grid(500, 30)}),
    ):
        curve = overoptimization_curve(GOLD, GOLD, PI_REF, optimizer=optimizer, **grid)
        gold = [row["expected_gold"] for row in curve["rows"]]
        assert not curve["overoptimized"]
        assert all(np.diff(gold) >= -1e-12) and gold[-1] == pytest.approx(2.674)


def test_n_grid_is_distinct_integers_from_one():
    """The best-of-n sweep visits 1 .. n_max without repeating an n."""
    grid = n_grid(1000, 40)
    assert grid[0] == 1 and grid[-1] == 1000 and np.all(np.diff(grid) > 0)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: overoptimization_curve(PROXY, GOLD, PI_REF, optimizer="ppo", betas=[1.0]),
            "optimizer",
        ),
        (lambda: overoptimization_curve(PROXY, GOLD[:3], PI_REF, betas=[1.0]), "gold"),
        (lambda: overoptimization_curve(PROXY, GOLD, PI_REF, betas=[0.0]), "betas"),
        (lambda: overoptimization_curve(PROXY, GOLD, PI_REF, optimizer="best-of-n", ns=[0]), "ns"),
        (lambda: best_of_n_policy(PROXY, PI_REF, 0), "n"),
        (lambda: n_grid(10**7, 10), "n_max"),
        (lambda: best_of_n_policy(PROXY, [0.5, 0.5, 0.0, 0.0], 2), "pi_ref"),
    ],
)
def test_bad_inputs_name_their_field(call, field):
    """Each invalid argument raises WitnessInputError naming it."""
    with pytest.raises(WitnessInputError) as caught:
        call()
    assert caught.value.field == field


_K = st.integers(2, 6)


@settings(max_examples=60, deadline=None)
@given(
    _K.flatmap(
        lambda k: st.tuples(
            hnp.arrays(np.float64, k, elements=st.integers(-3, 3).map(float)),
            hnp.arrays(np.float64, k, elements=st.floats(-5, 5)),
            hnp.arrays(np.float64, k, elements=st.floats(0.05, 1.0)),
        )
    )
)
def test_for_any_proxy_more_pressure_never_lowers_the_proxy_or_the_kl(case):
    """For both optimisers E[proxy] and KL never fall as pressure grows, and best-of-n's KL
    never exceeds log n − (n − 1)/n."""
    proxy, gold, weights = case
    pi_ref = weights / weights.sum()
    for optimizer, grid in (
        ("kl-regularized", {"betas": beta_grid(0.05, 20, 25)}),
        ("best-of-n", {"ns": n_grid(200, 25)}),
    ):
        curve = overoptimization_curve(proxy, gold, pi_ref, optimizer=optimizer, **grid)
        assert curve["proxy_never_falls"] and curve["kl_never_falls"]
    for row in curve["rows"]:
        assert row["kl"] <= row["kl_bound"] + 1e-12
