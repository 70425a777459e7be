"""Maximum likelihood: the Bernoulli closed form and the logistic fit by Newton's method."""

import numpy as np
import pytest
from scipy.optimize import minimize

from demos.witnesses import (
    WitnessInputError,
    bernoulli_log_likelihood,
    bernoulli_mle,
    logistic_fit,
    mle_report,
)

# The page's demo data: hours of study x and pass (1) or fail (0).
X = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0]
Y = [0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1]


def negative_log_likelihood(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    eta = theta[0] + theta[1] * x
    return float(np.sum(np.logaddexp(0.0, eta) - y * eta))


@pytest.mark.parametrize(("k", "n"), [(7, 12), (1, 3), (50, 100), (999, 1000)])
def test_bernoulli_mle_is_the_observed_frequency(k, n):
    """p̂ = k/n, and the log-likelihood there beats every other p on a fine grid."""
    fit = bernoulli_mle(k, n)
    assert fit["p_hat"] == k / n
    grid = np.linspace(1e-4, 1 - 1e-4, 20_001)
    assert fit["log_likelihood"] >= bernoulli_log_likelihood(grid, k, n).max()


def test_bernoulli_information_and_standard_error_are_the_closed_forms():
    """I(p̂) = n/(p̂(1 − p̂)) equals −ℓ''(p̂) by finite differences; SE = √(p̂(1 − p̂)/n)."""
    k, n = 7, 12
    fit = bernoulli_mle(k, n)
    p, h = k / n, 1e-4
    second = (
        bernoulli_log_likelihood(p + h, k, n)
        - 2 * bernoulli_log_likelihood(p, k, n)
        + bernoulli_log_likelihood(p - h, k, n)
    ) / h**2
    assert fit["observed_information"] == pytest.approx(-second, rel=1e-6)
    assert fit["standard_error"] == pytest.approx(np.sqrt(p * (1 - p) / n), rel=1e-15)
    assert fit["standard_error"] == pytest.approx(fit["observed_information"] ** -0.5, rel=1e-12)


@pytest.mark.parametrize(("k", "p_hat"), [(0, 0.0), (5, 1.0)])
def test_bernoulli_at_the_boundary_has_no_standard_error(k, p_hat):
    """All failures or all successes: p̂ is 0 or 1, ℓ(p̂) = 0, information and SE are None."""
    fit = bernoulli_mle(k, 5)
    assert fit["p_hat"] == p_hat and fit["boundary"] is True
    assert fit["log_likelihood"] == 0.0
    assert fit["observed_information"] is None and fit["standard_error"] is None


def test_logistic_fit_agrees_with_a_general_optimiser():
    """Newton's θ̂ matches SciPy's BFGS on the same negative log-likelihood, and its score is 0."""
    x, y = np.asarray(X), np.asarray(Y)
    fit = logistic_fit(x, y)
    reference = minimize(
        negative_log_likelihood, np.zeros(2), args=(x, y), method="BFGS", tol=1e-12
    )
    assert fit.theta == pytest.approx(reference.x, abs=1e-5)
    assert fit.converged and fit.iterations <= 10
    assert np.max(np.abs(fit.score)) < 1e-12
    assert fit.log_likelihood == pytest.approx(-reference.fun, abs=1e-10)


def test_logistic_information_is_the_negative_hessian_and_its_inverse_the_covariance():
    """Xᵀ W X equals −∇²ℓ by finite differences; the covariance is its inverse."""
    x, y = np.asarray(X), np.asarray(Y)
    fit = logistic_fit(x, y)
    h, hessian = 1e-4, np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hessian[i, j] = -(
                negative_log_likelihood(fit.theta + ei + ej, x, y)
                - negative_log_likelihood(fit.theta + ei - ej, x, y)
                - negative_log_likelihood(fit.theta - ei + ej, x, y)
                + negative_log_likelihood(fit.theta - ei - ej, x, y)
            ) / (4 * h**2)
    assert fit.information == pytest.approx(-hessian, rel=1e-5)
    assert fit.covariance @ fit.information == pytest.approx(np.eye(2), abs=1e-10)
    assert fit.standard_errors == pytest.approx(np.sqrt(np.diag(np.linalg.inv(fit.information))))


def test_log_likelihood_never_falls_along_the_newton_steps():
    """Damped Newton climbs: each recorded ℓ is at least the one before (rounding aside)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=400) * 3.0
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.5 + 2.0 * x)))).astype(int)
    trace = np.asarray(logistic_fit(x, y).log_likelihood_trace)
    assert (np.diff(trace) >= -1e-12 * np.abs(trace[1:])).all()
    assert trace[0] == pytest.approx(400 * np.log(0.5))


def test_fit_is_equivariant_under_rescaling_x():
    """x → 1000·x + 5 leaves the fitted probabilities unchanged: slope/1000, shifted intercept."""
    x, y = np.asarray(X), np.asarray(Y)
    base = logistic_fit(x, y)
    moved = logistic_fit(1000.0 * x + 5.0, y)
    assert moved.theta[1] == pytest.approx(base.theta[1] / 1000.0, rel=1e-9)
    assert moved.theta[0] == pytest.approx(base.theta[0] - 5.0 * moved.theta[1], rel=1e-9)
    assert moved.standard_errors[1] == pytest.approx(base.standard_errors[1] / 1000.0, rel=1e-9)


def test_report_ties_the_bernoulli_and_the_intercept_only_fit_together():
    """σ(â) of the intercept-only fit is k/n; the delta method maps its SE to the Bernoulli SE."""
    report = mle_report(X, Y)
    assert (report["k"], report["n"]) == (7, 12)
    null = report["intercept_only"]
    assert null["intercept"] == pytest.approx(np.log(7 / 5), abs=1e-12)
    assert abs(null["probability_minus_p_hat"]) < 1e-12
    assert null["delta_method_standard_error"] == pytest.approx(
        report["bernoulli"]["standard_error"], rel=1e-9
    )
    assert null["standard_error"] == pytest.approx(1 / np.sqrt(12 * (7 / 12) * (5 / 12)))
    logistic = report["logistic"]
    assert logistic["converged"] and logistic["score_relative"] < 1e-12
    assert logistic["information_min_eigenvalue"] > 0
    assert report["likelihood_ratio"] == pytest.approx(
        2 * (logistic["log_likelihood"] - null["log_likelihood"])
    )
    assert report["likelihood_ratio"] > 0


@pytest.mark.parametrize(
    ("x", "y", "field", "words"),
    [
        ([1, 2, 3, 4], [0, 0, 1, 1], "y", "separated at x = 2"),
        ([1, 2, 3, 4], [1, 1, 0, 0], "y", "separated at x = 2"),
        ([1, 2, 2, 3], [0, 0, 1, 1], "y", "separated at x = 2"),
        ([1, 2, 3], [1, 1, 1], "y", "no y is 0"),
        ([2, 2, 2, 2], [0, 1, 0, 1], "x", "two distinct values"),
        ([1, 2, 3], [0, 1], "y", "one label per x"),
        ([1, 2, 3], [0, 2, 1], "y", "0 or 1"),
        ([1, 2, 3e7], [0, 1, 0], "x", "within"),
        ([1, float("nan"), 3], [0, 1, 0], "x", "finite"),
    ],
)
def test_data_without_a_finite_maximum_or_malformed_is_refused(x, y, field, words):
    """Separated classes, one class, constant x, bad values: WitnessInputError on the field."""
    with pytest.raises(WitnessInputError) as caught:
        logistic_fit(x, y)
    assert caught.value.field == field and words in caught.value.message


def test_the_smallest_overlap_is_enough_for_a_maximum():
    """One 0 above one 1 is overlap: the fit exists, although a tie at the threshold does not."""
    fit = logistic_fit([1, 2, 3, 4], [0, 1, 0, 1])
    assert fit.converged and np.isfinite(fit.theta).all()
    # The tie [1, 2, 2, 3] / [0, 0, 1, 1] is refused above: its likelihood rises forever.
    x, y = np.array([1.0, 2.0, 2.0, 3.0]), np.array([0, 0, 1, 1])
    values = [negative_log_likelihood(np.array([-2 * b, b]), x, y) for b in (1, 3, 10)]
    assert values[0] > values[1] > values[2] > 2 * np.log(2)
