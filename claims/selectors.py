"""Every read of the claims registry that the API, the admin and the concept page share.

Each selector runs a fixed number of queries whatever the number of claims or reviews: the badge
is a SQL expression over columns of the claim row (its fingerprint and its denormalised latest
review), and claims_with_links reads a page's sources, witnesses and reviews in a query each.
"""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When

from concepts.models import Concept, ConceptRevision
from concepts.selectors import concept_diff_path
from learning_platform.objects import ResolvedObject
from learning_platform.roles import is_editor, is_reviewer

from .chain import inputs_changed, review_hash_of
from .models import Badge, Claim, ClaimReview, ClaimSource, ClaimVerification, ClaimWitness

V = ClaimReview.Verdict
VERDICT_BADGE = {
    V.SUBSTANTIVELY_REVIEWED: Badge.SUBSTANTIVELY_REVIEWED,
    V.SOURCE_CHECKED: Badge.SOURCE_CHECKED,
    V.NEEDS_CHANGES: Badge.DISPUTED,
    V.DISPUTED: Badge.DISPUTED,
}

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


def review_is_stale(*, review: ClaimReview, claim: Claim) -> bool:
    return review.fingerprint != claim.fingerprint


def claim_badge(*, claim: Claim) -> str:
    """The badge computed in Python from the claim's columns; agrees with badge_expression()."""
    if claim.latest_review_id is None:
        return Badge.UNREVIEWED.value
    if claim.latest_review_fingerprint != claim.fingerprint:
        return Badge.STALE.value
    verdict = VERDICT_BADGE.get(claim.latest_review_verdict)
    return verdict.value if verdict else Badge.STALE.value


def claim_stale_reasons(*, claim: Claim) -> list[dict]:
    """Why the claim's badge is stale: each input (text, source snapshot or locator, witness)
    that changed since its latest review, with the concept diff that shows it. Empty when the
    badge is not stale. Reads only what claims_with_links loaded."""
    review = claim.latest_review
    if review is None or review.fingerprint == claim.fingerprint:
        return []
    reasons = inputs_changed(review.fingerprint_inputs, claim.fingerprint_inputs)
    concept = claim.concept
    # The reviewed revision, or the oldest one this database holds when the review came from
    # content files written elsewhere (claims_with_links finds which).
    since = getattr(claim, "diff_since", review.concept_revision)
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


def claims_visible(*, user) -> QuerySet[Claim]:
    """Editors and reviewers see every claim; others the live claims of published concepts."""
    claims = Claim.objects.all()
    if is_editor(user) or is_reviewer(user):
        return claims
    return claims.filter(concept__status=Concept.Status.PUBLISHED, status__in=Claim.LIVE_STATUSES)


def claims_with_links(claims: QuerySet[Claim] | list[int], *, reviews: bool = False) -> list[Claim]:
    """Claims with what the API and the page show, in four queries (five with ``reviews``).

    ``claims`` is a queryset (evaluated once, in its order) or a list of ids (kept in order).
    Each claim gets ``source_links`` and ``witness_links`` (plain dicts: keys, titles, locators),
    its latest review (with its reviewer) and, with ``reviews``, all of them newest first.
    Links are read as values, not model instances: on a full page that is most of the cost.
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
    sources: dict[int, list[dict]] = {pk: [] for pk in ids}
    witnesses: dict[int, list[dict]] = {pk: [] for pk in ids}
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
        for row in (
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
            kind = row["concept_object__kind"]
            path = f"{row['concept_object__concept__area']}/{row['concept_object__concept__slug']}"
            witnesses[row["claim_id"]].append(
                {
                    "key": f"{kind}:{path}#{row['concept_object__anchor']}",
                    "kind": kind,
                    "title": row["concept_object__title"],
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
    for claim in loaded:
        claim.latest_verification = verifications.get(claim.latest_verification_id)
        claim.latest_review = latest.get(claim.latest_review_id)
        if claim.pk in diff_since:
            claim.diff_since = diff_since[claim.pk]
        claim.source_links = sources[claim.pk]
        claim.witness_links = witnesses[claim.pk]
        if reviews:
            claim.review_history = history[claim.pk]
    return loaded


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
) -> QuerySet[Claim]:
    claims = claims_visible(user=user)
    if concept:
        condition = concept_filter(concept)
        claims = claims.filter(condition) if condition is not None else claims.none()
    if badge:
        claims = claims.annotate(badge=badge_expression()).filter(badge=badge)
    if source:
        claims = claims.filter(claim_sources__source__key=source.removeprefix("source:"))
    if status:
        claims = claims.filter(status=status)
    return claims.order_by("concept__area", "concept__slug", "order", "id")


def claim_detail(*, user, claim_id: int, reviews: bool = True) -> Claim | None:
    """One claim with its links and, by default, every review (newest first)."""
    found = claims_with_links(claims_visible(user=user).filter(pk=claim_id), reviews=reviews)
    return found[0] if found else None


def claim_get(*, user, claim_id: int) -> Claim | None:
    """The claim alone (no links), if the user may see it."""
    return claims_visible(user=user).select_related("concept").filter(pk=claim_id).first()


def review_list(*, claim: Claim) -> QuerySet[ClaimReview]:
    """The claim's reviews, newest first."""
    return ClaimReview.objects.filter(claim=claim).select_related("reviewer").order_by("-sequence")


