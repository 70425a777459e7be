"""Every read of the claims registry that the API, the admin and the concept page share.

Each selector runs a fixed number of queries whatever the number of claims or reviews: the badge
and the review-queue time are stored, indexed columns of the claim row (written by the
services from its fingerprint and its denormalised latest review); the totals of lists and the
concept page's summary are read from the stored counts (ClaimCount) instead of counting claims;
claims_with_links reads a page's sources, witnesses and reviews in a query each, and returns
each claim as a ClaimRead (claims.shapes) that holds them.
"""

from urllib.parse import urlencode

from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from rest_framework.reverse import reverse as drf_reverse

from concepts.models import Concept, ConceptRevision
from concepts.selectors import concept_diff_path
from learning_platform.objects import ResolvedObject
from learning_platform.roles import is_editor, is_reviewer

from .badges import QUEUE_BADGES, badge_expression, badge_of  # noqa: F401 (re-exported)
from .chain import inputs_changed
from .models import (
    Badge,
    Claim,
    ClaimCount,
    ClaimQuerySet,
    ClaimReview,
    ClaimSource,
    ClaimVerification,
    ClaimWitness,
    SourceLink,
    WitnessLink,
)
from .shapes import ClaimRead

V = ClaimReview.Verdict
NEEDS_REVIEW_LINE = (
    "Claims without a substantive review badge still need exact source-support review."
)
WITNESS_HINT = (
    "Use equation, code, and demo objects to check whether the source support is operational."
)
BOUNDED_REVIEW_NOTE = (
    "A bounded review summary is present; still check caveats and exact source scope."
)
# The concept page shows this many claims; the summary counts all of them.
PAGE_CLAIMS_LIMIT = 50


# Badges ---------------------------------------------------------------------------------------


def review_is_stale(*, review: ClaimReview, claim: Claim) -> bool:
    return review.fingerprint != claim.fingerprint


def claim_badge(*, claim: Claim) -> str:
    """The badge computed in Python from the claim's columns; agrees with badge_expression()
    and so with the stored ``badge`` (verify_reviews checks that it does)."""
    return badge_of(claim)


def claim_stale_reasons(*, row: ClaimRead) -> list[dict]:
    """Why the claim's badge is stale: each input (text, source snapshot or locator, witness)
    that changed since its latest review, with the concept diff that shows it. Empty when the
    badge is not stale. Reads only what claims_with_links loaded."""
    claim, review = row.claim, row.latest_review
    if review is None or review.fingerprint == claim.fingerprint:
        return []
    reasons = inputs_changed(review.fingerprint_inputs, claim.fingerprint_inputs)
    concept = claim.concept
    # The reviewed revision, or the oldest one this database holds when the review came from
    # content files written elsewhere (claims_with_links finds which).
    since = review.concept_revision if row.diff_since is None else row.diff_since
    if since and concept.revision_hash:
        for reason in reasons:
            reason["diff_url"] = concept_diff_path(
                concept.key,
                old=since,
                new=concept.revision_hash,
                object_key=reason["key"] if reason["input"] == "witness" else "",
            )
    return reasons


# Claims ---------------------------------------------------------------------------------------


def claims_visible(*, user, join: bool = True) -> ClaimQuerySet:
    """Editors and reviewers see every claim; others the live claims of published concepts.

    ``join=False`` states the same rule with the published concepts as a subquery instead of a
    join, which lets a read ordered by a claim column walk that column's index."""
    claims = Claim.objects.all()
    if is_editor(user) or is_reviewer(user):
        return claims
    if not join:
        published = Concept.objects.filter(status=Concept.Status.PUBLISHED).values("pk")
        return claims.filter(concept_id__in=published, status__in=Claim.LIVE_STATUSES)
    return claims.filter(concept__status=Concept.Status.PUBLISHED, status__in=Claim.LIVE_STATUSES)


