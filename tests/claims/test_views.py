import pytest

from claims.models import Claim

from .factories import linked_claim, record_review

pytestmark = pytest.mark.django_db


def page(claim) -> str:
    return f"/claims/{claim.pk}/"


def test_claim_page_shows_reviews_with_verdict_summary_and_scope(anon_client, reviewer):
    """Each review shows its verdict, reviewer, summary and both halves of its scope."""
    claim = linked_claim()
    record_review(claim, reviewer, reviewer_label="rita+oracle", verdict="source_checked")
    html = anon_client.get(page(claim)).content.decode()
    assert 'id="review-1"' in html and "Source checked" in html and "rita+oracle" in html
    assert "Reviews only preference-modeling mechanics." in html
    assert "It does not certify</strong> reward as true human objective." in html
    assert '<script type="application/ld+json">' in html


def test_an_unreviewed_claim_page_says_so_without_json_ld(anon_client):
    """No review: the page says so and embeds no ClaimReview."""
    html = anon_client.get(page(linked_claim())).content.decode()
    assert "Not reviewed yet." in html and "application/ld+json" not in html


@pytest.mark.parametrize(
    ("claim_status", "concept_status"),
    [("draft", "published"), ("retired", "published"), ("published", "draft")],
)
def test_hidden_claims_are_404_for_learners_not_for_reviewers(
    anon_client, client, learner, reviewer, claim_status, concept_status
):
    """A draft or retired claim, or one on an unpublished page, is a 404 but to reviewers."""
    claim = linked_claim(status=claim_status, concept__status=concept_status)
    record_review(claim, reviewer)
    assert anon_client.get(page(claim)).status_code == 404
    client.force_login(learner)
    assert client.get(page(claim)).status_code == 404
    client.force_login(reviewer)
    assert client.get(page(claim)).status_code == 200
    uid = claim.reviews.get().reviewer_uid
    assert anon_client.get(f"/reviewers/{uid}/").status_code == 404


def test_reviewer_page_lists_only_visible_reviews(anon_client, reviewer):
    """The reviewer's page links the reviews on claims the visitor may see, and no others."""
    shown = linked_claim()
    hidden = linked_claim(status=Claim.Status.DRAFT)
    record_review(shown, reviewer)
    review = record_review(hidden, reviewer)
    html = anon_client.get(f"/reviewers/{review.reviewer_uid}/").content.decode()
    assert shown.key in html and hidden.key not in html
    assert f"/claims/{shown.pk}/#review-1" in html


def test_markup_in_a_claim_cannot_break_out_of_the_page(anon_client, reviewer):
    """Claim text with markup is escaped in the HTML and cannot close the JSON-LD script."""
    claim = linked_claim(text="</script><script>alert(1)</script> is a claim.")
    record_review(claim, reviewer)
    html = anon_client.get(page(claim)).content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html and "&lt;/script&gt;" in html


def test_unknown_claims_and_reviewers_are_404(anon_client):
    """No such claim or reviewer: 404."""
    assert anon_client.get("/claims/999999/").status_code == 404
    assert anon_client.get("/reviewers/5e0c0a38-4d2b-4a43-9d47-9d0b8c1e2f3a/").status_code == 404


@pytest.mark.parametrize("reviews", [1, 6])
def test_claim_page_query_count_is_constant(
    anon_client, reviewer, django_assert_num_queries, reviews
):
    """A claim page with 1 or 6 reviews costs the same queries."""
    claim = linked_claim()
    for _ in range(reviews):
        record_review(claim, reviewer)
    # claim, latest reviews, sources, witnesses, review history
    with django_assert_num_queries(5):
        assert anon_client.get(page(claim)).status_code == 200


def test_the_api_links_the_claim_page(anon_client):
    """A claim in the API links its HTML page, absolute, and the page opens."""
    claim = linked_claim()
    body = anon_client.get(f"/api/v1/claims/{claim.pk}/").json()
    assert body["page_url"] == f"http://testserver/claims/{claim.pk}/"
    assert anon_client.get(body["page_url"]).status_code == 200
