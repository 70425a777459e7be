"""The badge and the review-queue time as SQL over a claim's own columns.

Both are stored on the claim (``Claim.badge``, ``Claim.waiting_since``) by
claims.counts.claim_badges_sync whenever a column they read changes, so that lists filter and
order by indexed columns; these expressions are what the services store and what
verify_reviews recomputes.
"""

from django.db.models import Case, CharField, DateTimeField, F, Q, Value, When

from .models import Badge, ClaimReview

V = ClaimReview.Verdict
VERDICT_BADGE = {
    V.SUBSTANTIVELY_REVIEWED: Badge.SUBSTANTIVELY_REVIEWED,
    V.SOURCE_CHECKED: Badge.SOURCE_CHECKED,
    V.NEEDS_CHANGES: Badge.DISPUTED,
    V.DISPUTED: Badge.DISPUTED,
}
QUEUE_BADGES = (Badge.UNREVIEWED, Badge.STALE)


def badge_expression() -> Case:
    """The badge as SQL, from the claim's own columns (no join)."""
    current = Q(latest_review_fingerprint=F("fingerprint"))
    return Case(
        When(latest_review__isnull=True, then=Value(Badge.UNREVIEWED.value)),
        *[
            When(current & Q(latest_review_verdict=verdict), then=Value(badge.value))
            for verdict, badge in VERDICT_BADGE.items()
        ],
        default=Value(Badge.STALE.value),
        output_field=CharField(),
    )


def waiting_since_expression() -> Case:
    """Since when the claim waits for a review: an unreviewed claim since it was created, a
    stale one since its content changed; NULL when it is not waiting."""
    current = Q(latest_review_fingerprint=F("fingerprint"))
    return Case(
        When(latest_review__isnull=True, then=F("created_at")),
        *[When(current & Q(latest_review_verdict=verdict), then=None) for verdict in VERDICT_BADGE],
        default=F("fingerprint_changed_at"),
        output_field=DateTimeField(),
    )


def badge_of(claim) -> str:
    """The badge computed in Python from the claim's columns; agrees with badge_expression()."""
    if claim.latest_review_id is None:
        return Badge.UNREVIEWED.value
    if claim.latest_review_fingerprint != claim.fingerprint:
        return Badge.STALE.value
    verdict = VERDICT_BADGE.get(claim.latest_review_verdict)
    return verdict.value if verdict else Badge.STALE.value


def waiting_since_of(claim):
    """What waiting_since_expression() computes, in Python."""
    badge = badge_of(claim)
    if badge == Badge.UNREVIEWED:
        return claim.created_at
    return claim.fingerprint_changed_at if badge == Badge.STALE else None
