"""Progress reports from the longer witness computations, through a plain optional callback.

A witness that takes ``progress`` (``Callable[[float], None]`` or None) calls it with the
fraction of its work done: non-decreasing, in (0, 1], and at most about ``PROGRESS_REPORTS``
times however many iterations it runs, so a caller may write each call somewhere. With
``progress=None`` a witness does exactly what it did without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

Progress = Callable[[float], None]

# A witness calls its callback at most this many times (plus one for the final 1.0); one in
# several parts (ProgressPart) calls it in proportion to its part's span.
PROGRESS_REPORTS = 100


class ProgressReport:
    """Passes fractions on to ``progress`` mapped into [start, stop], only once each has grown
    by 1/``reports`` of the whole (so a part of [0, 1] reports in proportion to its span) since
    the last one passed on, or reached 1; so never backwards."""

    __slots__ = ("_next", "_progress", "_span", "_start", "_step")

    def __init__(
        self,
        progress: Progress,
        *,
        start: float = 0.0,
        stop: float = 1.0,
        reports: int = PROGRESS_REPORTS,
    ) -> None:
        if isinstance(progress, ProgressPart):  # report straight to the whole
            part = progress
            progress, start, stop = part.whole, part.at(start), part.at(stop)
        self._progress = progress
        self._start, self._span = start, stop - start
        self._step = min(1.0, 1.0 / (reports * self._span)) if self._span > 0 else 1.0
        self._next = self._step

    def __call__(self, fraction: float) -> None:
        if not fraction >= self._next:  # also drops a NaN
            return
        if fraction >= 1.0:
            fraction, self._next = 1.0, math.inf
        else:
            self._next = min(fraction + self._step, 1.0)
        self._progress(self._start + self._span * fraction)


class ProgressPart:
    """``whole`` with [0, 1] mapped onto [start, stop]: one part of a longer computation."""

    __slots__ = ("_span", "_start", "whole")

    whole: Progress

    def __init__(self, whole: Progress, start: float, stop: float) -> None:
        if isinstance(whole, ProgressPart):
            part = whole
            whole, start, stop = part.whole, part.at(start), part.at(stop)
        self.whole, self._start, self._span = whole, start, stop - start

    def at(self, fraction: float) -> float:
        return self._start + self._span * fraction

    def __call__(self, fraction: float) -> None:
        self.whole(self.at(fraction))


def progress_report(
    progress: Progress | None, *, start: float = 0.0, stop: float = 1.0
) -> ProgressReport | None:
    """A ProgressReport over [start, stop] of ``progress``, or None when there is none."""
    if progress is None:
        return None
    return ProgressReport(progress, start=start, stop=stop)


def progress_part(progress: Progress | None, start: float, stop: float) -> Progress | None:
    """``progress`` with [0, 1] mapped onto [start, stop], or None when there is none."""
    if progress is None:
        return None
    return ProgressPart(progress, start, stop)


def convergence_fraction(
    initial: float, current: float, target: float, iterations: int, max_iter: int
) -> float:
    """How far an iteration that shrinks a residual from ``initial`` to ``target`` has come:
    the share of the orders of magnitude covered, or of the iterations allowed if larger."""
    share = iterations / max_iter
    if current <= target:
        return 1.0
    if initial > target > 0.0 and current > 0.0:
        share = max(share, math.log(initial / current) / math.log(initial / target))
    return min(share, 1.0)
