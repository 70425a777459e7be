import math

import numpy as np
import pytest

from demos.witnesses import (
    PROGRESS_REPORTS,
    ProgressReport,
    bradley_terry_report,
    dpo_report,
    fit_reward_model,
    overoptimization_curve,
    ppo_report,
    reinforce_report,
)
from demos.witnesses.progress import progress_part, progress_report

PAGE_PAIRS = np.array([[0, 1], [0, 2], [2, 1], [3, 1], [0, 3]])
PI_REF = [0.35, 0.30, 0.20, 0.15]
WINS = [[0, 3, 2], [1, 0, 4], [2, 1, 0]]


def _assert_moves(values: list[float]) -> None:
    assert values, "the callback was never called"
    assert all(0.0 < value <= 1.0 for value in values), values
    assert values == sorted(values), values
    assert any(0.0 < value < 1.0 for value in values), values
    assert values[-1] == pytest.approx(1.0)
    assert len(values) <= PROGRESS_REPORTS + 1


def test_a_long_page_fit_reports_rising_fractions_a_bounded_number_of_times():
    """20,000 steps of the page's loop call back at most ~100 times, rising to 1."""
    values: list[float] = []
    fit = fit_reward_model(PAGE_PAIRS, 4, method="page", steps=20_000, progress=values.append)
    _assert_moves(values)
    alone = fit_reward_model(PAGE_PAIRS, 4, method="page", steps=20_000)
    assert np.array_equal(fit.rewards, alone.rewards) and fit.iterations == alone.iterations


def _random_pairs(k: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    strengths = np.linspace(-2.0, 2.0, k)
    first, second = rng.integers(0, k, n), rng.integers(0, k, n)
    keep = first != second
    first, second = first[keep], second[keep]
    wins = rng.random(first.size) < 1.0 / (1.0 + np.exp(strengths[second] - strengths[first]))
    return np.column_stack([np.where(wins, first, second), np.where(wins, second, first)])


WITNESSES = {
    "newton reward fit": lambda progress: fit_reward_model(
        _random_pairs(300, 20_000), 300, l2=0.01, progress=progress
    ).rewards.tolist(),
    "cg reward fit": lambda progress: fit_reward_model(
        _random_pairs(300, 20_000), 300, l2=0.01, solver="cg", progress=progress
    ).rewards.tolist(),
    "bradley-terry (mm, checked by newton)": lambda progress: bradley_terry_report(
        WINS, progress=progress
    ),
    "dpo against rlhf": lambda progress: dpo_report(
        PAGE_PAIRS, 4, PI_REF, 0.7, l2=0.05, progress=progress
    ),
    "reinforce training": lambda progress: reinforce_report(
        [5.0, 5.5, 4.5, 6.0],
        [0.0, 0.0, 1.0, -1.0],
        noise=1.0,
        samples=500,
        steps=1_000,
        learning_rate=0.1,
        seed=0,
        runs=10,
        progress=progress,
    ),
    "ppo ascents": lambda progress: ppo_report(
        [1.0, 0.0, 0.5],
        [0.0, 0.0, 0.0],
        epsilon=0.2,
        learning_rate=0.5,
        epochs=500,
        progress=progress,
    ),
    "best-of-n sweep": lambda progress: overoptimization_curve(
        [0.0, 1.0, 3.0],
        [0.0, 1.0, -1.0],
        [0.5, 0.3, 0.2],
        optimizer="best-of-n",
        ns=list(range(1, 201)),
        progress=progress,
    ),
}


@pytest.mark.parametrize("name", WITNESSES)
def test_each_long_witness_reports_progress_and_its_numbers_do_not_change(name):
    """With a callback a witness reports rising fractions up to 1 and answers the same."""
    compute = WITNESSES[name]
    values: list[float] = []
    assert compute(values.append) == compute(None)
    _assert_moves(values)


def test_progress_report_passes_on_only_grown_fractions_in_its_range():
    """A report never goes back, skips NaN and small steps, and maps into [start, stop]."""
    values: list[float] = []
    report = ProgressReport(values.append, start=0.5, stop=1.0, reports=10)
    for fraction in (0.05, 0.2, 0.1, math.nan, 0.25, 0.45, 2.0, 1.0):
        report(fraction)
    assert values == pytest.approx([0.6, 0.725, 1.0])


def test_a_part_of_a_computation_reports_in_proportion_to_its_span():
    """A fit run as the first half of a computation calls back about half as often."""
    values: list[float] = []
    report = progress_report(progress_part(values.append, 0.0, 0.5))
    for step in range(1, 10_001):
        report(step / 10_000)
    assert len(values) <= PROGRESS_REPORTS // 2 + 1
    assert values == sorted(values) and values[-1] == 0.5
