"""The Bradley–Terry reward fit: the page's loop, bit for bit, and Newton to convergence."""

import contextlib
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demos.witnesses import (
    NoMaximumLikelihoodError,
    WitnessInputError,
    bradley_terry_gradient,
    bradley_terry_objective,
    check_ford_condition,
    fit_reward_model,
    preference_probabilities,
    preferences,
    reward_gap,
    sigmoid,
)

# The reward-model half of the page's "Code" section, verbatim.
PAGE_SCRIPT = """
import numpy as np

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def softmax(logits):
    logits = logits - logits.max()
    e = np.exp(logits)
    return e / e.sum()

# One prompt, four candidate completions.
# Shape: rewards, pi_ref, pi_star are all (K,).
pairs = np.array([
    [0, 1],
    [0, 2],
    [2, 1],
    [3, 1],
    [0, 3],
])

K = 4
r = np.zeros(K)
lr = 0.3
l2 = 0.05

for _ in range(800):
    grad = l2 * r

    for winner, loser in pairs:
        margin = r[winner] - r[loser]
        p = sigmoid(margin)
        g = p - 1.0
        grad[winner] += g
        grad[loser] -= g

    r -= lr * grad / len(pairs)
    r -= r.mean()  # choose one representative of the shift-equivalence class

print("learned reward representative:", np.round(r, 3))
"""

PAGE_PAIRS = [[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]]
# The page's learned rewards at full precision (hex: ±0x1.564ec344c3a4ap+1, 0, 0).
PAGE_REWARDS = np.array([2.6742786489260526, -2.6742786489260526, 0.0, 0.0])
PAGE_PRINTOUT = "learned reward representative: [ 2.674 -2.674  0.     0.   ]"


def run_page_script() -> tuple[np.ndarray, str]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(PAGE_SCRIPT, namespace)
    return namespace["r"], out.getvalue().strip()


def random_pairs(k: int, n: int, seed: int) -> np.ndarray:
    """Pairs drawn from a Bradley–Terry model with standard-normal true rewards."""
    rng = np.random.default_rng(seed)
    true = rng.normal(size=k)
    first = rng.integers(0, k, n)
    second = (first + rng.integers(1, k, n)) % k
    first_wins = rng.random(n) < 1.0 / (1.0 + np.exp(true[second] - true[first]))
    return np.stack(
        [np.where(first_wins, first, second), np.where(first_wins, second, first)], axis=1
    )


def lbfgsb_reference(pairs: np.ndarray, k: int, l2: float) -> np.ndarray:
    """The minimiser of F by SciPy's L-BFGS-B with an analytic gradient.

    An objective value of size O(N) hides changes below ~1e-16·N, which stalls any
    line search near 1e-8 accuracy; so each restart re-expresses F relative to the
    previous iterate, where log σ differences are computed without cancellation.
    """
    optimize = pytest.importorskip("scipy.optimize")
    w, lo = pairs[:, 0], pairs[:, 1]
    anchor = np.zeros(k)
    for _ in range(3):
        anchor_delta = anchor[w] - anchor[lo]
        anchor_tail = 1.0 / (1.0 + np.exp(anchor_delta))

        def relative_objective(x, anchor=anchor, anchor_delta=anchor_delta, tail0=anchor_tail):
            d = x[w] - x[lo]
            value = np.log1p(np.expm1(-d) * tail0).sum() + 0.5 * l2 * (x @ (2 * anchor + x))
            tail = 1.0 / (1.0 + np.exp(anchor_delta + d))
            grad = l2 * (anchor + x) + np.bincount(lo, tail, k) - np.bincount(w, tail, k)
            return value, grad

        result = optimize.minimize(
            relative_objective,
            np.zeros(k),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 100_000, "maxfun": 200_000, "ftol": 0.0, "gtol": 1e-14},
        )
        anchor = anchor + result.x
    return anchor - anchor.mean()


def page_gradient(r: np.ndarray, pairs: list[list[int]], l2: float) -> np.ndarray:
    grad = l2 * r
    for winner, loser in pairs:
        g = 1.0 / (1.0 + np.exp(-(r[winner] - r[loser]))) - 1.0
        grad[winner] += g
        grad[loser] -= g
    return grad / len(pairs)


