"""Throwaway real servers for integration tests: Redis, PostgreSQL, Celery workers, gunicorn.

A server that cannot be started skips the test with a reason on a laptop, and fails it under
CI=true, where every server the suite needs must be installed.
"""

import os
import pwd
import shlex
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


PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresServer:
    """A PostgreSQL 15 cluster of its own on a loopback port; stop(), start() and restart().

    Run as the postgres user when we are root (initdb refuses root), with its data and socket
    folders in a temporary directory.
    """

    def __init__(self, database: str = "learning_platform") -> None:
        if not (PG_BIN / "pg_ctl").exists():
            missing(f"PostgreSQL 15 is not installed ({PG_BIN} is absent)")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                missing("there is no postgres user to run PostgreSQL as")
        self.database = database
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lp-postgres-"))
        self.dir.chmod(0o755)
        self.data = self.dir / "data"
        self.run_dir = self.dir / "run"  # the socket and the server log
        for folder in (self.data, self.run_dir):
            folder.mkdir()
            if self.as_root:
                shutil.chown(folder, "postgres", "postgres")
        self.initialised = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def log_path(self) -> Path:
        return self.run_dir / "server.log"

    def _run(self, binary: str, *args: str, timeout: float = 120) -> None:
        command = [str(PG_BIN / binary), *args]
        if self.as_root:
            command = ["su", "postgres", "-c", shlex.join(command)]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{binary} {' '.join(args)} failed:\n{result.stderr}")

    def start(self) -> "PostgresServer":
        if not self.initialised:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = (
            f"-p {self.port} -k {self.run_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=50"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-w", "-o", options, "start"
        )
        if not self.initialised:
            self._run(
                "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                self.database,
            )
            self.initialised = True
        return self

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def stop(self, mode: str = "fast") -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_for: float = 0.0) -> None:
        """Stop with the fast mode (every connection is cut), stay down a while, start again."""
        self.stop()
        time.sleep(down_for)
        self.start()

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


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


class AppServer:
    """The project under gunicorn with production settings (DEBUG off) on a loopback port."""

    def __init__(self, *, database_url: str, var_dir: Path, workers: int = 2, **env: str) -> None:
        self.port = free_port()
        self.workers = workers
        self.var_dir = var_dir
        self.log_path = var_dir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "learning_platform.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": "filesystem://",
            "LP_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "DEBUG": "0",
            "SECRET_KEY": "integration-tests-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LEARNER_WRITE_RATE": "1000000/min",
            "DEMO_SUBMISSION_RATE": "1000000/min",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.env.pop("CELERY_RESULT_BACKEND", None)
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def manage(self, *args: str, timeout: float = 180) -> str:
        """A management command against the server's database and settings."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def start(self) -> "AppServer":
        gunicorn = Path(sys.executable).parent / "gunicorn"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(gunicorn),
                    "learning_platform.wsgi",
                    "-w",
                    str(self.workers),
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--graceful-timeout",
                    "5",
                ],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_until(
            lambda: self.process.poll() is not None or self._answers(),
            60,
            what="gunicorn to answer",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{self.output()}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to the whole group (gunicorn's workers too), SIGKILL if it lingers."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.process = None
