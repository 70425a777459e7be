"""The stored badge and the stored counts stay what the claims say after every kind of write,
the reads use them, and verify_reviews reports them when they drift."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from claims.audit import review_trail_verify
from claims.badges import badge_expression, waiting_since_expression
from claims.counts import claim_counts_recount, claim_counts_refresh
from claims.models import Badge, Claim, ClaimCount
from claims.reviews import review_record
from claims.selectors import claim_list, concept_page_claims, review_queue
from claims.services import claim_create, claim_update
from concepts.models import Concept

from .factories import (
    ConceptFactory,
    SourceSnapshotFactory,
    linked_claim,
    record_review,
    source_keys,
    witness_keys,
)
from .test_admin import change_url, form_data, logged_in

pytestmark = pytest.mark.django_db

CONTENT = Path(settings.BASE_DIR) / "content"


def stored_counts() -> dict:
    return {
        (row.concept_id, row.status, row.badge): [row.claims, row.substantive_reviews]
        for row in ClaimCount.objects.all()
    }


def assert_consistent() -> None:
    """Every stored badge and queue time is its expression's value; every count a recount."""
    for claim in Claim.objects.annotate(
        computed_badge=badge_expression(), computed_since=waiting_since_expression()
    ):
        assert claim.badge == claim.computed_badge, claim.key
        assert claim.waiting_since == claim.computed_since, claim.key
    assert stored_counts() == claim_counts_recount()
    assert review_trail_verify().problems == []


def summary(concept, user=None) -> dict:
    return concept_page_claims(concept=concept, user=user)["summary"]


def test_counts_follow_each_service_write(reviewer):
    concept = ConceptFactory()
    first = linked_claim(concept=concept)
    second = linked_claim(concept=concept)
    assert_consistent()
    assert summary(concept)["unreviewed"] == 2

    record_review(first, reviewer)
    assert_consistent()
    assert (
        summary(concept)["claims_with_current_substantive_review"],
        summary(concept)["unreviewed"],
    ) == (1, 1)
    assert summary(concept)["substantive_reviews_recorded"] == 1

    record_review(second, reviewer, verdict="disputed")
    assert_consistent()
    assert summary(concept)["disputed"] == 1

    claim_update(claim=first, text="Reworded: preferences train a reward model.")
    assert_consistent()
    assert summary(concept)["stale"] == 1
    assert Claim.objects.get(pk=first.pk).badge == Badge.STALE

    claim_update(claim=second, status=Claim.Status.RETIRED)
    assert_consistent()
    assert summary(concept)["claims"] == 1

    created = claim_create(
        concept=concept, key=f"claim:{concept.path}#new-one", text="New.", status="published"
    )
    assert_consistent()
    assert created.badge == Badge.UNREVIEWED
    assert summary(concept)["unreviewed"] == 1

    created.delete()
    assert_consistent()
    assert summary(concept)["claims"] == 1


def test_a_new_snapshot_makes_the_badge_stale_in_the_counts(reviewer):
    """Fingerprint refresh through a signal (a source's new snapshot) moves the count too."""
    claim = linked_claim()
    record_review(claim, reviewer)
    assert summary(claim.concept)["claims_with_current_substantive_review"] == 1
    SourceSnapshotFactory(source=claim.claim_sources.first().source)
    assert_consistent()
    assert Claim.objects.get(pk=claim.pk).badge == Badge.STALE
    assert summary(claim.concept)["stale"] == 1
    assert [c.pk for c in review_queue(user=None)] == [claim.pk]


def test_a_claim_moved_to_another_concept_is_counted_there():
    old, new = ConceptFactory(), ConceptFactory()
    claim = linked_claim(concept=old, sources=0, witnesses=0)
    claim = Claim.objects.get(pk=claim.pk)
    claim_update(claim=claim, concept=new, key=f"claim:{new.path}#moved")
    assert_consistent()
    assert summary(old)["claims"] == 0
    assert summary(new)["claims"] == 1


def test_counts_follow_an_admin_save(editor):
    claim = linked_claim()
    client = logged_in(editor)
    data = form_data(client.get(change_url(claim)))
    data["status"] = Claim.Status.DRAFT
    response = client.post(change_url(claim), data)
    assert response.status_code == 302
    assert_consistent()
    assert summary(claim.concept)["claims"] == 0  # a draft claim is not shown to learners
    assert summary(claim.concept, user=editor)["claims"] == 1


