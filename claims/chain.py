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


def fingerprint_inputs(
    *,
    text: str,
    sources: Iterable[tuple[str, str, str]],
    witnesses: Iterable[tuple[str, str]],
) -> dict[str, Any]:
    """What a review looks at, in canonical order.

    ``sources`` are (source key, locator, sha256 of its current snapshot or ""), ``witnesses``
    are (object key, object content hash).
    """
    return {
        "text": text,
        "sources": sorted([list(item) for item in sources]),
        "witnesses": sorted([list(item) for item in witnesses]),
    }


def fingerprint_compute(**inputs: Any) -> str:
    """Fingerprint of what a review looks at: the hash of fingerprint_inputs(...)."""
    return sha256_json(fingerprint_inputs(**inputs))


def fingerprint_of_inputs(inputs: dict[str, Any]) -> str:
    return sha256_json(inputs)


def _change(input_name: str, key: str, change: str, message: str) -> dict[str, str]:
    return {"input": input_name, "key": key, "change": change, "message": message}


def inputs_changed(reviewed: dict[str, Any], current: dict[str, Any]) -> list[dict[str, str]]:
    """Each input that differs between what a review saw and what the claim has now."""
    if not reviewed:
        message = (
            "The claim changed since this review; the review predates recorded inputs, so "
            "what changed is not known."
        )
        return [_change("unknown", "", "changed", message)]
    changes = []
    if reviewed.get("text") != current.get("text"):
        changes.append(
            {
                "input": "text",
                "key": "",
                "change": "changed",
                "message": "The claim's text changed.",
            }
        )
    old_sources = {item[0]: item[1:] for item in reviewed.get("sources", [])}
    new_sources = {item[0]: item[1:] for item in current.get("sources", [])}
    for key in sorted(set(old_sources) | set(new_sources)):
        old, new = old_sources.get(key), new_sources.get(key)
        if old == new:
            continue
        if old is None or new is None:
            change = "added" if old is None else "removed"
            message = f"Source {key} was {change}."
        elif old[0] != new[0]:
            change, message = "changed", f"The locator in source {key} changed."
        else:
            change = "changed"
            message = (
                f"Source {key}'s snapshot changed ({(old[1] or 'none')[:12]} → "
                f"{(new[1] or 'none')[:12]})."
            )
        changes.append(_change("source", key, change, message))
    old_witnesses = dict((item[0], item[1]) for item in reviewed.get("witnesses", []))
    new_witnesses = dict((item[0], item[1]) for item in current.get("witnesses", []))
    for key in sorted(set(old_witnesses) | set(new_witnesses)):
        if old_witnesses.get(key) == new_witnesses.get(key):
            continue
        change = (
            "added"
            if key not in old_witnesses
            else "removed"
            if key not in new_witnesses
            else "changed"
        )
        changes.append(
            {
                "input": "witness",
                "key": key,
                "change": change,
                "message": f"Witness {key} {change}.",
            }
        )
    return changes


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
    reviewer_uid: str = "",
    concept_revision: str = "",
) -> dict[str, Any]:
    if isinstance(reviewed_on, datetime.date):
        reviewed_on = reviewed_on.isoformat()
    # Fields added later are hashed only when present, so older links keep their hashes. A
    # reviewer identity replaces the database id: it survives renames and restores.
    extra = {
        name: value
        for name, value in (
            ("verification_seen", verification_seen),
            ("concept_revision", concept_revision),
        )
        if value
    }
    return {
        **extra,
        "claim": claim_key,
        "reviewer": reviewer_uid or reviewer_id,
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
        reviewer_uid=review.reviewer_uid,
        concept_revision=review.concept_revision,
    )
