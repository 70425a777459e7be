import datetime

import pytest
from django.utils import timezone

from claims.models import Badge, Claim, ClaimReview
from claims.services import claim_update
from concepts.models import Concept

from .factories import (
    ClaimFactory,
    ClaimSourceFactory,
    ConceptFactory,
    linked_claim,
    record_review,
    source_keys,
    witness_keys,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/"
QUEUE = "/api/v1/claims/review-queue/"


def detail(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/"


def reviews_url(claim) -> str:
    return f"/api/v1/claims/{claim.pk}/reviews/"


def review_body(claim, **overrides) -> dict:
    body = {
        "verdict": "substantively_reviewed",
        "summary": "Christiano supports learning a reward predictor from preferences.",
        "scope_covers": "Reviews only preference-modeling mechanics.",
        "scope_excludes": "reward as true human objective.",
        "sources_checked": source_keys(claim),
        "witnesses_checked": witness_keys(claim),
    }
    body.update(overrides)
    return body


def populate(count: int, reviewer, reviews_each: int = 3) -> list[Claim]:
    claims = []
    concept = ConceptFactory()
    for _ in range(count):
        claim = linked_claim(concept=concept)
        for _ in range(reviews_each):
            record_review(claim, reviewer)
        claims.append(claim)
    return claims


# Reading --------------------------------------------------------------------------------------


def test_list_shows_claims_with_sources_witnesses_and_badge(anon_client, claim, reviewer):
    """Each listed claim carries its key, concept, sources with locators, witnesses and badge."""
    record_review(claim, reviewer)
    response = anon_client.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert item["key"] == claim.key
    assert item["concept"] == claim.concept.key
    assert item["badge"] == Badge.SUBSTANTIVELY_REVIEWED
    assert item["badge_label"] == "Substantively reviewed"
    assert sorted(source["key"] for source in item["sources"]) == source_keys(claim)
    assert all(source["locator"] for source in item["sources"])
    assert sorted(witness["key"] for witness in item["witnesses"]) == witness_keys(claim)
    assert item["latest_review"]["verdict"] == "substantively_reviewed"
    assert item["latest_review"]["stale"] is False


@pytest.mark.parametrize("count", [3, 30])
def test_list_runs_a_constant_number_of_queries(
    anon_client, reviewer, django_assert_max_num_queries, count
):
    """3 or 30 claims with 3 reviews each: the list costs the same number of queries."""
    populate(count, reviewer)
    with django_assert_max_num_queries(7):
        response = anon_client.get(LIST, {"page_size": 100})
    assert len(response.json()["results"]) == count


@pytest.mark.parametrize("count", [3, 30])
def test_detail_runs_a_constant_number_of_queries(
    anon_client, reviewer, django_assert_max_num_queries, count
):
    """A claim with 3 or 30 reviews is served in the same number of queries."""
    claim = populate(1, reviewer, reviews_each=count)[0]
    with django_assert_max_num_queries(6):
        response = anon_client.get(detail(claim))
    assert len(response.json()["reviews"]) == count


def test_filters_by_concept_badge_and_source(anon_client, reviewer):
    """concept, badge and source narrow the list, in SQL (count and pages agree)."""
    reviewed = linked_claim()
    record_review(reviewed, reviewer)
    stale = linked_claim(concept=reviewed.concept)
    record_review(stale, reviewer)
    claim_update(claim=stale, text="changed")
    unreviewed = linked_claim()

    def keys(**params):
        body = anon_client.get(LIST, params).json()
        assert body["count"] == len(body["results"])
        return {item["key"] for item in body["results"]}

    assert keys(concept=reviewed.concept.path) == {reviewed.key, stale.key}
    assert keys(concept=reviewed.concept.key) == {reviewed.key, stale.key}
    assert keys(badge="stale") == {stale.key}
    assert keys(badge="unreviewed") == {unreviewed.key}
    assert keys(badge="substantively_reviewed") == {reviewed.key}
    source = source_keys(unreviewed)[0]
    assert keys(source=source) == {unreviewed.key}
    assert keys(source=f"source:{source}") == {unreviewed.key}


def test_badge_filter_and_pagination_agree(anon_client, reviewer):
    """Filtering by badge counts and pages in SQL: 25 stale of 30, pages of 10."""
    concept = ConceptFactory()
    claims = [linked_claim(concept=concept, sources=1, witnesses=1) for _ in range(30)]
    for claim in claims[:25]:
        record_review(claim, reviewer)
        claim_update(claim=claim, text=claim.text + " (edited)")
    first = anon_client.get(LIST, {"badge": "stale", "page_size": 10}).json()
    last = anon_client.get(LIST, {"badge": "stale", "page_size": 10, "page": 3}).json()
    assert first["count"] == 25
    assert len(first["results"]) == 10
    assert len(last["results"]) == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"badge": "shiny"}, "badge"),
        ({"concept": "no-slash"}, "concept"),
        ({"status": "x"}, "status"),
    ],
)
def test_bad_filters_are_a_400_naming_the_filter(anon_client, params, field):
    """An unknown badge or a malformed concept is refused with the filter named."""
    response = anon_client.get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unpublished_claims_are_hidden_from_the_public(
    anon_client, learner_client, reviewer_client
):
    """Draft claims and claims of draft concepts are listed for reviewers only."""
    live = ClaimFactory()
    draft_claim = ClaimFactory(status=Claim.Status.DRAFT)
    draft_concept = ClaimFactory(concept=ConceptFactory(status=Concept.Status.DRAFT))
    for client in (anon_client, learner_client):
        keys = {item["key"] for item in client.get(LIST).json()["results"]}
        assert keys == {live.key}
        assert client.get(detail(draft_claim)).status_code == 404
        assert client.get(detail(draft_concept)).status_code == 404
    keys = {item["key"] for item in reviewer_client.get(LIST).json()["results"]}
    assert keys == {live.key, draft_claim.key, draft_concept.key}


