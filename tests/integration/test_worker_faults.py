"""Worker faults on a real Redis broker: pool processes and main processes killed mid-run, a
message redelivered while its run still computes, a run that crashes every process computing
it, and a warm shutdown. Every run must end with exactly one success write (the journal the
workers append to, see fault_injection) and the result an independent computation expects.
"""

import os
import signal
import time
from collections import Counter

import pytest

from demos.models import DemoRun
from demos.services import MAX_ATTEMPTS, demo_run_request
from tests.servers import wait_until

from .conftest import (
    all_finished,
    assert_succeeded_once,
    broker_backlog,
    figures_record,
    slow_params,
)
from .fault_injection import CRASH, SLOW

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]
Status = DemoRun.Status

CHILD_KILLS = 20
# Each run may lose two processes: a run still running when a message arrives after
# MAX_ATTEMPTS claims is failed as a crasher, so its last attempt is left alone.
KILLS_PER_RUN = MAX_ATTEMPTS - 1


def submit(user, tokens, seconds: float, kind: str = SLOW) -> dict[int, object]:
    """Runs created through the service; each is sent to the broker when its row commits."""
    runs = {}
    for token in tokens:
        run, created = demo_run_request(kind=kind, params=slow_params(token, seconds), user=user)
        assert created
        runs[token] = run.pk
    return runs


def computing(worker, journal) -> dict[int, dict]:
    """The pool processes of this worker now in a computation, with the start they logged."""
    latest: dict[int, dict] = {}
    for start in journal.events("started"):
        latest[start["pid"]] = start
    returned: dict[int, float] = {}
    for line in journal.events("returned"):
        returned[line["pid"]] = line["at"]
    children = set(worker.children())
    return {
        pid: start
        for pid, start in latest.items()
        if pid in children and returned.get(pid, 0.0) < start["at"]
    }


def backlog_drained(redis_url: str) -> bool:
    return broker_backlog(redis_url) == {"queued": 0, "unacked": 0}


@pytest.mark.timeout(240)
def test_twenty_pool_process_kills_mid_run_leave_every_run_succeeded_once(
    fault_workers, journal, learner, redis_server
):
    """SIGKILL of the process computing a run, 20 times over 12 runs: each run is redelivered,
    succeeds exactly once with the expected result, and nothing is left in the broker."""
    worker = fault_workers(concurrency=2)
    runs = submit(learner, range(12), seconds=1.5)
    kills: Counter[int] = Counter()
    handled: set[tuple[int, float]] = set()
    began = time.monotonic()
    while sum(kills.values()) < CHILD_KILLS:
        assert time.monotonic() - began < 150, f"only {sum(kills.values())} kills: {kills}"
        for pid, start in computing(worker, journal).items():
            age = time.time() - start["at"]
            if (pid, start["at"]) in handled or not 0.2 <= age <= 1.0:
                continue  # in the middle of the computation, not at its edges
            handled.add((pid, start["at"]))
            if kills[start["token"]] >= KILLS_PER_RUN:
                continue
            os.kill(pid, signal.SIGKILL)
            kills[start["token"]] += 1
            if sum(kills.values()) == CHILD_KILLS:
                break
        time.sleep(0.05)
    killing_s = time.monotonic() - began
    finished = all_finished(list(runs.values()), timeout=120)
    total_s = time.monotonic() - began
    for run in finished:
        assert_succeeded_once(run, journal)
        assert run.attempts == kills[run.params["token"]] + 1
    wait_until(lambda: backlog_drained(redis_server.url), 10, what="the broker to drain")
    assert worker.process.poll() is None
    figures_record(
        "pool_process_sigkill",
        {
            "runs": len(runs),
            "kills": sum(kills.values()),
            "seconds_to_perform_kills": round(killing_s, 2),
            "seconds_until_all_succeeded": round(total_s, 2),
            "worker_lost_wait_s": 1.0,
            "concurrency": 2,
        },
    )


@pytest.mark.timeout(120)
def test_run_that_crashes_every_process_fails_after_bounded_attempts_others_complete(
    fault_workers, journal, learner
):
    """A run that kills its process on each attempt is failed with a reason after three
    claims, while the other runs keep completing, each once."""
    worker = fault_workers(concurrency=2)
    (crash_id,) = submit(learner, [1], seconds=0.2, kind=CRASH).values()
    others = submit(learner, range(100, 110), seconds=0.6)
    finished = {run.pk: run for run in all_finished([crash_id, *others.values()], timeout=90)}
    crashed = finished.pop(crash_id)
    assert crashed.status == Status.FAILED
    assert crashed.error == f"worker crashed {MAX_ATTEMPTS} times while computing this run"
    assert crashed.attempts == MAX_ATTEMPTS
    crash_starts = journal.starts(1, kind=CRASH)
    assert len(crash_starts) == MAX_ATTEMPTS and not journal.successes(crash_id)
    for run in finished.values():
        assert_succeeded_once(run, journal)
    # Other runs completed between the first crash and the verdict, not only afterwards.
    first_crash, verdict = crash_starts[0]["at"], crashed.finished_at.timestamp()
    completed_meanwhile = [
        line for line in journal.events("succeeded") if first_crash < line["at"] < verdict
    ]
    assert completed_meanwhile
    assert worker.process.poll() is None
    figures_record(
        "crash_every_attempt",
        {
            "attempts_before_failed": crashed.attempts,
            "seconds_from_first_crash_to_failed": round(verdict - first_crash, 2),
            "other_runs_completed_meanwhile": len(completed_meanwhile),
            "other_runs": len(others),
            "worker_lost_wait_s": 1.0,
        },
    )