def claim_counts_visible(*, user) -> QuerySet[ClaimCount]:
    """The stored counts of the claims claims_visible shows the user, by the same rules."""
    counts = ClaimCount.objects.all()
    if is_editor(user) or is_reviewer(user):
        return counts
    return counts.filter(concept__status=Concept.Status.PUBLISHED, status__in=Claim.LIVE_STATUSES)


def _counted(counts: QuerySet[ClaimCount]) -> int:
    return counts.aggregate(total=Sum("claims"))["total"] or 0


def claims_with_links(
    claims: QuerySet[Claim] | list[int], *, reviews: bool = False
) -> list[ClaimRead]:
    """Claims with what the API and the page show, in four queries (five with ``reviews``).

    ``claims`` is a queryset (evaluated once, in its order) or a list of ids (kept in order).
    Each claim comes as a ClaimRead with its ``source_links`` and ``witness_links`` (plain
    dicts: keys, titles, locators), its latest review (with its reviewer) and verification and,
    with ``reviews``, all its reviews newest first. Links are read as values, not model
    instances: on a full page that is most of the cost.
    """
    if isinstance(claims, list):
        by_id = {
            claim.pk: claim
            for claim in Claim.objects.select_related("concept").filter(pk__in=claims)
        }
        loaded = [by_id[pk] for pk in claims if pk in by_id]
    else:
        loaded = list(claims if claims.query.is_sliced else claims.select_related("concept"))
    ids = [claim.pk for claim in loaded]
    latest_ids = [claim.latest_review_id for claim in loaded if claim.latest_review_id]
    latest = (
        ClaimReview.objects.select_related("reviewer").in_bulk(latest_ids) if latest_ids else {}
    )
    sources: dict[int, list[SourceLink]] = {pk: [] for pk in ids}
    witnesses: dict[int, list[WitnessLink]] = {pk: [] for pk in ids}
    if ids:
        for row in (
            ClaimSource.objects.filter(claim_id__in=ids)
            .order_by("claim_id", "order", "id")
            .values("claim_id", "locator", "source__key", "source__title", "source__url")
        ):
            sources[row["claim_id"]].append(
                {
                    "key": row["source__key"],
                    "title": row["source__title"],
                    "locator": row["locator"],
                    "url": row["source__url"],
                }
            )
        for witness_row in (
            ClaimWitness.objects.filter(claim_id__in=ids)
            .order_by("claim_id", "order", "id")
            .values(
                "claim_id",
                "concept_object__kind",
                "concept_object__anchor",
                "concept_object__title",
                "concept_object__concept__area",
                "concept_object__concept__slug",
            )
        ):
            kind = witness_row["concept_object__kind"]
            area = witness_row["concept_object__concept__area"]
            path = f"{area}/{witness_row['concept_object__concept__slug']}"
            witnesses[witness_row["claim_id"]].append(
                {
                    "key": f"{kind}:{path}#{witness_row['concept_object__anchor']}",
                    "kind": kind,
                    "title": witness_row["concept_object__title"],
                }
            )
    history: dict[int, list[ClaimReview]] = {pk: [] for pk in ids}
    if reviews and ids:
        for review in (
            ClaimReview.objects.filter(claim_id__in=ids)
            .select_related("reviewer")
            .order_by("claim_id", "-sequence")
        ):
            history[review.claim_id].append(review)
    verified_ids = [
        claim.latest_verification_id for claim in loaded if claim.latest_verification_id
    ]
    verifications = ClaimVerification.objects.in_bulk(verified_ids) if verified_ids else {}
    diff_since = _diff_since(loaded, latest)
    return [
        ClaimRead(
            claim=claim,
            source_links=sources[claim.pk],
            witness_links=witnesses[claim.pk],
            latest_review=latest.get(claim.latest_review_id),
            latest_verification=verifications.get(claim.latest_verification_id),
            diff_since=diff_since.get(claim.pk),
            review_history=history[claim.pk] if reviews else None,
        )
        for claim in loaded
    ]


