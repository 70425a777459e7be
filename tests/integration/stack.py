"""`make run` and `make serve` as a person starts them: bin/run or bin/serve in a folder of
their own, on a loopback port, driven over HTTP and through supervisorctl."""

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, missing, wait_until

BIN = Path(sys.executable).parent
PASSWORD = "stack-tests-password"


def embedded_pass_only() -> None:
    """The `make run` stack tests exercise the embedded broker: they run in the embedded pass."""
    if os.environ.get("CELERY_BROKER_URL") or os.environ.get("DATABASE_URL"):
        pytest.skip("runs in the embedded pass (CELERY_BROKER_URL or DATABASE_URL is set)")


class Stack:
    """bin/run (``script="run"``) or bin/serve with its own LP_VAR_DIR and port."""

    def __init__(self, var_dir: Path, *, script: str = "run", **env: str) -> None:
        self.script = script
        self.var_dir = var_dir
        self.port = free_port()
        self.log_path = var_dir / f"{script}.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CELERY_", "DJANGO_", "PYTEST_")) and key != "DATABASE_URL"
        }
        self.env.update(
            {
                "VENV": str(BIN.parent),
                "LP_VAR_DIR": str(var_dir),
                "PORT": str(self.port),
                "LP_DEV_PASSWORD": PASSWORD,
                "PYTHONUNBUFFERED": "1",
                **env,
            }
        )
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self, timeout: float = 180) -> "Stack":
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / "bin" / self.script)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: self.process.poll() is not None or self.healthy(),
            timeout,
            interval=0.5,
            what=f"bin/{self.script} to answer /healthz",
        )
        if self.process.poll() is not None:
            raise RuntimeError(f"bin/{self.script} exited early:\n{self.output()[-4000:]}")
        wait_until(
            lambda: all(state == "RUNNING" for state in self.states().values()),
            60,
            interval=0.5,
            what="every program to be RUNNING",
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url("/healthz"), timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def supervisorctl(self, *args: str) -> str:
        socket = self.var_dir / "supervisor" / "supervisor.sock"
        result = subprocess.run(
            [str(BIN / "supervisorctl"), "-s", f"unix://{socket}", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return result.stdout

    def states(self) -> dict[str, str]:
        """Program name → supervisord state (RUNNING, STARTING, BACKOFF, ...)."""
        states = {}
        for line in self.supervisorctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith("lp:"):
                states[parts[0][3:]] = parts[1]
        return states

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", f"lp:{program}").strip())

    def request(
        self, method: str, path: str, body=None, token: str | None = None, timeout: float = 30
    ) -> tuple[int, dict, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url(path), data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                payload = {"raw": raw.decode(errors="replace")[:500]}
            return exc.code, dict(exc.headers), payload

    def token(self, username: str) -> str:
        status, _, body = self.request(
            "POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD}
        )
        assert status == 200, body
        return body["token"]

    def interrupt(self, timeout: float = 30) -> float:
        """Ctrl-C as a terminal sends it (SIGINT to supervisord); seconds until it exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        """Stop whatever is left: SIGTERM to supervisord, then SIGKILL to every group it made."""
        if self.process is not None and self.process.poll() is None:
            pids = [self.pid(name) for name in self.states()]
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                for pid in [*pids, self.process.pid]:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)
                self.process.wait(10)
        if getattr(self, "log", None):
            self.log.close()


def venv_whose_load_content_fails(folder: Path) -> Path:
    """A stand-in virtualenv: every command of the real one, but `python manage.py
    load_content` exits 3 as a load that refuses to overwrite database edits would."""
    fake = folder / "venv"
    (fake / "bin").mkdir(parents=True)
    for entry in BIN.iterdir():
        if entry.name != "python":
            (fake / "bin" / entry.name).symlink_to(entry)
    python = fake / "bin" / "python"
    python.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = manage.py ] && [ "$2" = load_content ]; then\n'
        '  echo "load_content: a file and a database edit disagree" >&2; exit 3\n'
        "fi\n"
        f'exec {sys.executable} "$@"\n'
    )
    python.chmod(0o755)
    return fake


def chromium_driver():
    """A headless Chromium through Selenium; skips (fails under CI) when it is not installed."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        missing(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _proc_state(pid)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
