"""Runs one code witness under an audit hook. Standard library only; never imported by the site.

``python -I -B witness_bootstrap.py witness.py``, started by claims.code_runs in a fresh scratch
directory. Before the witness's first line runs, a hook (PEP 578) refuses: every socket
operation; starting, replacing or signalling a process; loading or calling native code through
ctypes (beyond the import of ctypes itself, which NumPy needs); and writing, creating, moving or
deleting anything outside the scratch directory. The hook guards against a witness that reaches
the network or the machine by accident; it is not a sandbox against a hostile author (native
extension code can do anything), which is why only editors write witnesses.
"""

import os
import sys

SCRATCH = os.path.realpath(os.getcwd())
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
REFUSED = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.spawn",
        "os.posix_spawn",
        "os.fork",
        "os.forkpty",
        "os.kill",
        "os.killpg",
        "pty.spawn",
    }
)
# Events whose arguments start with the paths they change (os.rename: source and destination).
PATH_CHANGES = {
    "os.remove": 1,
    "os.rmdir": 1,
    "os.mkdir": 1,
    "os.truncate": 1,
    "os.chmod": 1,
    "os.chown": 1,
    "os.utime": 1,
    "os.chflags": 1,
    "os.lchflags": 1,
    "os.setxattr": 1,
    "os.removexattr": 1,
    "os.rename": 2,
    "os.link": 2,
    "os.symlink": 2,  # (target, link): only the link is created; the check covers both
    "shutil.rmtree": 1,
}


def _inside_scratch(path) -> bool:
    if isinstance(path, int):
        return True  # an open file descriptor: what it names was checked when it was opened
    path = os.fsdecode(os.fspath(path))
    if path == os.devnull:
        return True
    resolved = os.path.realpath(os.path.join(os.getcwd(), path))
    return resolved == SCRATCH or resolved.startswith(SCRATCH + os.sep)


def _refuse(event: str, detail: str = "") -> None:
    raise PermissionError(f"a code witness may not {detail or event} ({event})")


def _hook(event: str, args: tuple) -> None:
    if event.startswith("socket."):
        _refuse(event, "use the network")
    if event in REFUSED:
        _refuse(event, "start or signal a process")
    if event.startswith("ctypes.") and not (event == "ctypes.dlopen" and args[0] is None):
        _refuse(event, "load or call native code")
    if event == "open":
        path, mode, flags = args
        writes = bool(flags & WRITE_FLAGS) or any(c in (mode or "") for c in "wax+")
        if writes and path is not None and not _inside_scratch(path):
            _refuse(event, f"write outside its scratch directory: {path!r}")
    elif event in PATH_CHANGES:
        for path in args[: PATH_CHANGES[event]]:
            if path is not None and not _inside_scratch(path):
                _refuse(event, f"change files outside its scratch directory: {path!r}")


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        source = handle.read()
    code = compile(source, sys.argv[1], "exec")
    sys.argv = sys.argv[1:]
    sys.addaudithook(_hook)
    exec(code, {"__name__": "__main__", "__file__": sys.argv[0], "__builtins__": __builtins__})


if __name__ == "__main__":
    main()