def review_queue(*, user) -> QuerySet[Claim]:
    """Claims waiting for a review (unreviewed or stale), longest-waiting first.

    An unreviewed claim has waited since it was created; a stale one since its content changed.
    """
    claims = (
        claims_visible(user=user)
        .exclude(status=Claim.Status.RETIRED)
        .annotate(badge=badge_expression())
        .filter(badge__in=[Badge.UNREVIEWED, Badge.STALE])
        .annotate(
            waiting_since=Case(
                When(latest_review__isnull=True, then=F("created_at")),
                default=F("fingerprint_changed_at"),
            )
        )
    )
    return claims.order_by("waiting_since", "id")


def claim_by_key(key: str) -> Claim | None:
    """A publicly visible claim by its key, with its links (for the object resolver)."""
    found = claims_with_links(claims_visible(user=None).filter(key=key))
    return found[0] if found else None


def claim_resolve(key: str) -> ResolvedObject | None:
    """Resolve ``claim:<area>/<concept>#<anchor>``; its version is the claim's fingerprint."""
    claim = claim_by_key(key)
    if claim is None:
        return None
    title = claim.text if len(claim.text) <= 120 else claim.text[:119].rstrip() + "…"
    return ResolvedObject(
        key=claim.key,
        kind="claim",
        title=title,
        api_url=f"/api/v1/claims/{claim.pk}/",
        concept_key=claim.concept.key,
        version=claim.fingerprint,
        context={
            "text": claim.text,
            "sources": [f"source:{key}" for key in _source_keys(claim)],
            "witnesses": _witness_keys(claim),
            "badge": claim_badge(claim=claim),
        },
    )


# The concept page -----------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _source_keys(claim: Claim) -> list[str]:
    return [link["key"] for link in claim.source_links]


def _witness_keys(claim: Claim) -> list[str]:
    return [link["key"] for link in claim.witness_links]


