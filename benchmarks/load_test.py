"""Load test: the real services under a realistic mix, as ratios to the framework's floor.

    .venv/bin/python -m benchmarks.load_test [--duration 10] [--connections 16]

Starts its own throwaway services in a temporary folder: PostgreSQL 15 and Redis on free
loopback ports (SQLite and the filesystem broker, with a note, when their binaries are
missing), migrates, loads the content, creates the development users, takes learner1's and
learner2's API tokens, and runs one Celery worker. Then, for 1 and for 2 gunicorn worker
processes, wrk (Debian's package, with benchmarks/load/scenario.lua) sends to 127.0.0.1 only:

- floor: ``GET /api/v1/``, the API root, a trivial DRF view (anonymous);
- mix: the concept page 40 %, the claim list 25 %, a cached demo submission 15 % (the same
  parameters every time: the existing run comes back), a new demo submission 5 % (new
  parameters every time: a real computation is queued for the worker) and draft writes 15 %,
  all with learner1's and learner2's tokens in turn.

Both gunicorn servers (``-w 1`` and ``-w 2``, on two ports) stay up for the whole run and
are loaded in turn. Floor and mix run with the same connections and duration; each round
runs floor then mix on 1 worker, then on 2, ``--rounds`` times (the order of the worker
counts alternating from round to round). Every figure is the median of the rounds with its
min–max, never the best round; a ratio (mix over floor, 2 workers over 1) is taken within
each round, then its median. Printed: throughput and p50/p95/p99 latency, each as a ratio
to the floor of the same worker count; the scaling from 1 to 2 workers beside the machine's
1-minute load average (os.getloadavg) at each round; each request kind timed alone, one at
a time; the error count, which must be zero (any non-2xx answer or socket error counts).
Exits non-zero if an error occurred. Everything it started is stopped and its folder
removed, also on Ctrl-C or an error.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "benchmarks" / "load" / "scenario.lua"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
COMMAND = ".venv/bin/python -m benchmarks.load_test"
HOST = "127.0.0.1"
WORKER_COUNTS = (1, 2)
LEARNERS = ("learner1", "learner2")
CACHED_DEMO_PARAMS = {"beta": 0.7, "shift": 10.0}  # the same body as scenario.lua sends
UNLIMITED_RATE = "1000000/min"


@dataclass(frozen=True)
class Kind:
    name: str  # as scenario.lua knows it
    label: str
    method: str
    path: str
    weight: int  # percent of the mix


FLOOR = Kind("floor", "floor: API root (anonymous)", "GET", "/api/v1/", 100)
MIX = (
    Kind("concept", "concept page", "GET", "/api/v1/concepts/alignment/rlhf/", 40),
    Kind("claims", "claim list", "GET", "/api/v1/claims/", 25),
    Kind("demo_cached", "demo submission, cached", "POST", "/api/v1/demos/kl-policy/runs/", 15),
    Kind("demo_new", "demo submission, new", "POST", "/api/v1/demos/kl-policy/runs/", 5),
    Kind("drafts", "draft write", "POST", "/api/v1/research-room/drafts/", 15),
)


@dataclass
class Result:
    scenario: str
    workers: int
    round: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    first_error: str
    load: float = 0.0  # the 1-minute load average when the scenario ended

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Stack:
    """Every process and folder this run starts; close() undoes all of it."""

    dir: Path
    notes: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    pg_data: Path | None = None
    ports: dict[int, int] = field(default_factory=dict)  # gunicorn's, by worker count

    # Processes ---------------------------------------------------------------------------

    def spawn(self, name: str, args: list[str], **kwargs) -> subprocess.Popen:
        log = (self.dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            args,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, we stop it
            **kwargs,
        )
        log.close()
        self.processes[name] = process
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        # The whole group, even when its leader is gone: gunicorn's and Celery's children too.
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                process.poll()  # reaps the leader, so that an empty group reads as gone
                try:
                    os.killpg(process.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                continue
            break
        process.poll()

    def postgres(self, binary: str, *args: str) -> list[str]:
        """A PostgreSQL command, run as the postgres user when we are root (initdb refuses root)."""
        command = [str(PG_BIN / binary), *args]
        if os.geteuid() == 0:
            return ["su", "postgres", "-c", shlex.join(command)]
        return command

    def close(self) -> None:
        for name in reversed(list(self.processes)):
            self.stop(name)
        if self.pg_data is not None and (self.pg_data / "postmaster.pid").exists():
            subprocess.run(
                self.postgres("pg_ctl", "-D", str(self.pg_data), "-m", "fast", "-w", "stop"),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    # Services ----------------------------------------------------------------------------

    def start_database(self, embedded: bool = False) -> str:
        sqlite = f"sqlite:///{self.dir / 'var' / 'db.sqlite3'}"
        if embedded:
            self.notes.append("--embedded: SQLite instead of PostgreSQL.")
            return sqlite
        if not (PG_BIN / "initdb").exists() or (os.geteuid() == 0 and not _user_exists("postgres")):
            self.notes.append(
                f"PostgreSQL 15 not found at {PG_BIN}: fell back to SQLite "
                "(apt-get install -y postgresql-15 for the real database)."
            )
            return sqlite
        data, sockets = self.dir / "pg", self.dir / "pg-socket"
        for folder in (data, sockets):
            folder.mkdir()
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
        _run(self.postgres("initdb", "-D", str(data), "-A", "trust", "-U", "postgres"), "initdb")
        self.pg_data = data
        port = free_port()
        options = f"-p {port} -k {sockets} -c listen_addresses={HOST} -c max_connections=50"
        log = str(data / "server.log")
        _run(
            self.postgres("pg_ctl", "-D", str(data), "-l", log, "-w", "-o", options, "start"),
            "pg_ctl start",
        )
        _run(
            self.postgres("createdb", "-h", HOST, "-p", str(port), "-U", "postgres", "lp_load"),
            "createdb",
        )
        return f"postgres://postgres@{HOST}:{port}/lp_load"

    def start_broker(self, embedded: bool = False) -> str:
        if embedded:
            self.notes.append("--embedded: the filesystem broker instead of Redis.")
            return "filesystem://"
        binary = shutil.which("redis-server")
        if binary is None:
            self.notes.append(
                "redis-server not found: fell back to the filesystem broker "
                "(apt-get install -y redis-server for the real broker)."
            )
            return "filesystem://"
        port = free_port()
        options = f"--port {port} --bind {HOST} --dir {self.dir} --appendonly no"
        self.spawn("redis", [binary, *options.split(), "--save", ""])
        wait_until(lambda: _redis_ping(port), 15, "redis-server to answer PING")
        return f"redis://{HOST}:{port}/0"

    def configure(self, database_url: str, broker_url: str) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "learning_platform.settings",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "LP_VAR_DIR": str(self.dir / "var"),
            "MEDIA_ROOT": str(self.dir / "media"),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            # DEBUG off wants a review signing key: a throwaway one (the run signs nothing).
            "REVIEW_SIGNING_KEY": os.environ.get("REVIEW_SIGNING_KEY")
            or base64.b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LEARNER_WRITE_RATE": UNLIMITED_RATE,
            "DEMO_SUBMISSION_RATE": UNLIMITED_RATE,
            "LP_DEV_PASSWORD": os.environ.get("LP_DEV_PASSWORD") or "learn-rlhf-dev",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("CELERY_RESULT_BACKEND", None)

    def manage(self, *args: str) -> str:
        return _run(
            [sys.executable, "manage.py", *args], f"manage.py {' '.join(args)}", env=self.env
        )

    def has_command(self, name: str) -> bool:
        return (
            subprocess.run(
                [sys.executable, "manage.py", "help", name],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    def start_celery(self) -> None:
        options = "-A learning_platform worker --concurrency=1 --loglevel=INFO"
        options += " --without-gossip --without-mingle"
        hostname = f"--hostname=load-{os.getpid()}@%h"
        self.spawn("celery", [str(BIN / "celery"), *options.split(), hostname], env=self.env)
        log = self.dir / "celery.log"
        wait_until(
            lambda: b"ready." in log.read_bytes() or self._died("celery"),
            90,
            "the Celery worker to be ready",
        )
        if self._died("celery"):
            raise RuntimeError(f"the Celery worker exited:\n{self.log_tail('celery')}")

    def gunicorn_args(self, workers: int, port: int) -> list[str]:
        bind = f"{HOST}:{port}"
        return [str(BIN / "gunicorn"), "learning_platform.wsgi", "-w", str(workers), "-b", bind]

    def start_gunicorn(self, workers: int) -> None:
        name = f"gunicorn-{workers}"
        self.ports[workers] = free_port()
        self.spawn(name, self.gunicorn_args(workers, self.ports[workers]), env=self.env)
        wait_until(
            lambda: self._died(name) or _status(self.url("/healthz", workers)) == 200,
            60,
            f"{name} to answer /healthz with 200",
        )
        if self._died(name):
            raise RuntimeError(f"{name} exited:\n{self.log_tail(name)}")

    def _died(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is not None

    def url(self, path: str, workers: int = 1) -> str:
        return f"http://{HOST}:{self.ports[workers]}{path}"


# Small helpers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def _run(args: list[str], what: str, **kwargs) -> str:
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _request(url: str, *, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")[:300]


def _status(url: str) -> int | None:
    try:
        return _request(url)[0]
    except OSError:
        return None


# The run ---------------------------------------------------------------------------------------


def django_setup(env: dict[str, str]) -> None:
    """This process reads the same database as the servers: routes and the demo queue."""
    os.environ.update(env)
    import django

    django.setup()


def route_exists(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def pending_demo_runs() -> int:
    from django.db import connection

    from demos.models import DemoRun

    try:
        return DemoRun.objects.filter(
            status__in=[DemoRun.Status.QUEUED, DemoRun.Status.RUNNING]
        ).count()
    finally:
        connection.close()


def demo_run_counts() -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from demos.models import DemoRun

    try:
        rows = DemoRun.objects.values("status").annotate(n=Count("pk"))
        return {row["status"]: row["n"] for row in rows}
    finally:
        connection.close()


def drain_demo_queue(timeout: float) -> int:
    """Wait until the worker has finished every queued demo run; returns how many remain."""
    deadline = time.monotonic() + timeout
    while (left := pending_demo_runs()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


def tokens(stack: Stack) -> list[str]:
    found = []
    for username in LEARNERS:
        status, body = _request(
            stack.url("/api/v1/auth/token/"),
            body={"username": username, "password": stack.env["LP_DEV_PASSWORD"]},
        )
        if status != 200:
            raise RuntimeError(f"token for {username}: {status} {body}")
        found.append(body["token"])
    return found


def prime_cached_demo(stack: Stack, token: str) -> str:
    """Submit the cached demo's parameters once and wait until that run has succeeded."""
    status, body = _request(
        stack.url("/api/v1/demos/kl-policy/runs/"), body=CACHED_DEMO_PARAMS, token=token
    )
    if status not in (200, 202):
        return f"submission answered {status}: {body}"

    def finished():
        _, run = _request(body["url"])
        return run if isinstance(run, dict) and run["status"] in ("succeeded", "failed") else None

    run = wait_until(finished, 60, "the cached demo run to finish", interval=0.2)
    return run["status"]


