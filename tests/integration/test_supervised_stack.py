"""`make run`'s processes under supervisord: a killed worker is replaced while the site keeps
answering, and Ctrl-C stops everything in time, killing what will not stop."""

import os
import signal
import threading
import time

import pytest

from tests.servers import wait_until

from .stack import Stack, alive, embedded_pass_only, venv_whose_load_content_fails

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    embedded_pass_only()
    folder = tmp_path_factory.mktemp("stack")
    stack = Stack(folder / "var", VENV=str(venv_whose_load_content_fails(folder))).start()
    yield stack
    stack.stop()


class HealthWatch(threading.Thread):
    """Asks /healthz every 0.1 s until stopped; records every answer that was not a 200."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack, self.stopped = stack, threading.Event()
        self.asked, self.failures = 0, []

    def run(self) -> None:
        while not self.stopped.is_set():
            status, _, body = self.stack.request("GET", "/healthz", timeout=5)
            self.asked += 1
            if status != 200:
                self.failures.append((status, body))
            self.stopped.wait(0.1)


def test_the_stack_starts_when_load_content_exits_non_zero(stack):
    """A load_content that refuses (exit 3) is reported, and web, worker and beat still run."""
    assert "load_content stopped with status 3" in stack.output()
    assert stack.states() == {"beat": "RUNNING", "web": "RUNNING", "worker": "RUNNING"}


def test_a_worker_killed_with_sigkill_is_restarted_and_the_site_never_stops_answering(stack):
    """SIGKILL to the worker: supervisord starts a new one, a run submitted afterwards
    succeeds, /healthz answers 200 throughout, and the web server and beat keep their pids."""
    web, beat, worker = stack.pid("web"), stack.pid("beat"), stack.pid("worker")
    token = stack.token("learner1")
    watch = HealthWatch(stack)
    watch.start()
    try:
        os.killpg(worker, signal.SIGKILL)
        restarted = wait_until(
            lambda: stack.states().get("worker") == "RUNNING" and stack.pid("worker") != worker,
            30,
            interval=0.2,
            what="supervisord to restart the worker",
        )
        assert restarted
        status, _, run = stack.request(
            "POST", "/api/v1/demos/kl-policy/runs/", {"beta": 0.913, "shift": 3}, token=token
        )
        assert status == 202, run

        def finished():
            _, _, body = stack.request("GET", f"/api/v1/demo-runs/{run['id']}/")
            return body if body["status"] in ("succeeded", "failed") else None

        done = wait_until(finished, 30, interval=0.2, what="the run to finish")
    finally:
        watch.stopped.set()
        watch.join(10)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 1
    assert watch.asked > 10 and watch.failures == []
    assert (stack.pid("web"), stack.pid("beat")) == (web, beat)
    print(f"\n[figures] worker SIGKILL: {watch.asked} health checks, 0 failures")


def test_ctrl_c_stops_every_process_within_ten_seconds_even_one_that_ignores_sigterm(stack):
    """With beat frozen (SIGSTOP, so SIGTERM cannot stop it), Ctrl-C still ends supervisord
    and all three programs, their children included, in under 10 s."""
    pids = {name: stack.pid(name) for name in ("web", "worker", "beat")}
    os.kill(pids["beat"], signal.SIGSTOP)
    elapsed = stack.interrupt(timeout=30)
    time.sleep(0.5)
    assert elapsed < 10, elapsed
    assert [name for name, pid in pids.items() if alive(pid)] == []
    print(f"\n[figures] Ctrl-C with a frozen beat: stopped in {elapsed:.1f} s")
