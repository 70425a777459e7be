"""Throwaway real servers for integration tests: Redis and Celery workers.

A server that cannot be started skips the test with a reason on a laptop, and fails it under
CI=true, where every server the suite needs must be installed.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str):
    """Skip with the reason, or fail under CI where a missing server is an error."""
    if in_ci():
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class RedisServer:
    """A redis-server on a loopback port in a temporary directory; stop() and start() again."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            missing("redis-server is not installed")
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="lp-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.dir,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.ping, 10, what="redis-server to answer")
        return self

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def database_url_for_tests() -> str:
    """The URL of the database this test session is using (the test database, not the dev one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class CeleryWorker:
    """A real `celery worker` process on the given broker, sharing the test database."""

    def __init__(
        self,
        broker_url: str,
        *,
        concurrency: int = 1,
        name: str = "test",
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ):
        self.broker_url = broker_url
        self.concurrency = concurrency
        self.name = name
        self.extra_env = extra_env or {}
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"lp-worker-{name}-", suffix=".log")[1])

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "learning_platform.settings",
                "DATABASE_URL": database_url_for_tests(),
                "CELERY_BROKER_URL": self.broker_url,
                "LP_VAR_DIR": str(settings.VAR_DIR),
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("CELERY_RESULT_BACKEND", None)
        env.update(self.extra_env)
        return env

    def start(self) -> "CeleryWorker":
        celery = Path(sys.executable).parent / "celery"
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "learning_platform",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                f"--hostname={self.name}-{os.getpid()}-{time.monotonic_ns()}@%h",
                "--without-gossip",
                "--without-mingle",
                *self.extra_args,
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: b"ready." in self.log_path.read_bytes() or self._died(),
            60,
            what=f"worker {self.name} to be ready",
        )
        if self._died():
            raise RuntimeError(f"worker exited early:\n{self.output()}")
        return self

    def _died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> list[int]:
        """The pool's child processes (the ones that execute tasks)."""
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(30)

    def stop(self, timeout: float = 30) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()
