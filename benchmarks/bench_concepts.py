"""Concept pages and learning paths against the framework's floor, on a 10,000-concept graph.

    .venv/bin/python -m benchmarks.bench_concepts [--concepts N] [--edges M] [--seconds S]

Builds a throwaway SQLite database under var/bench/ (migrated from scratch), loads the RLHF
page from content/, adds a synthetic catalogue (edges only from a higher to a lower index, so
the graph is acyclic), then times requests through Django's test client: the full middleware,
authentication and rendering stack. The baseline is a trivial DRF view returning {} on the
same server (mounted by a urlconf defined here, not in production urls), so the ratios say
how many floor requests one page request costs. Every endpoint and the floor are timed
round-robin in --rounds rounds of --seconds each; each figure is the median of the rounds with
their min–max, and a ratio to the floor is taken within each round, then its median.
"""

import argparse
import io
import os
import random
import shutil
import sys
import time
from pathlib import Path

from benchmarks.harness import (
    ROUNDS,
    SECONDS,
    building,
    floor_urlconf,
    interleaved,
    query_count,
    ratios,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
DB_PATH = BENCH_DIR / "bench-concepts.sqlite3"
WINDOW = 60  # prerequisites are drawn from the WINDOW concepts just below: a deep graph
PER_CONCEPT = 5


def setup_django() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(BENCH_DIR / "media", ignore_errors=True)
    os.environ["LP_VAR_DIR"] = "var/bench"
    os.environ["DATABASE_URL"] = f"sqlite:///{DB_PATH}"
    os.environ["MEDIA_ROOT"] = str(BENCH_DIR / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learning_platform.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False  # no query log on every request; counts are captured explicitly
    call_command("migrate", verbosity=0)


def load_content() -> str:
    from django.core.management import call_command

    try:
        call_command("load_content", str(ROOT / "content"), stdout=io.StringIO())
        return "content/ (all loaders)"
    except Exception as exc:  # a loader of another app failing must not stop this benchmark
        from concepts.content import concepts_load
        from learning_platform.content import LoadReport

        concepts_load(ROOT / "content", LoadReport())
        return f"content/ (concepts loader only: {type(exc).__name__})"


def build_catalogue(n_concepts: int, n_edges: int, seed: int = 7) -> list[int]:
    from concepts.models import Concept, Prerequisite

    rng = random.Random(seed)
    Concept.objects.bulk_create(
        [
            Concept(
                area=f"area-{i % 25:02d}",
                area_title=f"Area {i % 25}",
                slug=f"c{i:05d}",
                title=f"Catalogue concept {i}",
                summary=f"A one-line summary of catalogue concept {i}.",
                status=Concept.Status.PUBLISHED,
                difficulty=1 + i % 5,
                read_minutes=10,
            )
            for i in range(n_concepts)
        ],
        batch_size=2000,
    )
    ids = list(
        Concept.objects.filter(slug__startswith="c", area__startswith="area-")
        .order_by("slug")
        .values_list("id", flat=True)
    )
    edges: set[tuple[int, int]] = set()
    for i in building(range(1, n_concepts), desc="Building prerequisites"):
        low = max(0, i - WINDOW)
        for j in rng.sample(range(low, i), min(PER_CONCEPT, i - low)):
            edges.add((i, j))
    while len(edges) < n_edges:
        i = rng.randrange(1, n_concepts)
        edges.add((i, rng.randrange(0, i)))
    while len(edges) > n_edges:
        edges.pop()
    Prerequisite.objects.bulk_create(
        [
            Prerequisite(concept_id=ids[i], prerequisite_id=ids[j], carry_in="", order=k % 100)
            for k, (i, j) in enumerate(sorted(edges))
        ],
        batch_size=5000,
    )
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", type=int, default=10_000)
    parser.add_argument("--edges", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per endpoint per round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()

    started = time.perf_counter()
    setup_django()
    from django.test import Client
    from django.test.utils import override_settings

    from concepts.models import Concept, Prerequisite

    content = load_content()
    build_catalogue(args.concepts, args.edges)
    built = time.perf_counter() - started
    n_concepts, n_edges = Concept.objects.count(), Prerequisite.objects.count()

    top = f"c{args.concepts - 1:05d}"
    mid = f"c{min(200, args.concepts - 1):05d}"
    middle = f"c{args.concepts // 2:05d}"
    area = lambda slug: f"area-{int(slug[1:]) % 25:02d}"  # noqa: E731 - a one-line mapping, named where it is used
    client = Client()
    with override_settings(ROOT_URLCONF=floor_urlconf("bench_concepts_urls")):
        deep = client.get(f"/api/v1/concepts/{area(top)}/{top}/learning-path/").json()["count"]
        shallow = client.get(f"/api/v1/concepts/{area(mid)}/{mid}/learning-path/").json()["count"]
        rows = [
            ("floor: DRF view returning {}", "/bench/floor/"),
            ("concept detail: alignment/rlhf (real page)", "/api/v1/concepts/alignment/rlhf/"),
            (
                f"concept detail: {middle} (catalogue)",
                f"/api/v1/concepts/{area(middle)}/{middle}/",
            ),
            (
                f"learning path: {mid} ({shallow} steps)",
                f"/api/v1/concepts/{area(mid)}/{mid}/learning-path/",
            ),
            (
                f"learning path: {top} ({deep} steps), page 1",
                f"/api/v1/concepts/{area(top)}/{top}/learning-path/",
            ),
            (
                f"learning path: {top}, last page",
                f"/api/v1/concepts/{area(top)}/{top}/learning-path/"
                f"?offset={max(0, (deep - 1) // 200 * 200)}",
            ),
            (
                f"learning path: {top}, ?limit=500",
                f"/api/v1/concepts/{area(top)}/{top}/learning-path/?limit=500",
            ),
        ]
        rates = interleaved(client, {url: url for _, url in rows}, args.rounds, args.seconds)
        counts = {url: query_count(client, url) for _, url in rows}
    vs_floor = ratios(rates, rows[0][1])
    print()
    print(
        f"Catalogue: {n_concepts:,} concepts, {n_edges:,} prerequisite edges (acyclic), "
        f"plus {content}; SQLite at {DB_PATH.relative_to(ROOT)}; built in {built:.1f}s."
    )
    print(
        f"Django test client, anonymous, {args.rounds} interleaved rounds x {args.seconds:g}s "
        "per endpoint: median (min–max) of the rounds."
    )
    print()
    header = (
        f"{'endpoint':<46} {'req/s':>22} {'vs floor':>24} {'floor reqs':>11} "
        f"{'queries':>8} {'bytes':>10}"
    )
    print(header)
    print("-" * len(header))
    for label, url in rows:
        rps, ratio = rates[url], vs_floor[url]
        queries, size = counts[url]
        print(
            f"{label:<46} {rps.format('.1f'):>22} {ratio.format('.3f'):>24} "
            f"{1 / ratio.median:>11.1f} {queries:>8} {size:>10,}"
        )
    print()
    print(
        "vs floor = throughput relative to the floor, per round; floor reqs = floor requests "
        "that fit in the time of one request (from the median ratio). Query counts are per "
        "request and do not grow with depth."
    )
    print(f"Total run: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
