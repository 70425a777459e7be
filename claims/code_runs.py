"""Run a code witness for real and compare what it prints with its expected output.

Each run is a separate ``python -I -B`` process (isolated: no user site-packages, no PYTHON*
variables, no current directory on sys.path; no bytecode written), in a fresh temporary scratch
directory as its working directory, with a scrubbed environment (HOME and TMPDIR are the scratch
directory, BLAS libraries single-threaded). Before it starts, ``resource`` limits are set in
``preexec_fn``: CPU seconds (SIGXCPU, then SIGKILL a second later), address space, the size of
any file it writes (its stdout included: it goes to a file, so a runaway print is cut off by
SIGXFSZ), no new processes (RLIMIT_NPROC 0; root is exempt, so the hook below refuses them too)
and no core file. A wall-clock timeout kills its whole process group.
claims/witness_bootstrap.py then installs an audit hook that refuses sockets, processes, native
code through ctypes and writes outside the scratch directory, and runs the witness.

These limits keep an editor's mistake (an endless loop, a huge allocation, a stray connection or
write) from hurting the site. They are not a sandbox against a hostile author: editors are
trusted to write witnesses, and learners never submit code.
"""

import difflib
import functools
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from learning_platform.text import canonical_text

BOOTSTRAP = Path(__file__).with_name("witness_bootstrap.py")
WITNESS_FILE = "witness.py"
RUNNABLE_LANGUAGES = ("python",)


@dataclass(frozen=True)
class CodeWitnessLimits:
    cpu_seconds: int
    wall_seconds: float
    memory_bytes: int
    file_bytes: int
    stdout_chars: int
    stderr_bytes: int

    @classmethod
    def from_settings(cls) -> "CodeWitnessLimits":
        return cls(
            cpu_seconds=settings.CODE_WITNESS_CPU_SECONDS,
            wall_seconds=settings.CODE_WITNESS_WALL_SECONDS,
            memory_bytes=settings.CODE_WITNESS_MEMORY_BYTES,
            file_bytes=settings.CODE_WITNESS_FILE_BYTES,
            stdout_chars=settings.CODE_WITNESS_STDOUT_CHARS,
            stderr_bytes=settings.CODE_WITNESS_STDERR_BYTES,
        )

    def as_record(self) -> dict[str, Any]:
        return {**asdict(self), "processes": 0}


@dataclass(frozen=True)
class CodeRun:
    """What one run did: everything it printed, the tail of stderr, and how it ended."""

    exit_status: int | None  # None when a signal ended it
    signal: str | None
    limit: str | None  # "time", "cpu", "memory" or "file-size" when a limit stopped it
    duration_seconds: float
    stdout: str
    stderr_tail: str

    def record(self, *, stdout_chars: int) -> dict[str, Any]:
        """The run as a verification records it: stdout cut at the cap."""
        return {
            "exit_status": self.exit_status,
            "signal": self.signal,
            "limit": self.limit,
            "duration_seconds": self.duration_seconds,
            "stdout": self.stdout[:stdout_chars],
            "stdout_truncated": len(self.stdout) > stdout_chars,
            "stderr_tail": self.stderr_tail,
        }


def _set_limits(cpu: tuple[int, int], memory: int, file_size: int) -> None:
    """In the child, between fork and exec: only already computed values, no imports."""
    resource.setrlimit(resource.RLIMIT_CPU, cpu)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _capped(name: int, wanted: int) -> int:
    """A limit no higher than the hard limit this process already has (it cannot be raised)."""
    hard = resource.getrlimit(name)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def _environment(scratch: str) -> dict[str, str]:
    threads = "1"
    return {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": scratch,
        "TMPDIR": scratch,
        "OPENBLAS_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
    }


def _read(handle, limit: int, *, tail: bool = False) -> str:
    """The first (or with ``tail`` the last) ``limit`` bytes the child wrote to ``handle``."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - limit) if tail else 0)
    return handle.read(limit).decode("utf-8", "replace")


def _limit_hit(returncode: int, timed_out: bool, stderr: str) -> str | None:
    if timed_out:
        return "time"
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return "cpu"  # SIGKILL here is the hard CPU limit: the timeout is handled above
    # Python ignores SIGXFSZ: past the limit its writes fail with EFBIG instead.
    if returncode == -signal.SIGXFSZ or "[Errno 27] File too large" in stderr:
        return "file-size"
    if returncode and "MemoryError" in stderr:
        return "memory"
    return None


def code_witness_run(*, source: str, limits: CodeWitnessLimits | None = None) -> CodeRun:
    """Run ``source`` as a Python program under the limits; never raises for what it does."""
    limits = limits or CodeWitnessLimits.from_settings()
    scratch = tempfile.mkdtemp(prefix="code-witness-")
    try:
        Path(scratch, WITNESS_FILE).write_text(source, encoding="utf-8")
        cpu = _capped(resource.RLIMIT_CPU, limits.cpu_seconds)
        preexec = functools.partial(
            _set_limits,
            (cpu, _capped(resource.RLIMIT_CPU, cpu + 1)),
            _capped(resource.RLIMIT_AS, limits.memory_bytes),
            _capped(resource.RLIMIT_FSIZE, limits.file_bytes),
        )
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            timed_out = False
            process = subprocess.Popen(
                [sys.executable, "-I", "-B", str(BOOTSTRAP), WITNESS_FILE],
                cwd=scratch,
                env=_environment(scratch),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                # Safe in a threaded server: it only calls setrlimit with values computed here.
                preexec_fn=preexec,
                start_new_session=True,
                close_fds=True,
            )
            try:
                process.wait(timeout=limits.wall_seconds)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            duration = time.monotonic() - started
            stdout = _read(out, limits.file_bytes)
            stderr = _read(err, limits.stderr_bytes, tail=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    code = process.returncode
    return CodeRun(
        exit_status=code if code >= 0 else None,
        signal=signal.Signals(-code).name if code < 0 else None,
        limit=_limit_hit(code, timed_out, stderr),
        duration_seconds=round(duration, 3),
        stdout=stdout,
        stderr_tail=stderr,
    )


def interpreter_version() -> str:
    return f"python-{platform.python_version()}"


def output_matches(*, expected: str, actual: str) -> bool:
    """Equal in the one canonical text form (LF, NFC, no trailing spaces or blank edges)."""
    return canonical_text(actual) == canonical_text(expected)


def output_diff(*, expected: str, actual: str) -> str:
    """A unified diff from the expected output to what the witness printed."""
    lines = difflib.unified_diff(
        canonical_text(expected).splitlines(),
        canonical_text(actual).splitlines(),
        fromfile="expected_output",
        tofile="stdout",
        lineterm="",
    )
    return "\n".join(lines)
