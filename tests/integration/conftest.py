"""Fixtures for the fault-injection tests: a throwaway Redis, workers that load the fault
kinds and witness their success writes, and the measured figures written for the README."""

import json

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from demos.models import DemoRun
from learning_platform.celery import app
from tests.demos.conftest import publishing_to
from tests.servers import ROOT, CeleryWorker, RedisServer, wait_until

from .fault_injection import LOG_ENV, Journal, expected_result, kinds_added

FIGURES = ROOT / "var" / "reliability" / "figures.json"
FAULT_MODULE = "tests.integration.fault_injection"
Status = DemoRun.Status


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.close()


@pytest.fixture
def journal(tmp_path) -> Journal:
    return Journal(tmp_path / "journal.jsonl")


@pytest.fixture
def fault_kinds():
    """The fault kinds in this process too: requests are validated here, computed there."""
    cache.clear()  # submission throttling counts live in the cache
    with kinds_added():
        yield
    cache.clear()


@pytest.fixture
def fault_workers(redis_server, journal, fault_kinds):
    """Start workers on the test's Redis that load the fault kinds; this process publishes
    there too. Every worker left is killed at the end."""
    workers: list[CeleryWorker] = []

    def start(name: str = "faults", concurrency: int = 2, **env: str) -> CeleryWorker:
        worker = CeleryWorker(
            redis_server.url,
            concurrency=concurrency,
            name=name,
            extra_env={LOG_ENV: str(journal.path), "CELERY_WORKER_LOST_WAIT": "1", **env},
            extra_args=["-I", FAULT_MODULE],
        ).start()
        workers.append(worker)
        return worker

    # A Celery app made elsewhere (a round-trip test's client) may have become the current app,
    # which shared tasks such as demos.run resolve through.
    app.set_current()
    with publishing_to(redis_server.url, {"visibility_timeout": 3600}):
        yield start
    for worker in workers:
        worker.kill()
        worker.stop()


def all_finished(run_ids, timeout: float) -> list[DemoRun]:
    def done():
        runs = list(DemoRun.objects.filter(pk__in=run_ids))
        return runs if all(run.is_done for run in runs) else None

    return wait_until(done, timeout, interval=0.1, what=f"{len(run_ids)} demo runs to finish")


def assert_succeeded_once(run: DemoRun, journal: Journal) -> None:
    """Succeeded, with the independently computed result, written by exactly one success
    write, by the process whose result is stored, after one computation per claim."""
    token = run.params["token"]
    assert run.status == Status.SUCCEEDED, (run.status, run.error)
    assert {k: v for k, v in run.result.items() if k != "pid"} == expected_result(token)
    # The worker journals its success write right after the write commits: under load the
    # test can see the stored status a moment before that line lands.
    wait_until(
        lambda: any(line["wrote"] for line in journal.returns(run.pk)),
        15,
        interval=0.05,
        what="the writing delivery's journal lines",
    )
    writes = journal.successes(run.pk)
    assert len(writes) == 1, writes
    assert writes[0]["pid"] == run.result["pid"] and writes[0]["attempt"] == run.attempts
    assert len(journal.starts(token)) == run.attempts


def slow_params(token: int, seconds: float) -> dict:
    return {"token": token, "seconds": seconds}


def broker_backlog(redis_url: str) -> dict[str, int]:
    """Messages Redis holds: waiting in the queues, and delivered but not acknowledged."""
    client = redis.Redis.from_url(redis_url)
    try:
        queued = sum(client.llen(queue) for queue in settings.CELERY_TASK_QUEUES)
        return {"queued": queued, "unacked": client.hlen("unacked")}
    finally:
        client.close()


def figures_record(name: str, values: dict) -> None:
    """Print a test's measured figures and merge them into var/reliability/figures.json."""
    print(f"\n[figures] {name}: {json.dumps(values, sort_keys=True)}")
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    try:
        figures = json.loads(FIGURES.read_text())
    except (FileNotFoundError, ValueError):
        figures = {}
    figures.setdefault("faults", {})[name] = {**values, "database": connection.vendor}
    partial = FIGURES.with_suffix(".json.partial")
    partial.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    partial.replace(FIGURES)