def route_costs(stack: Stack, kinds: list[Kind], auth: list[str], repeats: int) -> dict:
    """Median, min and max time of each request kind alone, one at a time on one connection."""
    costs: dict[str, tuple[float, float, float]] = {}
    serial = 0
    for kind in [FLOOR, *kinds]:
        times = []
        for _ in range(repeats):
            serial += 1
            body = {
                "demo_cached": CACHED_DEMO_PARAMS,
                "demo_new": {"beta": 2.0 + serial * 1e-6, "shift": 10.0},
                "drafts": {"anchor": "concept:alignment/rlhf", "question": f"Cost probe {serial}"},
            }.get(kind.name)
            token = None if kind is FLOOR else auth[serial % len(auth)]
            started = time.perf_counter()
            status, answer = _request(stack.url(kind.path), body=body, token=token)
            times.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                raise RuntimeError(f"{kind.method} {kind.path} answered {status}: {answer}")
        times.sort()
        costs[kind.name] = (statistics.median(times) * 1000, times[0] * 1000, times[-1] * 1000)
    return costs


def schedule(kinds: list[Kind]) -> list[str]:
    """The mix as 20 slots (5 % each), interleaved so every kind recurs evenly."""
    total = sum(kind.weight for kind in kinds)
    slots = {kind.name: round(20 * kind.weight / total) for kind in kinds}
    order, credit = [], dict.fromkeys(slots, 0.0)
    for _ in range(sum(slots.values())):
        for name, count in slots.items():
            credit[name] += count
        name = max(credit, key=credit.get)
        credit[name] -= sum(slots.values())
        order.append(name)
    return order


