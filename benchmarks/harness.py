"""What the benchmarks share: the framework's floor endpoint and interleaved timing rounds.

Every endpoint is timed in rounds, round-robin with the floor (a trivial view of the same
server), so drift on a shared machine hits every side of a ratio alike. A figure is the
median of the rounds with their min–max beside it, never the best round; a ratio to the floor
is computed within each round, then its median taken.
"""

import statistics
import sys
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from tqdm import tqdm

ROUNDS = 7
SECONDS = 0.7  # per endpoint per round

# A URL (answered by client.get, expected 200) or a callable making one checked request.
Endpoint = str | Callable[[], Any]

Item = TypeVar("Item")


def building(items: Iterable[Item], *, desc: str, total: int | None = None) -> Iterable[Item]:
    """``items`` with a progress bar on stderr while a data builder walks them: drawn only
    when stderr is a terminal, erased at the end, never in the report on stdout."""
    return tqdm(items, desc=desc, total=total, unit="row", disable=None, leave=False)


@dataclass(frozen=True)
class Stats:
    """The median of per-round values and their range; `values` in round order."""

    median: float
    lo: float
    hi: float
    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Iterable[float]) -> "Stats":
        values = tuple(values)
        return cls(statistics.median(values), min(values), max(values), values)

    def format(self, spec: str = ".3g", unit: str = "") -> str:
        return (
            f"{self.median:{spec}}{unit} ({self.lo:{spec}}–{self.hi:{spec}}{unit})"
            if len(self.values) > 1
            else f"{self.median:{spec}}{unit}"
        )

    def __str__(self) -> str:
        return self.format()


def floor_urlconf(name: str) -> str:
    """A urlconf serving the project plus /bench/floor/, a DRF view returning {}: the floor."""
    from django.urls import include, path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class FloorApi(APIView):
        permission_classes = [AllowAny]

        def get(self, request):
            return Response({})

    module = types.ModuleType(name)
    module.urlpatterns = [
        path("bench/floor/", FloorApi.as_view()),
        path("", include("learning_platform.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def _caller(client, endpoint: Endpoint) -> Callable[[], Any]:
    if callable(endpoint):
        return endpoint

    def get() -> Any:
        response = client.get(endpoint)
        if response.status_code != 200:
            raise SystemExit(f"GET {endpoint} answered {response.status_code}")
        return response

    return get


def rate(call: Callable[[], Any], seconds: float) -> float:
    """Calls per second of `call` for about `seconds` (at least one call)."""
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def interleaved(
    client,
    endpoints: Mapping[str, Endpoint],
    rounds: int = ROUNDS,
    seconds: float = SECONDS,
    *,
    warmup: int = 3,
) -> dict[str, Stats]:
    """Requests per second of each endpoint, `rounds` rounds of `seconds` each, round-robin.

    Each round visits every endpoint once, starting one further along than the round before,
    so none is always timed first or right after the same neighbour."""
    calls = {name: _caller(client, endpoint) for name, endpoint in endpoints.items()}
    for call in calls.values():
        for _ in range(warmup):
            call()
    names = list(calls)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            per_round[name].append(rate(calls[name], seconds))
    return {name: Stats.of(values) for name, values in per_round.items()}


def ratios(stats: Mapping[str, Stats], floor: str) -> dict[str, Stats]:
    """Each endpoint's throughput over the floor's, round by round (1.0 for the floor)."""
    base = stats[floor].values
    return {
        name: Stats.of(value / f for value, f in zip(stat.values, base, strict=True))
        for name, stat in stats.items()
    }


def measure(client, url: str, seconds: float) -> float:
    """Requests per second of GET url for about `seconds`, after three checked warm-ups."""
    call = _caller(client, url)
    for _ in range(3):
        call()
    return rate(lambda: client.get(url), seconds)


def query_count(client, url: str) -> tuple[int, int]:
    """(SQL queries, response bytes) of one GET url."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), len(response.content)
