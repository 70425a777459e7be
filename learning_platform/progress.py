"""Progress bars for long commands: drawn on a terminal, absent from piped or captured output.

A domain function that takes a while accepts an optional ``StepProgress``, a plain
``(done, total)`` callback; a command turns it into a tqdm bar on its stderr. tqdm's
``disable=None`` draws only when that stream is a terminal, so a pipe, a file or a test's
StringIO receives nothing and the command's output stays exactly what it was.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from django.core.management.base import OutputWrapper
from tqdm import tqdm

# (done, total): how many of a computation's steps are done.
StepProgress = Callable[[int, int], None]


class _Unstyled:
    """A command's OutputWrapper as a plain stream: tqdm's carriage returns go through as
    they are, with no newline added and no error colour."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, style_func=lambda message: message, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


@contextmanager
def progress_bar(
    stream: TextIO | OutputWrapper, *, desc: str, unit: str, total: int | None = None
) -> Iterator[tqdm]:
    """A tqdm bar on ``stream`` when it is a terminal (disabled, and silent, otherwise),
    erased once the block ends so the command's own lines are all that stays."""
    out = _Unstyled(stream) if isinstance(stream, OutputWrapper) else stream
    bar = tqdm(
        desc=desc, unit=unit, total=total, file=out, disable=None, leave=False, dynamic_ncols=True
    )
    try:
        yield bar
    finally:
        bar.close()


@contextmanager
def step_progress(
    stream: TextIO | OutputWrapper, *, desc: str, unit: str
) -> Iterator[StepProgress | None]:
    """A ``(done, total)`` callback that moves a ``progress_bar`` on ``stream``; None when
    ``stream`` is no terminal, so the work it would watch does nothing extra."""
    with progress_bar(stream, desc=desc, unit=unit) as bar:
        if bar.disable:
            yield None
            return

        def progress(done: int, total: int) -> None:
            if bar.total != total:  # drawn at once: the bar now shows a share
                bar.total = total
                bar.n = done
                bar.refresh()
            else:
                bar.update(done - bar.n)

        yield progress
