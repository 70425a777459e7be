"""The real path: API → on_commit → broker → a separate `celery worker` process → database.

Each test starts its own worker on a broker of its own (the embedded SQLite broker in a
temporary folder, or a throwaway Redis), so nothing else consumes its messages. The worker
shares the test database, hence transactional tests: rows must be committed for it to see them.
"""

import os
import signal
import time
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from demos.models import DemoRun
from demos.tasks import demo_run_sweep_task, demo_run_task
from tests.servers import CeleryWorker, RedisServer, wait_until

from .conftest import publishing_to

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
    pytest.mark.usefixtures("fresh_throttle"),
]
Status = DemoRun.Status
RUNS = "/api/v1/demos/kl-policy/runs/"
PAGE = {"method": "page"}
# About 2 s of the page's pure-Python loop: long enough to interrupt mid-computation.
# The page's own loop at its cap: about 3 s here, well past the 1 s limits the pool checks
# about once a second.
SLOW_FIT = {"method": "page", "K": 50, "pairs": [[i % 50, (i * 7 + 1) % 50] for i in range(5000)]}


def finished(run_id: str, timeout: float = 20) -> DemoRun:
    return wait_until(
        lambda: DemoRun.objects.filter(
            pk=run_id, status__in=[Status.SUCCEEDED, Status.FAILED]
        ).first(),
        timeout,
        what=f"demo run {run_id} to finish",
    )


def in_state(run_id: str, status: str, timeout: float = 20) -> DemoRun:
    return wait_until(
        lambda: DemoRun.objects.filter(pk=run_id, status=status).first(),
        timeout,
        what=f"demo run {run_id} to be {status}",
    )


def halt(worker: CeleryWorker) -> None:
    """A throwaway worker with nothing in flight is killed, not warm-shut (which takes ~7 s)."""
    worker.kill()
    worker.stop()


@pytest.fixture
def embedded_worker(tmp_path):
    """A worker on a private embedded (SQLite) broker; this process publishes there too."""
    broker = f"sqlite:///{tmp_path / 'broker.sqlite3'}"

    def start(**extra_env: str) -> CeleryWorker:
        env = {"LP_VAR_DIR": str(tmp_path), **extra_env}
        worker = CeleryWorker(broker, name="demos-embedded", extra_env=env).start()
        workers.append(worker)
        return worker

    workers: list[CeleryWorker] = []
    with publishing_to(broker, {"polling_interval": 0.05}):
        yield start
        for worker in workers:
            halt(worker)


@pytest.fixture
def redis_server():
    redis = RedisServer()
    yield redis
    redis.close()


def test_submitted_run_is_computed_by_a_worker_process_once(embedded_worker, learner_client):
    """202 → a real worker computes the page's numbers → the same request then answers 200."""
    embedded_worker()
    response = learner_client.post(RUNS, PAGE, format="json")
    assert response.status_code == 202
    run = finished(response.json()["id"])
    assert run.status == Status.SUCCEEDED, run.error
    assert np.round(run.result["learned_rewards"], 3).tolist() == [2.674, -2.674, 0.0, 0.0]
    assert run.result["shift_invariant"] is True and run.attempts == 1
    body = learner_client.get(response["Location"]).json()
    assert body["status"] == "succeeded" and body["progress"] == 1.0
    again = learner_client.post(RUNS, {"method": "gradient", "beta": 0.7}, format="json")
    assert again.status_code == 200 and again.json()["id"] == str(run.pk)
    time.sleep(0.3)  # a second message, had one been sent, would have been picked up by now
    assert DemoRun.objects.get(pk=run.pk).attempts == 1
    assert again.json()["result"] == body["result"]


def test_broker_outage_at_submit_is_healed_by_the_sweep(
    embedded_worker, learner_client, broker_down, monkeypatch
):
    """A run the broker never received stays queued; the periodic sweep sends it later."""
    embedded_worker()
    response = learner_client.post(RUNS, {"beta": 0.3}, format="json")
    assert response.status_code == 202 and len(broker_down) == 1
    monkeypatch.undo()  # the broker is back
    run_id = response.json()["id"]
    time.sleep(0.3)
    assert DemoRun.objects.get(pk=run_id).status == Status.QUEUED
    DemoRun.objects.filter(pk=run_id).update(enqueued_at=timezone.now() - timedelta(minutes=1))
    demo_run_sweep_task.delay()  # beat's message: the worker runs the sweep, then the run
    run = finished(run_id)
    assert run.status == Status.SUCCEEDED and run.attempts == 1


