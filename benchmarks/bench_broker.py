"""The embedded broker under concurrent processes: lost, duplicated or corrupted messages.

    .venv/bin/python -m benchmarks.bench_broker [--tasks 300] [--producers 2]

Starts a two-process `celery worker` on the embedded broker (kombu's SQLAlchemy transport on
SQLite, learning_platform.broker) in a folder of its own, then has ``--producers`` processes
send ``--tasks`` ping tasks each, all at once. Every task's result is read back: the run
passes when each payload came back exactly once and the worker logged no error. It also
measures a sequential round trip at the 0.05 s polling interval against kombu's default 1 s,
the ratio that says what the interval buys.
"""

import argparse
import multiprocessing
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var" / "bench-broker"


def _app(polling: float):
    from celery import Celery

    app = Celery(
        "bench-broker",
        broker=f"sqlite:///{VAR_DIR / 'broker.sqlite3'}",
        backend=f"file://{VAR_DIR / 'celery-results'}",
        set_as_current=False,
    )
    app.conf.broker_transport = "learning_platform.broker:Transport"
    app.conf.broker_transport_options = {
        "polling_interval": polling,
        "connect_args": {"timeout": 20},
    }
    return app


def _produce(index: int, tasks: int, queue) -> None:
    app = _app(0.05)
    ids = [app.send_task("learning_platform.ping", args=[f"{index}-{i}"]).id for i in range(tasks)]
    queue.put(ids)


def _round_trips(polling: float, rounds: int) -> list[float]:
    app = _app(polling)
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        app.send_task("learning_platform.ping", args=[f"rt-{i}"]).get(timeout=30, interval=0.01)
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--producers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    if VAR_DIR.exists():
        shutil.rmtree(VAR_DIR)
    (VAR_DIR / "celery-results").mkdir(parents=True)
    os.environ["LP_VAR_DIR"] = str(VAR_DIR)
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning_platform.settings")
    import django

    django.setup()
    from tests.servers import CeleryWorker

    worker_env = {"LP_VAR_DIR": str(VAR_DIR), "CELERY_POLLING_INTERVAL": "0.05"}
    broker = f"sqlite:///{VAR_DIR / 'broker.sqlite3'}"
    worker = CeleryWorker(broker, concurrency=2, name="bench", extra_env=worker_env).start()
    try:
        fast = _round_trips(0.05, args.rounds)
        results = multiprocessing.Queue()
        started = time.perf_counter()
        producers = [
            multiprocessing.Process(target=_produce, args=(i, args.tasks, results))
            for i in range(args.producers)
        ]
        for process in producers:
            process.start()
        ids = [task_id for _ in producers for task_id in results.get(timeout=300)]
        for process in producers:
            process.join()
        app = _app(0.05)
        echoes = [
            app.AsyncResult(task_id).get(timeout=120, interval=0.05)["echo"] for task_id in ids
        ]
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
    log = worker.output()
    errors = [line for line in log.splitlines() if "ERROR" in line or "Traceback" in line]
    received = log.count("learning_platform.ping[")
    expected = {f"{i}-{j}" for i in range(args.producers) for j in range(args.tasks)}
    print(
        f"sent {len(ids)} from {args.producers} processes at once; results {len(set(echoes))} "
        f"distinct, duplicates {len(echoes) - len(set(echoes))}, missing "
        f"{len(expected - set(echoes))}; worker errors {len(errors)}; {elapsed:.1f} s"
    )
    print(f"worker log lines naming a ping: {received}")
    # The worker's own polling interval decides the latency; measure the default on a new one.
    worker_env["CELERY_POLLING_INTERVAL"] = "1.0"
    slow_worker = CeleryWorker(broker, concurrency=1, name="bench-1s", extra_env=worker_env).start()
    try:
        slow = _round_trips(1.0, max(5, args.rounds // 4))
    finally:
        slow_worker.stop()
    p50_fast, p50_slow = statistics.median(fast), statistics.median(slow)
    print(
        f"round trip p50: polling 0.05 s {p50_fast * 1000:.0f} ms, polling 1 s "
        f"{p50_slow * 1000:.0f} ms; ratio {p50_slow / p50_fast:.1f}x"
    )
    ok = not errors and set(echoes) == expected and len(echoes) == len(expected)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
