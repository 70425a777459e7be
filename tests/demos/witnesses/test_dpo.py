"""DPO on a tabular policy: its optimum is the RLHF policy built from the Bradley–Terry fit."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demos.witnesses import (
    NoMaximumLikelihoodError,
    WitnessInputError,
    dpo_fit,
    dpo_loss,
    dpo_report,
    fit_reward_model,
    implicit_rewards,
    kl_regularized_policy,
    log_partition,
    sigmoid,
)

PAIRS = np.array([[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]])
PI_REF = np.array([0.35, 0.30, 0.20, 0.15])
BETA, L2 = 0.7, 0.05
# Everyone wins and loses: Ford's condition holds, so plain DPO (l2 = 0) has an optimum.
CYCLE = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]])


def test_dpo_optimum_is_the_rlhf_policy_on_the_pages_pairs():
    """Minimising DPO's loss gives π_ref·exp(r/β)/Z for the page's Bradley–Terry rewards."""
    fit = dpo_fit(PAIRS, 4, PI_REF, BETA, l2=L2)
    rewards = fit_reward_model(PAIRS, 4, l2=L2).rewards
    assert fit.converged
    np.testing.assert_allclose(fit.policy, kl_regularized_policy(rewards, PI_REF, BETA), atol=1e-14)


def test_implicit_reward_is_the_reward_minus_beta_log_z():
    """β·log(π_DPO/π_ref) = r − β·log Z: the same reward, shifted by one constant."""
    fit = dpo_fit(PAIRS, 4, PI_REF, BETA, l2=L2)
    rewards = fit_reward_model(PAIRS, 4, l2=L2).rewards
    shift = BETA * log_partition(rewards, PI_REF, BETA)
    np.testing.assert_allclose(
        implicit_rewards(fit.policy, PI_REF, BETA), rewards - shift, atol=1e-13
    )


def test_the_implicit_reward_does_not_depend_on_beta():
    """β only sets how far π moves: the fitted implicit reward is the same for every β."""
    implied = [
        implicit_rewards(dpo_fit(PAIRS, 4, PI_REF, beta, l2=L2).policy, PI_REF, beta)
        for beta in (0.1, 0.7, 5.0)
    ]
    centred = [h - h.mean() for h in implied]
    np.testing.assert_allclose(centred[0], centred[1], atol=1e-11)
    np.testing.assert_allclose(centred[1], centred[2], atol=1e-11)


def test_loss_at_the_reference_is_log_two_and_the_optimum_is_lower():
    """At π = π_ref every implicit reward is 0, so each pair costs log 2; the fit does better."""
    assert dpo_loss(PI_REF, PI_REF, PAIRS, BETA, L2) == pytest.approx(math.log(2.0), abs=1e-15)
    fit = dpo_fit(PAIRS, 4, PI_REF, BETA, l2=L2)
    assert fit.loss < math.log(2.0)
    assert dpo_loss(fit.policy, PI_REF, PAIRS, BETA, L2) == pytest.approx(fit.loss, abs=1e-14)


def test_no_nearby_policy_has_a_lower_loss():
    """Perturbing the optimum's logits in any direction raises DPO's loss."""
    fit = dpo_fit(CYCLE, 4, PI_REF, 0.3)
    rng = np.random.default_rng(0)
    best = dpo_loss(fit.policy, PI_REF, CYCLE, 0.3)
    for direction in rng.normal(size=(20, 4)):
        logits = np.log(fit.policy) + 1e-3 * direction
        moved = np.exp(logits - logits.max())
        assert dpo_loss(moved / moved.sum(), PI_REF, CYCLE, 0.3) >= best - 1e-15


def test_plain_dpo_matches_the_unregularised_reward_model_under_fords_condition():
    """With l2 = 0 the DPO optimum is the RLHF policy of the maximum-likelihood rewards."""
    fit = dpo_fit(CYCLE, 4, PI_REF, 0.3)
    mle = fit_reward_model(CYCLE, 4, l2=0.0).rewards
    np.testing.assert_allclose(fit.policy, kl_regularized_policy(mle, PI_REF, 0.3), atol=1e-13)


def test_plain_dpo_on_the_pages_pairs_has_no_optimum():
    """Candidate 0 never loses: unregularised DPO would pile all probability onto it."""
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        dpo_fit(PAIRS, 4, PI_REF, BETA)
    assert caught.value.candidates == (0,)


def test_dpo_gradient_descent_on_logits_is_the_pages_reward_loop():
    """Gradient descent on DPO's logits with step lr/β² retraces the page's reward-model loop:
    after its 800 steps the centred implicit reward is the page's [2.674, −2.674, 0, 0]."""
    page = fit_reward_model(PAIRS, 4, l2=L2, method="page").rewards
    theta = np.log(PI_REF).copy()
    for _ in range(800):
        h = BETA * (theta - np.log(PI_REF))
        h -= h.mean()
        wrong = sigmoid(h[PAIRS[:, 1]] - h[PAIRS[:, 0]])
        push = L2 * h
        np.add.at(push, PAIRS[:, 0], -wrong)
        np.add.at(push, PAIRS[:, 1], wrong)
        theta -= (0.3 / BETA**2) * BETA * push / len(PAIRS)
    implied = BETA * (theta - np.log(PI_REF))
    np.testing.assert_allclose(implied - implied.mean(), page, atol=1e-12)
    assert np.round(page, 3).tolist() == [2.674, -2.674, 0.0, 0.0]