def test_page_method_is_bit_identical_to_the_page_script():
    """method="page" returns exactly the bits the page's own script computes."""
    script_rewards, _ = run_page_script()
    fit = fit_reward_model(PAGE_PAIRS, 4, method="page")
    assert np.array_equal(fit.rewards, script_rewards)
    assert np.array_equal(fit.rewards, PAGE_REWARDS)


def test_page_method_reproduces_the_printed_rewards():
    """The page's printout [2.674, -2.674, 0, 0] is reproduced character for character."""
    _, printout = run_page_script()
    fit = fit_reward_model(PAGE_PAIRS, 4, method="page")
    assert printout == PAGE_PRINTOUT
    assert f"learned reward representative: {np.round(fit.rewards, 3)}" == PAGE_PRINTOUT
    assert np.round(fit.rewards, 3).tolist() == [2.674, -2.674, 0.0, 0.0]


def test_page_method_reports_that_800_steps_do_not_converge():
    """After the page's 800 steps ‖∇F‖ is ~1e-5, so the fit says converged=False."""
    fit = fit_reward_model(PAGE_PAIRS, 4, method="page")
    assert fit.method == "page"
    assert fit.iterations == 800
    assert fit.converged is False
    assert fit.grad_norm == pytest.approx(9.938e-6, rel=1e-3)
    gradient = bradley_terry_gradient(fit.rewards, PAGE_PAIRS, 0.05)
    assert np.linalg.norm(gradient) == pytest.approx(fit.grad_norm, rel=1e-12)


def test_gradient_is_an_alias_for_the_page_method():
    """method="gradient" runs the same page loop."""
    fit = fit_reward_model(PAGE_PAIRS, 4, method="gradient")
    assert fit.method == "page"
    assert np.array_equal(fit.rewards, PAGE_REWARDS)


def test_newton_converges_on_the_page_pairs():
    """Newton drives ‖∇F‖ to ~1e-14 in a handful of iterations; the page is 2e-4 short."""
    fit = fit_reward_model(PAGE_PAIRS, 4)
    assert fit.method == "newton"
    assert fit.solver == "dense"
    assert fit.converged is True
    assert fit.iterations <= 10
    assert fit.grad_norm <= 1e-13
    assert np.abs(fit.rewards - PAGE_REWARDS).max() == pytest.approx(1.95e-4, rel=1e-2)


def test_newton_stopped_early_reports_not_converged():
    """Hitting max_iter before the tolerance gives converged=False and the true ‖∇F‖."""
    fit = fit_reward_model(PAGE_PAIRS, 4, max_iter=1)
    assert (fit.iterations, fit.converged) == (1, False)
    gradient = bradley_terry_gradient(fit.rewards, PAGE_PAIRS, 0.05)
    assert fit.grad_norm == pytest.approx(np.linalg.norm(gradient), rel=1e-12)


def test_page_loop_run_longer_reaches_the_newton_solution():
    """Both methods minimise the same F: the page's loop, given enough steps, agrees."""
    newton = fit_reward_model(PAGE_PAIRS, 4)
    long_page = fit_reward_model(PAGE_PAIRS, 4, method="page", steps=6000)
    assert np.abs(long_page.rewards - newton.rewards).max() <= 1e-11


def test_gradient_is_the_pages_gradient_divided_by_n():
    """∇F equals the page's ``grad / len(pairs)`` at an arbitrary point."""
    r = np.array([0.3, -1.2, 2.0, 0.7])
    expected = page_gradient(r, PAGE_PAIRS, 0.05)
    np.testing.assert_allclose(
        bradley_terry_gradient(r, PAGE_PAIRS, 0.05), expected, rtol=1e-14, atol=1e-16
    )


def test_gradient_matches_finite_differences_of_the_objective():
    """F and ∇F are consistent: central differences of F reproduce ∇F."""
    pairs = random_pairs(6, 40, seed=3)
    r = np.random.default_rng(4).normal(size=6)
    step = 1e-6
    numeric = [
        (
            bradley_terry_objective(r + step * e, pairs, 0.3)
            - bradley_terry_objective(r - step * e, pairs, 0.3)
        )
        / (2 * step)
        for e in np.eye(6)
    ]
    np.testing.assert_allclose(bradley_terry_gradient(r, pairs, 0.3), numeric, atol=1e-9)


