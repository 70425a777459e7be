from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demos import catalogue, services
from demos.catalogue import KINDS
from demos.models import DemoRun
from demos.selectors import demo_run_get
from demos.services import (
    MAX_ATTEMPTS,
    demo_run_execute,
    demo_run_request,
    demo_run_sweep,
)
from demos.tasks import DemoRunTask, demo_run_task

from .factories import DemoRunFactory

pytestmark = pytest.mark.django_db
Status = DemoRun.Status


def test_request_stores_canonical_params_and_enqueues_on_commit(
    learner, sent, django_capture_on_commit_callbacks
):
    """A new request writes one queued row and sends its id only once the row is committed."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run, created = demo_run_request(kind="kl-policy", params={"beta": 1}, user=learner)
    assert created and run.status == Status.QUEUED and run.requested_by == learner
    assert run.params == KINDS["kl-policy"].validate({"beta": 1.0})
    assert run.code_version == catalogue.code_version()
    assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [str(run.pk)]


def test_same_params_return_the_same_run_without_a_second_message(
    learner, other_learner, sent, django_capture_on_commit_callbacks
):
    """Another user asking for the same computation gets the existing run, and no message."""
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = demo_run_request(kind="kl-policy", params={}, user=learner)
    with django_capture_on_commit_callbacks(execute=True):
        again, created = demo_run_request(
            kind="kl-policy", params={"beta": 0.7, "shift": 10}, user=other_learner
        )
    assert again.pk == first.pk and not created
    assert sent == [str(first.pk)]
    assert DemoRun.objects.count() == 1


def test_insert_race_returns_the_row_the_other_request_wrote(learner, sent, monkeypatch):
    """When a concurrent request inserts between our reads and our insert, we get its run."""
    existing, _ = demo_run_request(kind="kl-policy", params={}, user=learner)
    real_find = services.demo_run_find
    calls: list[str] = []

    def blind_first(**lookup):
        calls.append("find")
        return None if len(calls) <= 2 else real_find(**lookup)

    monkeypatch.setattr(services, "demo_run_find", blind_first)
    run, created = demo_run_request(kind="kl-policy", params={}, user=learner)
    assert run.pk == existing.pk and not created
    assert calls == ["find", "find", "find"]
    assert DemoRun.objects.count() == 1


def test_invalid_request_writes_nothing(learner, sent):
    """A ValidationError leaves no row and sends nothing."""
    with pytest.raises(ValidationError) as caught:
        demo_run_request(kind="kl-policy", params={"beta": -1}, user=learner)
    assert "beta" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        demo_run_request(kind="no-such-demo", params={}, user=learner)
    assert "kind" in caught.value.message_dict
    assert DemoRun.objects.count() == 0 and sent == []


def test_failed_run_requested_again_is_queued_again(
    learner, sent, django_capture_on_commit_callbacks
):
    """Asking again for a failed computation re-queues the same run from zero attempts."""
    run = DemoRunFactory(status=Status.FAILED, attempts=3, error="worker crashed 3 times")
    with django_capture_on_commit_callbacks(execute=True):
        again, created = demo_run_request(kind=run.kind, params=run.params, user=learner)
    assert again.pk == run.pk and not created
    assert (again.status, again.attempts, again.error) == (Status.QUEUED, 0, "")
    assert sent == [str(run.pk)]


def test_execute_computes_and_records_one_success():
    """A queued run is claimed, computed and written with result, progress 1 and timings."""
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({}))
    done = demo_run_execute(run_id=run.pk)
    assert done.status == Status.SUCCEEDED and done.attempts == 1 and done.progress == 1.0
    assert done.result["shift_invariant"] is True
    assert done.started_at <= done.finished_at and done.compute_ms > 0
    assert done.error == ""


def test_duplicate_delivery_changes_nothing(monkeypatch):
    """Calling the task twice for one id gives one succeeded transition and an unchanged result."""
    run = DemoRunFactory()
    computed: list[str] = []
    real_compute = services.demo_compute

    def counting(kind, params, progress):
        computed.append(kind)
        return real_compute(kind, params, progress)

    monkeypatch.setattr(services, "demo_compute", counting)
    demo_run_task(str(run.pk))
    first = demo_run_get(run_id=run.pk)
    demo_run_task(str(run.pk))
    second = demo_run_get(run_id=run.pk)
    assert computed == ["kl-policy"]
    assert second.result == first.result and second.finished_at == first.finished_at
    assert second.attempts == 1


def test_run_abandoned_by_a_dead_worker_is_taken_over():
    """A redelivered message finds the run running with attempts left and computes it."""
    run = DemoRunFactory(status=Status.RUNNING, attempts=1, started_at=timezone.now())
    done = demo_run_execute(run_id=run.pk)
    assert done.status == Status.SUCCEEDED and done.attempts == 2


def test_run_whose_workers_crashed_max_times_fails_with_reason():
    """A message for a run still running after MAX_ATTEMPTS claims marks it failed."""
    run = DemoRunFactory(status=Status.RUNNING, attempts=MAX_ATTEMPTS, started_at=timezone.now())
    assert demo_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == f"worker crashed {MAX_ATTEMPTS} times while computing this run"
    assert run.result is None and run.finished_at is not None


def test_result_of_a_superseded_attempt_is_not_written(monkeypatch):
    """If a later delivery claims the run mid-computation, the earlier attempt writes nothing."""
    run = DemoRunFactory()
    real_compute = services.demo_compute

    def overtaken(kind, params, progress):
        result = real_compute(kind, params, lambda fraction: None)
        DemoRun.objects.filter(pk=run.pk).update(attempts=2)  # a redelivery claimed it
        return result

    monkeypatch.setattr(services, "demo_compute", overtaken)
    assert demo_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.status == Status.RUNNING and run.result is None


def test_progress_is_recorded_mid_way(monkeypatch, settings):
    """While a page fit runs, a fresh read of its row shows progress strictly inside (0, 1)."""
    settings.DEMO_PROGRESS_MIN_SECONDS = 0.0
    run = DemoRunFactory(params=KINDS["kl-policy"].validate({"method": "page"}))
    seen: list[tuple[str, float]] = []
    real_compute = services.demo_compute

    def observed(kind, params, progress):
        def spy(fraction):
            progress(fraction)
            row = DemoRun.objects.get(pk=run.pk)
            seen.append((row.status, row.progress))

        return real_compute(kind, params, spy)

    monkeypatch.setattr(services, "demo_compute", observed)
    done = demo_run_execute(run_id=run.pk)
    assert done.status == Status.SUCCEEDED and done.progress == 1.0
    shown = [fraction for status, fraction in seen if status == Status.RUNNING]
    assert len(shown) == len(seen) and any(0.0 < fraction < 1.0 for fraction in shown)
    assert shown == sorted(shown) and max(shown) < 1.0


def _computing(fractions):
    """A computation that reports ``fractions`` in turn and answers {"ok": True}."""

    def compute(kind, params, progress):
        for fraction in fractions:
            progress(fraction)
        return {"ok": True}

    return compute


def _progress_writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "progress" in q["sql"]]


def test_progress_writes_are_bounded_however_often_a_computation_reports(monkeypatch, settings):
    """200,000 reports write the row at most 1 / DEMO_PROGRESS_MIN_STEP times."""
    settings.DEMO_PROGRESS_MIN_SECONDS, settings.DEMO_PROGRESS_MIN_STEP = 0.0, 0.05
    run = DemoRunFactory()
    steps = 200_000
    monkeypatch.setattr(
        services, "demo_compute", _computing(i / steps for i in range(1, steps + 1))
    )
    with CaptureQueriesContext(connection) as queries:
        demo_run_execute(run_id=run.pk)
    # The claim and the result write progress too; the reports themselves at most 20 times.
    assert 2 + 10 <= len(_progress_writes(queries.captured_queries)) <= 2 + 20


def test_progress_is_written_at_most_once_per_interval(monkeypatch, settings):
    """Reports arriving faster than DEMO_PROGRESS_MIN_SECONDS apart are not written."""
    settings.DEMO_PROGRESS_MIN_SECONDS = 60.0
    run = DemoRunFactory()
    monkeypatch.setattr(services, "demo_compute", _computing(i / 100 for i in range(1, 101)))
    with CaptureQueriesContext(connection) as queries:
        demo_run_execute(run_id=run.pk)
    assert len(_progress_writes(queries.captured_queries)) == 2  # the claim and the result


def test_progress_never_goes_back_nor_reaches_1_before_the_result(monkeypatch, settings):
    """A report lower than the last written, or of 1, leaves the row below 1 and rising."""
    settings.DEMO_PROGRESS_MIN_SECONDS = 0.0
    run = DemoRunFactory()
    rows: list[float] = []

    def compute(kind, params, progress):
        for fraction in (0.6, 0.3, 1.0, 1.5):
            progress(fraction)
            rows.append(DemoRun.objects.get(pk=run.pk).progress)
        return {"ok": True}

    monkeypatch.setattr(services, "demo_compute", compute)
    demo_run_execute(run_id=run.pk)
    assert rows == [0.6, 0.6, services.PROGRESS_BEFORE_DONE, services.PROGRESS_BEFORE_DONE]


def test_a_failed_run_does_not_show_progress_1(monkeypatch, settings):
    """A computation that reports it is done and then raises leaves the run failed below 1."""
    settings.DEMO_PROGRESS_MIN_SECONDS = 0.0
    run = DemoRunFactory()

    def compute(kind, params, progress):
        progress(1.0)
        raise RuntimeError("lost the thread")

    monkeypatch.setattr(services, "demo_compute", compute)
    failed = demo_run_execute(run_id=run.pk)
    assert failed.status == Status.FAILED and 0.0 < failed.progress < 1.0


def test_soft_time_limit_fails_the_run_with_reason(monkeypatch, settings):
    """SoftTimeLimitExceeded during the computation fails the run saying so."""
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 7
    run = DemoRunFactory()

    def too_slow(kind, params, progress):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(services, "demo_compute", too_slow)
    demo_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert run.error == "exceeded the soft time limit of 7 s"


def test_unexpected_error_fails_the_run_with_its_message(monkeypatch):
    """Any exception in the computation becomes a failed run naming it, not a stuck one."""
    run = DemoRunFactory()
    monkeypatch.setattr(
        services, "demo_compute", lambda *args: (_ for _ in ()).throw(MemoryError("too big"))
    )
    demo_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.status, run.error) == (Status.FAILED, "MemoryError: too big")


def test_non_finite_result_fails_the_run(monkeypatch):
    """A NaN in a result is never stored: the run fails instead."""
    run = DemoRunFactory()
    monkeypatch.setattr(services, "demo_compute", lambda *args: {"kl": float("nan")})
    demo_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Status.FAILED and "non-finite" in run.error


def test_hard_time_limit_marks_the_run_failed(settings):
    """The worker's hard-limit hook fails a running run with the limit in the reason."""
    settings.CELERY_TASK_TIME_LIMIT = 9
    run = DemoRunFactory(status=Status.RUNNING, attempts=1, started_at=timezone.now())
    DemoRunTask.on_failure(demo_run_task, TimeLimitExceeded(9), "task-id", [str(run.pk)], {}, None)
    run.refresh_from_db()
    assert (run.status, run.error) == (Status.FAILED, "exceeded the hard time limit of 9 s")


