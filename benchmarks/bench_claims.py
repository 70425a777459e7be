"""The claims registry against the framework's floor, with 10,000 claims and 100,000 reviews.

    .venv/bin/python -m benchmarks.bench_claims [--claims N] [--reviews M] [--seconds S]

Builds a throwaway SQLite database under var/bench-claims/ (LP_VAR_DIR, migrated from scratch),
loads content/ (the RLHF page and its reviewed claim), then adds a synthetic registry: ten
concepts of N/10 claims each, every claim with two sources (with snapshots) and four witnesses,
one claim in ten unreviewed and M reviews spread over the others as valid hash chains, signed
into the review log, a fifth of the reviewed claims stale. Rows are bulk-inserted (no signals, no
services): the fingerprints, chain hashes and signatures are computed here with the same functions
the services use, and the run checks a sample against the services before measuring.

Requests go through Django's test client: the full middleware, authentication and rendering
stack. The floor is a trivial DRF view returning {} on the same server (mounted by a urlconf
defined here, not in production urls); the ratios say how many floor requests one request costs.
The trail check (`manage.py verify_reviews`: chains, fingerprints, the log, every signature) is
timed against hashing the same reviews in memory.
"""

import argparse
import datetime
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks.harness import ROUNDS, SECONDS, floor_urlconf, interleaved, query_count, ratios

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


def load_content() -> str:
    from django.core.management import call_command

    try:
        call_command("load_content", str(ROOT / "content"), stdout=open(os.devnull, "w"))  # noqa: SIM115
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
    for index, claim in enumerate(reviewed):
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
    from claims.services import review_log_head

    index, head = review_log_head()
    for review in reviews:
        index, head = index + 1, signing.log_head_next(head, review.hash)
        review.log_index, review.log_head = index, head
        review.signing_key_id, review.signature = signing.sign(
            signing.review_statement(review_hash=review.hash, log_index=index, log_head=head)
        )


def check_sample(registry: dict) -> None:
    """The bulk-built rows agree with what the services compute."""
    from claims.audit import review_trail_verify
    from claims.models import Claim
    from claims.selectors import claim_list
    from claims.services import claim_fingerprint

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
    call_command("verify_reviews", stdout=open(os.devnull, "w"))  # noqa: SIM115
    verify = time.perf_counter() - started
    rows = list(ClaimReview.objects.select_related("claim"))
    started = time.perf_counter()
    for review in rows:
        review_hash_of(review, claim_key=review.claim.key)
    hashing = time.perf_counter() - started
    return verify, hashing, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="per endpoint per round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()

    started = time.perf_counter()
    setup_django()
    from django.test import Client
    from django.test.utils import override_settings

    from claims.models import Claim, ClaimReview

    content = load_content()
    registry = build_registry(args.claims, args.reviews)
    check_sample(registry)
    built = time.perf_counter() - started
    n_claims, n_reviews = Claim.objects.count(), ClaimReview.objects.count()

    sample, concept = registry["sample"], registry["concept"]
    page_url = f"/api/v1/concepts/{concept.path}/"
    client = Client()
    with override_settings(ROOT_URLCONF=floor_urlconf("bench_claims_urls")):
        page_ok = client.get(page_url).status_code == 200
        rows = [
            ("floor: DRF view returning {}", "/bench/floor/", None),
            ("claim list (page 1 of all)", "/api/v1/claims/", None),
            ("claim list ?badge=stale", "/api/v1/claims/?badge=stale", None),
            (
                f"claim list ?concept={concept.path}",
                f"/api/v1/claims/?concept={concept.path}",
                None,
            ),
            ("claim list, last page", f"/api/v1/claims/?page={-(-n_claims // 20)}", None),
            (
                f"claim detail ({sample.reviews.count()} reviews)",
                f"/api/v1/claims/{sample.pk}/",
                None,
            ),
            ("review queue", "/api/v1/claims/review-queue/", None),
            ("claim-review.jsonld", f"/api/v1/claims/{sample.pk}/claim-review.jsonld", None),
        ]
        if page_ok:
            rows += [
                (f"concept page {concept.path} ({args.claims // CONCEPTS} claims)", page_url, True),
                (f"concept page {concept.path}, no claims part", page_url, False),
            ]

        def without_claims(url: str):
            def get():
                with without_claims_section():
                    response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"GET {url} answered {response.status_code}")

            return get

        endpoints = {
            (url, flag): without_claims(url) if flag is False else url for _, url, flag in rows
        }
        # Round-robin with the floor, median (min–max) of the rounds; ratios within each round.
        rates = interleaved(client, endpoints, args.rounds, args.seconds)
        vs_floor = ratios(rates, ("/bench/floor/", None))
        counts = {}
        for _, url, flag in rows:
            if flag is False:
                with without_claims_section():
                    counts[(url, flag)] = query_count(client, url)
            else:
                counts[(url, flag)] = query_count(client, url)

    section_rate = section_queries = None
    if not page_ok:  # no concept endpoint: time the page section builder on its own
        from django.db import connection
        from django.test import RequestFactory
        from django.test.utils import CaptureQueriesContext

        from learning_platform.pages import page_sections

        build = page_sections()["claims"]
        request = RequestFactory().get("/")
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        with CaptureQueriesContext(connection) as queries:
            build(concept=concept, request=request)
        section_queries = len(queries)
        count, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < args.seconds:
            build(concept=concept, request=request)
            count += 1
        section_rate = count / (time.perf_counter() - t0)

    verify, hashing, hashed = time_chain_check()

    floor = rates[("/bench/floor/", None)].median
    print()
    print(
        f"Registry: {n_claims:,} claims ({registry['unreviewed']:,} unreviewed, "
        f"{registry['stale']:,} stale), {n_reviews:,} reviews in hash chains, plus {content}; "
        f"SQLite at {DB_PATH.relative_to(ROOT)}; built in {built:.1f}s."
    )
    print(
        f"Django test client, anonymous, {args.rounds} interleaved rounds x {args.seconds:g}s "
        "per endpoint: median (min–max) of the rounds, ratios taken within each round."
    )
    print()
    header = (
        f"{'endpoint':<44} {'req/s':>22} {'vs floor':>24} {'floor reqs':>11} "
        f"{'queries':>8} {'bytes':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, url, flag in rows:
        rps, ratio = rates[(url, flag)], vs_floor[(url, flag)]
        queries, size = counts[(url, flag)]
        print(
            f"{label:<44} {rps.format('.1f'):>22} {ratio.format('.3f'):>24} "
            f"{1 / ratio.median:>11.1f} {queries:>8} {size:>9,}"
        )
    if section_rate is not None:
        print(
            f"{'claims page section (builder, no HTTP)':<44} {section_rate:>8.1f} "
            f"{section_rate / floor:>9.3f} {floor / section_rate:>11.1f} {section_queries:>8}"
        )
        print("(the concept detail endpoint did not answer: the section builder was timed)")
    print()
    print(
        "vs floor = throughput relative to the floor, per round; floor reqs = floor requests "
        "that fit in the time of one request (from the median ratio). Query counts are per "
        "request, whatever the data size."
    )
    print(
        f"verify_reviews over {hashed:,} reviews: {verify:.2f}s, {verify / hashing:.2f}x the "
        f"time of recomputing their hashes in memory ({hashing:.2f}s)."
    )
    print(f"Total run: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