def test_objective_is_the_scaled_negative_log_likelihood_plus_l2():
    """F(r) = (1/N)[Σ −log σ(Δ) + (l2/2)‖r‖²], the regulariser inside the 1/N."""
    r = np.array([1.0, -0.5, 0.25, 0.0])
    delta = np.array([r[w] - r[lo] for w, lo in PAGE_PAIRS])
    expected = (np.sum(np.log1p(np.exp(-delta))) + 0.5 * 0.05 * r @ r) / 5
    assert bradley_terry_objective(r, PAGE_PAIRS, 0.05) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("l2", [0.05, 1.0, 0.0])
@pytest.mark.parametrize(("k", "n", "solver"), [(8, 60, "dense"), (250, 4000, "cg")])
def test_newton_agrees_with_an_lbfgsb_reference(k, n, solver, l2):
    """Newton's minimiser of F matches SciPy's L-BFGS-B to 1e-10, for both linear solvers."""
    pairs = random_pairs(k, n, seed=k + n)
    fit = fit_reward_model(pairs, k, l2=l2)
    assert fit.solver == solver
    assert fit.converged
    assert np.abs(fit.rewards - lbfgsb_reference(pairs, k, l2)).max() <= 1e-10


def test_newton_agrees_with_choix():
    """choix's opt_pairwise with alpha = l2/2 (it penalises alpha·‖θ‖²) gives the same fit."""
    choix = pytest.importorskip("choix")
    pairs = random_pairs(20, 300, seed=7)
    fit = fit_reward_model(pairs, 20, l2=0.4)
    theta = choix.opt_pairwise(20, [tuple(p) for p in pairs.tolist()], alpha=0.2, tol=1e-12)
    assert np.abs(fit.rewards - (theta - theta.mean())).max() <= 1e-8


def test_dense_and_cg_solvers_give_the_same_fit():
    """The matrix-free conjugate-gradient Newton step agrees with the dense solve."""
    pairs = random_pairs(60, 1500, seed=11)
    dense = fit_reward_model(pairs, 60, solver="dense")
    cg = fit_reward_model(pairs, 60, solver="cg")
    assert (dense.solver, cg.solver) == ("dense", "cg")
    assert cg.converged and dense.converged
    assert np.abs(dense.rewards - cg.rewards).max() <= 1e-12


def test_auto_solver_switches_to_cg_above_200_candidates():
    """solver="auto" is dense up to K = 200 and matrix-free beyond."""
    assert fit_reward_model(random_pairs(200, 3000, 1), 200).solver == "dense"
    assert fit_reward_model(random_pairs(201, 3000, 1), 201).solver == "cg"


@pytest.mark.parametrize("l2", [0.05, 0.0])
def test_fit_is_centred_to_mean_zero(l2):
    """The reported rewards are the mean-zero representative of their shift class."""
    fit = fit_reward_model(random_pairs(15, 200, seed=5), 15, l2=l2)
    assert abs(fit.rewards.mean()) <= 1e-15
    assert fit.converged


def test_unregularised_fit_exists_when_fords_condition_holds():
    """With l2 = 0 and a strongly connected comparison graph the ML fit converges."""
    pairs = [[0, 1], [1, 2], [2, 0], [0, 2], [3, 0], [1, 3]]
    fit = fit_reward_model(pairs, 4, l2=0.0)
    assert fit.converged
    assert np.linalg.norm(bradley_terry_gradient(fit.rewards, pairs, 0.0)) <= 1e-14


def test_unregularised_fit_refuses_a_candidate_that_never_loses():
    """The page's pairs with l2 = 0 have no ML fit: candidate 0 never loses."""
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model(PAGE_PAIRS, 4, l2=0.0)
    assert caught.value.field == "pairs"
    assert caught.value.candidates == (0,)
    assert "[0] never lose" in caught.value.message


def test_unregularised_fit_refuses_a_candidate_that_never_wins():
    """A candidate with losses only has no finite ML reward."""
    pairs = [[0, 1], [1, 0], [0, 2], [1, 2]]
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model(pairs, 3, l2=0.0)
    assert caught.value.candidates == (2,)
    assert "never win" in caught.value.message


def test_unregularised_fit_refuses_a_disconnected_comparison_graph():
    """Two groups never compared with each other leave their offset undetermined."""
    pairs = [[0, 1], [1, 0], [2, 3], [3, 2]]
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model(pairs, 4, l2=0.0)
    assert caught.value.candidates == (2, 3)
    assert "disconnected" in caught.value.message


