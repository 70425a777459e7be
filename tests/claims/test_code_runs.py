"""A code witness runs in its own process, under limits, in a scratch directory of its own."""

import dataclasses
from pathlib import Path

import pytest

from claims.code_runs import CodeWitnessLimits, code_witness_run, output_diff, output_matches

LIMITS = CodeWitnessLimits(
    cpu_seconds=5,
    wall_seconds=30,
    memory_bytes=1 << 30,
    file_bytes=1 << 20,
    stdout_chars=200,
    stderr_bytes=2_000,
)


def _run(source: str):
    return code_witness_run(source=source, limits=LIMITS)


def test_a_witness_prints_to_stdout_and_exits_zero():
    """What the program prints is what the run records."""
    run = _run("import numpy as np\nprint(np.round(np.array([1, 2]) / 3, 3))\n")
    assert (run.exit_status, run.signal, run.limit) == (0, None, None)
    assert run.stdout == "[0.333 0.667]\n"


def test_an_endless_loop_is_killed_by_the_time_limit():
    """A loop that never ends is killed at the wall-clock limit, its process group with it."""
    limits = dataclasses.replace(LIMITS, wall_seconds=0.6)
    run = code_witness_run(source="while True:\n    pass\n", limits=limits)
    assert (run.exit_status, run.signal, run.limit) == (None, "SIGKILL", "time")
    assert limits.wall_seconds <= run.duration_seconds < limits.wall_seconds + 2


@pytest.mark.slow
def test_a_busy_loop_is_stopped_by_the_cpu_limit():
    """Within a longer wall-clock limit, one CPU second ends a busy loop with SIGXCPU."""
    limits = dataclasses.replace(LIMITS, cpu_seconds=1)
    run = code_witness_run(source="while True:\n    pass\n", limits=limits)
    assert (run.exit_status, run.limit) == (None, "cpu")
    assert run.signal in ("SIGXCPU", "SIGKILL")


def test_a_memory_hog_is_stopped_by_the_memory_limit():
    """Asking for 2 GiB under a 1 GiB address space fails with MemoryError, named as such."""
    run = _run("hog = bytearray(2 * 1024**3)\n")
    assert (run.exit_status, run.limit) == (1, "memory")
    assert run.stderr_tail.rstrip().endswith("MemoryError")


def test_a_runaway_print_is_cut_off_at_the_file_size_limit():
    """stdout counts toward the file-size limit, and the record keeps only the first chars."""
    run = _run("while True:\n    print('x' * 1000)\n")
    assert run.limit == "file-size" and run.exit_status != 0
    assert len(run.stdout) <= LIMITS.file_bytes
    record = run.record(stdout_chars=LIMITS.stdout_chars)
    assert len(record["stdout"]) == 200 and record["stdout_truncated"] is True


NETWORK = "use the network"
PROCESSES = "start or signal a process"


@pytest.mark.parametrize(
    ("source", "refusal"),
    [
        ("import socket\nsocket.socket().connect(('127.0.0.1', 9))\n", NETWORK),
        ("import socket\nsocket.create_connection(('example.org', 80), timeout=1)\n", NETWORK),
        ("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9/')\n", NETWORK),
        ("import subprocess\nsubprocess.run(['true'])\n", PROCESSES),
        ("import os\nos.system('true')\n", PROCESSES),
        ("import os\nos.fork()\n", PROCESSES),
        ("import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\n", PROCESSES),
        ("import ctypes\nctypes.CDLL(None).getpid()\n", "load or call native code"),
    ],
)
def test_the_network_processes_and_native_calls_are_refused(source, refusal):
    """A socket, a name lookup, a URL, a child process, a signal to another process or a native
    call through ctypes is refused before it happens."""
    run = _run(source)
    assert run.exit_status == 1
    assert f"PermissionError: a code witness may not {refusal}" in run.stderr_tail


def test_writes_land_in_a_fresh_scratch_directory_only(tmp_path):
    """Relative writes go to a scratch directory of the run's own, removed afterwards; a write
    or a delete outside it is refused."""
    outside = tmp_path / "outside.txt"
    kept = tmp_path / "kept.txt"
    kept.write_text("still here")
    run = _run(
        "import os\n"
        "open('notes.txt', 'w').write('inside')\n"
        "print(os.getcwd())\n"
        "print(sorted(os.listdir('.')))\n"
        f"for attempt in (lambda: open({str(outside)!r}, 'w'), lambda: os.remove({str(kept)!r})):\n"
        "    try:\n"
        "        attempt()\n"
        "    except PermissionError as exc:\n"
        "        print('refused', str(exc).split(':')[0])\n"
    )
    cwd, listing, *refusals = run.stdout.splitlines()
    assert run.exit_status == 0, run.stderr_tail
    assert Path(cwd).name.startswith("code-witness-") and not Path(cwd).exists()
    assert listing == "['notes.txt', 'witness.py']"
    assert refusals == [
        "refused a code witness may not write outside its scratch directory",
        "refused a code witness may not change files outside its scratch directory",
    ]
    assert not outside.exists() and kept.read_text() == "still here"
    assert not Path("notes.txt").exists()


def test_outputs_compare_in_canonical_form_with_a_diff():
    """CRLF and trailing spaces do not count; a changed number does, and the diff shows it."""
    assert output_matches(expected="a  \nb\n", actual="a\r\nb\r\n")
    assert not output_matches(expected="KL: 0.9427\n", actual="KL: 0.9428\n")
    diff = output_diff(expected="KL: 0.9427\nend\n", actual="KL: 0.9428\nend\n")
    assert "-KL: 0.9427" in diff and "+KL: 0.9428" in diff
