import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from claims.audit import review_trail_verify
from claims.models import ClaimReview

from .factories import linked_claim, record_review

WRITERS = 6
EACH = 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_chain_linear(reviewer):
    """Six connections appending reviews at once produce one chain: no fork, no gap, no error."""
    claim = linked_claim()
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            start.wait()
            for round_ in range(EACH):
                record_review(claim, reviewer, summary=f"writer {index}, round {round_}")
        except BaseException as exc:  # reported below, with the writer that hit it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(index,)) for index in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    reviews = list(ClaimReview.objects.filter(claim=claim).order_by("sequence"))
    assert [review.sequence for review in reviews] == list(range(1, WRITERS * EACH + 1))
    previous = [review.previous_hash for review in reviews]
    assert len(set(previous)) == len(previous)  # no two reviews share a previous hash
    assert review_trail_verify().problems == []


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_raw_updates_of_reviews(claim, reviewer):
    """On PostgreSQL a trigger refuses UPDATE of a review row, even in raw SQL."""
    review = record_review(claim, reviewer)
    sql = "UPDATE claims_claimreview SET summary = 'rewritten' WHERE id = %s"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [review.pk])
    assert ClaimReview.objects.get(pk=review.pk).summary == review.summary


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_refuses_raw_deletes_of_reviews(claim, reviewer):
    """On PostgreSQL a trigger refuses DELETE of a review row, even in raw SQL."""
    review = record_review(claim, reviewer)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM claims_claimreview WHERE id = %s", [review.pk])
    assert ClaimReview.objects.filter(pk=review.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_committed_reviews_survive_and_the_table_still_flushes(reviewer):
    """Committed reviews are refused deletion, yet the suite's TRUNCATE flush still works
    (row triggers do not fire on TRUNCATE), so later tests start clean."""
    claim = linked_claim()
    review = record_review(claim, reviewer)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_claimreview")
    assert ClaimReview.objects.filter(pk=review.pk).exists()
