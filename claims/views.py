"""The public HTML pages a person opens: a claim with its sources and reviews, and a reviewer.

The same visibility as the API: a claim of an unpublished concept, or a draft or retired claim,
is a 404 for anyone who may not see it.
"""

import json

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from . import selectors
from .jsonld import claim_page_url, claim_review_jsonld, review_author, reviewer_page_url
from .models import Badge

# What json_script escapes, so that no string in the data can close the <script> element.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _json_ld(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=2).translate(_SCRIPT_ESCAPES)
    # Safe: json.dumps quotes every string and the escapes above keep it inside the element.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')


@require_safe
def claim_page(request, claim_id: int):
    row = selectors.claim_detail(user=request.user, claim_id=claim_id)
    if row is None:
        raise Http404("No claim has this id.")
    claim = row.claim
    reviews = [
        {
            "review": review,
            "stale": selectors.review_is_stale(review=review, claim=claim),
            "reviewer_url": reviewer_page_url(review.reviewer_uid, request)
            if review.reviewer_uid
            else "",
        }
        for review in row.review_history or []
    ]
    jsonld = (
        claim_review_jsonld(row=row, review=row.latest_review, request=request)
        if row.latest_review
        else None
    )
    api_url = request.build_absolute_uri(reverse("claim-detail", kwargs={"claim_id": claim.pk}))
    context = {
        "claim": claim,
        "sources": row.source_links,
        "headline": selectors.claim_headline(claim.text),
        "badge_label": Badge(selectors.claim_badge(claim=claim)).label,
        "page_url": claim_page_url(claim, request),
        "api_url": api_url,
        "jsonld_url": f"{api_url}claim-review.jsonld" if jsonld else "",
        "jsonld": _json_ld(jsonld) if jsonld else "",
        "reviews": reviews,
    }
    return TemplateResponse(request, "claims/claim_page.html", context)


@require_safe
def reviewer_page(request, uid):
    reviews = selectors.reviews_by_reviewer(uid=str(uid), user=request.user)
    if not reviews:
        raise Http404("No review you may see was signed by this reviewer.")
    rows = [
        {"review": review, "claim_url": claim_page_url(review.claim, request)} for review in reviews
    ]
    person = {"@context": "https://schema.org", **review_author(reviews[0], request)}
    context = {
        "label": reviews[0].reviewer_label,
        "uid": uid,
        "rows": rows,
        "jsonld": _json_ld(person),
    }
    return TemplateResponse(request, "claims/reviewer_page.html", context)
