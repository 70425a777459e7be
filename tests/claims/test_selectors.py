from urllib.parse import urlencode

import pytest
from django.test import RequestFactory

from claims.models import Badge, Claim
from claims.selectors import (
    NEEDS_REVIEW_LINE,
    PAGE_CLAIMS_LIMIT,
    badge_expression,
    claim_badge,
    claim_list,
    concept_page_claims,
)
from claims.services import claim_update
from concepts.models import Concept
from learning_platform.objects import object_resolve
from learning_platform.pages import page_sections
from learning_platform.roles import is_reviewer

from .factories import ConceptFactory, linked_claim, record_review, source_keys, witness_keys

pytestmark = pytest.mark.django_db


def test_sql_badge_and_python_badge_agree(reviewer):
    """The stored badge (used to filter), the SQL expression it is written from and the
    computed one (used to show) never differ."""
    concept = ConceptFactory()
    claims = [linked_claim(concept=concept, sources=1, witnesses=1) for _ in range(6)]
    record_review(claims[1], reviewer)
    record_review(claims[2], reviewer, verdict="source_checked")
    record_review(claims[3], reviewer, verdict="needs_changes")
    record_review(claims[4], reviewer, verdict="disputed")
    record_review(claims[5], reviewer)
    claim_update(claim=claims[5], text="changed")
    annotated = list(
        claim_list(user=None, concept=concept.path).annotate(computed=badge_expression())
    )
    for claim in annotated:
        plain = Claim.objects.get(pk=claim.pk)
        assert claim.badge == claim.computed == claim_badge(claim=plain)
    assert [claim.badge for claim in annotated] == [
        Badge.UNREVIEWED,
        Badge.SUBSTANTIVELY_REVIEWED,
        Badge.SOURCE_CHECKED,
        Badge.DISPUTED,
        Badge.DISPUTED,
        Badge.STALE,
    ]


def test_concept_summary_counts_and_lines(reviewer):
    """One substantive review of one claim: '1 substantive review recorded', share 1/1, and no
    'still need review' line; a second, unreviewed claim brings the line and share 1/2."""
    concept = ConceptFactory()
    first = linked_claim(concept=concept)
    record_review(first, reviewer)
    summary = concept_page_claims(concept=concept, user=None)["summary"]
    assert summary["status_line"] == "1 substantive review recorded"
    assert summary["substantive_share_text"] == "1/1"
    assert summary["substantive_share"] == 1.0
    assert summary["needs_review_line"] is None

    linked_claim(concept=concept)
    summary = concept_page_claims(concept=concept, user=None)["summary"]
    assert summary["substantive_share_text"] == "1/2"
    assert summary["substantive_share"] == 0.5
    assert summary["needs_review_line"] == NEEDS_REVIEW_LINE


def test_a_stale_substantive_review_no_longer_counts_in_the_share(claim, reviewer):
    """The share counts current substantive reviews; recorded reviews stay counted."""
    record_review(claim, reviewer)
    claim_update(claim=claim, text="changed")
    summary = concept_page_claims(concept=claim.concept, user=None)["summary"]
    assert summary["status_line"] == "1 substantive review recorded"
    assert summary["substantive_share_text"] == "0/1"
    assert summary["stale"] == 1
    assert summary["needs_review_line"] == NEEDS_REVIEW_LINE


def test_page_item_carries_what_the_claim_review_panel_shows(claim, reviewer):
    """Key, text, badge, sources, '2 local objects', and the latest review with its scope."""
    record_review(claim, reviewer, reviewer_label="rita+oracle")
    item = concept_page_claims(concept=claim.concept, user=None)["items"][0]
    assert item["key"] == claim.key
    assert item["badge"] == Badge.SUBSTANTIVELY_REVIEWED
    assert item["badge_label"] == "Substantively reviewed"
    assert sorted(source["key"] for source in item["sources"]) == source_keys(claim)
    assert item["sources_label"] == "2 references"
    assert sorted(item["witnesses"]) == witness_keys(claim)
    assert item["witnesses_label"] == "2 local objects"
    review = item["latest_review"]
    assert review["reviewer_label"] == "rita+oracle"
    assert review["scope_text"].startswith("Reviews only")
    assert " It does not certify " in review["scope_text"]
    assert review["byline"].startswith("Reviewer: rita+oracle; reviewed ")
    assert {source["title"] for source in review["sources_checked"]} == {
        link.source.title for link in claim.claim_sources.all()
    }