def test_unregularised_fit_refuses_an_uncompared_candidate():
    """A candidate in no pair at all is named."""
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model([[0, 1], [1, 0]], 3, l2=0.0)
    assert caught.value.candidates == (2,)


def test_unregularised_fit_refuses_a_group_that_only_beats_the_rest():
    """Everyone wins and loses, but {0, 1} never lose to {2, 3}: Ford's condition fails."""
    pairs = [[0, 1], [1, 0], [2, 3], [3, 2], [0, 2], [1, 3]]
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model(pairs, 4, l2=0.0)
    assert caught.value.candidates == (0, 1)
    assert "never lose to anyone outside" in caught.value.message
    with pytest.raises(NoMaximumLikelihoodError):
        check_ford_condition(pairs, 4)


def test_regularised_fit_exists_without_fords_condition():
    """Any l2 > 0 makes F strictly convex, so the page's separable pairs still fit."""
    fit = fit_reward_model(PAGE_PAIRS, 4, l2=1e-3)
    assert fit.converged
    assert fit.rewards[0] > fit.rewards[2] > fit.rewards[1]


def test_ford_check_accepts_a_long_cycle():
    """Reachability works on a graph whose diameter is K."""
    k = 500
    pairs = np.stack([np.arange(k), (np.arange(k) + 1) % k], axis=1)
    check_ford_condition(pairs, k)
    with pytest.raises(NoMaximumLikelihoodError):
        check_ford_condition(pairs[:-1], k)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"pairs": []}, "pairs"),
        ({"pairs": [[0, 1, 2]]}, "pairs"),
        ({"pairs": [[0, 4]]}, "pairs"),
        ({"pairs": [[-1, 2]]}, "pairs"),
        ({"pairs": [[1, 1]]}, "pairs"),
        ({"pairs": [[0.0, 1.0]]}, "pairs"),
        ({"pairs": [[0, 1], [2]]}, "pairs"),
        ({"K": 1}, "K"),
        ({"K": True}, "K"),
        ({"K": 2.0}, "K"),
        ({"l2": -0.1}, "l2"),
        ({"l2": float("nan")}, "l2"),
        ({"l2": float("inf")}, "l2"),
        ({"method": "adam"}, "method"),
        ({"solver": "lu"}, "solver"),
        ({"tol": 0.0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"method": "page", "steps": 0}, "steps"),
        ({"method": "page", "lr": float("nan")}, "lr"),
    ],
)
def test_fit_rejects_invalid_input_naming_the_field(kwargs, field):
    """Bad pairs, K, l2 or options raise WitnessInputError naming the parameter."""
    arguments = {"pairs": PAGE_PAIRS, "K": 4} | kwargs
    pairs, k = arguments.pop("pairs"), arguments.pop("K")
    with pytest.raises(WitnessInputError) as caught:
        fit_reward_model(pairs, k, **arguments)
    assert caught.value.field == field
    assert caught.value.message
    assert caught.value.to_dict() == {"field": field, "message": caught.value.message}


def test_fit_result_serialises_to_json_ready_values():
    """to_dict() holds plain lists, floats, ints, bools and strings."""
    fit = fit_reward_model(PAGE_PAIRS, 4)
    data = fit.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["rewards"] == fit.rewards.tolist()
    assert set(data) == {
        "rewards",
        "method",
        "iterations",
        "grad_norm",
        "objective",
        "converged",
        "solver",
        "l2",
    }


def test_fit_result_is_immutable():
    """The result's reward array cannot be written to."""
    fit = fit_reward_model(PAGE_PAIRS, 4)
    with pytest.raises(ValueError):
        fit.rewards[0] = 1.0


def test_preference_probabilities_are_sigmoids_of_reward_gaps():
    """P(winner ≻ loser) = σ(r_w − r_l) for every pair."""
    r = np.array([1.0, -1.0, 0.5, 0.0])
    expected = [1.0 / (1.0 + np.exp(-(r[w] - r[lo]))) for w, lo in PAGE_PAIRS]
    np.testing.assert_allclose(preference_probabilities(r, PAGE_PAIRS), expected, rtol=1e-15)


