"""Every write to a DemoRun: request (with caching), enqueue, execute, fail, sweep.

A run moves queued → running → succeeded | failed. Workers claim a run with a conditional
update that bumps ``attempts``; the result is written only WHERE the run is still running
under that attempt, so a duplicate or redelivered message never writes a second result.
The computation itself runs outside any transaction, with the BLAS thread pools limited to
``settings.WITNESS_BLAS_THREADS`` (the process's share of the cores: on 2 shared cores
OpenBLAS with 2 threads made the Newton fit 2.4–5.6× slower than with one).
"""

import json
import logging
import math
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from threadpoolctl import ThreadpoolController

from demos.witnesses import WitnessInputError

from .catalogue import code_version, demo_compute, demo_kind_get, params_hash
from .costs import CHEAP_QUEUE, DemoRunCost, demo_run_cost, demo_run_cost_refusal
from .models import DemoRun
from .selectors import demo_run_find

logger = logging.getLogger(__name__)

# A run still "running" when a message arrives after this many claims crashed its worker.
MAX_ATTEMPTS = 3
# The sweep sends a queued run again when its last message is older than this.
RESEND_AFTER = timedelta(seconds=30)
SWEEP_BATCH = 500
# Seconds a request may spend handing a run to the broker before leaving it to the sweep.
ENQUEUE_TIMEOUT = 3
# The Celery task that computes one run (demos/tasks.py).
DEMO_RUN_TASK = "demos.run"
# The most progress a running run shows: 1 is written only with its result.
PROGRESS_BEFORE_DONE = 0.99

Status = DemoRun.Status


_thread_pools: ThreadpoolController | None = None


def demo_compute_limited(kind: str, params: dict[str, Any], progress) -> dict[str, Any]:
    """``demo_compute`` with BLAS limited to WITNESS_BLAS_THREADS threads while it runs."""
    global _thread_pools
    if _thread_pools is None:
        # Scanning the loaded libraries takes milliseconds; the limit itself microseconds.
        _thread_pools = ThreadpoolController()
    with _thread_pools.limit(limits=settings.WITNESS_BLAS_THREADS, user_api="blas"):
        return demo_compute(kind, params, progress)


class _ClaimLost(Exception):
    """Another delivery took the run over while this one was computing."""


class _ProgressRecorder:
    """The callback a computation reports its fraction done to. It writes the run's row only
    when the fraction has grown by DEMO_PROGRESS_MIN_STEP and DEMO_PROGRESS_MIN_SECONDS have
    passed since the last write (or the start), so a run is written at most 1/step times
    however often the witness reports; what it writes never goes back and stays below 1."""

    def __init__(self, *, run_id: uuid.UUID, attempt: int) -> None:
        self.run_id, self.attempt = run_id, attempt
        self.min_seconds = settings.DEMO_PROGRESS_MIN_SECONDS
        self.min_step = settings.DEMO_PROGRESS_MIN_STEP
        self.written = 0.0
        self.written_at = time.monotonic()

    def __call__(self, fraction: float) -> None:
        fraction = min(float(fraction), PROGRESS_BEFORE_DONE)
        if not fraction >= self.written + self.min_step:  # also drops a NaN
            return
        now = time.monotonic()
        if now - self.written_at < self.min_seconds:
            return
        running = DemoRun.objects.filter(
            pk=self.run_id, status=Status.RUNNING, attempts=self.attempt
        )
        if not running.update(progress=fraction):
            raise _ClaimLost
        self.written, self.written_at = fraction, now


class DemoRunLimitReached(Exception):
    """The learner already has as many runs queued or running as one may."""

    def __init__(self, *, in_flight: int, limit: int, retry_after: int) -> None:
        self.in_flight, self.limit, self.retry_after = in_flight, limit, retry_after
        super().__init__(
            f"You have {in_flight} demo runs queued or running; at most {limit} may be at "
            f"once. Try again in about {retry_after} s, once one has finished."
        )


