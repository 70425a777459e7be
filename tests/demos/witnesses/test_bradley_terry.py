"""The Bradley–Terry model from win counts: MM and Newton reach the maximum-likelihood fit."""

import itertools
import json
import math

import choix
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demos.witnesses import (
    MAX_ITEMS,
    MM_MAX_ITER,
    NoMaximumLikelihoodError,
    WitnessInputError,
    bradley_terry_report,
    check_identifiable,
    fit_bradley_terry,
)
from demos.witnesses.bradley_terry import expected_wins, log_likelihood

WINS = np.array([[0, 7, 8, 9], [3, 0, 6, 7], [2, 4, 0, 6], [1, 3, 4, 0]])


@pytest.mark.parametrize("method", ["mm", "newton"])
def test_two_items_have_the_closed_form_odds(method):
    """With a wins and b losses, the MLE odds are a/b: s0 − s1 = log(a/b), γ0 = a/(a+b)."""
    fit = fit_bradley_terry([[0, 9], [3, 0]], method=method)
    assert fit.scores[0] - fit.scores[1] == pytest.approx(math.log(3.0), abs=1e-12)
    assert fit.strengths.tolist() == pytest.approx([0.75, 0.25], abs=1e-12)
    assert fit.converged


def test_mm_and_newton_agree_with_each_other_and_with_choix():
    """Both methods land on the scores choix's ILSR finds for the same win matrix."""
    mm = fit_bradley_terry(WINS, method="mm")
    newton = fit_bradley_terry(WINS, method="newton")
    peer = choix.ilsr_pairwise_dense(WINS.astype(float), alpha=0.0, tol=1e-13, max_iter=500)
    np.testing.assert_allclose(mm.scores, newton.scores, atol=1e-10)
    np.testing.assert_allclose(newton.scores, peer - peer.mean(), atol=1e-8)
    assert newton.iterations < 10 < mm.iterations


def test_at_the_fit_expected_wins_equal_observed_wins():
    """The likelihood equations: Σ_j n_ij γ_i/(γ_i + γ_j) = W_i for every item."""
    fit = fit_bradley_terry(WINS)
    np.testing.assert_allclose(expected_wins(fit.scores, WINS), WINS.sum(axis=1), atol=1e-10)
    assert fit.residual <= 1e-10


def test_scores_are_centred_and_strengths_sum_to_one():
    """One representative of the shift class: Σ s = 0, Σ γ = 1, and γ ∝ exp(s)."""
    fit = fit_bradley_terry(WINS)
    assert abs(fit.scores.sum()) < 1e-12
    assert fit.strengths.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(np.log(fit.strengths) - np.log(fit.strengths).mean(), fit.scores)


def test_each_mm_step_raises_the_likelihood():
    """MM minorises the log-likelihood, so no step lowers it (Hunter's monotonicity)."""
    values = [
        log_likelihood(fit_bradley_terry(WINS, max_iter=steps).scores, WINS)
        for steps in range(1, 30)
    ]
    assert all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(values))
    assert values[-1] > values[0]


def test_scaling_every_count_leaves_the_scores_alone():
    """The MLE depends on the proportions of wins, not on how many games were played."""
    once = fit_bradley_terry(WINS, method="newton").scores
    tenfold = fit_bradley_terry(WINS * 10, method="newton").scores
    np.testing.assert_allclose(once, tenfold, atol=1e-10)


def test_strengths_far_apart_stay_finite_and_newton_outpaces_mm():
    """A chain of 40000:1 wins puts scores ~10.6 apart per link: Newton fits it in a few steps;
    MM, in logs, stays finite and rising but is still short of the fit after its 2,000 steps."""
    wins = np.array([[0, 40_000, 0], [1, 0, 40_000], [0, 1, 0]])
    report = bradley_terry_report(wins, method="newton")
    json.dumps(report, allow_nan=False)
    assert report["converged"] and report["iterations"] < 30
    assert report["scores"][0] - report["scores"][2] == pytest.approx(2 * math.log(4e4), rel=1e-3)
    mm = report["cross_check"]
    assert mm["method"] == "mm" and mm["iterations"] == MM_MAX_ITER and not mm["converged"]
    assert math.isfinite(mm["max_abs_score_diff"])


@pytest.mark.parametrize(
    ("wins", "names"),
    [
        ([[0, 2, 1], [0, 0, 1], [0, 1, 0]], "[0] never lose"),
        ([[0, 1, 1], [1, 0, 1], [0, 0, 0]], "[2] never win"),
        ([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], "[2, 3] are never compared"),
        ([[0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 0, 1], [0, 0, 1, 0]], "[0, 1] never lose to anyone"),
        ([[0, 0], [0, 0]], "no wins"),
    ],
)
def test_without_fords_condition_no_fit_exists(wins, names):
    """Each way Ford's condition can fail is refused on wins, naming the items, with no l2."""
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        check_identifiable(wins)
    assert caught.value.field == "wins"
    assert names in caught.value.message and "l2" not in caught.value.message
    with pytest.raises(NoMaximumLikelihoodError):
        fit_bradley_terry(wins)


@pytest.mark.parametrize(
    ("wins", "reason"),
    [
        ([[0, 1, 2], [1, 0, 1]], "square"),
        ([[0, -1], [1, 0]], "non-negative whole"),
        ([[0, 1.5], [1, 0]], "non-negative whole"),
        ([[1, 1], [1, 0]], "cannot beat itself"),
        ([[0]], "between 2 and"),
        (np.ones((MAX_ITEMS + 1, MAX_ITEMS + 1)) - np.eye(MAX_ITEMS + 1), "between 2 and"),
        ([[0, 60_000], [50_000, 0]], "at most 100,000 comparisons"),
        ([[0, float("nan")], [1, 0]], "finite"),
    ],
)
def test_malformed_win_matrices_are_refused(wins, reason):
    """Shape, sign, wholeness, diagonal and size are checked before any fitting."""
    with pytest.raises(WitnessInputError) as caught:
        fit_bradley_terry(wins)
    assert caught.value.field == "wins" and reason in caught.value.message


def test_report_carries_the_fit_and_its_cross_check():
    """The report is JSON-ready: strengths, ranking, wins observed and expected, both methods."""
    report = bradley_terry_report(WINS, method="mm")
    json.dumps(report, allow_nan=False)
    assert report["ranking"] == [0, 1, 2, 3] and report["comparisons"] == 60
    assert report["observed_wins"] == [24, 16, 12, 8]
    assert report["cross_check"]["method"] == "newton"
    assert report["cross_check"]["max_abs_score_diff"] < 1e-9
    probabilities = np.array(report["win_probabilities"])
    np.testing.assert_allclose(probabilities + probabilities.T, 1.0, atol=1e-15)


@st.composite
def round_robins(draw):
    """Every pair of items meets at least twice and each side wins at least once."""
    k = draw(st.integers(2, 6))
    wins = np.zeros((k, k), dtype=int)
    for i in range(k):
        for j in range(i + 1, k):
            games = draw(st.integers(2, 12))
            wins[i, j] = draw(st.integers(1, games - 1))
            wins[j, i] = games - wins[i, j]
    return wins


@settings(max_examples=40, deadline=None)
@given(round_robins())
def test_any_round_robin_where_everyone_wins_and_loses_fits_by_both_methods(wins):
    """Every pair split both ways satisfies Ford's condition: MM and Newton agree."""
    mm = fit_bradley_terry(wins, method="mm")
    newton = fit_bradley_terry(wins, method="newton")
    assert mm.converged and newton.converged
    np.testing.assert_allclose(mm.scores, newton.scores, atol=1e-8)