def test_reward_gap_is_the_difference_of_rewards():
    """reward_gap(r, w, l) = r[w] − r[l]."""
    assert reward_gap([2.5, -1.0, 0.0], 0, 1) == 3.5


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (([1.0, 2.0], 0, 0), "loser"),
        (([1.0, 2.0], 0, 2), "loser"),
        (([1.0, 2.0], -1, 0), "winner"),
        (([1.0, float("nan")], 0, 1), "rewards"),
        (([1.0, float("inf")], 0, 1), "rewards"),
        (([1.0], 0, 0), "rewards"),
    ],
)
def test_reward_gap_rejects_invalid_input(args, field):
    """winner == loser, out-of-range indices and non-finite rewards are refused."""
    with pytest.raises(WitnessInputError) as caught:
        reward_gap(*args)
    assert caught.value.field == field


def test_sigmoid_is_stable_in_both_tails():
    """σ(±1000) is exactly 1 or a tiny positive number, without overflow warnings."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = sigmoid(np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0]))
    assert values[0] == 0.0 and values[-1] == 1.0 and values[2] == 0.5
    assert values[1] == pytest.approx(np.exp(-40.0), rel=1e-15)


reward_vectors = st.lists(
    st.floats(min_value=-20, max_value=20, allow_nan=False), min_size=4, max_size=4
)


@settings(max_examples=60, deadline=None)
@given(rewards=reward_vectors, shift=st.floats(min_value=-50, max_value=50))
def test_preference_probabilities_ignore_a_common_shift(rewards, shift):
    """Adding a constant to every reward leaves every P(winner ≻ loser) unchanged."""
    r = np.array(rewards)
    before = preference_probabilities(r, PAGE_PAIRS)
    after = preference_probabilities(r + shift, PAGE_PAIRS)
    assert np.abs(before - after).max() <= 1e-12


@settings(max_examples=40, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda p: p[0] != p[1]),
        min_size=1,
        max_size=40,
    ),
    l2=st.floats(min_value=1e-3, max_value=10.0),
)
def test_newton_reaches_a_stationary_mean_zero_point(pairs, l2):
    """For any pairs and l2 > 0 Newton converges to ∇F ≈ 0 with mean-zero rewards."""
    fit = fit_reward_model(pairs, 6, l2=l2)
    assert fit.converged
    assert abs(fit.rewards.mean()) <= 1e-14
    assert np.linalg.norm(bradley_terry_gradient(fit.rewards, pairs, l2)) <= 1e-11


# The fit on win counts ---------------------------------------------------------------------


def counted(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairs and how often each occurs: the triplet form of the same battles."""
    distinct, counts = np.unique(pairs, axis=0, return_counts=True)
    return distinct, counts


@pytest.mark.parametrize("l2", [0.05, 0.0])
@pytest.mark.parametrize(("k", "n"), [(4, 5), (8, 400), (60, 20_000)])
def test_win_count_objective_and_gradient_equal_the_per_pair_sums(k, n, l2):
    """N·F and N·∇F on the K×K counts equal the pair-by-pair sums to 1e-12 relative."""
    pairs = np.array(PAGE_PAIRS) if k == 4 else random_pairs(k, n, seed=n)
    rng = np.random.default_rng(k)
    reference = preferences._PairProblem.build(pairs, k, l2)
    aggregated = preferences._Problem.build(pairs, k, l2)
    assert aggregated.n == reference.n == len(pairs)
    for scale in (0.0, 0.5, 3.0, 40.0):
        r = scale * rng.normal(size=k)
        value, gradient, _ = aggregated.evaluate(r)
        expected_value, expected_gradient, _ = reference.evaluate(r)
        assert value == pytest.approx(expected_value, rel=1e-12, abs=1e-12)
        bound = 1e-12 * max(1.0, float(np.abs(expected_gradient).max()), len(pairs) ** 0.5)
        assert np.abs(gradient - expected_gradient).max() <= bound


def test_counts_stand_for_repeated_pairs():
    """A pair with count c is c identical battles: the same N, F and fit as the expansion."""
    pairs = random_pairs(30, 3000, seed=5)
    distinct, counts = counted(pairs)
    assert len(distinct) < len(pairs)
    expanded = fit_reward_model(pairs, 30)
    fit = fit_reward_model(distinct, 30, counts=counts)
    assert fit.converged and fit.iterations == expanded.iterations
    assert fit.objective == pytest.approx(expanded.objective, rel=1e-13)
    assert np.abs(fit.rewards - expanded.rewards).max() <= 1e-12


