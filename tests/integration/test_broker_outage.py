"""Redis stopped while learners submit runs, then started again on the same port: the API
answers 202 quickly throughout, /healthz says 503 naming the broker, and once Redis is back
the sweep sends the runs left queued and a worker computes each exactly once."""

import time
from datetime import timedelta

import pytest

from demos import services
from demos.models import DemoRun
from demos.tasks import demo_run_sweep_task
from tests.servers import wait_until

from .conftest import all_finished, assert_succeeded_once, figures_record, slow_params
from .fault_injection import SLOW

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]
Status = DemoRun.Status
RUNS = f"/api/v1/demos/{SLOW}/runs/"
SUBMISSIONS = 6
# Learners keep submitting over this long an outage.
OUTAGE_S = 3.0


def connections_made(worker) -> int:
    return worker.output().count("Connected to redis://")


@pytest.mark.timeout(150)
def test_runs_submitted_while_redis_is_down_finish_once_after_it_returns(
    fault_workers, journal, learner_client, redis_server, settings, monkeypatch
):
    """During the outage: 202 in under 3 s, runs stay queued, /healthz 503 (broker). After it:
    nothing arrives until the sweep sends each run, then every run succeeds once."""
    worker = fault_workers(name="outage", concurrency=2)
    settings.CELERY_BROKER_URL = redis_server.url
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
    settings.DEMO_RUNS_IN_FLIGHT_MAX = SUBMISSIONS  # one learner submits them all
    assert learner_client.get("/healthz").status_code == 200

    redis_server.stop()
    outage_began = time.monotonic()
    latencies, run_ids = [], []
    for token in range(300, 300 + SUBMISSIONS):
        sent = time.monotonic()
        response = learner_client.post(RUNS, slow_params(token, 0.5), format="json")
        latencies.append(time.monotonic() - sent)
        assert response.status_code == 202, response.content
        run_ids.append(response.json()["id"])
        time.sleep(OUTAGE_S / SUBMISSIONS)
    assert max(latencies) < 3
    health = learner_client.get("/healthz")
    assert health.status_code == 503
    body = health.json()
    assert body["down"] == ["broker"] and body["checks"]["database"]["ok"] is True
    assert set(DemoRun.objects.filter(pk__in=run_ids).values_list("status", flat=True)) == {
        Status.QUEUED
    }

    before = connections_made(worker)
    redis_server.start()
    restarted = time.monotonic()
    wait_until(lambda: connections_made(worker) > before, 60, what="the worker to reconnect")
    reconnect_s = time.monotonic() - restarted
    assert learner_client.get("/healthz").status_code == 200
    time.sleep(1.0)
    # The broker lost nothing it had: these runs were never in it, so they wait for the sweep.
    assert DemoRun.objects.filter(pk__in=run_ids, status=Status.QUEUED).count() == SUBMISSIONS
    assert journal.events("started") == []

    monkeypatch.setattr(services, "RESEND_AFTER", timedelta(0))
    swept = time.monotonic()
    assert demo_run_sweep_task() == SUBMISSIONS
    finished = all_finished(run_ids, timeout=60)
    for run in finished:
        assert_succeeded_once(run, journal)
        assert run.attempts == 1
    figures_record(
        "redis_outage",
        {
            "runs_submitted_during_outage": SUBMISSIONS,
            "max_submit_latency_s": round(max(latencies), 3),
            "healthz_during_outage": health.status_code,
            "outage_s": round(restarted - outage_began, 2),
            "worker_reconnect_s": round(reconnect_s, 2),
            "sweep_to_all_succeeded_s": round(time.monotonic() - swept, 2),
        },
    )
