"""SVG charts of a finished run, drawn with matplotlib's object API on the Agg/SVG backends.

pyplot keeps global state and is not thread-safe; a Figure with its own canvas is, so the
web server can draw in any thread.
"""

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from .kinds_pages_foundations import PANELS as FOUNDATION_PANELS

# Above this many candidates the bars would be unreadable; lines are drawn instead.
MAX_BARS = 40


def demo_result_svg(kind: str, result: dict[str, Any]) -> bytes:
    """π_ref against π* (and the shifted π*), plus the β sweep when the result has one; the
    kinds of the pages RLHF builds on, and of the preference pages, draw their own panels."""
    panels = FOUNDATION_PANELS.get(kind) or PREFERENCE_PANELS.get(kind)
    if panels:
        axes = _axes(len(panels))
        for ax, panel in zip(axes, panels, strict=True):
            panel(ax, result)
        return _svg(axes[0].figure)
    sweep = result.get("sweep") if kind != "reward-hacking" else result
    has_sweep = bool(sweep and sweep.get("rows"))
    axes = _axes(2 if has_sweep else 1)
    if kind == "reward-fit":
        _rewards_panel(axes[0], result)
    elif kind == "reward-hacking":
        _hacking_policy_panel(axes[0], result)
    else:
        _policy_panel(axes[0], result)
    if sweep and has_sweep:
        _sweep_panel(axes[1], sweep, beta=result.get("beta"))
    return _svg(axes[0].figure)


def _axes(panels: int) -> list:
    figure = Figure(figsize=(7.0, 3.6 * panels), layout="constrained")
    FigureCanvasSVG(figure)
    return list(figure.subplots(panels, 1, squeeze=False)[:, 0])


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _bars(ax, series: list[tuple[str, list[float]]], ylabel: str) -> None:
    k = len(series[0][1])
    x = np.arange(k)
    if k <= MAX_BARS:
        width = 0.8 / len(series)
        for i, (label, values) in enumerate(series):
            ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label)
        ax.set_xticks(x)
    else:
        for label, values in series:
            ax.plot(x, values, label=label, linewidth=1)
    ax.set_xlabel("candidate y")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best", fontsize="small")


def _policy_panel(ax, result: dict[str, Any]) -> None:
    series = [("π_ref", result["pi_ref"]), ("π*", result["pi_star"])]
    proxy = result.get("proxy")
    if proxy:
        series.append(("π* without proxy gap", proxy["pi_star_without_gap"]))
    _bars(ax, series, "probability")
    agree = "agrees" if result.get("shift_invariant") else "DISAGREES"
    ax.set_title(
        f"β = {result['beta']:g}: π* ∝ π_ref·exp(r/β); KL = {result['kl']:.4f}; "
        f"π* for r + {result['shift']:g} {agree}",
        fontsize="medium",
    )


def _hacking_policy_panel(ax, result: dict[str, Any]) -> None:
    _bars(
        ax,
        [("true utility u", result["true_utility"]), ("proxy r", result["proxy_rewards"])],
        "reward",
    )
    ax.set_title("The proxy the policy optimises, against the true utility", fontsize="medium")


def _rewards_panel(ax, result: dict[str, Any]) -> None:
    _bars(ax, [("learned reward r", result["rewards"])], "reward (mean zero)")
    fit = result.get("fit") or {}
    ax.set_title(
        f"Bradley–Terry fit ({fit.get('method', '?')}, {fit.get('iterations', '?')} iterations, "
        f"converged: {fit.get('converged')})",
        fontsize="medium",
    )


