"""Benchmark 4: what the demo queue costs on top of the computation.

    .venv/bin/python -m benchmarks.bench_demo_queue [--runs 30] [--cached 2000]

Through the real stack (the API via Django's test client, a `celery worker` subprocess, the
database), on Redis (a throwaway redis-server on loopback, when the binary exists) and on the
server-less filesystem broker:

* queue overhead = submit-to-succeeded latency minus the run's own compute time, over
  distinct runs (p50/p95), against the broker's floor: a bare Celery round trip
  (``learning_platform.ping``) on the same broker and worker;
* cached submissions per second (the same parameters again, answered from the DemoRun
  cache) against the framework's floor: a trivial authenticated DRF JSON endpoint.

Uses its own database and broker folders under var/bench-demos (LP_VAR_DIR), recreated on
every run.
"""

import argparse
import os
import shutil
import sys
import time
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

import django  # noqa: E402

django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework.permissions import IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework.throttling import ScopedRateThrottle  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from demos.models import DemoRun  # noqa: E402
from learning_platform.celery import app  # noqa: E402
from tests.servers import CeleryWorker, RedisServer  # noqa: E402

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
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options
    app._pool = None
    app.amqp._producer_pool = None


def wait_succeeded(run_id: str, timeout: float = 30.0) -> DemoRun:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        run = DemoRun.objects.filter(pk=run_id).only("status").first()
        if run is not None and run.status in (DemoRun.Status.SUCCEEDED, DemoRun.Status.FAILED):
            return DemoRun.objects.get(pk=run_id)
        time.sleep(0.001)
    raise TimeoutError(f"run {run_id} did not finish within {timeout} s")


def measure_queue(client: APIClient, label: str, runs: int, offset: float) -> dict:
    observed, from_rows, compute = [], [], []
    for i in range(runs + 2):  # the first two warm the worker up and are not counted
        params = {"beta": round(offset + i / 1000, 6)}
        started = time.perf_counter()
        response = client.post(RUNS_URL, params, format="json")
        assert response.status_code == 202, response.content
        run = wait_succeeded(response.json()["id"])
        elapsed = time.perf_counter() - started
        assert run.status == DemoRun.Status.SUCCEEDED, run.error
        assert run.attempts == 1, f"{label}: run computed {run.attempts} times"
        if i < 2:
            continue
        seconds = run.compute_ms / 1000
        compute.append(seconds)
        observed.append(elapsed - seconds)
        from_rows.append((run.finished_at - run.queued_at).total_seconds() - seconds)
    return {"observed": observed, "rows": from_rows, "compute": compute}


def measure_ping(broker_url: str, options: dict, backend: str, rounds: int) -> list[float]:
    """A bare task round trip through the same broker, worker and result backend."""
    client = Celery("bench-ping", broker=broker_url, backend=backend, set_as_current=False)
    client.conf.broker_transport_options = options
    times = []
    try:
        for i in range(rounds + 2):
            started = time.perf_counter()
            result = client.send_task("learning_platform.ping", args=[str(i)])
            result.get(timeout=30, interval=0.001)
            if i >= 2:
                times.append(time.perf_counter() - started)
    finally:
        client.close()
    return times


def measure_rate(client: APIClient, url: str, body: dict, count: int, expect: int) -> float:
    for _ in range(20):
        client.post(url, body, format="json")
    started = time.perf_counter()
    for _ in range(count):
        response = client.post(url, body, format="json")
        assert response.status_code == expect, response.content
    return count / (time.perf_counter() - started)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def bench_broker(
    label: str, broker_url: str, options: dict, backend: str, worker_env: dict, args
) -> dict:
    point_app_at(broker_url, options)
    worker = CeleryWorker(broker_url, name=f"bench-{label}", extra_env=worker_env).start()
    try:
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(username="bench"))
        offset = 0.5 if label == "redis" else 5.0
        queue = measure_queue(client, label, args.runs, offset)
        ping = measure_ping(broker_url, options, backend, args.runs)
        cached_body = {"beta": offset + 2 / 1000}  # a run measured above: served from cache
        cached = measure_rate(client, RUNS_URL, cached_body, args.cached, 200)
        floor = measure_rate(client, FLOOR_URL, cached_body, args.cached, 200)
        floor_db = measure_rate(client, FLOOR_DB_URL, cached_body, args.cached, 200)
    finally:
        worker.kill()
        worker.stop()
    return {"queue": queue, "ping": ping, "cached": cached, "floor": floor, "floor_db": floor_db}


def report(label: str, result: dict) -> None:
    queue, ping = result["queue"], result["ping"]
    p50, p95 = percentile(queue["observed"], 50), percentile(queue["observed"], 95)
    ping50, ping95 = percentile(ping, 50), percentile(ping, 95)
    print(f"\n== {label} broker: {len(queue['observed'])} distinct kl-policy runs ==")
    print(f"compute (p50)                          {ms(percentile(queue['compute'], 50))}")
    print(f"queue overhead, observed    p50 / p95  {ms(p50)} / {ms(p95)}")
    rows50, rows95 = percentile(queue["rows"], 50), percentile(queue["rows"], 95)
    print(f"queue overhead, row times   p50 / p95  {ms(rows50)} / {ms(rows95)}")
    print(f"bare Celery round trip      p50 / p95  {ms(ping50)} / {ms(ping95)}")
    print(f"overhead / bare round trip  p50 / p95  {p50 / ping50:8.2f}x / {p95 / ping95:8.2f}x")
    print(f"cached submissions                     {result['cached']:8.0f} /s")
    print(f"trivial JSON endpoint (floor)          {result['floor']:8.0f} /s")
    print(f"trivial endpoint + one query (floor)   {result['floor_db']:8.0f} /s")
    print(f"cached / floor                         {result['cached'] / result['floor']:8.2f}")
    print(f"cached / floor with one query          {result['cached'] / result['floor_db']:8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="distinct runs per broker")
    parser.add_argument("--cached", type=int, default=2000, help="cached submissions timed")
    args = parser.parse_args(argv)

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user(username="bench", password="bench-password-123")
    ScopedRateThrottle.THROTTLE_RATES["demo-submissions"] = "100000000/min"
    fs_options = dict(app.conf.broker_transport_options)
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
        results["filesystem"] = bench_broker(
            "filesystem",
            "filesystem://",
            fs_options,
            settings.CELERY_RESULT_BACKEND,
            {"LP_VAR_DIR": str(VAR_DIR)},
            args,
        )
    print(f"Demo queue benchmark ({args.runs} runs per broker, {args.cached} cached posts)")
    for label, result in results.items():
        report(label, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
