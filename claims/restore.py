"""Restoring a backup: reviews, verifications and reviewer accounts as they were recorded."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .chain import fingerprint_of_inputs, review_hash_of
from .models import Claim, ClaimReview, ClaimVerification, ReviewerIdentity
from .reviews import review_store
from .verify import verification_sign


def reviewer_restore(*, username: str, uid: str):
    """The account a restored review names: found by its reviewer identity, else by username,
    else created inactive with no password (an admin re-enables it)."""
    identity = ReviewerIdentity.objects.select_related("user").filter(uid=uid).first()
    if identity is not None:
        return identity.user
    user_model = get_user_model()
    user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model(**{user_model.USERNAME_FIELD: username, "is_active": False})
        user.set_unusable_password()
        user.save()
    existing = ReviewerIdentity.objects.filter(user=user).first()
    if existing is not None:
        raise ValidationError(
            {"reviewer_uid": f"{username} already has the reviewer identity {existing.uid}."}
        )
    ReviewerIdentity.objects.create(user=user, uid=uid)
    return user


@transaction.atomic
def verification_restore(*, claim: Claim, verified_by: str = "", **fields) -> ClaimVerification:
    """Add a verification from a backup unless the claim already has it."""
    found = ClaimVerification.objects.filter(
        claim=claim, verified_at=fields["verified_at"], result_hash=fields["result_hash"]
    ).first()
    if found is not None:
        return found
    user = None
    if verified_by:
        user = get_user_model().objects.filter(username=verified_by).first()
    verification = ClaimVerification(claim=claim, verified_by=user, **fields)
    verification.full_clean()
    verification_sign(verification, claim=claim)
    verification.save()
    latest = ClaimVerification.objects.filter(claim=claim).order_by("-verified_at", "-id").first()
    Claim.objects.filter(pk=claim.pk).update(latest_verification=latest)
    return verification


@transaction.atomic
def review_restore(
    *,
    claim: Claim,
    reviewer: str,
    reviewer_uid: str,
    hash: str,
    verification_seen: str = "",
    **fields,
) -> tuple[ClaimReview, bool]:
    """Append a review from a backup exactly as it was recorded; answer (review, created).

    It must be the next link of the claim's chain and hash to the hash it states, so a backup
    that was edited, reordered or cut is refused rather than restored. Once its hash checks, the
    review enters this deployment's log and is signed with this deployment's key: a content file
    carries no signatures, so the same file loads into any deployment.
    """
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    existing = ClaimReview.objects.filter(claim=locked, hash=hash).first()
    if existing is not None:
        return existing, False
    head = ClaimReview.objects.filter(claim=locked).order_by("-sequence").first()
    expected = (head.sequence + 1, head.hash) if head else (1, "")
    if (fields["sequence"], fields["previous_hash"]) != expected:
        raise ValidationError(
            {
                "previous_hash": (
                    f"review #{fields['sequence']} does not extend the chain in the database "
                    f"(its head is #{expected[0] - 1}, {(expected[1] or 'empty')[:12]}): the "
                    "chains differ"
                )
            }
        )
    seen = None
    if verification_seen:
        seen = (
            ClaimVerification.objects.filter(claim=locked, result_hash=verification_seen)
            .order_by("-verified_at")
            .first()
        )
    review = ClaimReview(
        claim=locked,
        reviewer=reviewer_restore(username=reviewer, uid=reviewer_uid),
        reviewer_uid=reviewer_uid,
        verification_seen=seen,
        verification_seen_hash=verification_seen,
        hash=hash,
        **fields,
    )
    actual = review_hash_of(review, claim_key=locked.key)
    if actual != hash:
        raise ValidationError(
            {"hash": f"states {hash[:12]} but the review's content hashes to {actual[:12]}"}
        )
    inputs = review.fingerprint_inputs
    if inputs and fingerprint_of_inputs(inputs) != review.fingerprint:
        raise ValidationError(
            {"fingerprint_inputs": "do not hash to the fingerprint the review states"}
        )
    review_store(review, claim=locked)
    return review, True
