"""PPO's clipped surrogate on a bandit: flat regions, the pessimistic bound, the first step."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demos.witnesses import WitnessInputError, clipped_term, ppo_report, ppo_surrogates

# The page's demo: four arms, a uniform old policy, ε = 0.2.
MU = [1.0, 0.0, 0.5, 0.2]
OLD = [0.0, 0.0, 0.0, 0.0]


def report(**changes):
    settings_ = {"epsilon": 0.2, "learning_rate": 1.0, "epochs": 50, **changes}
    return ppo_report(MU, OLD, **settings_)


def test_clipped_term_is_the_three_piece_function():
    """A > 0: ρA up to 1 + ε, then (1 + ε)A. A < 0: (1 − ε)A below 1 − ε, then ρA."""
    rho = np.array([0.0, 0.5, 0.8, 1.0, 1.2, 1.5, 3.0])
    assert clipped_term(rho, 2.0, 0.2) == pytest.approx([0.0, 1.0, 1.6, 2.0, 2.4, 2.4, 2.4])
    assert clipped_term(rho, -2.0, 0.2) == pytest.approx([-1.6, -1.6, -1.6, -2.0, -2.4, -3.0, -6.0])
    assert clipped_term(rho, 0.0, 0.2) == pytest.approx(np.zeros(7))


@settings(max_examples=80, deadline=None)
@given(
    rho=st.floats(0.0, 10.0),
    advantage=st.floats(-5.0, 5.0),
    epsilon=st.floats(0.01, 0.9),
)
def test_clipped_term_never_exceeds_the_unclipped_one(rho, advantage, epsilon):
    """min(ρA, clip(ρ)A) ≤ ρA for every ratio, advantage and ε: L^CLIP is a lower bound."""
    assert clipped_term(rho, advantage, epsilon) <= rho * advantage + 1e-12


def test_gradient_at_the_old_policy_is_the_policy_gradient():
    """At θ = θ_old every ratio is 1, both surrogates are 0 and their gradient is π ⊙ (μ − J)."""
    state = ppo_surrogates(OLD, OLD, MU, 0.2)
    pi = np.full(4, 0.25)
    expected = pi * (np.asarray(MU) - pi @ MU)
    assert state["objective_clip"] == pytest.approx(0.0, abs=1e-15)
    assert state["objective_cpi"] == pytest.approx(0.0, abs=1e-15)
    assert state["gradient_clip"] == pytest.approx(expected.tolist(), abs=1e-15)
    assert state["gradient_cpi"] == pytest.approx(expected.tolist(), abs=1e-15)


def test_surrogate_gradient_matches_finite_differences_inside_the_clip():
    """Near θ_old (all ratios inside [1 − ε, 1 + ε]) ∇L^CLIP is the derivative of L^CLIP."""
    theta, h = np.array([0.05, -0.03, 0.02, 0.0]), 1e-6
    state = ppo_surrogates(theta, OLD, MU, 0.2)
    assert all(state["active"])
    numeric = [
        (
            ppo_surrogates(theta + h * e, OLD, MU, 0.2)["objective_clip"]
            - ppo_surrogates(theta - h * e, OLD, MU, 0.2)["objective_clip"]
        )
        / (2 * h)
        for e in np.eye(4)
    ]
    assert state["gradient_clip"] == pytest.approx(numeric, abs=1e-8)


def test_a_clipped_term_contributes_no_gradient():
    """Push arm 0 (A > 0) past 1 + ε: it leaves the active set and ∇L^CLIP ignores it."""
    theta = np.array([1.0, 0.0, 0.0, 0.0])
    state = ppo_surrogates(theta, OLD, MU, 0.2)
    assert state["ratio"][0] > 1.2 and state["active"][0] is False
    h, e = 1e-6, np.eye(4)[0]
    before = ppo_surrogates(theta, OLD, MU, 0.2)["objective_clip"]
    # Only the other arms' ratios move when θ_0 changes; arm 0's term stays at (1 + ε)A.
    moved = ppo_surrogates(theta + h * e, OLD, MU, 0.2)["objective_clip"]
    assert (moved - before) / h == pytest.approx(state["gradient_clip"][0], abs=1e-6)


def test_pages_run_clipped_ascent_stops_and_stays_near_the_old_policy():
    """The clipped ascent stalls once every term is clipped; the unclipped one runs to one arm."""
    result = report()
    clipped, unclipped = result["runs"]["clipped"], result["runs"]["unclipped"]
    assert result["bound_holds"] and clipped["max_clip_minus_cpi"] <= 1e-12
    assert clipped["stalled_at_epoch"] == 11
    assert clipped["final_kl_old_new"] < 0.05 < 1.0 < unclipped["final_kl_old_new"]
    assert unclipped["final_policy"][0] > 0.9 and unclipped["stalled_at_epoch"] is None
    assert clipped["final_expected_reward"] > result["old_expected_reward"]
    # Once stalled, nothing changes: the last two recorded epochs have the same objective.
    assert clipped["history"][-1]["objective_clip"] == clipped["history"][-2]["objective_clip"]


def test_clipping_removes_the_incentive_not_the_possibility_of_a_larger_ratio():
    """Softmax couples the arms: lowering the negative-advantage ratios to 1 − ε lifts arm 0's
    ratio past 1 + ε although its own term was already clipped."""
    clipped = report()["runs"]["clipped"]
    assert clipped["final_ratio"][0] > 1.25
    assert clipped["final_max_ratio_deviation"] > 0.2


def test_term_curve_shows_the_flat_regions():
    """The Figure-1-style curve: flat above 1 + ε for A > 0, below 1 − ε for A < 0."""
    curve = report(epochs=1)["term_curve"]
    assert curve["flat_above_for_positive"] and curve["flat_below_for_negative"]
    assert curve["unclipped_inside"]
    assert max(curve["positive_advantage"]) == pytest.approx(1.2)
    assert max(curve["negative_advantage"]) == pytest.approx(-0.8)


def test_smaller_epsilon_moves_the_policy_less():
    """A tighter clip stalls sooner and nearer the old policy."""
    tight, loose = (report(epsilon=eps)["runs"]["clipped"] for eps in (0.05, 0.4))
    assert tight["final_kl_old_new"] < loose["final_kl_old_new"]
    assert tight["stalled_at_epoch"] < loose["stalled_at_epoch"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epsilon": 0.0}, "epsilon"),
        ({"epsilon": 0.95}, "epsilon"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1001}, "epochs"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(changes, field):
    """ε in (0, 0.9], a positive learning rate, 1 to 1000 epochs."""
    with pytest.raises(WitnessInputError) as caught:
        report(**changes)
    assert caught.value.field == field


def test_negative_ratios_and_mismatched_logits_are_refused():
    """Ratios are never negative; the old logits need one value per arm."""
    with pytest.raises(WitnessInputError) as caught:
        clipped_term([-0.5], 1.0, 0.2)
    assert caught.value.field == "ratio"
    with pytest.raises(WitnessInputError) as caught:
        ppo_report(MU, [0.0, 0.0], epsilon=0.2, learning_rate=1.0, epochs=5)
    assert caught.value.field == "old_logits"