@dataclass
class Wrk:
    binary: str
    threads: int
    connections: int
    timeout: int
    offset: int = 0

    def run(self, url: str, slots: list[str], seconds: int, auth: list[str]) -> dict:
        self.offset += 1
        args = [
            self.binary,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            f"--timeout={self.timeout}s",
            "-s",
            str(LUA),
            url,
            "--",
            f"schedule={','.join(slots)}",
            f"tokens={','.join(auth)}",
            # Each invocation its own range of new demo parameters (the database is new per run).
            f"offset={self.offset * 10**7}",
        ]
        process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        try:
            out, err = process.communicate(timeout=seconds + 60)
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        for line in out.splitlines():
            if line.startswith("LOADTEST_RESULT "):
                return json.loads(line.removeprefix("LOADTEST_RESULT "))
        raise RuntimeError(f"wrk printed no result ({process.returncode}):\n{out}\n{err}")


def measure(
    wrk: Wrk,
    stack: Stack,
    name: str,
    workers: int,
    round_: int,
    slots: list[str],
    seconds: int,
    auth: list[str],
) -> Result:
    raw = wrk.run(stack.url("", workers), slots, seconds, auth)
    lat = raw["latency_us"]
    return Result(
        scenario=name,
        workers=workers,
        round=round_,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=lat["p50"] / 1000,
        p95_ms=lat["p95"] / 1000,
        p99_ms=lat["p99"] / 1000,
        errors=raw["non_2xx"] + sum(raw["socket_errors"].values()),
        statuses=raw["statuses"],
        first_error=raw["first_error"] or _socket_error_text(raw["socket_errors"]),
    )