def _diff_since(claims: list[Claim], reviews: dict[int, ClaimReview]) -> dict[int, str]:
    """For each stale claim, the revision its stale reasons diff from: the one its latest
    review saw if this database holds it, else the concept's oldest revision here. One query,
    and none when no claim is stale."""
    stale = {
        claim.pk: reviews[claim.latest_review_id]
        for claim in claims
        if claim.latest_review_id in reviews
        and claim.latest_review_fingerprint != claim.fingerprint
        and reviews[claim.latest_review_id].concept_revision
    }
    if not stale:
        return {}
    concepts = {claim.concept_id for claim in claims if claim.pk in stale}
    known: set[tuple[int, str]] = set()
    oldest: dict[int, str] = {}
    for concept_id, digest, number in ConceptRevision.objects.filter(
        Q(hash__in={review.concept_revision for review in stale.values()}) | Q(number=1),
        concept_id__in=concepts,
    ).values_list("concept_id", "hash", "number"):
        known.add((concept_id, digest))
        if number == 1:
            oldest[concept_id] = digest
    since = {}
    for claim in claims:
        review = stale.get(claim.pk)
        if review is None or (claim.concept_id, review.concept_revision) in known:
            continue
        since[claim.pk] = oldest.get(claim.concept_id, "")
    return since


def concept_filter(value: str) -> Q | None:
    """``alignment/rlhf`` or ``concept:alignment/rlhf`` → a filter on the claim's concept."""
    path = value.removeprefix("concept:")
    area, _, slug = path.partition("/")
    if not area or not slug or "/" in slug:
        return None
    return Q(concept__area=area, concept__slug=slug)


def claim_list(
    *,
    user,
    concept: str | None = None,
    badge: str | None = None,
    source: str | None = None,
    status: str | None = None,
) -> ClaimQuerySet:
    """The claims the user may see, filtered, in page order. Unless filtered by source, its
    ``count()`` is read from the stored counts (one query over a few rows per concept), and
    nothing is read until the queryset is."""
    claims = claims_visible(user=user)
    counts = claim_counts_visible(user=user)
    if concept:
        condition = concept_filter(concept)
        if condition is None:
            return claims.none()
        claims = claims.filter(condition)
        path = concept.removeprefix("concept:")
        area, _, slug = path.partition("/")
        counts = counts.filter(concept__area=area, concept__slug=slug)
    if badge:
        claims = claims.filter(badge=badge)
        counts = counts.filter(badge=badge)
    if status:
        claims = claims.filter(status=status)
        counts = counts.filter(status=status)
    claims = claims.order_by("concept__area", "concept__slug", "order", "id")
    if source:
        return claims.filter(claim_sources__source__key=source.removeprefix("source:"))
    return claims.with_count(lambda: _counted(counts))


def claim_detail(*, user, claim_id: int, reviews: bool = True) -> ClaimRead | None:
    """One claim with its links and, by default, every review (newest first)."""
    found = claims_with_links(claims_visible(user=user).filter(pk=claim_id), reviews=reviews)
    return found[0] if found else None


def claim_get(*, user, claim_id: int) -> Claim | None:
    """The claim alone (no links), if the user may see it."""
    return claims_visible(user=user).select_related("concept").filter(pk=claim_id).first()


def review_list(*, claim: Claim) -> QuerySet[ClaimReview]:
    """The claim's reviews, newest first."""
    return ClaimReview.objects.filter(claim=claim).select_related("reviewer").order_by("-sequence")