def test_soft_time_limit_fails_the_run_with_a_reason(embedded_worker, learner_client, monkeypatch):
    """A computation past its soft time limit is a failed run saying so."""
    # The limits travel in the message, so they are the sending process's.
    monkeypatch.setattr(demo_run_task, "soft_time_limit", 1)
    monkeypatch.setattr(demo_run_task, "_exec_options", None)
    embedded_worker()
    response = learner_client.post("/api/v1/demos/reward-fit/runs/", SLOW_FIT, format="json")
    run = finished(response.json()["id"])
    assert run.status == Status.FAILED
    assert run.error == "exceeded the soft time limit of 1 s"


def test_hard_time_limit_fails_the_run_with_a_reason(embedded_worker, learner_client, monkeypatch):
    """A computation killed at its hard time limit is a failed run saying so, not a stuck one."""
    monkeypatch.setattr(demo_run_task, "soft_time_limit", None)
    monkeypatch.setattr(demo_run_task, "time_limit", 1)
    monkeypatch.setattr(demo_run_task, "_exec_options", None)
    embedded_worker()
    response = learner_client.post("/api/v1/demos/reward-fit/runs/", SLOW_FIT, format="json")
    run = finished(response.json()["id"])
    assert run.status == Status.FAILED
    assert run.error == "exceeded the hard time limit of 1 s"


def test_worker_killed_mid_task_is_redelivered_and_finishes_once(embedded_worker, learner_client):
    """SIGKILL of the process computing a run: the message returns and a new process finishes it."""
    worker = embedded_worker()
    response = learner_client.post("/api/v1/demos/reward-fit/runs/", SLOW_FIT, format="json")
    run_id = response.json()["id"]
    in_state(run_id, Status.RUNNING)
    (child,) = worker.children()
    os.kill(child, signal.SIGKILL)
    run = finished(run_id, timeout=30)
    assert run.status == Status.SUCCEEDED, run.error
    assert run.attempts == 2


@pytest.mark.redis
def test_redis_broker_carries_a_run_to_a_worker(redis_server, learner_client):
    """On a real Redis the submitted run is computed by a separate worker process."""
    redis_server.start()
    worker = CeleryWorker(redis_server.url, name="demos-redis").start()
    try:
        with publishing_to(redis_server.url, {"visibility_timeout": 3600}):
            response = learner_client.post(RUNS, PAGE, format="json")
            assert response.status_code == 202
            run = finished(response.json()["id"])
    finally:
        halt(worker)
    assert run.status == Status.SUCCEEDED and run.attempts == 1
    assert np.round(run.result["learned_rewards"], 3).tolist() == [2.674, -2.674, 0.0, 0.0]


@pytest.mark.redis
def test_redis_down_at_submit_answers_202_fast_and_the_sweep_recovers(redis_server, learner_client):
    """With Redis unreachable the POST still answers 202 quickly; once it is back, the sweep
    sends the run and a worker computes it."""
    with publishing_to(redis_server.url, {"visibility_timeout": 3600}):
        started = time.monotonic()
        response = learner_client.post(RUNS, {"beta": 2.0}, format="json")
        elapsed = time.monotonic() - started
        assert response.status_code == 202 and elapsed < 3
        run_id = response.json()["id"]
        assert DemoRun.objects.get(pk=run_id).status == Status.QUEUED
        redis_server.start()
        worker = CeleryWorker(redis_server.url, name="demos-redis").start()
        try:
            DemoRun.objects.filter(pk=run_id).update(
                enqueued_at=timezone.now() - timedelta(minutes=1)
            )
            assert demo_run_sweep_task() == 1
            run = finished(run_id)
        finally:
            halt(worker)
    assert run.status == Status.SUCCEEDED and run.attempts == 1