def test_counts_follow_a_review_from_the_admin(reviewer):
    from .test_admin import new_review_fields, review_prefix

    claim = linked_claim()
    client = logged_in(reviewer)
    page = client.get(change_url(claim))
    data = form_data(page)
    data.update(new_review_fields(review_prefix(page), claim))
    assert client.post(change_url(claim), data).status_code == 302
    assert_consistent()
    assert summary(claim.concept)["claims_with_current_substantive_review"] == 1


def test_counts_follow_load_content():
    call_command("load_content", str(CONTENT))
    assert ClaimCount.objects.exists()
    assert_consistent()
    concept = Concept.objects.get(area="alignment", slug="rlhf")
    page = summary(concept)
    visible = Claim.objects.filter(concept=concept, status__in=Claim.LIVE_STATUSES)
    assert page["claims"] == visible.count()


def test_verify_reviews_reports_drifted_counts_and_badges():
    claim = linked_claim()
    call_command("verify_reviews")
    ClaimCount.objects.filter(concept=claim.concept).update(claims=7)
    with pytest.raises(CommandError, match="stored counts of published unreviewed claims say 7"):
        call_command("verify_reviews")
    ClaimCount.objects.filter(concept=claim.concept).delete()
    with pytest.raises(CommandError, match=r"say 0 claims .* a recount finds 1"):
        call_command("verify_reviews")
    claim_counts_refresh(concept_ids=[claim.concept_id])
    call_command("verify_reviews")
    Claim.objects.filter(pk=claim.pk).update(badge=Badge.SUBSTANTIVELY_REVIEWED)
    with pytest.raises(CommandError, match="stored badge 'substantively_reviewed'"):
        call_command("verify_reviews")


def test_list_totals_come_from_the_stored_counts_and_keep_drafts_hidden(reviewer):
    published, draft = ConceptFactory(), ConceptFactory(status=Concept.Status.DRAFT)
    for _ in range(3):
        linked_claim(concept=published, sources=1, witnesses=0)
    linked_claim(concept=published, sources=1, witnesses=0, status=Claim.Status.DRAFT)
    linked_claim(concept=draft, sources=1, witnesses=0)
    record_review(Claim.objects.filter(concept=published).first(), reviewer)
    for user, expected in ((None, 3), (reviewer, 5)):
        with CaptureQueriesContext(connection) as queries:
            claims = claim_list(user=user)
            assert claims.values_list("pk", flat=True).count() == expected
        assert len(queries) == 1
        assert "claims_claimcount" in queries[0]["sql"]
        assert 'claims_claim"' not in queries[0]["sql"]
        assert len(list(claims)) == expected
        assert claim_list(user=user, badge="unreviewed").count() == expected - 1
        assert review_queue(user=user).count() == len(list(review_queue(user=user))) == expected - 1
    # A further filter drops the stated count: it is counted again.
    assert claim_list(user=None).filter(status="draft").count() == 0
    assert claim_list(user=None, concept=draft.path).count() == 0
    assert claim_list(user=reviewer, concept=draft.path).count() == 1
    source = Claim.objects.filter(concept=published).first().claim_sources.first().source
    assert claim_list(user=None, source=source.key).count() == 1
    body = Client().get("/api/v1/claims/?badge=unreviewed").json()
    assert body["count"] == 2 and len(body["results"]) == 2


def test_a_review_needs_the_claim_fingerprint_it_read(reviewer):
    """A refused review leaves badge and counts as they were."""
    claim = linked_claim()
    before = stored_counts()
    with pytest.raises(Exception):  # noqa: B017 - any refusal: the test reads what stays stored
        review_record(
            claim=claim,
            reviewer=reviewer,
            verdict="substantively_reviewed",
            summary="s",
            scope_covers="c",
            scope_excludes="e",
            sources_checked=source_keys(claim),
            witnesses_checked=witness_keys(claim),
            fingerprint="0" * 64,
        )
    assert stored_counts() == before
    assert_consistent()
