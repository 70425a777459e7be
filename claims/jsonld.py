"""schema.org ClaimReview for a claim's review, as fact-check readers (and Google) expect it."""

from rest_framework.reverse import reverse as drf_reverse

from . import selectors
from .models import Claim, ClaimReview
from .shapes import ClaimRead

RATING: dict[str, int] = {
    ClaimReview.Verdict.DISPUTED: 1,
    ClaimReview.Verdict.NEEDS_CHANGES: 2,
    ClaimReview.Verdict.SOURCE_CHECKED: 3,
    ClaimReview.Verdict.SUBSTANTIVELY_REVIEWED: 4,
}


def claim_page_url(claim: Claim, request) -> str:
    """The claim's public HTML page: what a person opens."""
    return drf_reverse("claim-page", kwargs={"claim_id": claim.pk}, request=request)


def reviewer_page_url(uid: str, request) -> str:
    return drf_reverse("reviewer-page", kwargs={"uid": uid}, request=request)


def review_author(review: ClaimReview, request) -> dict:
    """The reviewer as a schema.org Person named by the identity the review was signed with,
    not the account's current name: its @id is the reviewer's public page."""
    if not review.reviewer_uid:
        return {
            "@type": "Person",
            "name": review.reviewer_label,
            "identifier": review.reviewer.get_username(),
        }
    page = reviewer_page_url(review.reviewer_uid, request)
    return {
        "@type": "Person",
        "@id": page,
        "url": page,
        "name": review.reviewer_label,
        "identifier": f"urn:uuid:{review.reviewer_uid}",
    }


def claim_review_jsonld(*, row: ClaimRead, review: ClaimReview, request) -> dict:
    """schema.org ClaimReview for a review of the claim claims_with_links read: ``claimReviewed``
    is the claim's short statement (under 75 characters), the whole claim is the itemReviewed's
    ``text``, and ``text`` states the review's scope (citing its sources by their titles)."""
    claim = row.claim
    stale = selectors.review_is_stale(review=review, claim=claim)
    sources = {link["key"]: link for link in row.source_links}
    rating_name = review.get_verdict_display()
    if stale:
        rating_name = f"Stale: {rating_name.lower()} for an earlier version of the claim"
    claim_api_url = drf_reverse("claim-detail", kwargs={"claim_id": claim.pk}, request=request)
    review_url = drf_reverse(
        "claim-review-detail",
        kwargs={"claim_id": claim.pk, "review_id": review.pk},
        request=request,
    )
    page = claim_page_url(claim, request)
    concept_url = drf_reverse(
        "concept-detail",
        kwargs={"area": claim.concept.area, "slug": claim.concept.slug},
        request=request,
    )
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "@id": review_url,
        "url": f"{page}#review-{review.sequence}",
        "identifier": f"{claim.key}@review-{review.sequence}",
        "claimReviewed": selectors.claim_headline(claim.text),
        "itemReviewed": {
            "@type": "Claim",
            "@id": claim_api_url,
            "identifier": claim.key,
            "name": selectors.claim_headline(claim.text),
            "text": claim.text,
            "url": page,
            "appearance": {
                "@type": "CreativeWork",
                "name": claim.concept.title,
                "identifier": claim.concept.key,
                "url": concept_url,
            },
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING[review.verdict],
            "bestRating": 4,
            "worstRating": 1,
            "alternateName": rating_name,
        },
        "author": review_author(review, request),
        "datePublished": review.reviewed_on.isoformat(),
        "reviewBody": review.summary,
        "text": review.scope_text,
        "creativeWorkStatus": "stale" if stale else "current",
        "citation": [
            {
                "@type": "CreativeWork",
                "identifier": f"source:{key}",
                "name": sources[key]["title"] if key in sources else key,
                **({"url": sources[key]["url"]} if key in sources and sources[key]["url"] else {}),
            }
            for key in review.sources_checked
        ],
    }
