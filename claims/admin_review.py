"""The reviewer's page and the review queue, as pages of the claim admin.

The review page shows, side by side, the claim with what changed since its latest review and
the form that records a review; below, each cited source with its locator and snapshot and
each witness whole. Saving calls claims.reviews.review_record (with the fingerprint the page
showed, so a claim changed meanwhile is refused, not certified) and goes on to the next claim
in the queue, with the same filters.
"""

from typing import Any, Protocol
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from concepts.rendering import render_markdown, render_object
from concepts.selectors import concept_list

from . import review_selectors
from .models import Claim, ClaimReview
from .review_selectors import QUEUE_AGES, QUEUE_REASONS, QueueFilters
from .reviews import review_record
from .selectors import claims_with_links

REVIEW_QUEUE_PAGE_SIZE = 100

VERDICT_HELP = (
    "Substantively reviewed: the cited passages and the witnesses support the claim within the "
    "scope below. Source checked: the passages say what the claim says; the mechanism was not "
    "checked. Needs changes or Disputed: say why in the summary; the claim leaves the queue "
    "and shows as disputed until it is changed and reviewed again."
)
SUMMARY_HELP = (
    "What you checked and what you found, for the page's reader, e.g. "
    '"Both sources support the two-stage mechanism; the code witness reproduces the reward gap."'
)
COVERS_HELP = (
    'The page prints it first: start with "Reviews only", e.g. '
    '"Reviews only preference-modeling mechanics."'
)
EXCLUDES_HELP = (
    'The page prints it after "It does not certify", e.g. "reward as true human objective." '
    'reads "… It does not certify reward as true human objective."'
)


class ReviewFormClass(Protocol):
    """A review form class: a ModelForm's arguments, with the claim reviewed and the request."""

    def __call__(
        self,
        *args: Any,
        claim: Claim | None = ...,
        request: HttpRequest | None = ...,
        **kwargs: Any,
    ) -> forms.ModelForm: ...


def review_form_class(base: type[forms.ModelForm]) -> ReviewFormClass:
    """The claim page's review form with the fingerprint the page showed and help that
    explains each field with the page's own example."""

    class ReviewPageForm(base):  # type: ignore[valid-type,misc]  # the base is a parameter
        fingerprint = forms.CharField(widget=forms.HiddenInput)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, text in (
                ("verdict", VERDICT_HELP),
                ("summary", SUMMARY_HELP),
                ("scope_covers", COVERS_HELP),
                ("scope_excludes", EXCLUDES_HELP),
            ):
                self.fields[name].help_text = text
            for name in ("summary", "scope_covers", "scope_excludes"):
                self.fields[name].widget.attrs.update({"rows": 3, "class": "fitted"})

        def has_changed(self):
            return True  # a page posted to record a review always means to record one

    return ReviewPageForm


def review_record_from_form(*, claim: Claim, reviewer, data: dict, **extra) -> ClaimReview:
    """A review from either admin form's cleaned data, through the one service that writes
    reviews (``extra``: the fingerprint the reviewer's page showed)."""
    return review_record(
        claim=claim,
        reviewer=reviewer,
        verdict=data["verdict"],
        summary=data["summary"],
        scope_covers=data["scope_covers"],
        scope_excludes=data["scope_excludes"],
        sources_checked=data["sources_checked"],
        witnesses_checked=data["witnesses_checked"],
        reviewer_label=data["reviewer_label"],
        reviewed_on=data.get("reviewed_on"),
        **extra,
    )


def _filters_query(filters: QueueFilters) -> str:
    query = filters.query()
    return f"?{urlencode(query)}" if query else ""


def review_queue_view(model_admin, request):
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    filters = QueueFilters.from_query(request.GET)
    queue = review_selectors.review_queue_filtered(user=request.user, filters=filters)
    page = Paginator(queue.select_related("concept"), REVIEW_QUEUE_PAGE_SIZE).get_page(
        request.GET.get("p")
    )
    rows = review_selectors.review_queue_rows(page.object_list)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Review queue",
        "page": page,
        "rows": [(row["claim"], row["badge"]) for row in rows],
        "queue_rows": rows,
        "filters": filters,
        "filters_query": _filters_query(filters),
        "concepts": concept_list(user=request.user)
        .filter(claims__isnull=False)
        .distinct()
        .order_by("area", "slug")
        .values_list("pk", "area", "slug"),
        "reasons": [(value, badge.label) for value, badge in QUEUE_REASONS.items()],
        "ages": QUEUE_AGES,
    }
    return TemplateResponse(request, "admin/claims/claim/review_queue.html", context)


def review_page_view(model_admin, request, object_id, *, can_review, form_base):
    claim = model_admin.get_object(request, object_id)
    if claim is None:
        raise Http404("No such claim.")
    if not can_review(request):
        raise PermissionDenied
    filters = QueueFilters.from_query(request.GET)
    [row] = claims_with_links([claim.pk])
    claim, review = row.claim, row.latest_review
    form_class = review_form_class(form_base)
    if request.method == "POST":
        form = form_class(request.POST, claim=claim, request=request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                recorded = review_record_from_form(
                    claim=claim, reviewer=request.user, data=data, fingerprint=data["fingerprint"]
                )
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    form.add_error(None if name == "fingerprint" else name, errors)
            else:
                messages.success(request, f"Review #{recorded.sequence} recorded for {claim.key}.")
                return HttpResponseRedirect(_next_url(request, filters, after=claim))
    else:
        form = form_class(initial={"fingerprint": claim.fingerprint}, claim=claim, request=request)
    changes = review_selectors.claim_changes_since_review(row=row)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": claim,
        "title": f"Review {claim.key}",
        "claim": claim,
        "latest_review": review,
        "verdict_label": ClaimReview.Verdict(review.verdict).label if review else "",
        "changes": changes,
        "claim_html": render_markdown(claim.text, key=claim.key).html,
        "evidence": _evidence_rendered(review_selectors.claim_review_evidence(claim=claim)),
        "form": form,
        "media": model_admin.media + form.media,
        "filters_query": _filters_query(filters),
        "queue_url": reverse("admin:claims_claim_review_queue") + _filters_query(filters),
    }
    return TemplateResponse(request, "admin/claims/claim/review.html", context)


def _evidence_rendered(evidence: dict) -> dict:
    """Each witness as learners see it on the page (MathML, code blocks, Markdown), sanitized."""
    for item in evidence["witnesses"]:
        witness = item["object"]
        item["html"] = render_object(
            key=witness.key,
            kind=witness.kind,
            body=witness.body,
            language=witness.language or "",
            params=witness.params or {},
        ).html
    return evidence


def _next_url(request, filters: QueueFilters, *, after: Claim) -> str:
    """The next claim's review page in the same queue, or the queue when none is left."""
    following = review_selectors.review_queue_next(user=request.user, filters=filters, after=after)
    query = _filters_query(filters)
    if following is None:
        messages.info(request, "No other claim is waiting in this queue.")
        return reverse("admin:claims_claim_review_queue") + query
    return reverse("admin:claims_claim_review", args=[following.pk]) + query
