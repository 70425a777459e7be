import uuid

from .models import DemoRun


def demo_run_get(*, run_id: uuid.UUID | str) -> DemoRun | None:
    """The run with this id, or None (also for a malformed id): one query."""
    try:
        pk = run_id if isinstance(run_id, uuid.UUID) else uuid.UUID(str(run_id))
    except ValueError:
        return None
    return next(iter(DemoRun.objects.filter(pk=pk).order_by()[:1]), None)


def demo_run_find(*, kind: str, params_hash: str, code_version: str) -> DemoRun | None:
    """The run that caches this computation, if one was ever requested: one query."""
    runs = DemoRun.objects.filter(kind=kind, params_hash=params_hash, code_version=code_version)
    return next(iter(runs.order_by()[:1]), None)