def demo_run_request(
    *, kind: str, params: dict, user, limit_in_flight: bool = False
) -> tuple[DemoRun, bool]:
    """Validate and queue a run, or return the run that already caches it (created = False).

    Raises ValidationError with a message per field, also when the run's estimated cost is
    past the cap; nothing is written then. With ``limit_in_flight`` a new run is refused with
    DemoRunLimitReached while the user has ``DEMO_RUNS_IN_FLIGHT_MAX`` runs queued or
    running. The cached path is a single read; only a new (or failed) computation opens a
    transaction.
    """
    demo = demo_kind_get(kind)
    if demo is None:
        raise ValidationError({"kind": [f"unknown demo kind {str(kind)[:60]!r}"]})
    canonical = demo.validate(params)
    cost = demo_run_cost(kind=kind, params=canonical)
    refusal = demo_run_cost_refusal(cost)
    if refusal is not None:
        raise ValidationError(refusal)
    digest = params_hash(kind, canonical)
    version = code_version()
    existing = demo_run_find(kind=kind, params_hash=digest, code_version=version)
    if existing is not None and existing.status != Status.FAILED:
        return existing, False
    requested_by = user if user is not None and user.is_authenticated else None
    return _demo_run_create(
        kind=kind,
        params=canonical,
        digest=digest,
        version=version,
        requested_by=requested_by,
        cost=cost,
        limit_in_flight=limit_in_flight and requested_by is not None,
    )


def _demo_run_in_flight_check(*, user) -> None:
    """Refuse past the per-learner limit. The user's row is locked first, so two requests of
    one learner count one after the other."""
    # get_user_model(), not type(user): a session's user is a SimpleLazyObject.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    in_flight = DemoRun.objects.filter(
        requested_by=user, status__in=[Status.QUEUED, Status.RUNNING]
    ).values_list("estimated_seconds", flat=True)
    limit = settings.DEMO_RUNS_IN_FLIGHT_MAX
    estimates = list(in_flight)
    if len(estimates) >= limit:
        # Roughly when the first of them will be done: the smallest estimate, at least 1 s.
        retry_after = max(1, math.ceil(min(estimates)))
        raise DemoRunLimitReached(in_flight=len(estimates), limit=limit, retry_after=retry_after)


@transaction.atomic
def _demo_run_create(
    *,
    kind: str,
    params: dict,
    digest: str,
    version: str,
    requested_by,
    cost: DemoRunCost,
    limit_in_flight: bool,
) -> tuple[DemoRun, bool]:
    if limit_in_flight:
        _demo_run_in_flight_check(user=requested_by)
    existing = demo_run_find(kind=kind, params_hash=digest, code_version=version)
    if existing is not None:
        if existing.status == Status.FAILED and _demo_run_requeue(run=existing):
            existing.refresh_from_db()
        return existing, False
    try:
        with transaction.atomic():
            run = DemoRun.objects.create(
                kind=kind,
                params=params,
                params_hash=digest,
                code_version=version,
                requested_by=requested_by,
                estimated_seconds=cost.seconds,
                queue=cost.queue,
            )
    except IntegrityError:
        # A concurrent request inserted the same computation first: that run is ours too.
        existing = demo_run_find(kind=kind, params_hash=digest, code_version=version)
        if existing is None:
            raise
        return existing, False
    run_id, queue = run.pk, run.queue
    transaction.on_commit(lambda: demo_run_enqueue(run_id=run_id, queue=queue))
    return run, True


def _demo_run_requeue(*, run: DemoRun) -> bool:
    """A failed run asked for again is tried again, from a clean slate of attempts."""
    now = timezone.now()
    requeued = DemoRun.objects.filter(pk=run.pk, status=Status.FAILED).update(
        status=Status.QUEUED,
        attempts=0,
        progress=0.0,
        error="",
        result=None,
        queued_at=now,
        enqueued_at=now,
        started_at=None,
        finished_at=None,
        compute_ms=None,
    )
    if requeued:
        run_id, queue = run.pk, run.queue
        transaction.on_commit(lambda: demo_run_enqueue(run_id=run_id, queue=queue))
    return bool(requeued)