def review_queue(*, user) -> ClaimQuerySet:
    """Claims waiting for a review (unreviewed or stale), longest-waiting first.

    An unreviewed claim has waited since it was created; a stale one since its content changed
    (the stored ``waiting_since``, NULL for the others). Its count is read from the stored
    counts.
    """
    claims = (
        claims_visible(user=user, join=False)
        .exclude(status=Claim.Status.RETIRED)
        .filter(waiting_since__isnull=False)  # stored only for unreviewed and stale claims
        .order_by("waiting_since", "id")
    )
    counts = (
        claim_counts_visible(user=user)
        .exclude(status=Claim.Status.RETIRED)
        .filter(badge__in=QUEUE_BADGES)
    )
    return claims.with_count(lambda: _counted(counts))


# Google asks for a claimReviewed under 75 characters, so that it fits one line on a phone.
CLAIM_HEADLINE_MAX = 74


def claim_headline(text: str, *, limit: int = CLAIM_HEADLINE_MAX) -> str:
    """A short statement of the claim, always its own words: the first sentence or clause if
    it fits in ``limit`` characters, else the longest run of whole words that does, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    for stop in (". ", "; ", ": "):
        head = text.split(stop, 1)[0].rstrip(".;:")
        if len(head) <= limit and head != text:
            return head
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–—-") + "…"


def reviews_by_reviewer(*, uid: str, user, limit: int = 200) -> list[ClaimReview]:
    """The reviews signed with the reviewer identity ``uid`` on claims the user may see,
    newest first, each with its claim and concept (one query)."""
    visible = claims_visible(user=user).values("pk")
    return list(
        ClaimReview.objects.filter(reviewer_uid=uid, claim_id__in=visible)
        .select_related("claim", "claim__concept")
        .order_by("-recorded_at", "-id")[:limit]
    )


def claim_by_key(key: str) -> ClaimRead | None:
    """A publicly visible claim by its key, with its links (for the object resolver)."""
    found = claims_with_links(claims_visible(user=None).filter(key=key))
    return found[0] if found else None


def claim_resolve(key: str) -> ResolvedObject | None:
    """Resolve ``claim:<area>/<concept>#<anchor>``; its version is the claim's fingerprint."""
    row = claim_by_key(key)
    if row is None:
        return None
    claim = row.claim
    title = claim.text if len(claim.text) <= 120 else claim.text[:119].rstrip() + "…"
    return ResolvedObject(
        key=claim.key,
        kind="claim",
        title=title,
        api_url=reverse("claim-detail", kwargs={"claim_id": claim.pk}),
        concept_key=claim.concept.key,
        version=claim.fingerprint,
        context={
            "text": claim.text,
            "sources": [f"source:{key}" for key in _source_keys(row)],
            "witnesses": _witness_keys(row),
            "badge": claim_badge(claim=claim),
        },
    )


# The concept page -----------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _source_keys(row: ClaimRead) -> list[str]:
    return [link["key"] for link in row.source_links]


def _witness_keys(row: ClaimRead) -> list[str]:
    return [link["key"] for link in row.witness_links]


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _page_item(row: ClaimRead, request=None) -> dict:
    claim = row.claim
    titles = {link["key"]: link["title"] for link in row.source_links}
    witnesses = _witness_keys(row)
    review = row.latest_review
    badge = claim_badge(claim=claim)
    item = {
        "id": claim.pk,
        "key": claim.key,
        "url": drf_reverse("claim-detail", kwargs={"claim_id": claim.pk}, request=request),
        "page_url": drf_reverse("claim-page", kwargs={"claim_id": claim.pk}, request=request),
        "text": claim.text,
        "status": claim.status,
        "status_label": claim.get_status_display(),
        "support_note": claim.support_note,
        "badge": badge,
        "badge_label": Badge(badge).label,
        "stale_reasons": claim_stale_reasons(row=row),
        "sources": [
            {"key": link["key"], "title": link["title"], "locator": link["locator"]}
            for link in row.source_links
        ],
        "sources_label": _plural(len(titles), "reference"),
        "witnesses": witnesses,
        "witnesses_label": _plural(len(witnesses), "local object"),
        "latest_review": None,
    }
    if review is not None:
        item["latest_review"] = {
            "reviewer_label": review.reviewer_label,
            "reviewed_on": review.reviewed_on.isoformat(),
            "verdict": review.verdict,
            "verdict_label": review.get_verdict_display(),
            "stale": review_is_stale(review=review, claim=claim),
            "summary": review.summary,
            "scope_covers": review.scope_covers,
            "scope_excludes": review.scope_excludes,
            "scope_text": review.scope_text,
            "sources_checked": [
                {"key": key, "title": titles.get(key, key)} for key in review.sources_checked
            ],
            "witnesses_checked": review.witnesses_checked,
            "note": BOUNDED_REVIEW_NOTE,
            "byline": f"Reviewer: {review.reviewer_label}; reviewed {review.reviewed_on}",
        }
    return item


