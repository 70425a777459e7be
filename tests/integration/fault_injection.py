"""Test-only behaviour for the worker processes of the fault-injection tests.

A worker loads it with ``celery worker -I tests.integration.fault_injection``. With
``LP_FAULT_LOG`` naming a file in the worker's environment, importing it

- adds two demo kinds to the catalogue: ``fault-slow`` sleeps in ticks (reporting progress,
  so a run taken over by another delivery notices) and returns a result derived from its
  ``token``; ``fault-crash`` kills its own process on every attempt;
- appends one JSON line to that file each time a computation starts (``started``: token and
  process id) and each time a worker's success write lands (``succeeded``: run, attempt and
  process id; written right after ``demo_run_execute`` reports that its conditional update
  marked the run succeeded, so two success writes for one run are two lines) and each time a
  delivery's ``demo_run_execute`` returns (``returned``: whether it wrote an outcome);
- with ``LP_FAULT_RESTORE_INTERVAL`` set, makes the Redis transport look for expired
  unacknowledged messages every that many seconds (by default it scans about every 100 s).

The tests import it too, to add the same kinds to their own process (``kinds_added``) and to
read the journal; nothing here runs in production.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import Field

from demos import catalogue
from demos.catalogue import DemoKind
from demos.params import DemoParams, FiniteFloat, WholeNumber
from demos.results import Result

SLOW = "fault-slow"
CRASH = "fault-crash"
# How often a slow computation reports progress (and so notices a lost claim).
TICK = 0.1
LOG_ENV = "LP_FAULT_LOG"
RESTORE_ENV = "LP_FAULT_RESTORE_INTERVAL"


class FaultParams(DemoParams):
    token: WholeNumber = Field(0, ge=0, le=10**9, description="Tells one run from another.")
    seconds: FiniteFloat = Field(1.0, ge=0.0, description="How long the computation takes.")


class FaultResult(Result):
    token: int
    digest: str
    pid: int


def expected_result(token: int) -> dict[str, Any]:
    """What a slow run computes, derived independently of any worker."""
    digest = hashlib.sha256(f"{SLOW}:{token}".encode()).hexdigest()
    return {"token": token, "digest": digest}


def record(event: str, **fields: Any) -> None:
    """One line per event, appended in a single write so that processes never interleave."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    line = json.dumps({"event": event, "pid": os.getpid(), "at": time.time(), **fields})
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)


def _compute_slow(params: dict[str, Any], progress) -> dict[str, Any]:
    record("started", kind=SLOW, token=params["token"])
    ticks = max(1, round(params["seconds"] / TICK))
    for tick in range(ticks):
        time.sleep(params["seconds"] / ticks)
        progress((tick + 1) / ticks)
    return {**expected_result(params["token"]), "pid": os.getpid()}


def _compute_crash(params: dict[str, Any], progress) -> dict[str, Any]:
    record("started", kind=CRASH, token=params["token"])
    time.sleep(params["seconds"])
    os._exit(70)


KINDS = {
    SLOW: DemoKind(
        slug=SLOW,
        title="Slow computation",
        summary="Sleeps for the given seconds, reporting progress, then answers.",
        params=FaultParams,
        compute=_compute_slow,
        result=FaultResult,
    ),
    CRASH: DemoKind(
        slug=CRASH,
        title="Crashing computation",
        summary="Kills the process computing it, on every attempt.",
        params=FaultParams,
        compute=_compute_crash,
        result=FaultResult,
    ),
}


@contextmanager
def kinds_added() -> Iterator[None]:
    """The fault kinds in this process's catalogue for the duration of the block."""
    catalogue.KINDS.update(KINDS)
    try:
        yield
    finally:
        for slug in KINDS:
            catalogue.KINDS.pop(slug, None)


def _witness_success_writes() -> None:
    from demos import tasks
    from demos.models import DemoRun

    execute = tasks.demo_run_execute

    @functools.wraps(execute)
    def witnessed(**kwargs: Any):
        run = None
        try:
            run = execute(**kwargs)
            if run is not None and run.status == DemoRun.Status.SUCCEEDED:
                record("succeeded", run=str(run.pk), attempt=run.attempts)
            return run
        finally:
            record("returned", run=str(kwargs["run_id"]), wrote=run is not None)

    tasks.demo_run_execute = witnessed


def _restore_unacked_every(seconds: float) -> None:
    from learning_platform.celery import app

    options = dict(app.conf.broker_transport_options or {})
    options.update({"unacked_restore_interval": seconds, "unacked_restore_throttle": 1})
    app.conf.broker_transport_options = options


def install_in_worker() -> None:
    catalogue.KINDS.update(KINDS)
    _witness_success_writes()
    if os.environ.get(RESTORE_ENV):
        _restore_unacked_every(float(os.environ[RESTORE_ENV]))


class Journal:
    """The lines the workers appended, read back by a test."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self, event: str | None = None) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = [json.loads(line) for line in self.path.read_text().splitlines() if line]
        return [line for line in lines if event is None or line["event"] == event]

    def starts(self, token: int, kind: str = SLOW) -> list[dict[str, Any]]:
        return [
            line
            for line in self.events("started")
            if line["token"] == token and line["kind"] == kind
        ]

    def successes(self, run_id: Any) -> list[dict[str, Any]]:
        return [line for line in self.events("succeeded") if line["run"] == str(run_id)]

    def returns(self, run_id: Any) -> list[dict[str, Any]]:
        """Deliveries of the run whose execution came back (killed ones never do)."""
        return [line for line in self.events("returned") if line["run"] == str(run_id)]


if os.environ.get(LOG_ENV):
    install_in_worker()
