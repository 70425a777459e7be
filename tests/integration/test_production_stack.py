"""`make serve` as written: bin/serve against a PostgreSQL 15 and a Redis of its own, with
DEBUG off. Static files (whitenoise, hashed names) in a real Chromium, throttle counters
shared by both gunicorn workers through Redis, and slow uploads that do not stop the site."""

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.servers import ROOT, PostgresServer, RedisServer

from .stack import Stack, chromium_driver

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    database, redis = PostgresServer(), RedisServer()
    stack = None
    try:
        database.start()
        redis.start()
        stack = Stack(
            tmp_path_factory.mktemp("serve") / "var",
            script="serve",
            DATABASE_URL=database.url,
            CELERY_BROKER_URL=redis.url,
            REDIS_URL=redis.url.replace("/0", "/1"),
            SECRET_KEY="production-stack-tests-" + "k" * 40,
            ALLOWED_HOSTS="127.0.0.1",
            SECURE_SSL_REDIRECT="0",
            SESSION_COOKIE_SECURE="0",
            CSRF_COOKIE_SECURE="0",
            SECURE_HSTS_SECONDS="0",
            WEB_CONCURRENCY="2",
            GUNICORN_THREADS="8",  # more than the slow uploads: they need not spread over workers
            CELERY_CONCURRENCY="1",
            DEMO_SUBMISSION_RATE="5/min",
            DEMO_RUNS_IN_FLIGHT_MAX="100",
        ).start()
        yield stack
    finally:
        if stack is not None:
            stack.stop()
        redis.close()
        database.close()


def test_serve_runs_two_gunicorn_workers_two_celery_workers_and_one_beat(serve):
    """bin/serve's supervisord runs web, worker, worker-expensive and beat; gunicorn has the
    two workers WEB_CONCURRENCY asks for, all gthread."""
    assert serve.states() == dict.fromkeys(("beat", "web", "worker", "worker-expensive"), "RUNNING")
    gunicorn = serve.pid("web")
    children = Path(f"/proc/{gunicorn}/task/{gunicorn}/children").read_text().split()
    assert len(children) == 2
    assert "Using worker: gthread" in serve.output()


def test_admin_stylesheet_and_swagger_ui_load_in_chromium_with_debug_off(serve):
    """With DEBUG=0 the admin's login page is styled by its hashed stylesheet and the
    Swagger UI renders the API's operations: whitenoise serves what collectstatic gathered."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = chromium_driver()
    try:
        driver.get(serve.url("/admin/login/"))
        sheets = driver.execute_script(
            "return [...document.styleSheets].map(s => [s.href, s.cssRules.length]);"
        )
        base = [(href, rules) for href, rules in sheets if href and "/admin/css/base." in href]
        assert base and base[0][1] > 50, sheets
        hashed = base[0][0]
        assert hashed.rsplit("/", 1)[1].count(".") == 2, hashed  # base.<hash>.css
        header = driver.execute_script(
            "return getComputedStyle(document.querySelector('#header')).backgroundColor;"
        )
        assert header not in ("rgba(0, 0, 0, 0)", "transparent"), header
        driver.get(serve.url("/api/docs/"))
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock")) > 10
        )
    finally:
        driver.quit()
    with urllib.request.urlopen(serve.url(urlsplit(hashed).path), timeout=10) as response:
        assert "immutable" in response.headers["Cache-Control"]


def test_throttle_counts_are_shared_by_every_gunicorn_worker_through_redis(serve):
    """At 5 submissions a minute the sixth is a 429, whichever of the two workers answers
    each request: the counter lives in Redis, not in a worker's memory."""
    subprocess.run(
        [sys.executable, "manage.py", "create_dev_users"],
        cwd=ROOT,
        env=serve.env | {"DEBUG": "0"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    token = serve.token("learner1")
    statuses = [
        serve.request("POST", "/api/v1/demos/kl-policy/runs/", {"beta": 0.3 + i / 10}, token)[0]
        for i in range(6)
    ]
    assert statuses == [202] * 5 + [429], statuses


def slow_upload(port: int, stop: threading.Event, sent: list[int]) -> None:
    """A POST that announces 64 kB and sends one byte every 0.2 s until told to stop."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 65536\r\n\r\n{"
        )
        while not stop.wait(0.2):
            try:
                sock.sendall(b" ")
            except OSError:
                return
            sent[0] += 1


def test_four_slow_uploads_do_not_stop_a_two_worker_deployment(serve):
    """Four clients trickling request bodies hold four gthread threads, perhaps all of one
    worker's; meanwhile every /healthz and API read still answers 200 within 2 s."""
    stop, counters = threading.Event(), [[0] for _ in range(4)]
    uploads = [
        threading.Thread(target=slow_upload, args=(serve.port, stop, counter), daemon=True)
        for counter in counters
    ]
    for upload in uploads:
        upload.start()
    time.sleep(1.0)
    timings = []
    try:
        for path in ["/healthz", "/api/v1/concepts/", "/api/v1/demos/"] * 4:
            started = time.monotonic()
            status, _, _ = serve.request("GET", path, timeout=10)
            timings.append((path, status, time.monotonic() - started))
            time.sleep(0.25)
    finally:
        stop.set()
        for upload in uploads:
            upload.join(5)
    assert all(counter[0] >= 10 for counter in counters), counters  # they really were slow
    assert [status for _, status, _ in timings] == [200] * len(timings), timings
    assert max(seconds for *_, seconds in timings) < 2.0, timings
    print(f"\n[figures] slow uploads: slowest read {max(t for *_, t in timings):.3f} s")
