"""Demo fixtures. None is autouse: tests/demos/witnesses/ shares this folder and needs none."""

import os
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from kombu.exceptions import OperationalError

from demos.tasks import demo_run_task
from learning_platform.celery import app


@pytest.fixture
def fresh_throttle():
    """Submission throttling counts live in the cache; every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sent(monkeypatch):
    """Messages for the demos.run task are recorded instead of reaching a broker."""
    run_ids: list[str] = []

    def record(args=None, kwargs=None, **options):
        run_ids.append(args[0])

    monkeypatch.setattr(demo_run_task, "apply_async", record)
    return run_ids


@pytest.fixture
def broker_down(monkeypatch):
    """Every attempt to send a demos.run message fails as an unreachable broker does."""
    attempts: list[str] = []

    def refuse(args=None, kwargs=None, **options):
        attempts.append(args[0])
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(demo_run_task, "apply_async", refuse)
    return attempts


@contextmanager
def publishing_to(url: str, transport_options: dict):
    """Point this process's Celery app (what the API's on_commit uses) at another broker."""
    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    saved_env = os.environ.get("CELERY_BROKER_URL")

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    os.environ["CELERY_BROKER_URL"] = url
    app.conf.broker_url, app.conf.broker_transport_options = url, transport_options
    # The embedded broker names its transport class; any other URL names its own.
    app.conf.broker_transport = (
        "learning_platform.broker:Transport" if url.startswith("sqlite:") else None
    )
    reset_pools()
    try:
        yield
    finally:
        if saved_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved_env
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.broker_transport = saved
        reset_pools()
