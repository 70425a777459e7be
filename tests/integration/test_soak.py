"""Soak: `make run`'s exact processes (bin/run, supervisord, runserver, one worker, beat, the
embedded SQLite broker) under mixed traffic for LP_SOAK_SECONDS (at least 300).

Loopback only, bounded in time and in count (at most MAX_RUNS demo runs), and it stops by
itself. Runs in the embedded pass, since it is the embedded broker that is on trial.
"""

import os
import re
import threading
import time
from collections import Counter

import pytest
from django.utils.dateparse import parse_datetime

from tests.servers import wait_until

from .conftest import figures_record
from .stack import Stack, embedded_pass_only

SOAK_SECONDS = max(300, int(os.environ.get("LP_SOAK_SECONDS", 300)))
MAX_RUNS = 3000
IN_FLIGHT = 3
READS = (
    "/api/v1/concepts/alignment/rlhf/",
    "/api/v1/claims/",
    "/api/v1/demos/",
    "/api/v1/concepts/alignment/rlhf/learning-path/",
    "/healthz",
)
CRASH_SIGNS = ("Traceback", "JSONDecodeError", "Unrecoverable error", "exited: worker")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(SOAK_SECONDS + 420)]


class Traffic:
    """The answers every thread got, by status code, and the runs it submitted."""

    def __init__(self, stack: Stack, deadline: float) -> None:
        self.stack, self.deadline = stack, deadline
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.runs: list[str] = []
        self.errors: list[str] = []

    def call(self, method: str, path: str, body=None, token=None) -> tuple[int, dict]:
        status, _, payload = self.stack.request(method, path, body, token=token, timeout=30)
        with self.lock:
            self.statuses[status] += 1
            if status >= 500 or status == 0:
                self.errors.append(f"{method} {path} → {status}: {str(payload)[:200]}")
        return status, payload

    def going(self) -> bool:
        return time.monotonic() < self.deadline

    def reader(self) -> None:
        index = 0
        while self.going():
            self.call("GET", READS[index % len(READS)])
            index += 1
            time.sleep(0.05)

    def drafts(self, token: str) -> None:
        index = 0
        while self.going():
            status, draft = self.call(
                "POST",
                "/api/v1/research-room/drafts/",
                {"anchor": "concept:alignment/rlhf", "question": f"Soak question {index}?"},
                token,
            )
            if status == 201:
                self.call("GET", f"/api/v1/research-room/drafts/{draft['id']}/", token=token)
            index += 1
            time.sleep(0.5)

    def submitter(self, token: str, learner: int) -> None:
        """Distinct runs, at most IN_FLIGHT of this learner's at once; one in ten is a short
        page loop (estimated 0.6 s: the expensive queue), the rest the page's small policy."""
        mine: list[str] = []
        index = 0
        while self.going() and len(self.runs) < MAX_RUNS:
            pending = [run_id for run_id in mine if not self._done(run_id)]
            if len(pending) >= IN_FLIGHT:
                time.sleep(0.1)
                continue
            if index % 10 == 9:
                k = 30 + learner  # the two learners' runs differ
                pairs = [[i % k, (i + 1 + (index + i) % (k - 1)) % k] for i in range(300)]
                path = "/api/v1/demos/reward-fit/runs/"
                body = {"method": "page", "K": k, "pairs": pairs}
            else:
                path = "/api/v1/demos/kl-policy/runs/"
                body = {"beta": round(0.1 + index * 0.001, 6), "shift": learner}
            status, run = self.call("POST", path, body, token)
            if status == 202:
                mine.append(run["id"])
                with self.lock:
                    self.runs.append(run["id"])
            elif status not in (200, 429):  # 200: these parameters already ran
                with self.lock:
                    self.errors.append(f"submission answered {status}: {str(run)[:200]}")
            index += 1

    def _done(self, run_id: str) -> bool:
        _, run = self.call("GET", f"/api/v1/demo-runs/{run_id}/")
        return run.get("status") in ("succeeded", "failed")


def test_make_run_survives_a_soak_of_mixed_traffic_with_every_run_finished_once(tmp_path):
    """Five minutes or more of page reads, demo submissions and drafts against bin/run: no
    worker crash or restart, no 5xx, and every submitted run succeeded with one attempt."""
    embedded_pass_only()
    stack = Stack(
        tmp_path / "var",
        DEMO_SUBMISSION_RATE="100000/min",
        LEARNER_WRITE_RATE="100000/min",
        DEMO_RUNS_IN_FLIGHT_MAX=str(IN_FLIGHT),
        LOG_LEVEL="INFO",
    ).start()
    try:
        worker_pid = stack.pid("worker")
        started = time.monotonic()
        traffic = Traffic(stack, started + SOAK_SECONDS)
        tokens = [stack.token("learner1"), stack.token("learner2")]
        threads = [
            threading.Thread(target=traffic.reader),
            threading.Thread(target=traffic.drafts, args=(tokens[0],)),
            threading.Thread(target=traffic.submitter, args=(tokens[0], 1)),
            threading.Thread(target=traffic.submitter, args=(tokens[1], 2)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SOAK_SECONDS + 120)
        soaked = time.monotonic() - started

        def all_done():
            runs = [
                stack.request("GET", f"/api/v1/demo-runs/{run_id}/")[2] for run_id in traffic.runs
            ]
            return runs if all(run["status"] in ("succeeded", "failed") for run in runs) else None

        runs = wait_until(all_done, 120, interval=1, what="every soak run to finish")
        final_worker_pid = stack.pid("worker")
        output = stack.output()
        supervisor_log = (tmp_path / "var" / "supervisor" / "supervisord.log").read_text()
    finally:
        stack.stop()
    crashes = [sign for sign in CRASH_SIGNS if sign in output or sign in supervisor_log]
    deliveries = Counter(re.findall(r"Task demos\.run\[[0-9a-f-]+\] received", output))
    statuses = Counter(run["status"] for run in runs)
    waits = sorted(
        (parse_datetime(run["started_at"]) - parse_datetime(run["queued_at"])).total_seconds()
        for run in runs
        if run["started_at"]
    )
    attempts = Counter(run["attempts"] for run in runs)
    figures = {
        "seconds": round(soaked),
        "requests": sum(traffic.statuses.values()),
        "statuses": {str(code): count for code, count in sorted(traffic.statuses.items())},
        "runs": len(runs),
        "runs_by_status": dict(statuses),
        "attempts": {str(key): count for key, count in attempts.items()},
        "deliveries_logged": sum(deliveries.values()),
        "queue_wait_p50_p95_max_s": [
            round(waits[len(waits) // 2], 3),
            round(waits[int(len(waits) * 0.95)], 3),
            round(waits[-1], 3),
        ],
        "worker_restarts": int(final_worker_pid != worker_pid),
        "crash_signs": crashes,
    }
    figures_record("soak_make_run", figures)
    assert soaked >= 300
    assert traffic.errors == []
    assert crashes == [] and final_worker_pid == worker_pid
    assert len(runs) == len(set(traffic.runs)) > 100
    assert statuses == {"succeeded": len(runs)}, statuses
    assert attempts == {1: len(runs)}, attempts
