"""KL divergence between categorical distributions: Gibbs, Pinsker, asymmetry, the two fits."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import rel_entr

from demos.witnesses import (
    WitnessInputError,
    categorical_kl,
    cross_entropy,
    direction_fits,
    entropy,
    kl_report,
)

# The page's demo: a two-moded p (modes at 2 and 7) and a one-moded q.
P = [0.002, 0.1, 0.3, 0.05, 0.003, 0.005, 0.12, 0.4, 0.02]
Q = [0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.08, 0.05, 0.02]


def distributions(k: int):
    weights = st.lists(st.floats(0.01, 10.0), min_size=k, max_size=k)
    return weights.map(lambda w: (np.asarray(w) / np.sum(w)).tolist())


def test_kl_matches_scipy_in_both_directions():
    """KL(p‖q) = Σ p·log(p/q), as scipy.special.rel_entr sums it, each way round."""
    assert categorical_kl(P, Q) == pytest.approx(rel_entr(P, Q).sum(), rel=1e-14)
    assert categorical_kl(Q, P) == pytest.approx(rel_entr(Q, P).sum(), rel=1e-14)


def test_two_point_closed_form():
    """For Bernoulli(a) against Bernoulli(b): a·log(a/b) + (1 − a)·log((1 − a)/(1 − b))."""
    a, b = 0.3, 0.6
    expected = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert categorical_kl([a, 1 - a], [b, 1 - b]) == pytest.approx(expected, rel=1e-15)


@settings(max_examples=60, deadline=None)
@given(data=st.integers(2, 12).flatmap(lambda k: st.tuples(distributions(k), distributions(k))))
def test_gibbs_and_pinsker_hold_for_any_pair(data):
    """KL ≥ 2·TV² ≥ 0 in both directions, and H(p, q) = H(p) + KL(p‖q)."""
    p, q = data
    report = kl_report(p, q)
    assert report["gibbs_holds"] and report["pinsker_holds"]
    tv = 0.5 * np.abs(np.subtract(p, q)).sum()
    assert report["kl_p_q"] >= 2 * tv**2 - 1e-12 and report["kl_q_p"] >= 2 * tv**2 - 1e-12
    assert report["decomposition_residual"] < 1e-12
    assert cross_entropy(p, q) == pytest.approx(entropy(p) + categorical_kl(p, q), abs=1e-12)


def test_kl_is_zero_exactly_for_equal_distributions():
    """KL(p‖p) = 0, and the report marks p = q."""
    report = kl_report(P, P)
    assert report["kl_p_q"] == 0.0 and report["kl_q_p"] == 0.0
    assert report["equal"] is True and report["gibbs_holds"] is True
    assert report["asymmetry"] == 0.0


def test_the_pages_pair_is_asymmetric_with_negative_terms():
    """KL(p‖q) ≠ KL(q‖p) on the page's pair; some terms p·log(p/q) are negative, the sum is not."""
    report = kl_report(P, Q)
    assert report["kl_p_q"] == pytest.approx(0.98302, abs=1e-5)
    assert report["kl_q_p"] == pytest.approx(1.54794, abs=1e-5)
    assert report["asymmetry"] == pytest.approx(report["kl_p_q"] - report["kl_q_p"])
    assert report["negative_terms"] > 0 and min(report["terms_p_q"]) < 0
    assert sum(report["terms_p_q"]) == pytest.approx(report["kl_p_q"], rel=1e-14)


def test_a_zero_in_q_where_p_has_mass_makes_forward_kl_infinite():
    """q = 0 where p > 0: KL(p‖q) = ∞ (reported as null with a flag); KL(q‖p) stays finite."""
    p, q = [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]
    assert categorical_kl(p, q) == math.inf
    report = kl_report([0.5, 0.5], [1.0, 0.0])
    assert report["kl_p_q"] is None and report["kl_p_q_infinite"] is True
    assert report["kl_q_p"] == pytest.approx(math.log(2))
    assert report["asymmetry"] is None and report["fits"] is not None


def test_forward_fit_covers_both_modes_and_reverse_fit_picks_one():
    """On the page's two-moded p, argmin KL(p‖q) is a wide bump over both modes; argmin KL(q‖p)
    is a narrow bump on the larger mode that leaves the other almost empty."""
    fits = direction_fits(P)
    forward, reverse = fits["forward"], fits["reverse"]
    assert forward["sigma"] > 5 * reverse["sigma"]
    assert min(forward["mass_near_p_modes"]) > 0.25
    larger, smaller = reverse["mass_near_p_modes"]
    assert larger > 0.99 and smaller < 1e-6
    assert 6.0 <= reverse["mu"] <= 7.5
    # Each fit is best in its own direction, and worse in the other.
    assert forward["kl_p_q"] < reverse["kl_p_q"] and reverse["kl_q_p"] < forward["kl_q_p"]


def test_forward_fit_is_the_maximum_likelihood_fit():
    """Minimising KL(p‖q) over the family is maximising Σ p·log q: the same member wins."""
    fits = direction_fits(P)
    best = np.asarray(fits["forward"]["q"])
    assert np.sum(np.asarray(P) * np.log(best)) == pytest.approx(-cross_entropy(P, best), rel=1e-14)
    for other in (np.asarray(fits["reverse"]["q"]), np.full(9, 1 / 9)):
        assert cross_entropy(P, best) <= cross_entropy(P, other)


def test_fits_need_p_positive_everywhere():
    """With a zero in p the reverse direction is infinite for every bump: no fits are reported."""
    assert kl_report([0.5, 0.5, 0.0], [0.2, 0.3, 0.5])["fits"] is None
    with pytest.raises(WitnessInputError) as caught:
        direction_fits([0.5, 0.5, 0.0])
    assert caught.value.field == "p"


@pytest.mark.parametrize(
    ("p", "q", "field"),
    [
        ([0.5, 0.6], [0.5, 0.5], "p"),
        ([0.5, 0.5], [1.2, -0.2], "q"),
        ([0.5, 0.5], [0.2, 0.3, 0.5], "q"),
        ([1.0], [1.0], "p"),
        ([float("nan"), 1.0], [0.5, 0.5], "p"),
        ([1 / 201] * 201, [1 / 201] * 201, "p"),
    ],
)
def test_bad_distributions_are_refused_naming_the_field(p, q, field):
    """Not summing to 1, negative, mismatched, too few or too many categories, or NaN."""
    with pytest.raises(WitnessInputError) as caught:
        kl_report(p, q)
    assert caught.value.field == field
