"""The reads behind the admin's review queue and review page.

The queue filters by concept, reason (unreviewed, stale, disputed) and how long a claim has
waited, oldest first, and says for each stale claim which input changed. The review page shows
the claim beside what changed since its latest review: a unified diff of exactly the inputs its
fingerprint hashes (its text, each source's locator and snapshot, each witness's content), read
from the inputs the latest review stored and the concept revision it saw.
"""

import datetime
import difflib
from dataclasses import dataclass, field

from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from concepts.models import ConceptObject, SourceSnapshot
from concepts.revisions import content_diff, item_key_of_object, revision_get
from demos.models import DemoRun

from .models import Badge, Claim, ClaimReview
from .selectors import claim_stale_reasons, claims_visible, claims_with_links, review_queue
from .shapes import ClaimRead

QUEUE_REASONS = {
    "unreviewed": Badge.UNREVIEWED,
    "stale": Badge.STALE,
    "disputed": Badge.DISPUTED,
}
QUEUE_AGES = (1, 7, 30)  # "waiting more than N days"


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters as the admin's query string states them; unknown values are
    dropped, so a hand-edited URL shows the whole queue rather than an error."""

    concept_id: int | None = None
    reason: str = ""
    waited_days: int | None = None

    @classmethod
    def from_query(cls, query) -> "QueueFilters":
        concept = query.get("concept", "")
        days = query.get("waited", "")
        reason = query.get("reason", "")
        return cls(
            concept_id=int(concept) if concept.isdigit() else None,
            reason=reason if reason in QUEUE_REASONS else "",
            waited_days=int(days) if days.isdigit() and int(days) in QUEUE_AGES else None,
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (the empty ones left out)."""
        values = {"concept": self.concept_id, "reason": self.reason, "waited": self.waited_days}
        return {name: str(value) for name, value in values.items() if value}


def review_queue_filtered(*, user, filters: QueueFilters, now=None) -> QuerySet[Claim]:
    """The review queue, filtered, oldest first, each claim annotated with ``queued_at``.

    Unreviewed and stale claims wait from their stored ``waiting_since``; a disputed claim (not
    in the queue unless asked for) waits from the review that disputed it.
    """
    if filters.reason == "disputed":
        claims = (
            claims_visible(user=user, join=False)
            .exclude(status=Claim.Status.RETIRED)
            .filter(badge=Badge.DISPUTED)
            .annotate(queued_at=F("latest_review__recorded_at"))
        )
    else:
        claims = review_queue(user=user).annotate(queued_at=F("waiting_since"))
        if filters.reason:
            claims = claims.filter(badge=QUEUE_REASONS[filters.reason])
    if filters.concept_id is not None:
        claims = claims.filter(concept_id=filters.concept_id)
    if filters.waited_days is not None:
        cutoff = (now or timezone.now()) - datetime.timedelta(days=filters.waited_days)
        claims = claims.filter(queued_at__lte=cutoff)
    return claims.order_by("queued_at", "id")


def review_queue_rows(claims) -> list[dict]:
    """A page of the queue as rows: each claim with its badge, its latest review and, when
    stale, which inputs changed since that review. A fixed number of queries for any page
    size."""
    return [
        {
            "claim": row.claim,
            "badge": Badge(row.claim.badge).label,
            "latest_review": row.latest_review,
            "stale_reasons": claim_stale_reasons(row=row),
        }
        for row in claims_with_links(claims)
    ]


def review_queue_next(*, user, filters: QueueFilters, after: Claim) -> Claim | None:
    """The claim to review after ``after``: the oldest other claim in the same queue."""
    return review_queue_filtered(user=user, filters=filters).exclude(pk=after.pk).first()


# What changed since the latest review --------------------------------------------------------


@dataclass
class InputChange:
    """One fingerprint input that differs from what the latest review saw."""

    input: str  # text, source, witness or unknown
    key: str
    change: str  # added, removed or changed
    message: str
    diff: str = ""
    snapshots: list[dict] = field(default_factory=list)  # a source's old and new snapshot


def _text_diff(old: str, new: str, *, old_label: str, new_label: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            old.splitlines(),
            new.splitlines(),
            fromfile=f"text@{old_label}",
            tofile=f"text@{new_label}",
            lineterm="",
        )
    )