def _sweep_panel(ax, sweep: dict[str, Any], beta: float | None) -> None:
    rows = sweep["rows"]
    betas = [row["beta"] for row in rows]
    ax.plot(betas, [row["expected_proxy_reward"] for row in rows], label="E[proxy r]")
    ax.plot(betas, [row["expected_true_utility"] for row in rows], label="E[true u]")
    ax.plot(betas, [row["kl"] for row in rows], label="KL(π*‖π_ref)", linestyle="--")
    ax.set_xscale("log")
    ax.set_xlabel("β (log scale)")
    best = sweep.get("beta_at_max_true_utility")
    if best is not None:
        ax.axvline(best, color="grey", linewidth=0.8, linestyle=":")
        ax.annotate(
            f"max true utility at β = {best:.3g}",
            (best, 0.02),
            xycoords=("data", "axes fraction"),
            fontsize="small",
        )
    if beta is not None:
        ax.axvline(beta, color="black", linewidth=0.8)
    ax.set_title("β sweep: lowering β past the peak costs true utility", fontsize="medium")
    ax.legend(loc="best", fontsize="small")


# bradley-terry, dpo, overoptimization -----------------------------------------------------


def _bt_strengths_panel(ax, result: dict[str, Any]) -> None:
    _bars(ax, [("strength γ (sums to 1)", result["strengths"])], "strength")
    ax.set_xlabel("item")
    ax.set_title(
        f"Bradley–Terry fit ({result['method']}, {result['iterations']} iterations, "
        f"converged: {result['converged']})",
        fontsize="medium",
    )


def _bt_wins_panel(ax, result: dict[str, Any]) -> None:
    _bars(
        ax,
        [("observed wins", result["observed_wins"]), ("expected wins", result["expected_wins"])],
        "wins",
    )
    ax.set_xlabel("item")
    ax.set_title(
        f"At the fit each item's expected wins equal its wins (largest gap "
        f"{result['residual']:.1e})",
        fontsize="medium",
    )


def _dpo_policy_panel(ax, result: dict[str, Any]) -> None:
    _bars(
        ax,
        [
            ("π_ref", result["pi_ref"]),
            ("RLHF π*", result["rlhf_policy"]),
            ("DPO optimum", result["dpo_policy"]),
        ],
        "probability",
    )
    ax.set_title(
        f"β = {result['beta']:g}: DPO's optimum and the RLHF policy differ by at most "
        f"{result['policy_max_abs_diff']:.1e}",
        fontsize="medium",
    )


def _dpo_rewards_panel(ax, result: dict[str, Any]) -> None:
    offset = result["minus_beta_log_partition"]
    shifted = [value - offset for value in result["implicit_rewards"]]
    _bars(
        ax,
        [
            ("Bradley–Terry reward r", result["reward_model"]["rewards"]),
            ("β·log(π/π_ref) + β·log Z", shifted),
        ],
        "reward",
    )
    ax.set_title("DPO's implicit reward is the reward model's, up to −β·log Z", fontsize="medium")


def _overoptimization_panel(ax, result: dict[str, Any]) -> None:
    rows = result["rows"]
    kl = [row["kl"] for row in rows]
    ax.plot(kl, [row["expected_proxy"] for row in rows], marker=".", label="E[proxy r]")
    ax.plot(kl, [row["expected_gold"] for row in rows], marker=".", label="E[gold g]")
    peak = result["gold_peak"]
    ax.axvline(peak["kl"], color="grey", linewidth=0.8, linestyle=":")
    ax.annotate(
        f"gold peaks at KL = {peak['kl']:.3g}",
        (peak["kl"], 0.02),
        xycoords=("data", "axes fraction"),
        fontsize="small",
    )
    ax.set_xlabel("KL(π‖π_ref)")
    ax.set_ylabel("expected reward")
    ax.set_title(f"{result['optimizer']}: proxy against gold as pressure grows", fontsize="medium")
    ax.legend(loc="best", fontsize="small")


def _overoptimization_rewards_panel(ax, result: dict[str, Any]) -> None:
    _bars(
        ax,
        [("gold g", result["gold_reward"]), ("proxy r", result["proxy_reward"])],
        "reward",
    )
    ax.set_title("Where the proxy disagrees with the gold reward", fontsize="medium")


PREFERENCE_PANELS = {
    "bradley-terry": (_bt_strengths_panel, _bt_wins_panel),
    "dpo": (_dpo_policy_panel, _dpo_rewards_panel),
    "overoptimization": (_overoptimization_panel, _overoptimization_rewards_panel),
}