def test_unknown_or_malformed_ids_do_nothing():
    """A message for a run that does not exist (or a bad id) is dropped quietly."""
    assert demo_run_execute(run_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427") is None
    assert demo_run_execute(run_id="not-a-uuid") is None


def test_sweep_resends_only_stale_queued_and_abandoned_runs(sent, settings):
    """Queued runs older than 30 s and long-abandoned running runs are sent again, once."""
    settings.CELERY_TASK_TIME_LIMIT = 90
    now = timezone.now()
    old = now - timedelta(seconds=45)
    stale = DemoRunFactory(enqueued_at=old)
    fresh = DemoRunFactory(enqueued_at=now - timedelta(seconds=5))
    abandoned = DemoRunFactory(
        status=Status.RUNNING, attempts=1, started_at=now - timedelta(minutes=5), enqueued_at=old
    )
    running = DemoRunFactory(
        status=Status.RUNNING, attempts=1, started_at=now - timedelta(seconds=40), enqueued_at=old
    )
    done = DemoRunFactory(status=Status.SUCCEEDED, enqueued_at=old)
    resent = demo_run_sweep(now=now)
    assert sorted(resent) == sorted([str(stale.pk), str(abandoned.pk)])
    assert sorted(sent) == sorted(resent)
    assert demo_run_sweep(now=now + timedelta(seconds=1)) == []
    untouched = {fresh.pk, running.pk, done.pk}
    assert not DemoRun.objects.filter(pk__in=untouched, enqueued_at=now).exists()


def test_broker_down_at_enqueue_is_logged_not_raised(learner, broker_down, caplog):
    """A broker that refuses the message leaves the run queued for the sweep."""
    run, _ = demo_run_request(kind="kl-policy", params={}, user=learner)
    assert services.demo_run_enqueue(run_id=run.pk) is False
    assert broker_down == [str(run.pk)]
    assert "stays queued for the sweep" in caplog.text
    run.refresh_from_db()
    assert run.status == Status.QUEUED


@pytest.mark.parametrize("threads", [1, 2])
def test_the_computation_runs_with_blas_limited_to_the_setting(monkeypatch, settings, threads):
    """While a run computes, every BLAS pool holds WITNESS_BLAS_THREADS threads; after, the
    pools are as they were."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    settings.WITNESS_BLAS_THREADS = threads
    before = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]
    run = DemoRunFactory()
    seen: list[list[int]] = []
    real_compute = services.demo_compute

    def observed(kind, params, progress):
        blas = threadpoolctl.threadpool_info()
        seen.append([pool["num_threads"] for pool in blas if pool["user_api"] == "blas"])
        return real_compute(kind, params, progress)

    monkeypatch.setattr(services, "demo_compute", observed)
    assert demo_run_execute(run_id=run.pk).status == Status.SUCCEEDED
    assert seen and all(count == threads for count in seen[0])
    assert [pool["num_threads"] for pool in threadpoolctl.threadpool_info()] == before
