"""Recording a review: validating it against the claim and appending it to the claim's chain."""

import datetime
import uuid
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from concepts.models import Concept
from learning_platform.roles import is_reviewer

from .chain import fingerprint_of_inputs, review_hash_of
from .counts import claim_badges_sync
from .fingerprints import claim_inputs, claim_refreshed
from .models import (
    Claim,
    ClaimReview,
    ClaimSource,
    ClaimVerification,
    ClaimWitness,
    ReviewerIdentity,
)
from .review_log import review_log_append

# The account content-file reviews are attributed to. It cannot log in.
CONTENT_IMPORT_USERNAME = "content-import"

# Verdicts that certify a source was read: they must name the sources they checked.
SOURCE_VERDICTS = (ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED, ClaimReview.Verdict.SOURCE_CHECKED)


def _claim_source_keys(claim: Claim) -> set[str]:
    return set(ClaimSource.objects.filter(claim=claim).values_list("source__key", flat=True))


def _claim_witness_keys(claim: Claim) -> set[str]:
    links = ClaimWitness.objects.filter(claim=claim).select_related("concept_object__concept")
    return {link.concept_object.key for link in links}


def _normalised_keys(keys: Iterable[str], prefix: str = "") -> list[str]:
    cleaned = []
    for key in keys:
        key = str(key).strip()
        if prefix and key.startswith(prefix):
            key = key[len(prefix) :]
        cleaned.append(key)
    return sorted(set(cleaned))


def review_validate(
    *,
    claim: Claim,
    verdict: str,
    summary: str,
    scope_covers: str,
    scope_excludes: str,
    sources_checked: Iterable[str] = (),
    witnesses_checked: Iterable[str] = (),
) -> dict:
    """Check a review's content against the claim; answer it normalised or raise per field."""
    errors: dict[str, str] = {}
    if verdict not in ClaimReview.Verdict.values:
        errors["verdict"] = f"{verdict!r} is not one of: {', '.join(ClaimReview.Verdict.values)}."
    for name, value in (
        ("summary", summary),
        ("scope_covers", scope_covers),
        ("scope_excludes", scope_excludes),
    ):
        if not (value or "").strip():
            errors[name] = "This field is required and cannot be blank."
    sources = _normalised_keys(sources_checked, prefix="source:")
    witnesses = _normalised_keys(witnesses_checked)
    known_sources = _claim_source_keys(claim)
    unknown_sources = [key for key in sources if key not in known_sources]
    if unknown_sources:
        errors["sources_checked"] = f"Not a source of this claim: {', '.join(unknown_sources)}."
    elif verdict in SOURCE_VERDICTS and not sources:
        errors["sources_checked"] = "Name the sources this verdict checked."
    known_witnesses = _claim_witness_keys(claim)
    unknown_witnesses = [key for key in witnesses if key not in known_witnesses]
    if unknown_witnesses:
        errors["witnesses_checked"] = (
            f"Not a witness of this claim: {', '.join(unknown_witnesses)}."
        )
    if errors:
        raise ValidationError(errors)
    return {
        "verdict": verdict,
        "summary": summary.strip(),
        "scope_covers": scope_covers.strip(),
        "scope_excludes": scope_excludes.strip(),
        "sources_checked": sources,
        "witnesses_checked": witnesses,
    }


def reviewer_label_validate(*, reviewer, reviewer_label: str | None) -> str:
    """The label is the reviewer's username, or the username with a '+' suffix (rita+oracle).

    The reviewer of record is always the authenticated user; the label may describe how they
    reviewed but can never name somebody else.
    """
    username = reviewer.get_username()
    label = (reviewer_label or "").strip() or username
    if label != username and not label.startswith(f"{username}+"):
        raise ValidationError(
            {
                "reviewer_label": (
                    f"A review is recorded as {username}: the label must be {username!r} "
                    f"or start with {username + '+'!r}."
                )
            }
        )
    max_length = ClaimReview._meta.get_field("reviewer_label").max_length
    assert max_length is not None  # the model declares reviewer_label with a max_length
    if len(label) > max_length:
        raise ValidationError({"reviewer_label": "The label is too long."})
    return label


def reviewer_identity(user) -> ReviewerIdentity:
    """The account's stable reviewer identity, created on its first review."""
    if user.get_username() == CONTENT_IMPORT_USERNAME:
        # The same uid in every database, so content-file reviews hash the same everywhere.
        uid = uuid.uuid5(uuid.NAMESPACE_URL, f"learning-platform:{CONTENT_IMPORT_USERNAME}")
        identity, _ = ReviewerIdentity.objects.get_or_create(user=user, defaults={"uid": uid})
        return identity
    identity, _ = ReviewerIdentity.objects.get_or_create(user=user)
    return identity