def _socket_error_text(errors: dict[str, int]) -> str:
    bad = {name: count for name, count in errors.items() if count}
    return f"socket errors {bad}" if bad else ""


def rounds_of(results: list[Result], scenario: str, workers: int) -> dict[int, Result]:
    return {r.round: r for r in results if r.scenario == scenario and r.workers == workers}


def spread(values) -> tuple[float, float, float]:
    """(median, min, max) of per-round values."""
    values = list(values)
    return statistics.median(values), min(values), max(values)


def shown(values, spec: str = ".0f") -> str:
    median, lo, hi = spread(values)
    return f"{median:{spec}} ({lo:{spec}}–{hi:{spec}})" if len(values) > 1 else f"{median:{spec}}"


def per_round_ratio(
    results: list[Result], top: tuple[str, int], bottom: tuple[str, int], attribute: str
) -> list[float]:
    """top / bottom of `attribute`, round by round (rounds where both ran)."""
    a, b = rounds_of(results, *top), rounds_of(results, *bottom)
    return [getattr(a[n], attribute) / getattr(b[n], attribute) for n in sorted(a) if n in b]


def report(
    results: list[Result], args, stack: Stack, kinds: list[Kind], skipped: list[Kind], extras: dict
) -> int:
    fmt = lambda x: f"{x:.2f}"  # noqa: E731 - a one-line formatter, named where it is used
    print("\n## Load test: the real services against the framework's floor\n")
    print(f"command: `{shlex.join([*COMMAND.split(), *sys.argv[1:]])}`\n")
    print(
        f"- machine: {os.cpu_count()} cores; 1-min load average {extras['load_before']:.2f} "
        f"before, {extras['load_after']:.2f} after (other work may run at the same time: "
        "figures are noisy, ratios less so)"
    )
    print(
        f"- services: {extras['database']}, {extras['broker']}, one Celery worker "
        "(concurrency 1), gunicorn sync workers: "
        f"`{shlex.join(['.venv/bin/gunicorn', *stack.gunicorn_args(1, stack.ports[1])[1:]])}` "
        "and the same with -w 2 on another port, both up for the whole run and loaded in "
        "turn; DEBUG=0, throttles raised to " + UNLIMITED_RATE
    )
    print(
        f"- load: wrk {args.threads} thread(s), {args.connections} connections, "
        f"{args.duration} s per scenario; {args.rounds} round(s) of floor then mix on each "
        "worker count; median (min–max) of the rounds, ratios taken within each round; "
        "loopback only"
    )
    for note in stack.notes:
        print(f"- note: {note}")

    print("\n### Mix\n")
    print("| request | route | share | state |")
    print("|---|---|---|---|")
    for kind in MIX:
        state = "skipped: route missing" if kind in skipped else "measured"
        print(f"| {kind.label} | `{kind.method} {kind.path}` | {kind.weight} % | {state} |")
    print(f"| floor | `{FLOOR.method} {FLOOR.path}` | separate scenario | measured |")

    print("\n### Results: median (min–max) of the rounds\n")
    print("| workers | scenario | req/s | p50 ms | p95 ms | p99 ms | errors (all rounds) |")
    print("|---|---|---|---|---|---|---|")
    for workers in WORKER_COUNTS:
        for scenario in ("floor", "mix"):
            rounds = list(rounds_of(results, scenario, workers).values())
            errors = sum(x.errors for x in rounds)
            print(
                f"| {workers} | {scenario} | {shown([x.rps for x in rounds])} "
                f"| {shown([x.p50_ms for x in rounds], '.2f')} "
                f"| {shown([x.p95_ms for x in rounds], '.2f')} "
                f"| {shown([x.p99_ms for x in rounds], '.2f')} | {errors} |"
            )

    print("\n### Mix as a ratio to the floor (same worker count, same round)\n")
    print("| workers | throughput mix/floor | p50 mix/floor | p95 mix/floor | p99 mix/floor |")
    print("|---|---|---|---|---|")
    for workers in WORKER_COUNTS:
        mix, floor = ("mix", workers), ("floor", workers)
        cells = [
            shown(per_round_ratio(results, mix, floor, "rps"), ".3f"),
            *(
                shown(per_round_ratio(results, mix, floor, name), ".2f")
                for name in ("p50_ms", "p95_ms", "p99_ms")
            ),
        ]
        print(f"| {workers} | " + " | ".join(cells) + " |")

    print("\n### Scaling from 1 to 2 worker processes (2 workers / 1 worker, per round)\n")
    print(
        f"The machine has {os.cpu_count()} cores; its 1-minute load average was "
        f"{extras['load_before']:.2f} before the run and {extras['load_after']:.2f} after.\n"
    )
    print("| scenario | req/s, 1 worker | req/s, 2 workers | 2 workers / 1 worker |")
    print("|---|---|---|---|")
    for scenario in ("floor", "mix"):
        one = [x.rps for x in rounds_of(results, scenario, 1).values()]
        two = [x.rps for x in rounds_of(results, scenario, 2).values()]
        scaling = per_round_ratio(results, (scenario, 2), (scenario, 1), "rps")
        print(f"| {scenario} | {shown(one)} | {shown(two)} | {shown(scaling, '.2f')} |")

    print("\n### Every round\n")
    print(
        "| workers | scenario | round | requests | s | req/s | p50 ms | p99 ms "
        "| load average (1 min) | statuses |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(r.statuses.items()))
        print(
            f"| {r.workers} | {r.scenario} | {r.round} | {r.requests} | {r.seconds:.1f} "
            f"| {r.rps:.0f} | {fmt(r.p50_ms)} | {fmt(r.p99_ms)} | {r.load:.2f} | {statuses} |"
        )

    costs = extras.get("route_costs")
    if costs:
        floor_median = costs["floor"][0]
        print(
            f"\n### Each request alone ({extras['cost_repeats']} in a row on one connection, "
            "1 gunicorn worker, no other load from this test)\n"
        )
        print("| request | median ms | min–max ms | median / floor median |")
        print("|---|---|---|---|")
        for kind in [FLOOR, *kinds]:
            median, fastest, slowest = costs[kind.name]
            print(
                f"| {kind.label} | {median:.2f} | {fastest:.2f}–{slowest:.2f} "
                f"| {median / floor_median:.1f} |"
            )

    counts = extras["demo_runs"]
    print(
        f"\ndemo runs at the end: {', '.join(f'{k} {v}' for k, v in sorted(counts.items()))}"
        f"; left unfinished after draining: {extras['undrained']}; "
        f"cached run: {extras['cached_run']}"
    )
    total_errors = sum(r.errors for r in results) + extras["warmup_errors"]
    print(f"errors: {total_errors} (warm-up included: {extras['warmup_errors']})")
    for r in results:
        if r.errors:
            print(
                f"  first error, {r.workers} worker(s) {r.scenario} round {r.round}: "
                f"{r.first_error}"
            )
    return 1 if total_errors else 0


def run(args) -> int:
    wrk_binary = shutil.which("wrk")
    if wrk_binary is None:
        print(
            "wrk is not installed. Install Debian's package and run again:\n"
            "    apt-get install -y wrk",
            file=sys.stderr,
        )
        return 2
    if args.connections < args.threads:
        print("--connections must be at least --threads", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="lp-load-"))
    work.chmod(0o755)  # the postgres user must reach its data folder inside
    stack = Stack(dir=work)
    extras: dict = {
        "load_before": os.getloadavg()[0],
        "warmup_errors": 0,
        "undrained": 0,
        "cached_run": "not submitted",
    }
    try:
        print(f"services in {work}", flush=True)
        database_url = stack.start_database(args.embedded)
        broker_url = stack.start_broker(args.embedded)
        extras["database"] = "PostgreSQL 15" if database_url.startswith("postgres") else "SQLite"
        extras["broker"] = "Redis" if broker_url.startswith("redis") else "filesystem broker"
        stack.configure(database_url, broker_url)
        print("migrate, load_content, create_dev_users", flush=True)
        stack.manage("migrate", "--no-input")
        if stack.has_command("load_content"):
            stack.manage("load_content")
        else:
            stack.notes.append("manage.py load_content does not exist yet: no content loaded.")
        stack.manage("create_dev_users")
        django_setup(stack.env)
        kinds = [kind for kind in MIX if route_exists(kind.path)]
        skipped = [kind for kind in MIX if kind not in kinds]
        slots = schedule(kinds)
        stack.start_celery()

        wrk = Wrk(wrk_binary, args.threads, args.connections, timeout=10)
        for workers in WORKER_COUNTS:
            print(f"gunicorn -w {workers}", flush=True)
            stack.start_gunicorn(workers)
        auth = tokens(stack)
        extras["cached_run"] = prime_cached_demo(stack, auth[0])
        extras["route_costs"] = route_costs(stack, kinds, auth, args.cost_repeats)
        extras["cost_repeats"] = args.cost_repeats
        for workers in WORKER_COUNTS:
            warm = measure(wrk, stack, "warm-up", workers, 0, slots, args.warmup, auth)
            extras["warmup_errors"] += warm.errors
            if warm.errors:
                print(f"  warm-up errors: {warm.errors}; first: {warm.first_error}", flush=True)
        drain_demo_queue(args.drain)
        results: list[Result] = []
        for round_ in range(1, args.rounds + 1):
            # Alternate which worker count goes first, so neither always meets a warmer machine.
            order = WORKER_COUNTS if round_ % 2 else tuple(reversed(WORKER_COUNTS))
            for workers in order:
                for name, scenario_slots in (("floor", [FLOOR.name]), ("mix", slots)):
                    result = measure(
                        wrk, stack, name, workers, round_, scenario_slots, args.duration, auth
                    )
                    result.load = os.getloadavg()[0]
                    results.append(result)
                    print(
                        f"  round {round_}, {workers} worker(s), {name}: {result.rps:.0f} req/s, "
                        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                        f"errors {result.errors}, load average {result.load:.2f}",
                        flush=True,
                    )
                    if name == "mix":
                        extras["undrained"] = drain_demo_queue(args.drain)
        extras["demo_runs"] = demo_run_counts()
        extras["load_after"] = os.getloadavg()[0]
        return report(results, args, stack, kinds, skipped, extras)
    except Exception as exc:
        print(f"load test failed: {exc}", file=sys.stderr)
        for name in ("gunicorn-1", "gunicorn-2", "celery", "redis"):
            tail = stack.log_tail(name)
            if tail:
                print(f"--- {name}.log (last lines) ---\n{tail}", file=sys.stderr)
        return 1
    finally:
        print("stopping services", flush=True)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not
        try:  # cut the clean-up short
            stack.close()
        finally:
            signal.signal(signal.SIGINT, previous)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (10)")
    parser.add_argument("--connections", type=int, default=16, help="open connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of floor + mix (3)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per gunicorn (2)")
    parser.add_argument(
        "--drain",
        type=float,
        default=60.0,
        help="most seconds to wait for queued demo runs after a mix (60)",
    )
    parser.add_argument(
        "--cost-repeats",
        type=int,
        default=20,
        help="sequential requests per kind for the each-request-alone table (20)",
    )
    parser.add_argument(
        "--embedded",
        action="store_true",
        help="SQLite and the filesystem broker even when PostgreSQL and Redis are installed",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
