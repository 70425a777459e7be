"""The badges and review-queue times claims store, and the per-concept counts of them."""

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count

from .badges import badge_expression, waiting_since_expression
from .models import Claim, ClaimCount, ClaimReview

# An arbitrary constant: with a concept's id, the PostgreSQL advisory lock that serialises the
# recounts of that concept's claims (claim_counts_refresh).
CLAIM_COUNTS_LOCK = 730_140_622


def claim_badges_sync(*, claim_ids: Iterable[int], concept_ids: Iterable[int] = ()) -> None:
    """Store the badge and review-queue time of these claims from their columns, then recount
    their concepts (and ``concept_ids``). Every write to a column the badge reads, to a claim's
    status or to its concept calls this in its own transaction."""
    ids = sorted({claim_id for claim_id in claim_ids if claim_id is not None})
    concepts = set(concept_ids)
    if ids:
        Claim.objects.filter(pk__in=ids).update(
            badge=badge_expression(), waiting_since=waiting_since_expression()
        )
        concepts |= set(
            Claim.objects.filter(pk__in=ids).order_by().values_list("concept_id", flat=True)
        )
    claim_counts_refresh(concept_ids=concepts)


def claim_counts_recount(*, concept_ids: Iterable[int] | None = None) -> dict[tuple, list[int]]:
    """{(concept id, status, badge): [claims, substantive reviews]} counted from the claims
    (all concepts when ``concept_ids`` is None). Two queries over those concepts' claims."""
    claims = Claim.objects.order_by()
    reviews = ClaimReview.objects.filter(verdict=ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED)
    if concept_ids is not None:
        claims = claims.filter(concept_id__in=concept_ids)
        reviews = reviews.filter(claim__concept_id__in=concept_ids)
    counts: dict[tuple, list[int]] = {}
    for concept_id, status, badge, number in claims.values_list(
        "concept_id", "status", "badge"
    ).annotate(number=Count("id")):
        counts[(concept_id, status, badge)] = [number, 0]
    for concept_id, status, badge, number in (
        reviews.order_by()
        .values_list("claim__concept_id", "claim__status", "claim__badge")
        .annotate(number=Count("id"))
    ):
        counts.setdefault((concept_id, status, badge), [0, 0])[1] = number
    return counts


@transaction.atomic
def claim_counts_refresh(*, concept_ids: Iterable[int]) -> None:
    """Rewrite the stored counts (ClaimCount) of these concepts from their claims.

    The cost is a count over one concept's claims, paid on write so that no read counts claims.
    On PostgreSQL the recounts of one concept are serialised by a transaction-scoped advisory
    lock taken just before its rows are rewritten: a second writer waits, then counts with the
    first one's claims committed. SQLite serialises writers anyway.
    """
    ids = sorted({concept_id for concept_id in concept_ids if concept_id is not None})
    if not ids:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for concept_id in ids:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [CLAIM_COUNTS_LOCK, concept_id]
                )
    counts = claim_counts_recount(concept_ids=ids)
    ClaimCount.objects.filter(concept_id__in=ids).delete()
    ClaimCount.objects.bulk_create(
        ClaimCount(
            concept_id=concept_id,
            status=status,
            badge=badge,
            claims=claims,
            substantive_reviews=reviews,
        )
        for (concept_id, status, badge), (claims, reviews) in sorted(counts.items())
    )