def test_detail_lists_reviews_newest_first_with_staleness(anon_client, claim, reviewer):
    """The detail shows every review, newest first, each marked stale or current."""
    record_review(claim, reviewer, verdict="source_checked")
    claim_update(claim=claim, text="changed")
    record_review(claim, reviewer)
    body = anon_client.get(detail(claim)).json()
    assert [review["sequence"] for review in body["reviews"]] == [2, 1]
    assert [review["stale"] for review in body["reviews"]] == [False, True]
    assert body["badge"] == Badge.SUBSTANTIVELY_REVIEWED
    first = body["reviews"][1]
    assert first["reviewer"] == reviewer.username
    assert first["scope_text"] == (
        "Reviews only preference-modeling mechanics. It does not certify reward as true "
        "human objective."
    )
    assert body["reviews"][0]["previous_hash"] == first["hash"]


def test_unknown_claim_is_404(anon_client, db):
    """A claim id that does not exist answers 404."""
    assert anon_client.get("/api/v1/claims/999999/").status_code == 404


def test_review_list_is_paginated_newest_first(anon_client, claim, reviewer):
    """GET on the reviews URL pages through the claim's reviews, newest first."""
    for _ in range(3):
        record_review(claim, reviewer)
    body = anon_client.get(reviews_url(claim), {"page_size": 2}).json()
    assert body["count"] == 3
    assert [review["sequence"] for review in body["results"]] == [3, 2]


def test_one_review_can_be_read(anon_client, claim, reviewer):
    """A single review is served at its own URL."""
    review = record_review(claim, reviewer)
    response = anon_client.get(f"{reviews_url(claim)}{review.pk}/")
    assert response.status_code == 200
    assert response.json()["hash"] == review.hash


# Recording ------------------------------------------------------------------------------------


