"""What a demo run will cost, estimated from its canonical parameters before it is queued.

The estimate is an upper bound in seconds of one core of the development machine, from
measured worst cases (``demos.witnesses`` on 2 shared cores):

* the page's loop (``method=page``) is plain Python over the pairs, 800 times: 2 ms per pair
  (5,000 pairs took 10 s);
* the Newton fit solves each step by conjugate gradients, which on an ill-conditioned problem
  (a long chain of pairs, a tiny ``l2``) needs up to K iterations over the N pairs: 2e-7 s
  per pair and candidate (a 1,000-candidate chain of 99,900 pairs at l2 = 1e-12: 18.8 s;
  well-conditioned fits of the same size finish in 0.05 s, so the bound is loose for them).
  The fit runs on the win counts, so a ``triplets`` row costs what a pair does however
  many battles it counts; the page's loop still walks every battle;
* the policy and the β sweep touch K values per β: 1e-7 s each, plus 2 ms of fixed cost;
* the kinds of the pages RLHF builds on estimate themselves
  (``kinds_pages_foundations.foundation_run_cost``), and so do the preference pages' kinds
  (``kinds_pages_preferences.preference_run_cost``).

A run estimated above ``EXPENSIVE_AFTER_SECONDS`` goes to the expensive queue, so that the
cheap queue's runs never wait behind it; one above ``settings.DEMO_RUN_MAX_SECONDS`` is refused.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .kinds_pages_foundations import foundation_run_cost
from .kinds_pages_preferences import preference_run_cost
from .kinds_pages_rlhf import KL_POLICY_SWEEP

CHEAP_QUEUE = "demos-cheap"
EXPENSIVE_QUEUE = "demos-expensive"
EXPENSIVE_AFTER_SECONDS = 0.5

PAGE_SECONDS_PER_PAIR = 2e-3
NEWTON_SECONDS_PER_PAIR_AND_CANDIDATE = 2e-7
POLICY_SECONDS_PER_VALUE = 1e-7
FIXED_SECONDS = 2e-3


@dataclass(frozen=True)
class DemoRunCost:
    seconds: float
    queue: str
    # The parameter that drives the cost: where a refusal's message goes.
    driver: str
    detail: str


def demo_run_cost(*, kind: str, params: dict[str, Any]) -> DemoRunCost:
    k = int(params.get("K") or len(params.get("true_utility") or ()) or 1)
    seconds, driver, detail = FIXED_SECONDS, "K", ""
    triplets = params.get("triplets")
    if kind in ("reward-fit", "kl-policy") and (params.get("pairs") or triplets) is not None:
        driver, rows = ("pairs", params["pairs"]) if triplets is None else ("triplets", triplets)
        n = len(rows)
        if params.get("method") == "page":
            battles = n if triplets is None else sum(row[2] for row in triplets)
            fit = PAGE_SECONDS_PER_PAIR * battles
            detail = f"the page's loop over {battles:,} battles"
        else:
            fit = NEWTON_SECONDS_PER_PAIR_AND_CANDIDATE * n * k
            detail = f"a Newton fit of {n:,} {driver} over K = {k:,} candidates"
        seconds += fit
    if kind == "kl-policy":
        betas = 1 + (KL_POLICY_SWEEP[2] if params.get("proxy_gap") else 0)
        seconds += POLICY_SECONDS_PER_VALUE * k * betas
    elif kind == "reward-hacking":
        points = int(params.get("points") or 1)
        seconds += POLICY_SECONDS_PER_VALUE * k * points
        driver, detail = "points", f"a sweep of {points} β values over {k:,} candidates"
    elif (
        estimate := foundation_run_cost(kind=kind, params=params)
        or preference_run_cost(kind=kind, params=params)
    ) is not None:
        extra, driver, detail = estimate
        seconds += extra
    queue = EXPENSIVE_QUEUE if seconds > EXPENSIVE_AFTER_SECONDS else CHEAP_QUEUE
    return DemoRunCost(seconds=round(seconds, 4), queue=queue, driver=driver, detail=detail)


def demo_run_cost_refusal(cost: DemoRunCost) -> dict[str, list[str]] | None:
    """A message per field when the estimate is past the cap, else None."""
    cap = settings.DEMO_RUN_MAX_SECONDS
    if cost.seconds <= cap:
        return None
    what = f" ({cost.detail})" if cost.detail else ""
    return {
        cost.driver: [
            f"this run is estimated at {cost.seconds:.1f} s of computation{what}, past the "
            f"cap of {cap:g} s; use fewer pairs, a smaller K or method newton"
        ]
    }