def demo_run_enqueue(*, run_id: uuid.UUID | str, queue: str = CHEAP_QUEUE) -> bool:
    """Hand the run to the broker, on the queue its cost estimate chose. A broker that is down
    is logged, never raised: the run stays queued and ``demo_run_sweep`` sends it again."""
    # By name: the task module imports these services, and is registered by DemosConfig.ready.
    task = current_app.tasks[DEMO_RUN_TASK]
    app = task.app
    try:
        if app.conf.task_always_eager:
            task.apply_async(args=[str(run_id)], queue=queue)
            return True
        with app.pool.acquire(block=True, timeout=ENQUEUE_TIMEOUT) as connection:
            # Left to itself kombu retries an unreachable broker for seconds inside the
            # request; one quick attempt is enough, since the sweep sends the run later.
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=ENQUEUE_TIMEOUT
            )
            task.apply_async(args=[str(run_id)], queue=queue, retry=False, connection=connection)
    except Exception:  # kombu and redis-py raise several families for "unreachable"
        logger.warning(
            "Could not send demo run %s to the broker; it stays queued for the sweep.",
            run_id,
            exc_info=True,
        )
        return False
    return True


def demo_run_execute(
    *, run_id: uuid.UUID | str, soft_time_limit: float | None = None
) -> DemoRun | None:
    """Claim the run, compute it outside any transaction, and record the outcome once.

    Does nothing (returns None) when the run is unknown, already finished, or claimed
    by a later delivery while this one computed. ``soft_time_limit`` is the limit the
    message carries, named in the reason when the computation runs past it.
    """
    claim = _demo_run_claim(run_id=run_id)
    if claim is None:
        return None
    run, attempt = claim

    progress = _ProgressRecorder(run_id=run.pk, attempt=attempt)
    started = time.perf_counter()
    try:
        result = demo_compute_limited(run.kind, run.params, progress)
        _require_json(result)
    except _ClaimLost:
        logger.info("Demo run %s attempt %s was taken over; dropping its work.", run.pk, attempt)
        return None
    except SoftTimeLimitExceeded:
        limit = soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        return _demo_run_finish_failed(
            run=run, attempt=attempt, reason=f"exceeded the soft time limit of {limit:g} s"
        )
    except WitnessInputError as exc:
        return _demo_run_finish_failed(run=run, attempt=attempt, reason=str(exc))
    except Exception as exc:  # a failed run must say why, whatever broke
        logger.exception("Demo run %s attempt %s crashed.", run.pk, attempt)
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        return _demo_run_finish_failed(run=run, attempt=attempt, reason=reason)
    compute_ms = (time.perf_counter() - started) * 1000.0
    written = DemoRun.objects.filter(pk=run.pk, status=Status.RUNNING, attempts=attempt).update(
        status=Status.SUCCEEDED,
        result=result,
        progress=1.0,
        error="",
        finished_at=timezone.now(),
        compute_ms=round(compute_ms, 3),
    )
    if not written:
        logger.info("Demo run %s attempt %s finished after losing its claim.", run.pk, attempt)
        return None
    # The parameters never change and may be large (100,000 rows): they are not read again.
    run.refresh_from_db(
        fields=[f.attname for f in DemoRun._meta.concrete_fields if f.name != "params"]
    )
    return run


@transaction.atomic
def _demo_run_claim(*, run_id: uuid.UUID | str) -> tuple[DemoRun, int] | None:
    try:
        pk = uuid.UUID(str(run_id))
    except ValueError:
        logger.warning("Demo run id %r is not a UUID; nothing to do.", run_id)
        return None
    run = DemoRun.objects.select_for_update().filter(pk=pk).first()
    if run is None:
        logger.warning("Demo run %s does not exist; nothing to do.", pk)
        return None
    if run.is_done:
        return None
    if run.status == Status.RUNNING and run.attempts >= MAX_ATTEMPTS:
        # Each earlier claim ended without writing an outcome: its process died.
        DemoRun.objects.filter(pk=pk, status=Status.RUNNING, attempts=run.attempts).update(
            status=Status.FAILED,
            error=f"worker crashed {run.attempts} times while computing this run",
            finished_at=timezone.now(),
        )
        return None
    attempt = run.attempts + 1
    now = timezone.now()
    claimed = DemoRun.objects.filter(pk=pk, status=run.status, attempts=run.attempts).update(
        status=Status.RUNNING, attempts=attempt, started_at=now, progress=0.0
    )
    if not claimed:
        return None
    run.status, run.attempts, run.started_at = Status.RUNNING, attempt, now
    return run, attempt