def test_counts_fit_agrees_with_an_lbfgsb_reference_on_the_counts():
    """10⁶ battles as triplets: Newton on the counts matches L-BFGS-B on the expansion."""
    k = 40
    rng = np.random.default_rng(3)
    distinct, counts = counted(random_pairs(k, 4000, seed=9))
    counts = counts * rng.integers(1, 500, size=counts.size)
    fit = fit_reward_model(distinct, k, counts=counts, l2=0.0)
    assert fit.converged
    # L-BFGS-B on the counts: the objective weights each distinct pair by its count.
    optimize = pytest.importorskip("scipy.optimize")
    w, lo = distinct[:, 0], distinct[:, 1]
    c = counts.astype(np.float64)
    anchor = np.zeros(k)
    for _ in range(3):
        anchor_delta = anchor[w] - anchor[lo]
        tail0 = 1.0 / (1.0 + np.exp(anchor_delta))

        def relative(x, anchor_delta=anchor_delta, tail0=tail0):
            d = x[w] - x[lo]
            value = c @ np.log1p(np.expm1(-d) * tail0)
            tail = c / (1.0 + np.exp(anchor_delta + d))
            return value, np.bincount(lo, tail, k) - np.bincount(w, tail, k)

        result = optimize.minimize(
            relative,
            np.zeros(k),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 100_000, "maxfun": 200_000, "ftol": 0.0, "gtol": 1e-14},
        )
        anchor = anchor + result.x
    assert np.abs(fit.rewards - (anchor - anchor.mean())).max() <= 1e-10


def test_dense_and_cg_solvers_agree_on_counts():
    distinct, counts = counted(random_pairs(50, 5000, seed=2))
    dense = fit_reward_model(distinct, 50, counts=counts * 7, solver="dense")
    cg = fit_reward_model(distinct, 50, counts=counts * 7, solver="cg")
    assert dense.converged and cg.converged
    assert np.abs(dense.rewards - cg.rewards).max() <= 1e-12


def test_page_method_expands_counts_into_battles():
    """The page's loop walks every battle: [w, l] with count 2 is the pair listed twice."""
    twice = fit_reward_model([[0, 1], [0, 1], [1, 2], [2, 0]], 3, method="page", steps=50)
    counted_fit = fit_reward_model(
        [[0, 1], [1, 2], [2, 0]], 3, counts=[2, 1, 1], method="page", steps=50
    )
    assert np.array_equal(twice.rewards, counted_fit.rewards)


def test_fords_condition_is_judged_on_the_counts():
    """Counts do not change who beat whom: the same refusal with or without them."""
    with pytest.raises(NoMaximumLikelihoodError) as caught:
        fit_reward_model([[0, 1], [1, 2]], 3, counts=[5, 9], l2=0.0)
    assert caught.value.field == "pairs" and caught.value.candidates == (0,)


@pytest.mark.parametrize(
    "counts",
    [
        [1, 2],  # one short
        [[1, 1, 1, 1, 1]],  # 2-D
        [1, 1, 0, 1, 1],
        [1, 1, -3, 1, 1],
        [1.0, 1.0, 1.0, 1.0, 1.0],
        [1, 1, 1, 1, 10**13],
        [4 * 10**11] * 5,  # each under the cap, their total over it
        ["1", "1", "1", "1", "1"],
    ],
)
def test_fit_rejects_bad_counts_naming_the_field(counts):
    with pytest.raises(WitnessInputError) as caught:
        fit_reward_model(PAGE_PAIRS, 4, counts=counts)
    assert caught.value.field == "counts" and caught.value.message


@pytest.mark.parametrize("seed", range(5))
def test_dense_and_sparse_reachability_agree(monkeypatch, seed):
    """Ford's search on the dense adjacency (K <= 2,000) and on CSR edges finds the same set."""
    rng = np.random.default_rng(seed)
    k = 40
    source, target = rng.integers(0, k, 60), rng.integers(0, k, 60)
    dense = preferences._reachable(source, target, k)
    monkeypatch.setattr(preferences, "DENSE_REACH_MAX_K", 0)
    assert np.array_equal(preferences._reachable(source, target, k), dense)
