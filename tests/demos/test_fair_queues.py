"""One learner flooding the demo queue does not starve another: a real worker set up as
`make run` starts it (one process, every queue) on the embedded broker."""

import time

import pytest

from demos.costs import CHEAP_QUEUE, EXPENSIVE_QUEUE
from demos.models import DemoRun
from tests.servers import CeleryWorker, wait_until

from .conftest import publishing_to

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
    pytest.mark.usefixtures("fresh_throttle"),
]
Status = DemoRun.Status
FIT = "/api/v1/demos/reward-fit/runs/"
POLICY = "/api/v1/demos/kl-policy/runs/"


def page_loop(seed: int) -> dict:
    """The page's loop over 750 pairs: estimated 1.5 s, so the expensive queue."""
    pairs = [[i % 50, (i + 1 + (seed + i) % 49) % 50] for i in range(750)]
    return {"method": "page", "K": 50, "pairs": pairs}


def test_a_flood_of_expensive_runs_does_not_make_another_learners_small_run_wait(
    tmp_path, learner_client, other_learner_client, settings
):
    """Eight expensive submissions from one learner: three are queued, five get 429. Another
    learner's small run, sent just after, finishes within one expensive run's compute plus
    2 s, before the flood has finished, instead of after all of it."""
    settings.DEMO_RUNS_IN_FLIGHT_MAX = 3
    broker = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    worker = CeleryWorker(
        broker, concurrency=1, name="fair", extra_env={"LP_VAR_DIR": str(tmp_path)}
    )
    with publishing_to(broker, {"polling_interval": 0.05}):
        # Submitted before the worker starts, so none of the three can finish in between.
        flood = [learner_client.post(FIT, page_loop(seed), format="json") for seed in range(8)]
        statuses = [response.status_code for response in flood]
        assert statuses == [202] * 3 + [429] * 5, statuses
        assert all(response.json()["queue"] == EXPENSIVE_QUEUE for response in flood[:3])
        assert all(int(response["Retry-After"]) >= 1 for response in flood[3:])
    worker.start()
    try:
        with publishing_to(broker, {"polling_interval": 0.05}):
            wait_until(
                lambda: DemoRun.objects.filter(status=Status.RUNNING).exists(),
                30,
                what="the first expensive run to start",
            )
            sent = time.monotonic()
            small = other_learner_client.post(POLICY, {"beta": 0.42}, format="json")
            assert small.status_code == 202 and small.json()["queue"] == CHEAP_QUEUE
            small_id = small.json()["id"]
            wait_until(
                lambda: DemoRun.objects.filter(pk=small_id, status=Status.SUCCEEDED).exists(),
                60,
                interval=0.02,
                what="the small run to succeed",
            )
            waited = time.monotonic() - sent
            flood_ids = [response.json()["id"] for response in flood[:3]]
            wait_until(
                lambda: (
                    DemoRun.objects.filter(pk__in=flood_ids, status=Status.SUCCEEDED).count() == 3
                ),
                90,
                what="the flood to finish",
            )
    finally:
        worker.kill()
        worker.stop()
    runs = {str(run.pk): run for run in DemoRun.objects.all()}
    longest = max(runs[run_id].compute_ms for run_id in flood_ids) / 1000
    last_flood_finish = max(runs[run_id].finished_at for run_id in flood_ids)
    assert runs[small_id].finished_at < last_flood_finish
    assert waited < longest + 2.0, (waited, longest)
    print(
        f"\n[figures] fair queues: small run waited {waited:.2f} s behind a flood of 3 × "
        f"{longest:.2f} s (the flood's own compute: "
        f"{sum(runs[i].compute_ms for i in flood_ids) / 1000:.2f} s)"
    )
