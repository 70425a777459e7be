"""The claims registry against the framework's floor at several sizes: is a read flat in them?

    .venv/bin/python -m benchmarks.bench_claims [--sizes 100,10000,100000]
        [--reviews-per-claim R] [--seconds S] [--rounds K] [--verify]

For each size N it builds a throwaway SQLite database under var/bench-claims/ (LP_VAR_DIR,
migrated from scratch), loads content/ (the RLHF page and its reviewed claim), then adds a
synthetic registry: ten concepts of N/10 claims each, every claim with two sources (with
snapshots) and four witnesses, one claim in ten unreviewed and R×N reviews spread over the
others as valid hash chains, signed into the review log, a fifth of the reviewed claims stale.
Rows are bulk-inserted (no signals, no services): the fingerprints, chain hashes and signatures
are computed here with the same functions the services use, the stored badges and counts are
written by the services' own functions, and the run checks a sample before measuring. Then
it runs ANALYZE, as a bulk load into SQLite should (PostgreSQL's autovacuum does it by itself):
without statistics SQLite's planner sorts each concept's claims instead of walking the
indexes (--no-analyze shows it).

Requests go through Django's test client: the full middleware, authentication and rendering
stack. The floor is a trivial DRF view returning {} on the same server (mounted by a urlconf
defined here, not in production urls). Rounds are interleaved: each round measures every size
in turn, and in each size the floor and then every endpoint, so a ratio compares requests made
moments apart. A ratio is endpoint throughput / floor throughput in the same round and database;
the table gives its median and min–max over the rounds (never the best of them), and the cost
in floor requests (1 / median ratio). The flatness line divides the cost at the largest size by
the cost at the smallest: 1.00 is perfectly flat, the target is at most 1.20.
With --verify, `manage.py verify_reviews` over the largest registry (chains, fingerprints, the
log, every signature, the stored badges and counts) is timed against hashing the same reviews
in memory.
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import building, floor_urlconf, measure, query_count

ROOT = Path(__file__).resolve().parent.parent
VAR = "var/bench-claims"
BENCH_DIR = ROOT / VAR
DB_PATH = BENCH_DIR / "bench-claims.sqlite3"
CONCEPTS = 10
VERDICTS = ["substantively_reviewed", "source_checked", "needs_changes", "disputed"]


def setup_django() -> None:
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["LP_VAR_DIR"] = VAR
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


def use_database(path: Path, *, migrate: bool = False) -> None:
    """Point the default connection at another SQLite file (one per registry size)."""
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = str(path)
    if migrate:
        call_command("migrate", verbosity=0)


def load_content() -> str:
    from django.core.management import call_command

    try:
        call_command("load_content", str(ROOT / "content"), stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    except Exception as exc:  # another app's loader failing must not stop this benchmark
        return f"content/ not loaded ({type(exc).__name__})"
    return "content/ (all loaders)"


def build_registry(n_claims: int, n_reviews: int) -> dict:
    import hashlib

    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from claims.chain import fingerprint_compute, review_hash
    from claims.models import Claim, ClaimReview, ClaimSource, ClaimWitness
    from concepts.models import Concept, ConceptObject, ConceptSource, Source, SourceSnapshot

    reviewer = get_user_model().objects.create_user(username="bench-reviewer")
    per_concept = n_claims // CONCEPTS
    concepts = Concept.objects.bulk_create(
        [
            Concept(
                area="bench",
                area_title="Bench",
                slug=f"c{i:02d}",
                title=f"Bench concept {i}",
                summary="A concept with many claims.",
                status=Concept.Status.PUBLISHED,
            )
            for i in range(CONCEPTS)
        ]
    )
    concepts = list(Concept.objects.filter(area="bench").order_by("slug"))
    sources_of, witnesses_of = {}, {}
    for concept in concepts:
        sources = []
        for j in range(2):
            source = Source.objects.create(
                key=f"bench-{concept.slug}-source-{j}", title=f"Source {j} of {concept.slug}"
            )
            body = f"snapshot of {source.key}".encode()
            sha = hashlib.sha256(body).hexdigest()
            snapshot = SourceSnapshot(
                source=source,
                sha256=sha,
                size_bytes=len(body),
                retrieved_on=datetime.date(2026, 5, 1),
            )
            snapshot.file.save(f"{source.key}.txt", ContentFile(body), save=False)
            snapshot.save()
            ConceptSource.objects.create(concept=concept, source=source, grounds="Grounds.")
            sources.append((source, sha))
        sources_of[concept.pk] = sources
        witnesses_of[concept.pk] = [
            ConceptObject.objects.create(
                concept=concept,
                kind=kind,
                anchor=f"w{j}",
                title=f"Witness {j}",
                body=f"body {j} of {concept.slug}",
            )
            for j, kind in enumerate(["equation", "equation", "code", "demo"])
        ]

    claims = Claim.objects.bulk_create(
        [
            Claim(
                concept=concept,
                key=f"claim:{concept.path}#claim-{i:05d}",
                text=f"Claim {i} of {concept.slug}: preferences train a reward model.",
                status=Claim.Status.PUBLISHED,
                order=i,
            )
            for concept in concepts
            for i in range(per_concept)
        ],
        batch_size=2000,
    )
    claims = list(Claim.objects.filter(concept__area="bench").select_related("concept"))
    links, witness_links = [], []
    for claim in claims:
        for order, (source, _) in enumerate(sources_of[claim.concept_id]):
            links.append(ClaimSource(claim=claim, source=source, locator=f"§{order + 1}"))
        for order, witness in enumerate(witnesses_of[claim.concept_id]):
            witness_links.append(ClaimWitness(claim=claim, concept_object=witness, order=order))
    ClaimSource.objects.bulk_create(links, batch_size=5000)
    ClaimWitness.objects.bulk_create(witness_links, batch_size=5000)

    def fingerprint(claim, text=None) -> str:
        return fingerprint_compute(
            text=claim.text if text is None else text,
            sources=[
                (source.key, f"§{order + 1}", sha)
                for order, (source, sha) in enumerate(sources_of[claim.concept_id])
            ],
            witnesses=[(w.key, w.content_hash) for w in witnesses_of[claim.concept_id]],
        )

    reviewed = [claim for index, claim in enumerate(claims) if index % 10 != 0]
    base, extra = divmod(n_reviews, len(reviewed))
    today = timezone.localdate()
    now = timezone.now()
    reviews, stale = [], 0
    for index, claim in enumerate(building(reviewed, desc="Building reviews")):
        claim.fingerprint = fingerprint(claim)
        reviewed_fp = claim.fingerprint
        if index % 5 == 1:  # reviewed before its text last changed
            reviewed_fp = fingerprint(claim, text=claim.text + " (earlier wording)")
            stale += 1
        previous = ""
        count = base + (1 if index < extra else 0)
        for sequence in range(1, count + 1):
            fields = {
                "reviewer_label": "bench-reviewer",
                "verdict": VERDICTS[(index + sequence) % 4],
                "summary": f"Review {sequence} of {claim.key}.",
                "scope_covers": "Reviews only the mechanism.",
                "scope_excludes": "anything else.",
                "sources_checked": sorted(s.key for s, _ in sources_of[claim.concept_id]),
                "witnesses_checked": [],
                "reviewed_on": today,
                "fingerprint": reviewed_fp,
                "previous_hash": previous,
                "sequence": sequence,
            }
            digest = review_hash(claim_key=claim.key, reviewer_id=reviewer.pk, **fields)
            reviews.append(
                ClaimReview(claim=claim, reviewer=reviewer, hash=digest, recorded_at=now, **fields)
            )
            previous = digest
    for claim in claims[::10]:
        claim.fingerprint = fingerprint(claim)
    sign_into_log(reviews)
    ClaimReview.objects.bulk_create(reviews, batch_size=5000)
    heads = {
        claim_id: (pk, fingerprint, verdict)
        for claim_id, pk, fingerprint, verdict in ClaimReview.objects.filter(
            claim__concept__area="bench"
        )
        .order_by("claim_id", "sequence")
        .values_list("claim_id", "id", "fingerprint", "verdict")
    }  # the last row per claim wins: the head
    for claim in claims:
        head = heads.get(claim.pk, (None, "", ""))
        claim.latest_review_id, claim.latest_review_fingerprint, claim.latest_review_verdict = head
    Claim.objects.bulk_update(
        claims,
        ["fingerprint", "latest_review", "latest_review_fingerprint", "latest_review_verdict"],
        batch_size=2000,
    )
    # The stored badges, queue times and counts, as the services write them.
    from claims.badges import badge_expression, waiting_since_expression
    from claims.counts import claim_counts_refresh

    Claim.objects.filter(concept__in=concepts).update(
        badge=badge_expression(), waiting_since=waiting_since_expression()
    )
    claim_counts_refresh(concept_ids=[concept.pk for concept in concepts])
    return {
        "claims": len(claims),
        "reviews": len(reviews),
        "unreviewed": len(claims) - len(reviewed),
        "stale": stale,
        "reviewer": reviewer,
        "sample": claims[len(claims) // 2 + 1],
        "concept": concepts[3],
    }


def sign_into_log(reviews: list) -> None:
    """Append the reviews to the registry-wide log after what is there, signed as the services
    sign them."""
    from claims import signing
    from claims.review_log import review_log_head

    index, head = review_log_head()
    for review in building(reviews, desc="Signing the log"):
        index, head = index + 1, signing.log_head_next(head, review.hash)
        review.log_index, review.log_head = index, head
        review.signing_key_id, review.signature = signing.sign(
            signing.review_statement(review_hash=review.hash, log_index=index, log_head=head)
        )


def check_sample(registry: dict) -> None:
    """The bulk-built rows agree with what the services compute."""
    from claims.audit import review_trail_verify
    from claims.fingerprints import claim_fingerprint
    from claims.models import Claim
    from claims.selectors import claim_list

    for claim in Claim.objects.filter(concept__area="bench")[:: max(1, registry["claims"] // 7)]:
        assert claim.fingerprint == claim_fingerprint(claim=claim), claim.key
    assert (
        claim_list(user=None, badge="stale").filter(concept__area="bench").count()
        == (registry["stale"])
    )
    assert review_trail_verify().problems == []


@contextmanager
def without_claims_section():
    from learning_platform import pages

    saved = pages._SECTIONS.pop("claims", None)
    try:
        yield
    finally:
        if saved is not None:
            pages._SECTIONS["claims"] = saved


def time_chain_check() -> tuple[float, float, int]:
    """verify_reviews over every review vs recomputing the same hashes from rows in memory."""
    from django.core.management import call_command

    from claims.chain import review_hash_of
    from claims.models import ClaimReview

    started = time.perf_counter()
    call_command("verify_reviews", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed at exit
    verify = time.perf_counter() - started
    rows = list(ClaimReview.objects.select_related("claim"))
    started = time.perf_counter()
    for review in rows:
        review_hash_of(review, claim_key=review.claim.key)
    hashing = time.perf_counter() - started
    return verify, hashing, len(rows)


def endpoints(registry: dict, n_claims: int) -> list[tuple[str, str, bool | None]]:
    sample, concept = registry["sample"], registry["concept"]
    page_url = f"/api/v1/concepts/{concept.path}/"
    return [
        ("floor: DRF view returning {}", "/bench/floor/", None),
        ("claim list (page 1 of all)", "/api/v1/claims/", None),
        ("claim list ?badge=stale", "/api/v1/claims/?badge=stale", None),
        ("claim list ?concept=bench/c03", f"/api/v1/claims/?concept={concept.path}", None),
        ("review queue", "/api/v1/claims/review-queue/", None),
        ("claim list, last page", f"/api/v1/claims/?page={-(-n_claims // 20)}", None),
        ("claim detail", f"/api/v1/claims/{sample.pk}/", None),
        ("claim-review.jsonld", f"/api/v1/claims/{sample.pk}/claim-review.jsonld", None),
        ("concept page bench/c03 (N/10 claims)", page_url, True),
        ("concept page bench/c03, no claims part", page_url, False),
    ]


def timed(client, url: str, flag, seconds: float, measure_or_count):
    if flag is False:
        with without_claims_section():
            return measure_or_count(client, url, seconds)
    return measure_or_count(client, url, seconds)


FLAT_ROWS = ("claim list (page 1 of all)", "claim list ?badge=stale", "review queue")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,10000,100000", help="claims per registry")
    parser.add_argument("--reviews-per-claim", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=1.0, help="per endpoint per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--verify", action="store_true", help="time verify_reviews too")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip ANALYZE after the bulk load (SQLite then plans without statistics)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    started = time.perf_counter()
    setup_django()
    from django.test import Client
    from django.test.utils import override_settings

    from claims.models import Claim, ClaimReview

    built = {}
    for size in sizes:
        path = BENCH_DIR / f"bench-claims-{size}.sqlite3"
        use_database(path, migrate=True)
        t0 = time.perf_counter()
        content = load_content()
        registry = build_registry(size, int(size * args.reviews_per_claim))
        check_sample(registry)
        if args.analyze:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        registry.update(
            path=path,
            content=content,
            n_claims=Claim.objects.count(),
            n_reviews=ClaimReview.objects.count(),
            seconds=time.perf_counter() - t0,
        )
        built[size] = registry
        print(
            f"built {registry['n_claims']:,} claims, {registry['n_reviews']:,} reviews "
            f"({registry['stale']:,} stale) in {registry['seconds']:.0f}s",
            flush=True,
        )

    client = Client()
    ratios: dict[tuple[int, str], list[float]] = {}
    counts: dict[tuple[int, str], tuple[int, int]] = {}
    with override_settings(ROOT_URLCONF=floor_urlconf("bench_claims_urls")):
        for _ in range(args.rounds):
            for size in sizes:
                registry = built[size]
                use_database(registry["path"])
                rates = {}
                for label, url, flag in endpoints(registry, registry["n_claims"]):
                    rates[label] = timed(client, url, flag, args.seconds, measure)
                floor = rates["floor: DRF view returning {}"]
                for label, rate in rates.items():
                    ratios.setdefault((size, label), []).append(rate / floor)
        for size in sizes:
            registry = built[size]
            use_database(registry["path"])
            for label, url, flag in endpoints(registry, registry["n_claims"]):
                counts[(size, label)] = timed(
                    client, url, flag, 0, lambda client, url, _: query_count(client, url)
                )

    print()
    print(
        f"Registries of {', '.join(f'{size:,}' for size in sizes)} claims "
        f"({args.reviews_per_claim:g} reviews per claim), plus {built[sizes[0]]['content']}; "
        f"SQLite under {BENCH_DIR.relative_to(ROOT)}."
    )
    print(
        f"Django test client, anonymous; {args.rounds} interleaved rounds x {args.seconds:g}s "
        "per endpoint; ratio = throughput / floor throughput, median (min-max) of the rounds."
    )
    print()
    header = f"{'endpoint':<40}" + "".join(
        f" {f'{size:,} claims: ratio (min-max) floor reqs q':>44}" for size in sizes
    )
    print(header)
    print("-" * len(header))
    for label, _, _ in endpoints(built[sizes[0]], built[sizes[0]]["n_claims"]):
        cells = []
        for size in sizes:
            values = ratios[(size, label)]
            median = statistics.median(values)
            queries, _ = counts[(size, label)]
            cells.append(
                f"{median:.3f} ({min(values):.3f}-{max(values):.3f}) {1 / median:7.1f} {queries:>3}"
            )
        print(f"{label:<40}" + "".join(f" {cell:>44}" for cell in cells))
    print()
    small, large = sizes[0], sizes[-1]
    for label in FLAT_ROWS:
        cost_small = 1 / statistics.median(ratios[(small, label)])
        cost_large = 1 / statistics.median(ratios[(large, label)])
        spread = [1 / value for value in ratios[(large, label)]]
        print(
            f"flatness {label}: {cost_large:.1f} / {cost_small:.1f} floor requests at "
            f"{large:,} / {small:,} claims = {cost_large / cost_small:.2f} "
            f"(rounds at {large:,}: {min(spread):.1f}-{max(spread):.1f}; target <= 1.20)"
        )

    if args.verify:
        use_database(built[large]["path"])
        verify, hashing, hashed = time_chain_check()
        print(
            f"verify_reviews over {hashed:,} reviews: {verify:.2f}s, {verify / hashing:.2f}x the "
            f"time of recomputing their hashes in memory ({hashing:.2f}s)."
        )
    print(f"Total run: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