@pytest.mark.timeout(150)
def test_main_process_killed_a_new_worker_finishes_every_queued_and_in_flight_run(
    fault_workers, journal, learner, redis_server
):
    """SIGKILL of the worker's main process (its pool dies with it): a new worker finishes the
    runs that were computing and the runs still queued, each once; the time is recorded."""
    # Unacknowledged messages come back after 3 s, looked for every 0.5 s.
    env = {"CELERY_VISIBILITY_TIMEOUT": "3", "LP_FAULT_RESTORE_INTERVAL": "0.5"}
    first = fault_workers(name="first", concurrency=2, **env)
    runs = submit(learner, range(200, 208), seconds=1.5)
    wait_until(lambda: len(computing(first, journal)) == 2, 30, what="both processes computing")
    time.sleep(0.3)
    pool = first.children()
    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait(10)
    wait_until(
        lambda: not any(os.path.exists(f"/proc/{pid}") for pid in pool), 10, what="pool to die"
    )
    states = Counter(DemoRun.objects.filter(pk__in=runs.values()).values_list("status", flat=True))
    assert states == {Status.RUNNING: 2, Status.QUEUED: 6}
    in_flight = set(
        DemoRun.objects.filter(pk__in=runs.values(), status=Status.RUNNING).values_list(
            "pk", flat=True
        )
    )

    started = time.monotonic()
    second = fault_workers(name="second", concurrency=2, **env)
    ready_s = time.monotonic() - started
    finished = all_finished(list(runs.values()), timeout=60)
    recovery_s = time.monotonic() - started

    for run in finished:
        assert_succeeded_once(run, journal)
        assert run.attempts == (2 if run.pk in in_flight else 1)
        assert run.result["pid"] not in pool
    wait_until(lambda: backlog_drained(redis_server.url), 10, what="the broker to drain")
    assert second.process.poll() is None
    figures_record(
        "worker_main_sigkill",
        {
            "runs": len(runs),
            "in_flight_at_kill": len(in_flight),
            "queued_at_kill": len(runs) - len(in_flight),
            "compute_s_per_run": 1.5,
            "concurrency": 2,
            "recovered_by": "Redis visibility timeout (unacknowledged messages restored)",
            "visibility_timeout_s": 3,
            "unacked_restore_interval_s": 0.5,
            "new_worker_ready_s": round(ready_s, 2),
            "time_to_recovery_s": round(recovery_s, 2),
        },
    )


@pytest.mark.timeout(120)
def test_message_redelivered_while_its_run_computes_writes_one_result(
    fault_workers, journal, learner
):
    """With a 2 s visibility timeout a 7 s run is delivered again to a second worker while the
    first still computes it: the first drops its work, one success write, one result."""
    env = {"CELERY_VISIBILITY_TIMEOUT": "2"}
    first = fault_workers(name="first", concurrency=1, **env)
    (run_id,) = submit(learner, [7], seconds=7.0).values()
    (start,) = wait_until(lambda: journal.starts(7), 30, what="the first computation")
    first_pool = first.children()
    # Past the visibility timeout when the second worker looks (as it starts).
    time.sleep(max(0.0, start["at"] + 2.5 - time.time()))
    second = fault_workers(name="second", concurrency=1, **env)

    # Both deliveries have come back: a late write by either would be in the journal now.
    wait_until(lambda: len(journal.returns(run_id)) == 2, 40, what="both deliveries to return")
    run = DemoRun.objects.get(pk=run_id)
    assert_succeeded_once(run, journal)
    assert run.attempts == 2
    first_start, second_start = journal.starts(7)
    assert first_start["pid"] in first_pool and second_start["pid"] in second.children()
    assert run.result["pid"] == second_start["pid"]
    assert "was taken over; dropping its work" in first.output()
    assert first.process.poll() is None and second.process.poll() is None


@pytest.mark.timeout(120)
def test_sigterm_lets_the_running_task_finish_and_acknowledges_it_once(
    fault_workers, journal, learner, redis_server
):
    """SIGTERM during a computation: the worker finishes it, acknowledges it and exits; a
    worker started afterwards gets no second delivery of it."""
    worker = fault_workers(name="terminated", concurrency=1)
    (run_id,) = submit(learner, [9], seconds=3.0).values()
    wait_until(lambda: journal.starts(9), 30, what="the computation to start")
    signalled = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(30) == 0
    exit_s = time.monotonic() - signalled
    assert "warm shutdown" in worker.output().lower()
    run = DemoRun.objects.get(pk=run_id)
    assert_succeeded_once(run, journal)
    assert len(journal.returns(run_id)) == 1
    assert broker_backlog(redis_server.url) == {"queued": 0, "unacked": 0}

    fault_workers(name="after", concurrency=1)
    (probe,) = submit(learner, [10], seconds=0.2).values()
    all_finished([probe], timeout=30)  # the new worker consumes; nothing of run 9 came back
    run.refresh_from_db()
    assert run.attempts == 1 and len(journal.returns(run_id)) == 1
    assert_succeeded_once(run, journal)
    figures_record(
        "sigterm_warm_shutdown",
        {"compute_s": 3.0, "seconds_from_sigterm_to_exit": round(exit_s, 2), "deliveries": 1},
    )