def claim_changes_since_review(*, row: ClaimRead) -> list[InputChange]:
    """Each input of the claim's fingerprint that changed since its latest review, with its
    diff: the text's lines; a source's locator and its old and new snapshots; a witness's
    content, diffed between the concept revision the review saw and the current one."""
    claim, review = row.claim, row.latest_review
    if review is None or review.fingerprint == claim.fingerprint:
        return []
    reviewed, current = review.fingerprint_inputs or {}, claim.fingerprint_inputs or {}
    old_label = f"review #{review.sequence}"
    changes = []
    old_sources = {item[0]: item[1:] for item in reviewed.get("sources", [])}
    new_sources = {item[0]: item[1:] for item in current.get("sources", [])}
    digests = {
        digest
        for pair in (*old_sources.values(), *new_sources.values())
        for digest in pair[1:]
        if digest
    }
    snapshots = {
        snapshot.sha256: snapshot
        for snapshot in SourceSnapshot.objects.filter(sha256__in=digests).select_related("source")
    }
    witness_diffs = _witness_diffs(row=row, review=review)
    for reason in claim_stale_reasons(row=row):
        change = InputChange(
            input=reason["input"],
            key=reason["key"],
            change=reason["change"],
            message=reason["message"],
        )
        if change.input == "text":
            change.diff = _text_diff(
                reviewed.get("text", ""), claim.text, old_label=old_label, new_label="now"
            )
        elif change.input == "source":
            old, new = old_sources.get(change.key), new_sources.get(change.key)
            lines = []
            if (old and old[0]) != (new and new[0]):
                lines = [
                    f"--- locator@{old_label}",
                    "+++ locator@now",
                    *([f"-{old[0]}"] if old else []),
                    *([f"+{new[0]}"] if new else []),
                ]
            change.diff = "\n".join(lines)
            for label, pair in ((old_label, old), ("now", new)):
                snapshot = snapshots.get(pair[1]) if pair and len(pair) > 1 else None
                if snapshot is not None:
                    change.snapshots.append({"label": label, "snapshot": snapshot})
        elif change.input == "witness":
            change.diff = witness_diffs.get(change.key, "")
        changes.append(change)
    return changes


def _witness_diffs(*, row: ClaimRead, review: ClaimReview) -> dict[str, str]:
    """Each witness object's diff, keyed by object key, between the concept revision the
    review saw (when this database holds it) and the concept's current one."""
    claim = row.claim
    concept = claim.concept
    since = row.diff_since or review.concept_revision
    if not since or not concept.revision_hash or since == concept.revision_hash:
        return {}
    old = revision_get(concept=concept, revision_hash=since)
    new = revision_get(concept=concept, revision_hash=concept.revision_hash)
    if old is None or new is None:
        return {}
    keys = {
        item[0]: item_key_of_object(item[0])
        for inputs in (review.fingerprint_inputs or {}, claim.fingerprint_inputs or {})
        for item in inputs.get("witnesses", [])
    }
    changes = content_diff(
        old.content,
        new.content,
        old_label=f"r{old.number}",
        new_label=f"r{new.number}",
        only=set(keys.values()),
    )
    by_item = {change["item"]: change["diff"] for change in changes}
    return {key: by_item[item] for key, item in keys.items() if item in by_item}


# The sources and witnesses, as the reviewer checks them --------------------------------------


def claim_review_evidence(*, claim: Claim) -> dict:
    """The claim's cited sources (locator, latest snapshot) and witnesses (the objects whole;
    a demo with its latest finished run), in a fixed number of queries."""
    links = list(claim.claim_sources.select_related("source").order_by("order", "id"))
    latest: dict[int, SourceSnapshot] = {}
    for snapshot in SourceSnapshot.objects.filter(
        source_id__in=[link.source_id for link in links]
    ).order_by("source_id", "-created_at", "-id"):
        latest.setdefault(snapshot.source_id, snapshot)
    witnesses = list(
        ConceptObject.objects.filter(claim_links__claim=claim)
        .select_related("concept")
        .order_by("claim_links__order", "claim_links__id")
    )
    demo_kinds = {w.demo_kind for w in witnesses if w.kind == ConceptObject.Kind.DEMO}
    runs: dict[str, DemoRun] = {}
    if demo_kinds:
        done = DemoRun.objects.filter(status=DemoRun.Status.SUCCEEDED)
        newest = done.filter(kind=OuterRef("kind")).order_by("-finished_at").values("id")[:1]
        runs = {run.kind: run for run in done.filter(kind__in=demo_kinds, id=Subquery(newest))}
    return {
        "sources": [
            {"link": link, "source": link.source, "snapshot": latest.get(link.source_id)}
            for link in links
        ],
        "witnesses": [
            {"object": witness, "run": runs.get(witness.demo_kind)} for witness in witnesses
        ],
    }
