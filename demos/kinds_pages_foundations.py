"""The demo kinds of the pages RLHF builds on: maximum likelihood, KL divergence, policy
gradient and PPO. Their parameter models are in ``demos.kinds_params`` and their entries in
the catalogue's KINDS table; this module holds their defaults, the cross-field checks that
make parameters canonical, the computations, the cost estimates and the chart panels.

Canonicalisers receive the catalogue's per-field error collector (``errors.add(name,
message)``) and never raise; nothing here imports the catalogue, so the catalogue can import
this module at its top.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from demos import witnesses
from demos.witnesses import divergence, likelihood, policy_gradient, ppo
from demos.witnesses.errors import check_distribution

# Defaults: the values each page's demo starts from ------------------------------------------

MLE_X = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0]
MLE_Y: list[float] = [0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1]
KL_P = [0.002, 0.1, 0.3, 0.05, 0.003, 0.005, 0.12, 0.4, 0.02]
KL_Q = [0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.08, 0.05, 0.02]
BANDIT_REWARDS = [5.0, 5.5, 4.5, 6.0]
PG_NOISE = 1.0
PG_SAMPLES = 5_000
PG_STEPS = 300
PG_RUNS = 50
PG_LEARNING_RATE = 0.1
PPO_REWARDS = [1.0, 0.0, 0.5, 0.2]
PPO_EPSILON = 0.2
PPO_LEARNING_RATE = 1.0
PPO_EPOCHS = 50

# Caps beyond the parameter schemas: magnitudes with no meaning at this scale are refused.
MAX_ABS_REWARD = 1e6
MAX_ABS_LOGIT = 30.0
MAX_NOISE = 1e6
MAX_LEARNING_RATE = 100.0

MLE_CAPS = {
    "max_observations": likelihood.MAX_OBSERVATIONS,
    "max_abs_feature": likelihood.MAX_ABS_FEATURE,
}
KL_CAPS = {"max_categories": divergence.MAX_CATEGORIES}
_BANDIT_CAPS = {
    "max_arms": policy_gradient.MAX_ARMS,
    "max_abs_reward": MAX_ABS_REWARD,
    "max_abs_logit": MAX_ABS_LOGIT,
    "max_learning_rate": MAX_LEARNING_RATE,
}
PG_CAPS = {
    **_BANDIT_CAPS,
    "max_noise": MAX_NOISE,
    "max_samples": policy_gradient.MAX_SAMPLES,
    "max_steps": policy_gradient.MAX_STEPS,
    "max_runs": policy_gradient.MAX_RUNS,
    "max_pulls": policy_gradient.MAX_PULLS,
}
PPO_CAPS = {**_BANDIT_CAPS, "max_epochs": ppo.MAX_EPOCHS, "max_epsilon": ppo.MAX_EPSILON}

Progress = Callable[[float], None]


def _witness(errors, call: Callable[[], Any], default_field: str) -> bool:
    """Run a witness check; a WitnessInputError becomes a message on its field."""
    try:
        call()
    except witnesses.WitnessInputError as exc:
        errors.witness(exc, default_field)
        return False
    return True


def _bounded(errors, name: str, values: list[float] | None, bound: float) -> None:
    if values is None:
        return
    for index, value in enumerate(values):
        if abs(value) > bound:
            errors.add(name, f"item {index} must lie within ±{bound:g}, got {value!r}")
            return


def _same_length(errors, name: str, values: list[float] | None, other: str, size: int) -> bool:
    if values is not None and len(values) != size:
        errors.add(name, f"must hold one value per item of {other} ({size}), got {len(values)}")
        return False
    return True


# mle-fit ------------------------------------------------------------------------------------


def canonical_mle_fit(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    x, y = values["x"], values["y"]
    bad = next((index for index, label in enumerate(y) if label not in (0.0, 1.0)), None)
    if bad is not None:
        errors.add("y", f"labels must be 0 or 1; item {bad} is {y[bad]!r}")
        return values
    values["y"] = [int(label) for label in y]
    if _same_length(errors, "y", y, "x", len(x)):
        _witness(errors, lambda: likelihood.check_logistic_data(x, values["y"]), "y")
    return values


def compute_mle_fit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    return witnesses.mle_report(params["x"], params["y"])


# kl-asymmetry -------------------------------------------------------------------------------


def canonical_kl_asymmetry(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    p, q = values["p"], values["q"]
    for name, dist in (("p", p), ("q", q)):
        _witness(
            errors,
            partial(check_distribution, name, dist, shape=None, strictly_positive=False),
            name,
        )
    if "q" not in errors:
        _same_length(errors, "q", q, "p", len(p))
    return values


def compute_kl_asymmetry(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    return witnesses.kl_report(params["p"], params["q"])


# reinforce-bandit ---------------------------------------------------------------------------


def _check_bandit(values: dict[str, Any], errors, logits: str) -> None:
    """Bounded mean rewards, and one bounded logit per arm (zeros when not given)."""
    rewards = values["mean_rewards"]
    _bounded(errors, "mean_rewards", rewards, MAX_ABS_REWARD)
    if values[logits] is None:
        values[logits] = [0.0] * len(rewards)
    elif _same_length(errors, logits, values[logits], "mean_rewards", len(rewards)):
        _bounded(errors, logits, values[logits], MAX_ABS_LOGIT)


def canonical_reinforce_bandit(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    _check_bandit(values, errors, "logits")
    pulls = values["steps"] * values["runs"]
    if pulls > policy_gradient.MAX_PULLS:
        errors.add(
            "steps",
            f"steps × runs must be at most {policy_gradient.MAX_PULLS:,} pulls, got {pulls:,}",
        )
    return values


def compute_reinforce_bandit(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    return witnesses.reinforce_report(
        params["mean_rewards"],
        params["logits"],
        noise=params["noise"],
        samples=params["samples"],
        steps=params["steps"],
        learning_rate=params["learning_rate"],
        seed=params["seed"],
        runs=params["runs"],
        progress=progress,
    )


# ppo-clip -----------------------------------------------------------------------------------


def canonical_ppo_clip(values: dict[str, Any], given: set[str], errors) -> dict[str, Any]:
    _check_bandit(values, errors, "old_logits")
    return values


def compute_ppo_clip(params: dict[str, Any], progress: Progress) -> dict[str, Any]:
    return witnesses.ppo_report(
        params["mean_rewards"],
        params["old_logits"],
        epsilon=params["epsilon"],
        learning_rate=params["learning_rate"],
        epochs=params["epochs"],
        progress=progress,
    )


# Cost estimates -----------------------------------------------------------------------------

# Upper bounds, about twice what the worst case at each cap took on the development machine
# (2 shared cores): a Newton fit of 10,000 observations, 14 ms; the KL fits at 200 categories,
# 80 ms; REINFORCE's training, 35 µs per step plus 66 ns per pull and arm for both baselines
# together (2,000 steps × 50 runs × 50 arms: 0.40 s); PPO's two ascents, 0.24 ms per epoch.
MLE_SECONDS_PER_OBSERVATION = 3e-6
KL_SECONDS_PER_CATEGORY = 1e-3
PG_SECONDS_PER_STEP = 1e-4
PG_SECONDS_PER_PULL_AND_ARM = 1.2e-7
PG_SECONDS_PER_SAMPLE = 2e-7
PPO_SECONDS_PER_EPOCH = 4e-4


def foundation_run_cost(*, kind: str, params: dict[str, Any]) -> tuple[float, str, str] | None:
    """(seconds, driving parameter, what drives it) for these kinds; None for any other."""
    if kind == "mle-fit":
        n = len(params["x"])
        return MLE_SECONDS_PER_OBSERVATION * n, "x", f"a Newton fit of {n:,} observations"
    if kind == "kl-asymmetry":
        k = len(params["p"])
        return KL_SECONDS_PER_CATEGORY * k, "p", f"fits over {k:,} categories"
    if kind == "reinforce-bandit":
        arms, steps, runs = len(params["mean_rewards"]), params["steps"], params["runs"]
        seconds = (
            PG_SECONDS_PER_STEP * steps
            + PG_SECONDS_PER_PULL_AND_ARM * steps * runs * arms
            + PG_SECONDS_PER_SAMPLE * params["samples"]
        )
        return seconds, "steps", f"{steps:,} training steps × {runs} runs over {arms} arms"
    if kind == "ppo-clip":
        epochs = params["epochs"]
        return PPO_SECONDS_PER_EPOCH * epochs, "epochs", f"{epochs:,} epochs of two ascents"
    return None


# Chart panels (matplotlib Axes methods only: nothing is imported here) -----------------------


def _mle_likelihood_panel(ax, result: dict[str, Any]) -> None:
    bernoulli = result["bernoulli"]
    ax.plot(bernoulli["curve"]["p"], bernoulli["curve"]["log_likelihood"], label="ℓ(p)")
    ax.axvline(bernoulli["p_hat"], color="black", linewidth=0.8, label="p̂ = k/n")
    ax.set_xlabel("p")
    ax.set_ylabel("log-likelihood")
    se = bernoulli["standard_error"]
    shown = "" if se is None else f", SE = {se:.3f}"
    ax.set_title(
        f"Bernoulli: k = {bernoulli['k']} of n = {bernoulli['n']}, p̂ = {bernoulli['p_hat']:.3f}"
        + shown,
        fontsize="medium",
    )
    ax.legend(loc="best", fontsize="small")


def _mle_logistic_panel(ax, result: dict[str, Any]) -> None:
    logistic = result["logistic"]
    ax.plot(logistic["curve"]["x"], logistic["curve"]["probability"], label="σ(â + b̂x)")
    ax.axhline(result["bernoulli"]["p_hat"], color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("x")
    ax.set_ylabel("P(y = 1 | x)")
    se = logistic["standard_errors"]
    ax.set_title(
        f"Logistic fit ({logistic['iterations']} Newton steps): slope {logistic['slope']:.3f} "
        f"± {se[1]:.3f}",
        fontsize="medium",
    )
    ax.legend(loc="best", fontsize="small")


def _kl_panel(ax, result: dict[str, Any]) -> None:
    _bars(ax, [("p", result["p"]), ("q", result["q"])])
    forward, reverse = result["kl_p_q"], result["kl_q_p"]
    ax.set_title(
        f"KL(p‖q) = {_nats(forward)}, KL(q‖p) = {_nats(reverse)}: not symmetric",
        fontsize="medium",
    )


def _kl_fits_panel(ax, result: dict[str, Any]) -> None:
    fits = result.get("fits")
    if not fits:
        ax.set_axis_off()
        ax.set_title("p has a zero: the reverse fit KL(q‖p) is infinite for every bump")
        return
    _bars(
        ax,
        [
            ("p", result["p"]),
            ("argmin KL(p‖q): covers", fits["forward"]["q"]),
            ("argmin KL(q‖p): seeks a mode", fits["reverse"]["q"]),
        ],
    )
    ax.set_title("Fitting one bump to p in each direction", fontsize="medium")


def _pg_training_panel(ax, result: dict[str, Any]) -> None:
    for name, run in result["training"].items():
        mean = np.asarray(run["mean_expected_reward"])
        spread = np.asarray(run["spread_expected_reward"])
        label = "no baseline" if name == "none" else "running-mean baseline"
        ax.plot(run["curve_steps"], mean, label=label)
        ax.fill_between(run["curve_steps"], mean - spread, mean + spread, alpha=0.2)
    ax.set_xlabel("training step (one pull per run)")
    ax.set_ylabel("expected reward J(θ)")
    runs = next(iter(result["training"].values()))["runs"]
    ax.set_title(f"REINFORCE, mean ± spread over {runs} runs", fontsize="medium")
    ax.legend(loc="best", fontsize="small")


def _pg_estimates_panel(ax, result: dict[str, Any]) -> None:
    estimates = result["estimates"]
    arms = np.arange(result["arms"])
    names = ("none", "optimal")
    width = 0.8 / (len(names) + 1)
    ax.bar(arms - width, result["exact_gradient"], width, label="exact ∇J")
    for offset, name in enumerate(names):
        estimate = estimates[name]
        ax.bar(
            arms + offset * width,
            estimate["sampled_mean"],
            width,
            yerr=estimate["standard_error"],
            label=f"sampled, b = {estimate['baseline']:.3g} (V = {estimate['exact_variance']:.3g})",
        )
    ax.set_xticks(arms)
    ax.set_xlabel("arm")
    ax.set_ylabel("gradient component")
    ax.set_title(
        f"Same mean, different variance ({result['samples']:,} seeded pulls)", fontsize="medium"
    )
    ax.legend(loc="best", fontsize="small")


def _ppo_terms_panel(ax, result: dict[str, Any]) -> None:
    curve, eps = result["term_curve"], result["epsilon"]
    ax.plot(curve["ratio"], curve["positive_advantage"], label="A = +1: min(ρA, clip(ρ)A)")
    ax.plot(curve["ratio"], curve["negative_advantage"], label="A = −1")
    for bound in (1.0 - eps, 1.0 + eps):
        ax.axvline(bound, color="grey", linewidth=0.8, linestyle=":")
    ax.set_xlabel("probability ratio ρ = π_θ/π_old")
    ax.set_ylabel("surrogate term")
    ax.set_title(f"The clipped term is flat past 1 ± ε (ε = {eps:g})", fontsize="medium")
    ax.legend(loc="best", fontsize="small")


def _ppo_runs_panel(ax, result: dict[str, Any]) -> None:
    for name, run in result["runs"].items():
        epochs = [row["epoch"] for row in run["history"]]
        ax.plot(epochs, [row["kl_old_new"] for row in run["history"]], label=f"{name}: KL")
    ax.set_yscale("symlog", linthresh=1e-3)
    ax.set_xlabel("epoch of gradient ascent")
    ax.set_ylabel("KL(π_old‖π_θ)")
    clipped = result["runs"]["clipped"]
    stalled = clipped["stalled_at_epoch"]
    when = f"stops at epoch {stalled}" if stalled is not None else "still moving"
    ax.set_title(
        f"Clipped ascent {when}; max |ρ − 1| = {clipped['final_max_ratio_deviation']:.3f}",
        fontsize="medium",
    )
    ax.legend(loc="best", fontsize="small")


def _bars(ax, series: list[tuple[str, list[float]]]) -> None:
    x = np.arange(len(series[0][1]))
    width = 0.8 / len(series)
    for index, (label, values) in enumerate(series):
        ax.bar(x + (index - (len(series) - 1) / 2) * width, values, width, label=label)
    ax.set_xticks(x)
    ax.set_xlabel("category")
    ax.set_ylabel("probability")
    ax.legend(loc="best", fontsize="small")


def _nats(value: float | None) -> str:
    return "∞" if value is None else f"{value:.4f}"


PANELS: dict[str, tuple[Callable[[Any, dict[str, Any]], None], ...]] = {
    "mle-fit": (_mle_likelihood_panel, _mle_logistic_panel),
    "kl-asymmetry": (_kl_panel, _kl_fits_panel),
    "reinforce-bandit": (_pg_training_panel, _pg_estimates_panel),
    "ppo-clip": (_ppo_terms_panel, _ppo_runs_panel),
}