def test_page_hides_draft_and_retired_claims_from_learners(learner, reviewer):
    """A learner's page shows live claims only; a reviewer also sees drafts."""
    concept = ConceptFactory()
    live = linked_claim(concept=concept)
    draft = linked_claim(concept=concept, status=Claim.Status.DRAFT)
    linked_claim(concept=concept, status=Claim.Status.RETIRED)
    keys = [item["key"] for item in concept_page_claims(concept=concept, user=learner)["items"]]
    assert keys == [live.key]
    keys = [item["key"] for item in concept_page_claims(concept=concept, user=reviewer)["items"]]
    assert keys == [live.key, draft.key]


@pytest.mark.parametrize("count", [3, 30])
def test_page_section_runs_a_constant_number_of_queries(
    reviewer, django_assert_max_num_queries, count
):
    """The registered 'claims' page section costs 5 queries for 3 or 30 reviewed claims: the
    stored counts, the claims, their latest reviews, sources and witnesses."""
    concept = ConceptFactory()
    for _ in range(count):
        claim = linked_claim(concept=concept)
        record_review(claim, reviewer)
        record_review(claim, reviewer)
    build = page_sections()["claims"]
    request = RequestFactory().get("/")
    request.user = reviewer
    is_reviewer(reviewer)  # the role lookup is cached per user, as within one request
    with django_assert_max_num_queries(5):
        section = build(concept=concept, request=request)
    assert len(section["items"]) == count
    assert section["summary"]["status_line"] == f"{2 * count} substantive reviews recorded"


def test_page_section_shows_a_bounded_number_of_claims_but_counts_all(reviewer):
    """Past the limit the page shows the first claims and points at the full list."""
    concept = ConceptFactory()
    for _ in range(PAGE_CLAIMS_LIMIT + 2):
        linked_claim(concept=concept, sources=1, witnesses=0, snapshots=False)
    section = concept_page_claims(concept=concept, user=None)
    assert len(section["items"]) == PAGE_CLAIMS_LIMIT
    assert section["summary"]["claims"] == PAGE_CLAIMS_LIMIT + 2
    assert section["summary"]["list_url"] == "/api/v1/claims/?" + urlencode(
        {"concept": concept.path}
    )


@pytest.mark.parametrize("count", [3, 30])
def test_the_concept_page_embeds_claims_at_a_constant_number_of_queries(
    anon_client, reviewer, django_assert_max_num_queries, count
):
    """GET /api/v1/concepts/<area>/<slug>/ carries the claims with badges; 3 or 30 reviewed
    claims cost the same number of queries."""
    concept = ConceptFactory()
    for _ in range(count):
        record_review(linked_claim(concept=concept), reviewer)
    # The whole page (13 queries today, 6 of them the claims section), with room for the
    # concepts app's own parts to grow; an N+1 would add 30+ at the larger size.
    with django_assert_max_num_queries(16):
        response = anon_client.get(f"/api/v1/concepts/{concept.path}/")
    assert response.status_code == 200
    claims = response.json()["claims"]
    assert len(claims["items"]) == count
    assert {item["badge"] for item in claims["items"]} == {Badge.SUBSTANTIVELY_REVIEWED}


def test_claim_keys_resolve_to_the_claim(claim, reviewer):
    """claim:<area>/<concept>#<anchor> resolves; its version is the fingerprint."""
    record_review(claim, reviewer)
    resolved = object_resolve(claim.key)
    assert resolved is not None
    assert resolved.kind == "claim"
    assert resolved.api_url == f"/api/v1/claims/{claim.pk}/"
    assert resolved.concept_key == claim.concept.key
    assert resolved.version == claim.fingerprint
    assert resolved.context["badge"] == Badge.SUBSTANTIVELY_REVIEWED
    assert sorted(resolved.context["witnesses"]) == witness_keys(claim)
    assert sorted(resolved.context["sources"]) == [f"source:{k}" for k in source_keys(claim)]


def test_unknown_or_hidden_claim_keys_do_not_resolve(db):
    """An unknown key, or a claim of a draft concept, resolves to nothing."""
    hidden = linked_claim(concept=ConceptFactory(status=Concept.Status.DRAFT))
    assert object_resolve("claim:alignment/rlhf#nothing-here") is None
    assert object_resolve(hidden.key) is None


def test_the_resolver_answers_through_the_api(anon_client, claim):
    """GET /api/v1/objects/<claim key> answers the claim."""
    response = anon_client.get(f"/api/v1/objects/{claim.key.replace('#', '%23')}")
    assert response.status_code == 200
    assert response.json()["kind"] == "claim"
