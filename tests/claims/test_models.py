import pytest
from django.db import IntegrityError, transaction

from claims.models import AppendOnlyError, ClaimReview

from .factories import record_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(claim, reviewer):
    return record_review(claim, reviewer)


def test_saving_an_existing_review_is_refused(review):
    """save() on a stored review raises and leaves the row as it was."""
    review.summary = "Rewritten after the fact."
    with pytest.raises(AppendOnlyError):
        review.save()
    assert ClaimReview.objects.get(pk=review.pk).summary != "Rewritten after the fact."


def test_save_with_update_fields_is_refused(review):
    """save(update_fields=...) is refused as well."""
    with pytest.raises(AppendOnlyError):
        review.save(update_fields=["summary"])


def test_a_fresh_instance_reusing_a_stored_pk_is_refused(review):
    """An instance built with an existing primary key cannot overwrite that row."""
    forged = ClaimReview(pk=review.pk, claim=review.claim, summary="forged")
    with pytest.raises(AppendOnlyError):
        forged.save()


def test_deleting_a_review_is_refused(review):
    """delete() on a review raises and the row stays."""
    with pytest.raises(AppendOnlyError):
        review.delete()
    assert ClaimReview.objects.filter(pk=review.pk).exists()


def test_queryset_update_is_refused(review):
    """QuerySet.update() on reviews raises before touching the database."""
    with pytest.raises(AppendOnlyError):
        ClaimReview.objects.filter(pk=review.pk).update(summary="bulk rewrite")
    assert ClaimReview.objects.get(pk=review.pk).summary == review.summary


def test_queryset_delete_is_refused(review):
    """QuerySet.delete() on reviews raises and every row stays."""
    with pytest.raises(AppendOnlyError):
        ClaimReview.objects.all().delete()
    assert ClaimReview.objects.count() == 1


def test_bulk_update_is_refused(review):
    """bulk_update() goes through update() and is refused too."""
    review.summary = "changed"
    with pytest.raises(AppendOnlyError):
        ClaimReview.objects.bulk_update([review], ["summary"])


def test_related_manager_cannot_delete_reviews(review):
    """claim.reviews.all().delete() is refused like any other queryset delete."""
    with pytest.raises(AppendOnlyError):
        review.claim.reviews.all().delete()


def test_deleting_a_reviewed_claim_is_refused(review):
    """A claim with reviews cannot be deleted: its reviews protect it."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        review.claim.delete()


def test_deleting_a_reviewer_is_refused(review):
    """The reviewer of record cannot be deleted out from under the trail."""
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        review.reviewer.delete()


def test_two_reviews_cannot_share_a_previous_hash(review):
    """The database refuses a fork: a second review naming the same previous hash."""
    fork = ClaimReview(
        claim=review.claim,
        sequence=99,
        reviewer=review.reviewer,
        reviewer_label="rita",
        verdict="disputed",
        summary="fork",
        scope_covers="x",
        scope_excludes="y",
        reviewed_on=review.reviewed_on,
        fingerprint=review.fingerprint,
        previous_hash=review.previous_hash,
        hash="f" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save()


def test_two_reviews_cannot_share_a_sequence(review):
    """The database refuses two reviews of a claim with the same sequence number."""
    twin = ClaimReview(
        claim=review.claim,
        sequence=review.sequence,
        reviewer=review.reviewer,
        reviewer_label="rita",
        verdict="disputed",
        summary="twin",
        scope_covers="x",
        scope_excludes="y",
        reviewed_on=review.reviewed_on,
        fingerprint=review.fingerprint,
        previous_hash=review.hash,
        hash="e" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.parametrize("field", ["summary", "scope_covers", "scope_excludes"])
def test_the_database_refuses_a_review_without_summary_or_scope(review, field):
    """A row with a blank summary, covers or excludes violates a check constraint."""
    values = {
        "claim": review.claim,
        "sequence": 2,
        "reviewer": review.reviewer,
        "reviewer_label": "rita",
        "verdict": "disputed",
        "summary": "s",
        "scope_covers": "c",
        "scope_excludes": "e",
        "reviewed_on": review.reviewed_on,
        "fingerprint": review.fingerprint,
        "previous_hash": review.hash,
        "hash": "d" * 64,
    }
    values[field] = ""
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimReview.objects.bulk_create([ClaimReview(**values)])


def test_the_database_refuses_a_verdict_outside_the_list(review):
    """A verdict that is not one of the four is refused by a check constraint."""
    row = ClaimReview(
        claim=review.claim,
        sequence=2,
        reviewer=review.reviewer,
        reviewer_label="rita",
        verdict="looks_fine",
        summary="s",
        scope_covers="c",
        scope_excludes="e",
        reviewed_on=review.reviewed_on,
        fingerprint=review.fingerprint,
        previous_hash=review.hash,
        hash="c" * 64,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimReview.objects.bulk_create([row])
