"""Hashes: a claim's content fingerprint and each review's link in its claim's chain.

Both are SHA-256 over canonical JSON (sorted keys, no whitespace, UTF-8), so that the same content
always gives the same hash on any machine and any database.
"""

import datetime
import hashlib
import json
from collections.abc import Iterable
from typing import Any


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def fingerprint_compute(
    *,
    text: str,
    sources: Iterable[tuple[str, str, str]],
    witnesses: Iterable[tuple[str, str]],
) -> str:
    """Fingerprint of what a review looks at.

    ``sources`` are (source key, locator, sha256 of its current snapshot or ""), ``witnesses``
    are (object key, object content hash).
    """
    return sha256_json(
        {
            "text": text,
            "sources": sorted([list(item) for item in sources]),
            "witnesses": sorted([list(item) for item in witnesses]),
        }
    )


def review_payload(
    *,
    claim_key: str,
    reviewer_id: int,
    reviewer_label: str,
    verdict: str,
    summary: str,
    scope_covers: str,
    scope_excludes: str,
    sources_checked: Iterable[str],
    witnesses_checked: Iterable[str],
    reviewed_on: datetime.date | str,
    fingerprint: str,
    previous_hash: str,
    sequence: int,
    verification_seen: str = "",
) -> dict[str, Any]:
    if isinstance(reviewed_on, datetime.date):
        reviewed_on = reviewed_on.isoformat()
    # Only reviews that saw a witness verification carry it, so older links keep their hashes.
    seen = {"verification_seen": verification_seen} if verification_seen else {}
    return {
        **seen,
        "claim": claim_key,
        "reviewer": reviewer_id,
        "reviewer_label": reviewer_label,
        "verdict": verdict,
        "summary": summary,
        "scope_covers": scope_covers,
        "scope_excludes": scope_excludes,
        "sources_checked": sorted(sources_checked),
        "witnesses_checked": sorted(witnesses_checked),
        "reviewed_on": reviewed_on,
        "fingerprint": fingerprint,
        "previous_hash": previous_hash,
        "sequence": sequence,
    }


def review_hash(**fields: Any) -> str:
    """The hash of one review: the fields of review_payload, keyword for keyword."""
    return sha256_json(review_payload(**fields))


def review_hash_of(review, *, claim_key: str) -> str:
    """Recompute a stored review's hash from its columns."""
    return review_hash(
        claim_key=claim_key,
        reviewer_id=review.reviewer_id,
        reviewer_label=review.reviewer_label,
        verdict=review.verdict,
        summary=review.summary,
        scope_covers=review.scope_covers,
        scope_excludes=review.scope_excludes,
        sources_checked=review.sources_checked,
        witnesses_checked=review.witnesses_checked,
        reviewed_on=review.reviewed_on,
        fingerprint=review.fingerprint,
        previous_hash=review.previous_hash,
        sequence=review.sequence,
        verification_seen=review.verification_seen_hash,
    )