def _demo_run_finish_failed(*, run: DemoRun, attempt: int, reason: str) -> DemoRun | None:
    written = DemoRun.objects.filter(pk=run.pk, status=Status.RUNNING, attempts=attempt).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    if not written:
        return None
    run.refresh_from_db()
    return run


def demo_run_fail(*, run_id: uuid.UUID | str, reason: str) -> bool:
    """Mark a running run failed (the worker's hard time limit killed its process)."""
    written = DemoRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.FAILED, error=reason, finished_at=timezone.now()
    )
    return bool(written)


def demo_run_sweep(*, now=None) -> list[str]:
    """Send again the runs whose message was lost: queued ones a broker outage left behind,
    and running ones whose worker vanished without being redelivered. The claim makes a
    duplicate message harmless. Returns the ids sent."""
    now = now or timezone.now()
    cutoff = now - RESEND_AFTER
    # A running run is abandoned once it has outlived the hard time limit by a margin.
    running_cutoff = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - RESEND_AFTER
    stale = DemoRun.objects.filter(enqueued_at__lt=cutoff).filter(
        Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=running_cutoff)
    )
    run_ids = list(stale.order_by("enqueued_at").values_list("pk", "queue")[:SWEEP_BATCH])
    sent = []
    for run_id, queue in run_ids:
        marked = DemoRun.objects.filter(
            pk=run_id, status__in=[Status.QUEUED, Status.RUNNING], enqueued_at__lt=cutoff
        ).update(enqueued_at=now)
        if marked and demo_run_enqueue(run_id=run_id, queue=queue):
            sent.append(str(run_id))
    if run_ids:
        logger.info("Demo sweep sent %d of %d stale runs again.", len(sent), len(run_ids))
    return sent


@dataclass(frozen=True)
class DemoRecomputation:
    """A demo state computed afresh, beside the run that caches it (if one succeeded)."""

    kind: str
    params_hash: str
    code_version: str
    result: dict[str, Any] | None
    error: str
    cached_run: DemoRun | None

    @property
    def matched_cache(self) -> bool | None:
        """Whether the fresh result equals the cached one (None: nothing cached to compare)."""
        if self.cached_run is None or self.result is None:
            return None
        return self.result == self.cached_run.result


def demo_run_recompute(*, kind: str, params: dict) -> DemoRecomputation:
    """Compute a demo state here and now, ignoring any cached run, and write nothing.

    Validation and the cost cap are the same as for a queued run (ValidationError per field);
    a computation that fails says why in ``error``.
    """
    demo = demo_kind_get(kind)
    if demo is None:
        raise ValidationError({"kind": [f"unknown demo kind {str(kind)[:60]!r}"]})
    canonical = demo.validate(params)
    refusal = demo_run_cost_refusal(demo_run_cost(kind=kind, params=canonical))
    if refusal is not None:
        raise ValidationError(refusal)
    digest, version = params_hash(kind, canonical), code_version()
    cached = demo_run_find(kind=kind, params_hash=digest, code_version=version)
    result, error = None, ""
    try:
        computed = demo_compute_limited(kind, canonical, lambda fraction: None)
        _require_json(computed)
        result = json.loads(json.dumps(computed))  # as a stored result reads back
    except Exception as exc:  # a failed computation must say why, whatever broke
        error = f"{type(exc).__name__}: {exc}"[:1000]
    return DemoRecomputation(
        kind=kind,
        params_hash=digest,
        code_version=version,
        result=result,
        error=error,
        cached_run=cached if cached is not None and cached.status == Status.SUCCEEDED else None,
    )


def _require_json(result: Any) -> None:
    """Results are stored and served as strict JSON: a NaN or Infinity fails the run."""
    try:
        json.dumps(result, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"the result holds a non-finite number ({exc})") from None
