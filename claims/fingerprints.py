"""A claim's fingerprint: what it hashes, recomputing and storing it, and batching refreshes."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypedDict, cast

from django.db.models import Prefetch
from django.utils import timezone

from concepts.selectors import snapshot_latest_sha

from .chain import fingerprint_inputs, fingerprint_of_inputs
from .counts import claim_badges_sync
from .models import Claim, ClaimSource, ClaimWitness

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


# What _inputs_of reads of each witness: its key and its content hash.
_WITNESS_FIELDS = [
    f"concept_object__{name}"
    for name in ("kind", "anchor", "title", "body", "language", "demo_kind", "params")
] + ["concept_object__concept__area", "concept_object__concept__slug"]


def _claims_with_fingerprint_inputs(claim_ids: Iterable[int]):
    # Only the columns the fingerprint reads: verify_reviews recomputes every claim's.
    return (
        Claim.objects.filter(pk__in=list(claim_ids))
        .only("pk", "text", "fingerprint", "fingerprint_inputs")
        .prefetch_related(
            Prefetch(
                "claim_sources",
                queryset=ClaimSource.objects.select_related("source")
                .only("claim", "locator", "source__key")
                .annotate(snapshot_sha=snapshot_latest_sha()),
            ),
            Prefetch(
                "claim_witnesses",
                queryset=ClaimWitness.objects.select_related("concept_object__concept").only(
                    "claim", *_WITNESS_FIELDS
                ),
            ),
        )
    )


class _SnapshotSha(TypedDict):
    snapshot_sha: str | None


def _inputs_of(claim: Claim) -> dict:
    # The claim comes from _claims_with_fingerprint_inputs, whose Prefetch annotates each link.
    links = cast("Iterable[WithAnnotations[ClaimSource, _SnapshotSha]]", claim.claim_sources.all())
    return fingerprint_inputs(
        text=claim.text,
        sources=[(link.source.key, link.locator, link.snapshot_sha or "") for link in links],
        witnesses=[
            (link.concept_object.key, link.concept_object.content_hash)
            for link in claim.claim_witnesses.all()
        ],
    )


def claim_inputs(*, claim: Claim) -> dict:
    """What the claim's fingerprint hashes, as its rows stand now."""
    return _inputs_of(_claims_with_fingerprint_inputs([claim.pk]).get())


def claim_fingerprint(*, claim: Claim) -> str:
    """The claim's fingerprint as its rows stand now: text, source snapshots, witness bodies."""
    return fingerprint_of_inputs(claim_inputs(claim=claim))


def claim_fingerprint_refresh(*, claim_ids: Iterable[int]) -> list[int]:
    """Recompute and store the fingerprints of these claims; answer the ids that changed.

    A changed fingerprint is what makes a claim's earlier reviews stale.
    """
    ids = {claim_id for claim_id in claim_ids if claim_id is not None}
    if not ids:
        return []
    now = timezone.now()
    changed = []
    for claim in _claims_with_fingerprint_inputs(ids):
        inputs = _inputs_of(claim)
        fingerprint = fingerprint_of_inputs(inputs)
        if fingerprint != claim.fingerprint or inputs != claim.fingerprint_inputs:
            Claim.objects.filter(pk=claim.pk).update(
                fingerprint=fingerprint, fingerprint_inputs=inputs, fingerprint_changed_at=now
            )
            changed.append(claim.pk)
    claim_badges_sync(claim_ids=ids)
    return changed


# The claims a batch (claim_fingerprints_batched) refreshes at its end, None outside one.
_batched: ContextVar[set[int] | None] = ContextVar("claim_fingerprints_batched", default=None)


@contextmanager
def claim_fingerprints_batched() -> Iterator[None]:
    """Within the block, the refreshes that saved rows ask for (claims.signals) are made once,
    at its end, for every claim concerned: a service that saves a claim and its links refreshes
    it one time. A block that raises refreshes nothing; a nested block joins the outer one."""
    if _batched.get() is not None:
        yield
        return
    pending: set[int] = set()
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
    claim_fingerprint_refresh(claim_ids=pending)


def claim_fingerprints_touch(*, claim_ids: Iterable[int]) -> None:
    """A write changed what these claims' fingerprints cover: refresh them now, or at the end of
    the batch in progress."""
    pending = _batched.get()
    if pending is None:
        claim_fingerprint_refresh(claim_ids=claim_ids)
    else:
        pending.update(claim_id for claim_id in claim_ids if claim_id is not None)


def claim_fingerprints_now(*, claim_ids: Iterable[int]) -> dict[int, str]:
    """Each claim's fingerprint recomputed from its rows as they stand, whatever it stores."""
    return {
        claim.pk: fingerprint_of_inputs(_inputs_of(claim))
        for claim in _claims_with_fingerprint_inputs(claim_ids)
    }


def claim_refreshed(claim: Claim) -> Claim:
    """The claim with the columns the services maintain read back from its row."""
    claim.refresh_from_db(
        fields=[
            "fingerprint",
            "fingerprint_inputs",
            "fingerprint_changed_at",
            "latest_review",
            "latest_review_fingerprint",
            "latest_review_verdict",
            "badge",
            "waiting_since",
        ]
    )
    return claim
