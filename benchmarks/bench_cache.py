"""Cached reads against the framework's floor: warm, revalidated (304) and cold.

    .venv/bin/python -m benchmarks.bench_cache [--rounds R] [--seconds S]

Builds a throwaway SQLite database under var/bench/, loads content/ (eight concept pages and
their claims), and times requests through Django's test client against a trivial DRF view
returning {} on the same server. Contenders run round-robin, R interleaved rounds of about
S seconds each; each round gives every contender a ratio, floor time per request over its
time per request (1.0 = as cheap as the floor), and the table shows the median and the
min–max of those ratios. "Cold" is the first read after an edit: each timed read follows a
one-row write to the concept table (not timed), so every read misses the cache. Exits
non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_PATH = BENCH_DIR / "bench-cache.sqlite3"
COMMAND = ".venv/bin/python -m benchmarks.bench_cache"
PAGE = "/api/v1/concepts/alignment/rlhf/"


def setup_django() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(BENCH_DIR / "media-cache", ignore_errors=True)
    os.environ["LP_VAR_DIR"] = "var/bench"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["MEDIA_ROOT"] = str(BENCH_DIR / "media-cache")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning_platform.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    call_command("load_content", str(ROOT / "content"), stdout=io.StringIO())


def per_request(run: Callable[[], object], seconds: float, before: Callable[[], object] | None):
    """Mean seconds per call of `run` for about `seconds`; `before` runs untimed each time."""
    spent, count, deadline = 0.0, 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline or count < 3:
        if before is not None:
            before()
        started = time.perf_counter()
        run()
        spent += time.perf_counter() - started
        count += 1
    return spent / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.6)
    args = parser.parse_args()
    setup_django()

    from django.db.models import F
    from django.test import Client, override_settings

    from benchmarks.harness import floor_urlconf
    from concepts.models import Concept

    client = Client()
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")

    def edit() -> None:
        Concept.objects.filter(pk=rlhf.pk).update(read_minutes=F("read_minutes"))

    def get(url: str, **headers) -> Callable[[], object]:
        def run():
            response = client.get(url, **headers)
            assert response.status_code in (200, 304), (url, response.status_code)

        return run

    with override_settings(ROOT_URLCONF=floor_urlconf("bench_cache_urls")):
        etag = client.get(PAGE)["ETag"]
        contenders: dict[str, tuple[Callable[[], object], Callable[[], object] | None, float]] = {
            "floor": (get("/bench/floor/"), None, 0.0),
            "concept page, warm": (get(PAGE), None, 0.5),
            "concept page, 304 on If-None-Match": (get(PAGE, HTTP_IF_NONE_MATCH=etag), None, 0.8),
            "concept page, cold (first read after an edit)": (get(PAGE), edit, 0.1),
            "claim list, warm": (get("/api/v1/claims/"), None, 0.5),
            "review queue, warm": (get("/api/v1/claims/review-queue/"), None, 0.5),
        }
        assert client.get(PAGE, HTTP_IF_NONE_MATCH=etag).status_code == 304
        ratios: dict[str, list[float]] = {name: [] for name in contenders if name != "floor"}
        for _ in range(args.rounds):
            times = {
                name: per_request(run, args.seconds, before)
                for name, (run, before, _) in contenders.items()
            }
            for name in ratios:
                ratios[name].append(times["floor"] / times[name])

    print(f"Cached reads vs the floor: {args.rounds} interleaved rounds of ~{args.seconds} s")
    print(f"command: {COMMAND}")
    print("| read | vs floor: median (min–max) | target | |\n|---|---|---|---|")
    missed = []
    for name, values in ratios.items():
        target = contenders[name][2]
        median = statistics.median(values)
        verdict = "met" if median >= target else "**missed**"
        if median < target:
            missed.append(name)
        spread = f"{min(values):.2f}–{max(values):.2f}"
        print(f"| {name} | {median:.2f} ({spread}) | ≥ {target} | {verdict} |")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