def _page_item(claim: Claim) -> dict:
    titles = {link["key"]: link["title"] for link in claim.source_links}
    witnesses = _witness_keys(claim)
    review = claim.latest_review
    badge = claim_badge(claim=claim)
    item = {
        "id": claim.pk,
        "key": claim.key,
        "text": claim.text,
        "status": claim.status,
        "status_label": claim.get_status_display(),
        "support_note": claim.support_note,
        "badge": badge,
        "badge_label": Badge(badge).label,
        "stale_reasons": claim_stale_reasons(claim=claim),
        "sources": [
            {"key": link["key"], "title": link["title"], "locator": link["locator"]}
            for link in claim.source_links
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


def concept_claims_summary(*, claims: QuerySet[Claim]) -> dict:
    """Counts over all the given claims in two queries, however many there are."""
    counts = claims.annotate(badge=badge_expression()).aggregate(
        total=Count("id"),
        substantive=Count("id", filter=Q(badge=Badge.SUBSTANTIVELY_REVIEWED)),
        stale=Count("id", filter=Q(badge=Badge.STALE)),
        unreviewed=Count("id", filter=Q(badge=Badge.UNREVIEWED)),
        disputed=Count("id", filter=Q(badge=Badge.DISPUTED)),
    )
    recorded = ClaimReview.objects.filter(
        claim__in=claims.values("pk"), verdict=V.SUBSTANTIVELY_REVIEWED
    ).count()
    total, substantive = counts["total"], counts["substantive"]
    lacking = total - substantive
    return {
        "claims": total,
        "substantive_reviews_recorded": recorded,
        "status_line": f"{_plural(recorded, 'substantive review')} recorded",
        "claims_with_current_substantive_review": substantive,
        "substantive_share": round(substantive / total, 4) if total else None,
        "substantive_share_text": f"{substantive}/{total}",
        "stale": counts["stale"],
        "unreviewed": counts["unreviewed"],
        "disputed": counts["disputed"],
        "needs_review_line": NEEDS_REVIEW_LINE if lacking else None,
    }


def concept_page_claims(*, concept: Concept, user) -> dict:
    """The Claim Review panel of a concept page: a summary line and the claims with badges."""
    claims = claims_visible(user=user).filter(concept=concept).exclude(status=Claim.Status.RETIRED)
    summary = concept_claims_summary(claims=claims)
    shown = claims_with_links(
        claims.select_related("concept").order_by("order", "id")[:PAGE_CLAIMS_LIMIT]
    )
    source_keys = list(dict.fromkeys(key for claim in shown for key in _source_keys(claim)))
    witness_keys = list(dict.fromkeys(key for claim in shown for key in _witness_keys(claim)))
    summary.update(
        {
            "sources": source_keys,
            "sources_label": _plural(len(source_keys), "reference"),
            "witnesses": witness_keys,
            "witnesses_label": _plural(len(witness_keys), "local object"),
            "witness_hint": WITNESS_HINT,
            "shown": len(shown),
            "list_url": f"/api/v1/claims/?concept={concept.path}",
        }
    )
    return {"summary": summary, "items": [_page_item(claim) for claim in shown]}


# Review chains --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrokenLink:
    claim_key: str
    sequence: int
    reason: str

    def __str__(self) -> str:
        return f"{self.claim_key} review #{self.sequence}: {self.reason}"


@dataclass
class ChainReport:
    claims: int = 0
    reviews: int = 0
    broken: BrokenLink | None = None


def _check_chain(
    claim: Claim, reviews: list[ClaimReview], anchor: dict | None = None
) -> BrokenLink | None:
    previous_hash = ""
    for expected, review in enumerate(reviews, start=1):
        if review.sequence != expected:
            return BrokenLink(
                claim.key,
                expected,
                f"missing: the chain jumps from #{expected - 1} to #{review.sequence}",
            )
        if review.previous_hash != previous_hash:
            return BrokenLink(
                claim.key, review.sequence, "its previous hash does not match the review before it"
            )
        if review_hash_of(review, claim_key=claim.key) != review.hash:
            return BrokenLink(
                claim.key, review.sequence, "its content no longer matches its stored hash"
            )
        previous_hash = review.hash
    head = reviews[-1] if reviews else None
    if (claim.latest_review_id, claim.latest_review_fingerprint, claim.latest_review_verdict) != (
        (head.pk, head.fingerprint, head.verdict) if head else (None, "", "")
    ):
        return BrokenLink(
            claim.key,
            reviews[-1].sequence if reviews else 0,
            "the claim's latest review is not the head of its chain",
        )
    if anchor is not None:
        sequence = int(anchor["sequence"])
        if len(reviews) < sequence or reviews[sequence - 1].hash != anchor["hash"]:
            return BrokenLink(
                claim.key,
                sequence,
                "a review recorded in the saved heads is no longer in the chain",
            )
    return None


def review_chain_heads() -> dict[str, dict]:
    """Each reviewed claim's head (sequence and hash): save it elsewhere, check against it later.

    The chain shows any edit, reorder or gap; only an anchor kept outside the database shows
    that the newest reviews of a claim were cut off together with its latest-review pointer.
    """
    rows = Claim.objects.filter(latest_review__isnull=False).values_list(
        "key", "latest_review__sequence", "latest_review__hash"
    )
    return {key: {"sequence": sequence, "hash": hash_} for key, sequence, hash_ in rows}


def review_chains_verify(*, anchors: dict[str, dict] | None = None, chunk_size: int = 2000):
    """Walk every claim's chain in order; stop at the first broken link.

    ``anchors`` are heads saved earlier by review_chain_heads(): each must still be in its chain.
    """
    anchors = dict(anchors or {})
    report = ChainReport()
    claims = Claim.objects.order_by("pk").only(
        "pk", "key", "latest_review_id", "latest_review_fingerprint", "latest_review_verdict"
    )
    reviews = (
        ClaimReview.objects.order_by("claim_id", "sequence")
        .defer("recorded_at")
        .iterator(chunk_size=chunk_size)
    )
    pending = next(reviews, None)
    for claim in claims.iterator(chunk_size=chunk_size):
        chain = []
        while pending is not None and pending.claim_id == claim.pk:
            chain.append(pending)
            pending = next(reviews, None)
        report.claims += 1
        report.reviews += len(chain)
        broken = _check_chain(claim, chain, anchors.pop(claim.key, None))
        if broken is not None:
            report.broken = broken
            return report
    for key, anchor in sorted(anchors.items()):
        report.broken = BrokenLink(key, int(anchor["sequence"]), "the claim is gone")
        return report
    return report