def test_a_tiny_beta_keeps_every_number_finite():
    """β = 1e-9 drives π to a point mass; the log-domain fit still reports finite numbers."""
    report = dpo_report(PAIRS, 4, PI_REF, 1e-9, l2=L2)
    json.dumps(report, allow_nan=False)
    assert report["dpo_policy"][0] == pytest.approx(1.0)
    assert report["offset_spread"] < 1e-9 and report["dpo_fit"]["converged"]


def test_report_compares_the_two_routes():
    """The report puts DPO's policy, loss and implicit reward beside RLHF's, JSON-ready."""
    report = dpo_report(PAIRS, 4, PI_REF, BETA, l2=L2)
    json.dumps(report, allow_nan=False)
    assert report["policy_max_abs_diff"] < 1e-14 and report["offset_spread"] < 1e-14
    losses = report["dpo_loss"]
    assert losses["at_dpo_policy"] == pytest.approx(losses["at_rlhf_policy"], abs=1e-15)
    assert losses["at_dpo_policy"] == pytest.approx(report["reward_model"]["loss"], abs=1e-15)
    assert losses["at_reference"] == pytest.approx(math.log(2.0))
    assert report["minus_beta_log_partition"] == pytest.approx(report["implicit_minus_rewards"][0])
    assert len(report["pair_probabilities"]) == report["pairs_total"] == 5


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"pi_ref": [0.5, 0.5]}, "pi_ref"),
        ({"pi_ref": [0.5, 0.5, 0.0, 0.0]}, "pi_ref"),
        ({"beta": 0.0}, "beta"),
        ({"beta": float("inf")}, "beta"),
        ({"l2": -1.0}, "l2"),
        ({"pairs": [[0, 4]]}, "pairs"),
        ({"pairs": [[1, 1]]}, "pairs"),
    ],
)
def test_bad_inputs_name_their_field(kwargs, field):
    """Each invalid argument raises WitnessInputError naming it."""
    arguments = {"pairs": PAIRS, "K": 4, "pi_ref": PI_REF, "beta": BETA, "l2": L2, **kwargs}
    with pytest.raises(WitnessInputError) as caught:
        dpo_fit(arguments.pop("pairs"), arguments.pop("K"), arguments.pop("pi_ref"), **arguments)
    assert caught.value.field == field


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 8).flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.lists(
                st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=30
            )
            .map(lambda pairs: [p for p in pairs if p[0] != p[1]])
            .filter(bool),
            st.floats(0.05, 20.0),
            st.floats(1e-3, 2.0),
        )
    )
)
def test_for_any_pairs_dpo_and_rlhf_agree(case):
    """For any pairs, β and l2 > 0 the DPO optimum is the RLHF policy of the fitted rewards."""
    k, pairs, beta, l2 = case
    pi_ref = np.arange(1.0, k + 1.0) / (k * (k + 1) / 2)
    report = dpo_report(np.array(pairs), k, pi_ref, beta, l2=l2)
    assert report["dpo_fit"]["converged"] and report["reward_model"]["converged"]
    assert report["policy_max_abs_diff"] < 1e-10 and report["offset_spread"] < 1e-9
