import os

from celery import shared_task


@shared_task(name="learning_platform.ping")
def ping(payload: str) -> dict:
    """Round trip through the broker: proves a separate worker process received the task."""
    return {"echo": payload, "worker_pid": os.getpid()}
