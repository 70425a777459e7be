"""Benchmark 4: what the demo queue costs on top of the computation.

    .venv/bin/python -m benchmarks.bench_demo_queue [--rounds 7] [--per-round 5] [--seconds 0.7]

Through the real stack (the API via Django's test client, a `celery worker` subprocess, the
database), on Redis (a throwaway redis-server on loopback, when the binary exists) and on the
embedded broker (kombu's SQLAlchemy transport on SQLite, the default without Redis):

* queue overhead = submit-to-succeeded latency minus the run's own compute time, over
  distinct runs, against the broker's floor: a bare Celery round trip
  (``learning_platform.ping``) on the same broker and worker, timed alternately with the runs
  in the same rounds; the ratio is each round's p50 over that round's p50, reported as the
  median (min–max) of the rounds, with the overhead split into phases from the run's rows;
* cached submissions per second (the same parameters again, answered from the DemoRun
  cache) against the framework's floor: a trivial authenticated DRF JSON endpoint, timed
  round-robin with it (benchmarks.harness.interleaved).

Exits 1 when the Redis overhead ratio misses --target.

Uses its own database and broker folders under var/bench-demos (LP_VAR_DIR), recreated on
every run.
"""

import argparse
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var" / "bench-demos"
os.environ["LP_VAR_DIR"] = str(VAR_DIR.relative_to(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning_platform.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.pop("DATABASE_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
if VAR_DIR.exists():
    shutil.rmtree(VAR_DIR)

import django

django.setup()

from celery import Celery
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test.utils import override_settings
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from benchmarks.harness import ROUNDS, SECONDS, Stats, interleaved, ratios
from demos.models import DemoRun
from learning_platform.celery import app
from tests.servers import CeleryWorker, RedisServer

RUNS_URL = "/api/v1/demos/kl-policy/runs/"
FLOOR_URL = "/bench/floor/"
FLOOR_DB_URL = "/bench/floor-db/"


class FloorApi(APIView):
    """The least an authenticated JSON POST costs in this stack."""

    permission_classes = [IsAuthenticated]

    def post(self, request):
        return Response({"ok": True, "echo": request.data}, status=200)


class FloorDbApi(FloorApi):
    """The floor plus one indexed query: on SQLite every request opens its connection."""

    def post(self, request):
        exists = DemoRun.objects.filter(pk="00000000-0000-0000-0000-000000000000").exists()
        return Response({"ok": True, "exists": exists, "echo": request.data}, status=200)


urlpatterns = [
    path("bench/floor/", FloorApi.as_view()),
    path("bench/floor-db/", FloorDbApi.as_view()),
    path("", include("learning_platform.urls")),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def point_app_at(url: str, transport_options: dict) -> None:
    """Point this process's Celery app (what the API's on_commit publishes with) at a broker."""
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options
    # The embedded broker names its transport class; any other URL names its own.
    app.conf.broker_transport = (
        "learning_platform.broker:Transport" if url.startswith("sqlite:") else None
    )
    app._pool = None
    app.amqp._producer_pool = None


def wait_succeeded(run_id: str, timeout: float = 30.0) -> tuple[DemoRun, float]:
    """The finished run, and the wall-clock time its status was first seen finished."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        status = DemoRun.objects.filter(pk=run_id).values_list("status", flat=True).first()
        if status in (DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED):
            seen = time.time()
            return DemoRun.objects.get(pk=run_id), seen
        time.sleep(0.001)
    raise TimeoutError(f"run {run_id} did not finish within {timeout} s")


@dataclass
class QueueSamples:
    """Per round: queue overhead and ping of each run, in seconds; phases of every run."""

    overhead: list[list[float]] = field(default_factory=list)
    ping: list[list[float]] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)
    phases: dict[str, list[float]] = field(default_factory=dict)

    def all(self, name: str) -> list[float]:
        return [value for values in getattr(self, name) for value in values]


PHASES = (
    ("request, up to the row insert", "submitted", "queued"),
    ("commit, publish, pickup, claim", "queued", "started"),
    ("worker writes beyond compute", "started", "finished"),
    ("finished until the poll saw it", "finished", "seen"),
)


def demo_run_once(client: APIClient, label: str, beta: float) -> tuple[float, float, dict]:
    """(overhead, compute, phase durations) of one distinct run, submission to succeeded."""
    submitted, started = time.time(), time.perf_counter()
    response = client.post(RUNS_URL, {"beta": beta}, format="json")
    assert response.status_code == 202, response.content
    run, seen = wait_succeeded(response.json()["id"])
    elapsed = time.perf_counter() - started
    assert run.status == DemoRun.Status.SUCCEEDED, run.error
    assert run.attempts == 1, f"{label}: run computed {run.attempts} times"
    compute = run.compute_ms / 1000
    stamps = {
        "submitted": submitted,
        "queued": run.queued_at.timestamp(),
        "started": run.started_at.timestamp(),
        "finished": run.finished_at.timestamp(),
        "seen": seen,
    }
    phases = {name: stamps[end] - stamps[begin] for name, begin, end in PHASES}
    phases["worker writes beyond compute"] -= compute
    return elapsed - compute, compute, phases


def measure_queue(
    client: APIClient, ping: Celery, label: str, rounds: int, per_round: int, offset: float
) -> QueueSamples:
    """Distinct runs and bare round trips, one after the other, in `rounds` rounds."""
    samples = QueueSamples()
    counter = iter(range(1_000_000))
    for _ in range(2):  # warm the worker, the broker connections and the pools up
        demo_run_once(client, label, round(offset + next(counter) / 1000, 6))
        ping_once(ping, next(counter))
    for _ in range(rounds):
        overhead, pings = [], []
        for _ in range(per_round):
            value, compute, phases = demo_run_once(
                client, label, round(offset + next(counter) / 1000, 6)
            )
            overhead.append(value)
            samples.compute.append(compute)
            for name, seconds in phases.items():
                samples.phases.setdefault(name, []).append(seconds)
            pings.append(ping_once(ping, next(counter)))
        samples.overhead.append(overhead)
        samples.ping.append(pings)
    return samples


def ping_client(broker_url: str, options: dict, backend: str) -> Celery:
    client = Celery("bench-ping", broker=broker_url, backend=backend, set_as_current=False)
    client.conf.broker_transport_options = options
    if broker_url.startswith("sqlite:"):
        client.conf.broker_transport = "learning_platform.broker:Transport"
    return client


def ping_once(client: Celery, i: int) -> float:
    """A bare task round trip through the same broker, worker and result backend."""
    started = time.perf_counter()
    result = client.send_task("learning_platform.ping", args=[str(i)])
    result.get(timeout=30, interval=0.001)
    return time.perf_counter() - started


def poster(client: APIClient, url: str, body: dict, expect: int):
    def post() -> None:
        response = client.post(url, body, format="json")
        assert response.status_code == expect, response.content

    return post


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def bench_broker(
    label: str, broker_url: str, options: dict, backend: str, worker_env: dict, args
) -> dict:
    point_app_at(broker_url, options)
    worker = CeleryWorker(broker_url, name=f"bench-{label}", extra_env=worker_env).start()
    ping = ping_client(broker_url, options, backend)
    try:
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(username="bench"))
        offset = 0.5 if label == "redis" else 5.0  # distinct runs per broker
        queue = measure_queue(client, ping, label, args.rounds, args.per_round, offset)
        cached_body = {"beta": offset}  # the first run measured above: served from the store
        rates = interleaved(
            client,
            {
                "floor": poster(client, FLOOR_URL, cached_body, 200),
                "floor_db": poster(client, FLOOR_DB_URL, cached_body, 200),
                "cached": poster(client, RUNS_URL, cached_body, 200),
            },
            args.rounds,
            args.seconds,
        )
    finally:
        ping.close()
        worker.kill()
        worker.stop()
    return {"queue": queue, "rates": rates}


def report(label: str, result: dict) -> dict:
    queue, rates = result["queue"], result["rates"]
    overhead, ping = queue.all("overhead"), queue.all("ping")
    rounds_p50 = Stats.of(1000 * statistics.median(values) for values in queue.overhead)
    ping_p50 = Stats.of(1000 * statistics.median(values) for values in queue.ping)
    ratio = Stats.of(
        statistics.median(o) / statistics.median(p)
        for o, p in zip(queue.overhead, queue.ping, strict=True)
    )
    vs_floor = ratios(rates, "floor")
    vs_floor_db = ratios(rates, "floor_db")
    n = len(overhead)
    print(f"\n== {label} broker: {n} distinct kl-policy runs in {len(queue.overhead)} rounds ==")
    print(f"compute (p50 of all runs)              {ms(percentile(queue.compute, 50))}")
    print(
        f"queue overhead, all runs    p50 / p95  {ms(percentile(overhead, 50))} / "
        f"{ms(percentile(overhead, 95))}"
    )
    print(
        f"bare Celery round trip      p50 / p95  {ms(percentile(ping, 50))} / "
        f"{ms(percentile(ping, 95))}"
    )
    print(f"queue overhead p50 per round           {rounds_p50.format('.2f', ' ms')}")
    print(f"round trip p50 per round               {ping_p50.format('.2f', ' ms')}")
    print(f"overhead / round trip, per-round p50s  {ratio.format('.2f', 'x')}")
    print("where the overhead goes (p50 of all runs):")
    for name, _, _ in PHASES:
        print(f"  {name:<36} {ms(percentile(queue.phases[name], 50))}")
    print("submissions per second, interleaved rounds: median (min–max)")
    print(f"  cached submissions                   {rates['cached'].format('.0f')}")
    print(f"  trivial JSON endpoint (floor)        {rates['floor'].format('.0f')}")
    print(f"  trivial endpoint + one query         {rates['floor_db'].format('.0f')}")
    print(f"  cached / floor                       {vs_floor['cached'].format('.2f')}")
    print(f"  cached / floor with one query        {vs_floor_db['cached'].format('.2f')}")
    return {"ratio": ratio}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds")
    parser.add_argument(
        "--per-round", type=int, default=5, help="distinct runs (and round trips) per round"
    )
    parser.add_argument(
        "--seconds", type=float, default=SECONDS, help="per submission endpoint per round"
    )
    parser.add_argument("--target", type=float, default=1.5, help="overhead / round trip")
    args = parser.parse_args(argv)

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user(username="bench", password="bench-password-123")
    ScopedRateThrottle.THROTTLE_RATES["demo-submissions"] = "100000000/min"
    # Started without CELERY_BROKER_URL, the settings describe the embedded broker.
    embedded_url, embedded_options = (
        settings.CELERY_BROKER_URL,
        dict(app.conf.broker_transport_options),
    )
    results = {}
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        if shutil.which("redis-server"):
            redis = RedisServer().start()
            try:
                results["redis"] = bench_broker(
                    "redis", redis.url, {"visibility_timeout": 3600}, redis.url, {}, args
                )
            finally:
                redis.close()
        else:
            print("redis-server is not installed: Redis is skipped", file=sys.stderr)
        results["embedded"] = bench_broker(
            "embedded",
            embedded_url,
            embedded_options,
            settings.CELERY_RESULT_BACKEND,
            {"LP_VAR_DIR": str(VAR_DIR)},
            args,
        )
    print(
        f"Demo queue benchmark: per broker {args.rounds} rounds of {args.per_round} distinct runs "
        f"and {args.per_round} bare round trips, one after the other; cached submissions, the "
        f"floor and the floor with one query round-robin, {args.seconds:g} s each per round"
    )
    ok = True
    for label, result in results.items():
        ratio = report(label, result)["ratio"]
        if label == "redis":
            ok = ratio.median <= args.target
            print(
                f"target: Redis overhead / round trip p50 <= {args.target:g}x: "
                + ("met" if ok else "MISSED")
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
