"""Export is a complete backup: an empty database loaded from it holds every review, unchanged.

Runs on SQLite in the embedded pass and on PostgreSQL (append-only trigger included) in the
PostgreSQL pass of .ci/run.
"""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.models import (
    Claim,
    ClaimReview,
    ClaimSource,
    ClaimVerification,
    ClaimWitness,
    ReviewerIdentity,
)
from claims.verify import claim_verification_record
from concepts.models import (
    Concept,
    ConceptObject,
    ConceptSource,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
    SourceSnapshot,
)

from .factories import record_review

PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"

TABLES = (
    Concept,
    Section,
    ConceptObject,
    Prerequisite,
    RelatedLink,
    Source,
    SourceSnapshot,
    ConceptSource,
    Claim,
    ClaimSource,
    ClaimWitness,
    ClaimReview,
    ClaimVerification,
    ReviewerIdentity,
)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def _trail() -> list[tuple]:
    return list(
        ClaimReview.objects.order_by("claim__key", "sequence").values_list(
            "claim__key",
            "sequence",
            "hash",
            "previous_hash",
            "reviewer__username",
            "reviewer_uid",
            "reviewer_label",
            "verdict",
            "fingerprint",
            "concept_revision",
            "verification_seen_hash",
            "recorded_at",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_export_to_an_empty_database_reproduces_every_review(reviewer, settings, tmp_path):
    """Load, review through the app, export, empty the database, load the export: the same
    rows per table, the same review hashes, and verify_reviews passes."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_content", verbosity=0, stdout=StringIO())
    claim = Claim.objects.get(key=PAGE_CLAIM)
    verification = claim_verification_record(
        claim=claim,
        outcome=ClaimVerification.Outcome.PASSED,
        invariant="demo:alignment/rlhf#kl-policy: the policy ignores a reward shift",
        result_hash="a" * 64,
        witness_code_version="test",
        record={"code_runs": [{"key": "code:alignment/rlhf#x", "stdout": "0.9427\n"}]},
        verified_by=reviewer,
    )
    Claim.objects.filter(pk=claim.pk).update(latest_verification=verification)
    claim.refresh_from_db()
    record_review(claim, reviewer, verdict="disputed", sources_checked=[])
    record_review(claim, reviewer, reviewer_label=f"{reviewer.username}+second-look")
    counts, trail = _counts(), _trail()
    assert counts["ClaimReview"] == 3 and counts["ClaimVerification"] == 1

    backup = tmp_path / "backup"
    call_command("export_content", str(backup), stdout=StringIO())
    call_command("flush", interactive=False, verbosity=0)
    assert Claim.objects.count() == 0 and ClaimReview.objects.count() == 0
    call_command("load_content", str(backup), stdout=StringIO())

    assert _counts() == counts
    assert _trail() == trail
    restored = ClaimReview.objects.filter(reviewer__username=reviewer.username)
    assert restored.count() == 2
    assert not restored.first().reviewer.is_active  # an admin re-enables the account
    out = StringIO()
    call_command("verify_reviews", stdout=out)
    # Every claim content/ ships is walked; only the RLHF page's has reviews.
    assert f"3 reviews of {Claim.objects.count()} claims verified" in out.getvalue()
    assert ClaimReview.objects.get(sequence=3).verification_seen.result_hash == "a" * 64
    assert ClaimVerification.objects.get().record == verification.record


@pytest.mark.django_db
def test_an_edited_review_in_a_backup_is_refused(settings, tmp_path):
    """A file review whose verdict was changed no longer hashes to its stated hash: refused,
    and nothing is loaded."""
    settings.MEDIA_ROOT = tmp_path / "media"
    backup = tmp_path / "backup"
    shutil.copytree(Path(settings.BASE_DIR) / "content", backup)
    path = backup / "claims" / "alignment" / "rlhf.yaml"
    text = path.read_text(encoding="utf-8")
    assert "verdict: substantively_reviewed" in text
    path.write_text(text.replace("verdict: substantively_reviewed", "verdict: source_checked"))
    with pytest.raises(CommandError, match="hashes to"):
        call_command("load_content", str(backup), stdout=StringIO())
    assert Concept.objects.count() == 0 and ClaimReview.objects.count() == 0
