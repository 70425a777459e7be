import os
import uuid

import pytest
from celery import Celery

from tests.servers import CeleryWorker, RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _explicit_broker(monkeypatch):
    """Celery reads CELERY_BROKER_URL from the environment before a client's own broker."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)


def test_embedded_broker_carries_a_task_to_a_worker_process_and_back(tmp_path):
    """On the server-less SQLite broker a separate worker process runs a task and answers."""
    (tmp_path / "celery-results").mkdir()
    broker = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    client = Celery("roundtrip", broker=broker, backend=f"file://{tmp_path}/celery-results")
    client.conf.broker_transport = "learning_platform.broker:Transport"
    client.conf.broker_transport_options = {"polling_interval": 0.05}
    worker = CeleryWorker(broker, name="embedded", extra_env={"LP_VAR_DIR": str(tmp_path)}).start()
    try:
        payload = uuid.uuid4().hex
        answer = client.send_task("learning_platform.ping", args=[payload]).get(timeout=30)
    finally:
        worker.stop()
    assert answer["echo"] == payload
    assert answer["worker_pid"] != os.getpid()


@pytest.mark.redis
def test_redis_broker_carries_a_task_to_a_worker_process_and_back():
    """On a real Redis a separate worker process runs a task and answers through Redis."""
    redis = RedisServer().start()
    worker = CeleryWorker(redis.url, name="redis").start()
    client = Celery("roundtrip", broker=redis.url, backend=redis.url)
    try:
        payload = uuid.uuid4().hex
        answer = client.send_task("learning_platform.ping", args=[payload]).get(timeout=30)
    finally:
        worker.stop()
        redis.close()
    assert answer["echo"] == payload
    assert answer["worker_pid"] != os.getpid()