def test_a_reviewer_records_a_review(reviewer_client, reviewer, claim):
    """POST by a reviewer appends a review attributed to them: 201 and the badge changes."""
    response = reviewer_client.post(reviews_url(claim), review_body(claim), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reviewer"] == reviewer.username
    assert body["sequence"] == 1
    assert body["stale"] is False
    assert reviewer_client.get(detail(claim)).json()["badge"] == Badge.SUBSTANTIVELY_REVIEWED


def test_anonymous_review_is_401(anon_client, claim):
    """Without credentials the answer is 401 and nothing is written."""
    response = anon_client.post(reviews_url(claim), review_body(claim), format="json")
    assert response.status_code == 401
    assert not ClaimReview.objects.exists()


@pytest.mark.parametrize("client_name", ["learner_client", "editor_client"])
def test_non_reviewers_get_403(request, claim, client_name):
    """Learners and editors (who are not reviewers) are refused with 403."""
    client = request.getfixturevalue(client_name)
    response = client.post(reviews_url(claim), review_body(claim), format="json")
    assert response.status_code == 403
    assert not ClaimReview.objects.exists()


def test_missing_fields_are_a_400_per_field(reviewer_client, claim):
    """An empty body names verdict, summary, scope_covers and scope_excludes."""
    response = reviewer_client.post(reviews_url(claim), {}, format="json")
    assert response.status_code == 400
    assert {"verdict", "summary", "scope_covers", "scope_excludes"} <= set(
        response.json()["errors"]
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"verdict": "fine"}, "verdict"),
        ({"scope_excludes": ""}, "scope_excludes"),
        ({"scope_covers": "   "}, "scope_covers"),
        ({"sources_checked": ["not-a-source-of-this-claim"]}, "sources_checked"),
        ({"witnesses_checked": ["demo:alignment/rlhf#unknown"]}, "witnesses_checked"),
        ({"reviewer_label": "edith"}, "reviewer_label"),
        ({"reviewed_on": "2999-01-01"}, "reviewed_on"),
        ({"fingerprint": "0" * 64}, "fingerprint"),
        ({"fingerprint": "not-hex"}, "fingerprint"),
    ],
)
def test_bad_review_input_is_a_400_naming_the_field(reviewer_client, claim, overrides, field):
    """Every kind of bad input is a 400 naming its field, never a 500 or a partial write."""
    response = reviewer_client.post(
        reviews_url(claim), review_body(claim, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ClaimReview.objects.exists()


def test_sources_of_another_concept_are_a_400(reviewer_client, claim):
    """Naming a source that only another concept's claim uses is refused."""
    other = linked_claim()
    body = review_body(claim, sources_checked=source_keys(other))
    response = reviewer_client.post(reviews_url(claim), body, format="json")
    assert response.status_code == 400
    assert "sources_checked" in response.json()["errors"]


def test_a_reviewer_cannot_name_another_reviewer(reviewer_client, claim, editor):
    """A 'reviewer' field in the body is refused; the reviewer is always the caller."""
    response = reviewer_client.post(
        reviews_url(claim), review_body(claim, reviewer=editor.pk), format="json"
    )
    assert response.status_code == 400
    assert "reviewer" in response.json()["errors"]
    assert not ClaimReview.objects.exists()


def test_unknown_fields_are_refused(reviewer_client, claim):
    """Fields the endpoint does not take (hash, sequence) are named in a 400."""
    body = review_body(claim, hash="0" * 64, sequence=7)
    response = reviewer_client.post(reviews_url(claim), body, format="json")
    assert response.status_code == 400
    assert {"hash", "sequence"} <= set(response.json()["errors"])


def test_reviewing_a_claim_the_reviewer_cannot_see_is_404(reviewer_client, db):
    """An unknown claim id answers 404 to a reviewer's POST."""
    response = reviewer_client.post("/api/v1/claims/424242/reviews/", {}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_reviews_cannot_be_changed_or_deleted_through_the_api(
    admin_client_api, claim, reviewer, method
):
    """PUT, PATCH and DELETE on a review, the review list or the claim are 405, even for an
    administrator, and the review is untouched."""
    review = record_review(claim, reviewer)
    for url in (f"{reviews_url(claim)}{review.pk}/", reviews_url(claim), detail(claim)):
        response = getattr(admin_client_api, method)(url, {"summary": "x"}, format="json")
        assert response.status_code == 405, url
    assert ClaimReview.objects.get(pk=review.pk).summary == review.summary


# The queue ------------------------------------------------------------------------------------


def test_queue_lists_unreviewed_and_stale_claims_longest_waiting_first(anon_client, reviewer):
    """Unreviewed claims wait since creation, stale ones since their change; current and
    retired claims are not in the queue."""
    now = timezone.now()
    concept = ConceptFactory()
    old_unreviewed = linked_claim(concept=concept)
    Claim.objects.filter(pk=old_unreviewed.pk).update(created_at=now - datetime.timedelta(days=9))
    current = linked_claim(concept=concept)
    record_review(current, reviewer)
    stale = linked_claim(concept=concept)
    record_review(stale, reviewer)
    claim_update(claim=stale, text="changed")
    Claim.objects.filter(pk=stale.pk).update(
        fingerprint_changed_at=now - datetime.timedelta(days=5)
    )
    new_unreviewed = linked_claim(concept=concept)
    linked_claim(concept=concept, status=Claim.Status.RETIRED)
    keys = [item["key"] for item in anon_client.get(QUEUE).json()["results"]]
    assert keys == [old_unreviewed.key, stale.key, new_unreviewed.key]
    assert current.key not in keys


def test_a_stale_claim_comes_back_to_the_queue(anon_client, claim, reviewer):
    """Reviewing takes a claim off the queue; changing a witness puts it back."""
    record_review(claim, reviewer)
    assert anon_client.get(QUEUE).json()["count"] == 0
    witness = claim.claim_witnesses.first().concept_object
    witness.body = "new body"
    witness.save()
    assert [item["key"] for item in anon_client.get(QUEUE).json()["results"]] == [claim.key]


@pytest.mark.parametrize("count", [3, 30])
def test_queue_runs_a_constant_number_of_queries(
    anon_client, reviewer, django_assert_max_num_queries, count
):
    """The queue costs the same number of queries for 3 or 30 waiting claims."""
    concept = ConceptFactory()
    for _ in range(count):
        linked_claim(concept=concept)
    with django_assert_max_num_queries(6):
        response = anon_client.get(QUEUE, {"page_size": 100})
    assert len(response.json()["results"]) == count


# JSON-LD --------------------------------------------------------------------------------------


def test_claim_review_jsonld(anon_client, claim, reviewer):
    """The latest review as schema.org ClaimReview, with the scope in its text."""
    review = record_review(claim, reviewer, reviewer_label="rita+oracle")
    response = anon_client.get(f"{detail(claim)}claim-review.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    body = response.json()
    assert body["@context"] == "https://schema.org"
    assert body["@type"] == "ClaimReview"
    assert body["claimReviewed"] == claim.text  # short enough to stand whole
    assert body["url"] == f"http://testserver/claims/{claim.pk}/#review-{review.sequence}"
    assert body["itemReviewed"]["@type"] == "Claim"
    assert body["itemReviewed"]["text"] == claim.text
    assert body["itemReviewed"]["identifier"] == claim.key
    assert body["reviewRating"]["@type"] == "Rating"
    assert body["reviewRating"]["ratingValue"] == 4
    assert body["reviewRating"]["alternateName"] == "Substantively reviewed"
    assert body["author"]["name"] == "rita+oracle"
    assert body["author"]["@id"] == f"http://testserver/reviewers/{review.reviewer_uid}/"
    assert body["datePublished"] == review.reviewed_on.isoformat()
    assert body["text"] == review.scope_text
    assert "It does not certify" in body["text"]
    assert body["creativeWorkStatus"] == "current"
    assert sorted(item["identifier"] for item in body["citation"]) == [
        f"source:{key}" for key in source_keys(claim)
    ]


def test_claim_review_jsonld_answers_json_ld_whatever_the_accept_header(
    anon_client, claim, reviewer
):
    """A client asking for application/json still gets the JSON-LD document, not a 406."""
    record_review(claim, reviewer)
    response = anon_client.get(
        f"{detail(claim)}claim-review.jsonld", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["@type"] == "ClaimReview"


def test_claim_review_jsonld_marks_a_stale_review(anon_client, claim, reviewer):
    """When the claim changed after its review, the rating says stale."""
    record_review(claim, reviewer)
    claim_update(claim=claim, text="changed")
    body = anon_client.get(f"{detail(claim)}claim-review.jsonld").json()
    assert body["creativeWorkStatus"] == "stale"
    assert body["reviewRating"]["alternateName"].startswith("Stale")


def test_claim_review_jsonld_of_an_unreviewed_claim_is_404(anon_client, claim):
    """No review, no ClaimReview: 404 with a reason."""
    response = anon_client.get(f"{detail(claim)}claim-review.jsonld")
    assert response.status_code == 404
    assert "no review" in response.json()["detail"]


def test_source_filter_uses_the_claim_sources(anon_client, db):
    """A claim with two sources is found by either, once."""
    claim = ClaimFactory()
    first = ClaimSourceFactory(claim=claim).source
    second = ClaimSourceFactory(claim=claim).source
    for source in (first, second):
        body = anon_client.get(LIST, {"source": source.key}).json()
        assert [item["key"] for item in body["results"]] == [claim.key]
