"""The registry-wide review log: appending a signed entry, reading its head, issuing checkpoints."""

from django.db import connection
from django.utils import timezone

from . import signing
from .models import ClaimReview, ReviewCheckpoint

# An arbitrary constant: the PostgreSQL advisory lock that serialises appends to the review log.
REVIEW_LOG_LOCK = 7_301_406_211


def review_log_append(review: ClaimReview) -> None:
    """Give the review the next place in the registry-wide log and sign it there.

    Appends to the log are serialised (after the claim's own row lock, always in that order): on
    PostgreSQL by a transaction-scoped advisory lock, on SQLite by its single write lock, which
    this project's IMMEDIATE transactions take at their start. The unique log index refuses a
    second writer that got past both.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REVIEW_LOG_LOCK])
    last = (
        ClaimReview.objects.filter(log_index__isnull=False)
        .order_by("-log_index")
        .values_list("log_index", "log_head")
        .first()
    )
    index, head = last or (0, signing.EMPTY_LOG_HEAD)
    assert index is not None  # only entries with a log index are read
    review.log_index = index + 1
    review.log_head = signing.log_head_next(head, review.hash)
    review.signing_key_id, review.signature = signing.sign(
        signing.review_statement(
            review_hash=review.hash, log_index=review.log_index, log_head=review.log_head
        )
    )


def review_log_head() -> tuple[int, str]:
    """(size, head) of the review log as stored: its newest entry's place and head."""
    last = (
        ClaimReview.objects.filter(log_index__isnull=False)
        .order_by("-log_index")
        .values_list("log_index", "log_head", "hash", "signing_key_id", "signature")
        .first()
    )
    if last is None:
        return 0, signing.EMPTY_LOG_HEAD
    index, head, review_hash, key_id, signature = last
    assert index is not None  # only entries with a log index are read
    problem = signing.signature_problem(
        signing.review_statement(review_hash=review_hash, log_index=index, log_head=head),
        key_id=key_id,
        signature=signature,
    )
    if problem is not None:
        # Never sign a head the platform did not write.
        raise signing.LogTampered(
            f"The newest review log entry (#{index}) is not one the platform signed: {problem}. "
            "Run manage.py verify_reviews."
        )
    return index, head


def checkpoint_issue(*, store: bool = False) -> dict:
    """The review log's current signed checkpoint, as JSON-ready data; ``store`` also records it
    in the table of issued checkpoints."""
    size, head = review_log_head()
    issued_at = timezone.now()
    statement = signing.checkpoint_statement(
        size=size, head=head, issued_at=signing.utc_iso(issued_at)
    )
    key_id, signature = signing.sign(statement)
    if store:
        ReviewCheckpoint.objects.create(
            size=size, head=head, issued_at=issued_at, key_id=key_id, signature=signature
        )
    return {**statement, "key_id": key_id, "signature": signature}
