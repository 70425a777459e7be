"""Cached reads against the framework's floor: warm, revalidated (304) and cold.

    .venv/bin/python -m benchmarks.bench_cache [--rounds R] [--seconds S]

Builds the concept benchmark's throwaway SQLite database, loads content/ (eight concept pages
and their claims), and times requests through Django's test client against a trivial DRF view
returning {} on the same server. Contenders run round-robin (benchmarks.harness), R
interleaved rounds of about S seconds each; each round gives every contender its throughput
over the floor's (1.0 = as cheap as the floor), and the table shows the median and min–max of
those ratios. "Cold" is the first read after an edit: each read follows a one-row write to the
concept table, so every read misses the cache; the write alone is timed in the same rounds and
subtracted. Exits non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks.harness import ROUNDS, SECONDS, Stats, floor_urlconf, interleaved, ratios

COMMAND = ".venv/bin/python -m benchmarks.bench_cache"
PAGE = "/api/v1/concepts/alignment/rlhf/"
TARGETS = {
    "concept page, warm": 0.5,
    "concept page, 304 on If-None-Match": 0.8,
    "concept page, cold (first read after an edit)": 0.1,
    "claim list, warm": 0.5,
    "review queue, warm": 0.5,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    args = parser.parse_args()

    from benchmarks.bench_concepts import load_content, setup_django

    setup_django()
    load_content()

    from django.db.models import F
    from django.test import Client, override_settings

    from concepts.models import Concept

    client = Client()
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")

    def edit() -> None:
        Concept.objects.filter(pk=rlhf.pk).update(read_minutes=F("read_minutes"))

    def read_page() -> None:
        if client.get(PAGE).status_code != 200:
            raise SystemExit(f"GET {PAGE} failed")

    tag = {"current": ""}

    def revalidate() -> None:
        """A 304, except right after an edit in another contender's turn: then the answer is
        the new page, whose tag the next requests send."""
        response = client.get(PAGE, HTTP_IF_NONE_MATCH=tag["current"])
        if response.status_code == 200:
            tag["current"] = response["ETag"]
        elif response.status_code != 304:
            raise SystemExit(f"GET {PAGE} answered {response.status_code}")

    def edit_then_read() -> None:
        edit()
        read_page()

    with override_settings(ROOT_URLCONF=floor_urlconf("bench_cache_urls")):
        rates = interleaved(
            client,
            {
                "floor": "/bench/floor/",
                "concept page, warm": read_page,
                "concept page, 304 on If-None-Match": revalidate,
                "edit then read": edit_then_read,
                "edit alone": edit,
                "claim list, warm": "/api/v1/claims/",
                "review queue, warm": "/api/v1/claims/review-queue/",
            },
            args.rounds,
            args.seconds,
        )
    # A cold read's time, round by round: (edit and read) minus the edit alone.
    cold_rates = [
        1 / (1 / both - 1 / alone)
        for both, alone in zip(
            rates.pop("edit then read").values, rates.pop("edit alone").values, strict=True
        )
    ]
    rates["concept page, cold (first read after an edit)"] = Stats.of(cold_rates)
    against_floor = ratios(rates, "floor")

    print(f"Cached reads vs the floor: {args.rounds} interleaved rounds of ~{args.seconds} s each")
    print(f"command: {COMMAND}")
    print("| read | vs floor: median (min–max) | target | |\n|---|---|---|---|")
    missed = []
    for name, target in TARGETS.items():
        stats = against_floor[name]
        verdict = "met" if stats.median >= target else "**missed**"
        if stats.median < target:
            missed.append(name)
        print(f"| {name} | {stats.format('.2f')} | ≥ {target} | {verdict} |")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