def concept_claims_summary(*, counts: QuerySet[ClaimCount]) -> dict:
    """The summary from the stored counts of the concept's claims: one query over a few rows,
    however many claims there are."""
    by_badge: dict[str, int] = {}
    total = recorded = 0
    for badge, claims, reviews in counts.values_list("badge", "claims", "substantive_reviews"):
        by_badge[badge] = by_badge.get(badge, 0) + claims
        total += claims
        recorded += reviews
    substantive = by_badge.get(Badge.SUBSTANTIVELY_REVIEWED, 0)
    lacking = total - substantive
    return {
        "claims": total,
        "substantive_reviews_recorded": recorded,
        "status_line": f"{_plural(recorded, 'substantive review')} recorded",
        "claims_with_current_substantive_review": substantive,
        "substantive_share": round(substantive / total, 4) if total else None,
        "substantive_share_text": f"{substantive}/{total}",
        "stale": by_badge.get(Badge.STALE, 0),
        "unreviewed": by_badge.get(Badge.UNREVIEWED, 0),
        "disputed": by_badge.get(Badge.DISPUTED, 0),
        "needs_review_line": NEEDS_REVIEW_LINE if lacking else None,
    }


def concept_page_claims(*, concept: Concept, user, request=None) -> dict:
    """The Claim Review panel of a concept page: a summary line and the claims with badges;
    with a ``request``, its addresses are absolute."""
    claims = claims_visible(user=user).filter(concept=concept).exclude(status=Claim.Status.RETIRED)
    summary = concept_claims_summary(
        counts=claim_counts_visible(user=user)
        .filter(concept=concept)
        .exclude(status=Claim.Status.RETIRED)
    )
    shown = claims_with_links(
        claims.select_related("concept").order_by("order", "id")[:PAGE_CLAIMS_LIMIT]
    )
    source_keys = list(dict.fromkeys(key for row in shown for key in _source_keys(row)))
    witness_keys = list(dict.fromkeys(key for row in shown for key in _witness_keys(row)))
    summary.update(
        {
            "sources": source_keys,
            "sources_label": _plural(len(source_keys), "reference"),
            "witnesses": witness_keys,
            "witnesses_label": _plural(len(witness_keys), "local object"),
            "witness_hint": WITNESS_HINT,
            "shown": len(shown),
            "list_url": _absolute(
                request, reverse("claim-list") + "?" + urlencode({"concept": concept.path})
            ),
        }
    )
    return {"summary": summary, "items": [_page_item(row, request) for row in shown]}


# Review chains --------------------------------------------------------------------------------


def review_chain_heads() -> dict[str, dict]:
    """Each reviewed claim's head (sequence and hash): save it elsewhere, check against it later.

    The chain shows any edit, reorder or gap; only an anchor kept outside the database shows
    that the newest reviews of a claim were cut off together with its latest-review pointer.
    """
    rows = Claim.objects.filter(latest_review__isnull=False).values_list(
        "key", "latest_review__sequence", "latest_review__hash"
    )
    return {key: {"sequence": sequence, "hash": hash_} for key, sequence, hash_ in rows}
