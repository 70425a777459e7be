from celery import Task, shared_task
from celery.exceptions import TimeLimitExceeded

from .services import DEMO_RUN_TASK, demo_run_execute, demo_run_fail, demo_run_sweep


class DemoRunTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # The hard time limit kills the pool process and acknowledges the message, so no
        # redelivery will ever finish the run: the worker's main process records why.
        if isinstance(exc, TimeLimitExceeded) and args:
            limit = exc.args[0] if exc.args else None
            reason = "exceeded the hard time limit" + (f" of {limit:g} s" if limit else "")
            demo_run_fail(run_id=args[0], reason=reason)


@shared_task(bind=True, name=DEMO_RUN_TASK, base=DemoRunTask, acks_late=True, ignore_result=True)
def demo_run_task(self, run_id: str) -> None:
    """Compute one demo run; does nothing if the run is already claimed or done."""
    # The limits travel in the message (the sender's configuration), not the worker's.
    timelimit = self.request.timelimit or (None, None)
    demo_run_execute(run_id=run_id, soft_time_limit=timelimit[1])


@shared_task(name="demos.sweep_queued", ignore_result=True)
def demo_run_sweep_task() -> int:
    """Send again the runs a broker outage or a vanished worker left without a message."""
    return len(demo_run_sweep())