def _review_append(
    *,
    claim: Claim,
    reviewer,
    reviewer_label: str,
    reviewed_on: datetime.date,
    fingerprint: str,
    fingerprint_inputs: dict | None = None,
    **content,
) -> ClaimReview:
    """Add the next link to the claim's chain. The caller holds the lock on the claim row."""
    head = (
        ClaimReview.objects.filter(claim=claim).order_by("-sequence").only("sequence", "hash")
    ).first()
    revision = Concept.objects.filter(pk=claim.concept_id).values_list("revision_hash", flat=True)
    review = ClaimReview(
        claim=claim,
        sequence=head.sequence + 1 if head else 1,
        previous_hash=head.hash if head else "",
        reviewer=reviewer,
        reviewer_uid=str(reviewer_identity(reviewer).uid),
        reviewer_label=reviewer_label,
        reviewed_on=reviewed_on,
        fingerprint=fingerprint,
        fingerprint_inputs=(
            fingerprint_inputs
            if fingerprint_inputs is not None
            else (claim.fingerprint_inputs if fingerprint == claim.fingerprint else {})
        ),
        concept_revision=revision.first() or "",
        **content,
    )
    review.hash = review_hash_of(review, claim_key=claim.key)
    review_store(review, claim=claim)
    return review


def review_store(review: ClaimReview, *, claim: Claim) -> None:
    """Validate a hashed review, give it the log's next place, save it and make it the claim's
    latest: the one write every new or restored review goes through."""
    review.full_clean()
    review_log_append(review)
    review.save()
    Claim.objects.filter(pk=claim.pk).update(
        latest_review=review,
        latest_review_fingerprint=review.fingerprint,
        latest_review_verdict=review.verdict,
    )
    claim_badges_sync(claim_ids=[claim.pk])


def _locked_with_current_fingerprint(claim: Claim) -> tuple[Claim, str]:
    # The row lock serialises appends to one claim's chain: a second writer waits here and then
    # reads the head the first one wrote. (SQLite's IMMEDIATE transactions serialise anyway.)
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    inputs = claim_inputs(claim=locked)
    current = fingerprint_of_inputs(inputs)
    if current != locked.fingerprint or inputs != locked.fingerprint_inputs:
        Claim.objects.filter(pk=locked.pk).update(
            fingerprint=current, fingerprint_inputs=inputs, fingerprint_changed_at=timezone.now()
        )
        locked.fingerprint, locked.fingerprint_inputs = current, inputs
        # The review appended next (or the rollback of a refused one) follows in this
        # transaction; its claim_badges_sync stores the badge.
    return locked, current


@transaction.atomic
def review_record(
    *,
    claim: Claim,
    reviewer,
    verdict: str,
    summary: str,
    scope_covers: str,
    scope_excludes: str,
    sources_checked: Iterable[str] = (),
    witnesses_checked: Iterable[str] = (),
    reviewer_label: str | None = None,
    reviewed_on: datetime.date | None = None,
    fingerprint: str | None = None,
    verification_seen: int | None = None,
) -> ClaimReview:
    """Append a review by ``reviewer`` (the authenticated user) to the claim's chain.

    ``fingerprint``, when given, is the fingerprint the reviewer read: if the claim has changed
    since, the review is refused rather than certifying content nobody looked at.
    """
    if not is_reviewer(reviewer):
        raise PermissionDenied("Only reviewers may record reviews.")
    label = reviewer_label_validate(reviewer=reviewer, reviewer_label=reviewer_label)
    today = timezone.localdate()
    reviewed_on = reviewed_on or today
    if reviewed_on > today:
        raise ValidationError({"reviewed_on": "A review cannot be dated in the future."})
    locked, current = _locked_with_current_fingerprint(claim)
    if fingerprint is not None and fingerprint != current:
        raise ValidationError(
            {
                "fingerprint": (
                    "The claim has changed since this fingerprint was read; read it again "
                    f"(its fingerprint is now {current})."
                )
            }
        )
    content = review_validate(
        claim=locked,
        verdict=verdict,
        summary=summary,
        scope_covers=scope_covers,
        scope_excludes=scope_excludes,
        sources_checked=sources_checked,
        witnesses_checked=witnesses_checked,
    )
    seen = _verification_seen(claim=locked, verification_id=verification_seen)
    review = _review_append(
        claim=locked,
        reviewer=reviewer,
        reviewer_label=label,
        reviewed_on=reviewed_on,
        fingerprint=current,
        verification_seen=seen,
        verification_seen_hash=seen.result_hash if seen else "",
        **content,
    )
    claim_refreshed(claim)
    return review


def _verification_seen(*, claim: Claim, verification_id: int | None) -> ClaimVerification | None:
    """The verification the reviewer saw: the one named, or else the claim's latest."""
    if verification_id is None:
        return claim.latest_verification
    seen = ClaimVerification.objects.filter(pk=verification_id, claim=claim).first()
    if seen is None:
        raise ValidationError({"verification_seen": "No verification of this claim has this id."})
    return seen


def content_import_user():
    """The account content-file reviews are recorded under: inactive, with no password."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=CONTENT_IMPORT_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def review_import(
    *,
    claim: Claim,
    reviewer_label: str,
    reviewed_on: datetime.date,
    fingerprint: str | None = None,
    **content,
) -> ClaimReview:
    """Append a review read from the content files, attributed to the content-import account.

    ``fingerprint`` is the one the file says was reviewed: if the claim has changed since, the
    imported review is stale from the start. Without one, the current fingerprint is used.
    """
    if not (reviewer_label or "").strip():
        raise ValidationError({"reviewer_label": "This field is required."})
    locked, current = _locked_with_current_fingerprint(claim)
    values = review_validate(claim=locked, **content)
    review = _review_append(
        claim=locked,
        reviewer=content_import_user(),
        reviewer_label=reviewer_label.strip(),
        reviewed_on=reviewed_on,
        fingerprint=fingerprint or current,
        **values,
    )
    claim_refreshed(claim)
    return review
