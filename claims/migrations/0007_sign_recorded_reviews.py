"""Sign the reviews and verifications recorded before signatures existed.

Existing reviews enter the review log in the order they were appended (their ids), each with its
log head and a signature by the deployment's signing key (settings.REVIEW_SIGNING_KEY): set the
key before migrating a database that holds reviews. On PostgreSQL the append-only trigger is
lifted for this one transaction; the rows gain their log columns and nothing else changes.
"""

from django.db import migrations

TRIGGER = "claims_claimreview_append_only"


def sign_recorded(apps, schema_editor):
    from claims.signing import (
        EMPTY_LOG_HEAD,
        log_head_next,
        review_statement,
        sign,
        verification_statement,
    )

    review_model = apps.get_model("claims", "ClaimReview")
    verification_model = apps.get_model("claims", "ClaimVerification")
    reviews = review_model.objects.filter(log_index__isnull=True).order_by("id")
    if not reviews.exists() and not verification_model.objects.filter(signature="").exists():
        return
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE claims_claimreview DISABLE TRIGGER {TRIGGER}")
    last = (
        review_model.objects.filter(log_index__isnull=False)
        .order_by("-log_index")
        .values_list("log_index", "log_head")
        .first()
    )
    index, head = last or (0, EMPTY_LOG_HEAD)
    for pk, review_hash in reviews.values_list("id", "hash").iterator():
        index, head = index + 1, log_head_next(head, review_hash)
        key_id, signature = sign(
            review_statement(review_hash=review_hash, log_index=index, log_head=head)
        )
        review_model.objects.filter(pk=pk).update(
            log_index=index, log_head=head, signing_key_id=key_id, signature=signature
        )
    for verification in verification_model.objects.filter(signature="").select_related("claim"):
        key_id, signature = sign(
            verification_statement(verification, claim_key=verification.claim.key)
        )
        verification_model.objects.filter(pk=verification.pk).update(
            signing_key_id=key_id, signature=signature
        )
    if postgres:
        schema_editor.execute(f"ALTER TABLE claims_claimreview ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_review_log_and_signatures")]

    operations = [migrations.RunPython(sign_recorded, migrations.RunPython.noop)]
