"""A pseudo-terminal for tests of what a program draws only when it writes to a terminal."""

import fcntl
import os
import pty
import struct
import termios
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import TextIO


@contextmanager
def terminal() -> Iterator[tuple[TextIO, StringIO]]:
    """A pseudo-terminal's writing end, and (once the block ends) all that was written to it."""
    master, slave = pty.openpty()
    # A new pseudo-terminal is 0 × 0; a program asking for its size should see a real one.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    stream = os.fdopen(slave, "w", encoding="utf-8")
    received: list[bytes] = []

    def drain() -> None:  # read as it comes, so a long bar never fills the terminal's buffer
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the writing end is closed
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    shown = StringIO()
    try:
        yield stream, shown
    finally:
        stream.close()
        reader.join(timeout=5)
        os.close(master)
        shown.write(b"".join(received).decode("utf-8", "replace"))
