"""Demo runs are costed before they are queued: the queue, the cap (400) and the per-learner
limit on runs queued or running (429)."""

import pytest

from demos import costs
from demos.catalogue import KINDS
from demos.models import DemoRun
from demos.tasks import demo_run_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]
RUNS = "/api/v1/demos/{kind}/runs/"
Status = DemoRun.Status


def chain(k: int, repeats: int = 1) -> list[list[int]]:
    return [[i, i + 1] for i in range(k - 1)] * repeats


def cost_of(kind: str, **raw) -> costs.DemoRunCost:
    return costs.demo_run_cost(kind=kind, params=KINDS[kind].validate(raw))


@pytest.fixture
def routed(monkeypatch):
    """The queue each demos.run message is sent to, by run id, instead of a broker."""
    queues: dict[str, str] = {}

    def record(args=None, kwargs=None, **options):
        queues[args[0]] = options.get("queue")

    monkeypatch.setattr(demo_run_task, "apply_async", record)
    return queues


def test_the_pages_demos_are_cheap():
    """Every kind on the page's defaults is estimated far under a second: the cheap queue. The
    RLHF page's kinds cost milliseconds; REINFORCE's training runs, the dearest default of the
    pages it builds on, about 40 ms; the win-matrix fit's bound, which counts every step MM may
    take, about 0.2 s."""
    foundations = {"mle-fit", "kl-asymmetry", "reinforce-bandit", "ppo-clip"}
    for kind in KINDS:
        cost = cost_of(kind)
        limit = 0.05 if kind in foundations else 0.25 if kind == "bradley-terry" else 0.01
        assert cost.queue == costs.CHEAP_QUEUE and cost.seconds < limit, (kind, cost)


def test_long_page_loops_and_big_newton_fits_go_to_the_expensive_queue():
    """1,000 pairs through the page's loop, or 20,000 pairs over 1,000 candidates: expensive."""
    page = cost_of("reward-fit", K=1000, pairs=chain(1000), method="page")
    newton = cost_of("kl-policy", K=1000, pairs=chain(1000, 20), l2=1e-9)
    assert page.queue == newton.queue == costs.EXPENSIVE_QUEUE
    assert page.seconds == pytest.approx(2.0, rel=0.01)
    assert newton.seconds == pytest.approx(4.0, rel=0.01)


def test_submission_is_routed_to_the_queue_its_estimate_picks(
    learner_client, routed, django_capture_on_commit_callbacks
):
    """The API stores the estimate and the queue on the run and sends the message there."""
    with django_capture_on_commit_callbacks(execute=True):
        cheap = learner_client.post(RUNS.format(kind="kl-policy"), {"beta": 0.61}, format="json")
        dear = learner_client.post(
            RUNS.format(kind="reward-fit"),
            {"K": 1000, "pairs": chain(1000), "method": "page"},
            format="json",
        )
    assert cheap.status_code == dear.status_code == 202
    assert cheap.json()["queue"] == costs.CHEAP_QUEUE
    assert dear.json()["queue"] == costs.EXPENSIVE_QUEUE
    assert dear.json()["estimated_seconds"] == pytest.approx(2.0, rel=0.01)
    assert routed == {
        cheap.json()["id"]: costs.CHEAP_QUEUE,
        dear.json()["id"]: costs.EXPENSIVE_QUEUE,
    }


def test_a_run_estimated_past_the_cap_is_a_400_naming_the_pairs_before_any_work(
    learner_client, routed
):
    """A 1,000-candidate chain of 99,900 pairs with a tiny l2 (measured: 19 s) is refused."""
    response = learner_client.post(
        RUNS.format(kind="reward-fit"),
        {"K": 1000, "pairs": chain(1000, 100), "l2": 1e-12},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["errors"]["pairs"][0]
    assert "estimated at 20.0 s" in message and "cap of 15 s" in message, message
    assert not DemoRun.objects.exists() and routed == {}


def test_a_learner_past_the_in_flight_limit_gets_429_with_retry_after(
    learner_client, other_learner_client, routed, settings
):
    """With 3 runs queued, a learner's 4th new run is a 429 with Retry-After and a message;
    another learner is unaffected, and asking again for a queued run is not refused."""
    settings.DEMO_RUNS_IN_FLIGHT_MAX = 3
    url = RUNS.format(kind="kl-policy")
    first = [learner_client.post(url, {"beta": 0.5 + i / 10}, format="json") for i in range(3)]
    assert [response.status_code for response in first] == [202, 202, 202]
    refused = learner_client.post(url, {"beta": 0.99}, format="json")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "3 demo runs queued or running; at most 3" in refused.json()["detail"]
    assert other_learner_client.post(url, {"beta": 0.99}, format="json").status_code == 202
    again = learner_client.post(url, {"beta": 0.5}, format="json")
    assert again.status_code == 202 and again.json()["id"] == first[0].json()["id"]
    DemoRun.objects.filter(pk=first[0].json()["id"]).update(status=Status.SUCCEEDED)
    assert learner_client.post(url, {"beta": 0.98}, format="json").status_code == 202


def test_triplets_cost_their_rows_for_newton_and_their_battles_for_the_page_loop():
    """The Newton fit works on win counts, so a row costs what a pair does whatever its count;
    the page's loop walks every battle."""
    rows = [[i, i + 1, 400] for i in range(9)] + [[9, 0, 400]]
    newton = cost_of("reward-fit", K=10, triplets=rows)
    assert newton.seconds == cost_of("reward-fit", K=10, pairs=[row[:2] for row in rows]).seconds
    assert newton.driver == "triplets" and "10 triplets" in newton.detail
    page = cost_of("reward-fit", K=10, triplets=rows[:4], method="page")
    assert page.driver == "triplets" and "1,600 battles" in page.detail
    assert page.seconds == pytest.approx(costs.FIXED_SECONDS + 1600 * costs.PAGE_SECONDS_PER_PAIR)
