"""Claims in the admin: editors curate claims; reviewers record reviews from the claim's page.

Reviews are shown read-only, with stale ones marked. Nobody, superusers included, can change or
delete one here; a new review goes through claims.reviews.review_record with the logged-in user
as its reviewer (the form has no reviewer field). The review queue (unreviewed and stale claims,
longest-waiting first) is a page of the claim admin, read by the same selector as the API.
"""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.html import format_html

from learning_platform.roles import is_reviewer

from . import admin_review, selectors
from .models import Badge, Claim, ClaimReview, ClaimSource, ClaimVerification, ClaimWitness
from .reviews import review_validate, reviewer_label_validate

REVIEW_QUEUE_PAGE_SIZE = admin_review.REVIEW_QUEUE_PAGE_SIZE


def _can_review(request) -> bool:
    return request.user.has_perm("claims.add_claimreview") and is_reviewer(request.user)


def _stale_mark(text: str) -> str:
    return format_html('<strong class="stale" style="color:#b45309">{}</strong>', text)


def _state(review: ClaimReview, claim: Claim) -> str:
    if selectors.review_is_stale(review=review, claim=claim):
        return _stale_mark("stale")
    return "current"


class ClaimSourceInline(admin.TabularInline):
    model = ClaimSource
    extra = 0
    autocomplete_fields = ["source"]
    fields = ["source", "locator", "order"]


class ClaimWitnessInline(admin.TabularInline):
    model = ClaimWitness
    extra = 0
    autocomplete_fields = ["concept_object"]
    fields = ["concept_object", "order"]


class ReviewRecordForm(forms.ModelForm):
    """A new review. The reviewer is the logged-in user: there is no field to name another."""

    sources_checked = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    witnesses_checked = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ClaimReview
        fields = [
            "verdict",
            "reviewer_label",
            "reviewed_on",
            "summary",
            "scope_covers",
            "scope_excludes",
            "sources_checked",
            "witnesses_checked",
        ]

    def __init__(self, *args, claim: Claim | None = None, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim, self.request = claim, request
        label, reviewed_on = self.fields["reviewer_label"], self.fields["reviewed_on"]
        label.required = reviewed_on.required = False
        label.help_text = "Defaults to your username; you may qualify it, e.g. rita+oracle."
        reviewed_on.help_text = "Defaults to today."
        if claim is not None and claim.pk:
            # Both fields are declared above as MultipleChoiceFields.
            sources = cast(forms.MultipleChoiceField, self.fields["sources_checked"])
            witnesses = cast(forms.MultipleChoiceField, self.fields["witnesses_checked"])
            sources.choices = [
                (
                    link.source.key,
                    f"{link.source.key} ({link.locator})" if link.locator else link.source.key,
                )
                for link in claim.claim_sources.select_related("source")
            ]
            witnesses.choices = [
                (link.concept_object.key, link.concept_object.key)
                for link in claim.claim_witnesses.select_related("concept_object__concept")
            ]

    def clean(self):
        data = super().clean()
        assert data is not None  # ModelForm.clean returns the cleaned data
        if self.claim is None or not self.has_changed():
            return data
        try:
            data["reviewer_label"] = reviewer_label_validate(
                reviewer=self.request.user, reviewer_label=data.get("reviewer_label")
            )
            data.update(
                review_validate(
                    claim=self.claim,
                    verdict=data.get("verdict") or "",
                    summary=data.get("summary") or "",
                    scope_covers=data.get("scope_covers") or "",
                    scope_excludes=data.get("scope_excludes") or "",
                    sources_checked=data.get("sources_checked") or [],
                    witnesses_checked=data.get("witnesses_checked") or [],
                )
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data

    def _post_clean(self):
        # The row is written by review_record, not by this form: skip model validation here.
        pass


class ReviewRecordInline(admin.StackedInline):
    """Add-only: one blank review form, for reviewers only."""

    model = ClaimReview
    form = ReviewRecordForm
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "new review"
    verbose_name_plural = "record a review"

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Formset(formset):  # type: ignore[valid-type,misc]  # the base is built per request
            def get_form_kwargs(self, index):
                return {**super().get_form_kwargs(index), "claim": obj, "request": request}

        return Formset

    def has_add_permission(self, request, obj=None):
        return obj is not None and _can_review(request)

    def has_view_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewHistoryInline(admin.TabularInline):
    """Every review of the claim, newest first, read-only; stale ones marked."""

    model = ClaimReview
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "review history"
    readonly_fields = (
        "sequence",
        "state",
        "verdict",
        "reviewer",
        "reviewer_label",
        "reviewed_on",
        "summary",
        "scope",
    )
    fields = readonly_fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewer", "claim")

    @admin.display(description="state")
    def state(self, review: ClaimReview) -> str:
        return _state(review, review.claim)

    @admin.display(description="scope")
    def scope(self, review: ClaimReview) -> str:
        return review.scope_text

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BadgeFilter(admin.SimpleListFilter):
    title = "badge"
    parameter_name = "badge"

    def lookups(self, request, model_admin):
        return Badge.choices

    def queryset(self, request, queryset):
        if self.value() in Badge.values:
            return queryset.filter(badge=self.value())
        return queryset


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["key", "concept", "status", "badge", "latest_reviewed_on"]
    list_filter = [BadgeFilter, "status", "concept"]
    search_fields = ["key", "text"]
    list_select_related = ["concept", "latest_review"]
    autocomplete_fields = ["concept"]
    readonly_fields = ["fingerprint", "badge", "latest_review_display"]
    fields = [
        "concept",
        "key",
        "text",
        "support_note",
        "status",
        "order",
        "badge",
        "fingerprint",
        "latest_review_display",
    ]

    def get_inlines(self, request, obj):
        return [ClaimSourceInline, ClaimWitnessInline, ReviewRecordInline, ReviewHistoryInline]

    def get_urls(self):
        return [
            path(
                "review-queue/",
                self.admin_site.admin_view(self.review_queue_view),
                name="claims_claim_review_queue",
            ),
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_page_view),
                name="claims_claim_review",
            ),
            *super().get_urls(),
        ]

    def review_queue_view(self, request):
        return admin_review.review_queue_view(self, request)

    def review_page_view(self, request, object_id):
        return admin_review.review_page_view(
            self, request, object_id, can_review=_can_review, form_base=ReviewRecordForm
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_review": _can_review(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="badge", ordering="badge")
    def badge(self, claim: Claim) -> str:
        if claim.pk is None:
            return "—"
        badge = selectors.claim_badge(claim=claim)
        label = Badge(badge).label
        return _stale_mark(label) if badge == Badge.STALE else label

    @admin.display(description="latest review")
    def latest_review_display(self, claim: Claim) -> str:
        review = claim.latest_review if claim.pk else None
        if review is None:
            return "—"
        url = reverse("admin:claims_claimreview_change", args=[review.pk])
        verdict = ClaimReview.Verdict(review.verdict).label
        return format_html(
            '<a href="{}">#{}</a>: {} by {} on {}',
            url,
            review.sequence,
            verdict,
            review.reviewer_label,
            review.reviewed_on,
        )

    @admin.display(description="last reviewed", ordering="latest_review__reviewed_on")
    def latest_reviewed_on(self, claim: Claim):
        return claim.latest_review.reviewed_on if claim.latest_review else None

    def _is_curator(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        # A reviewer opens a claim's page to record a review: the page accepts the POST, but
        # every claim field stays read-only for anyone who is not also an editor.
        if self._is_curator(request, obj):
            return True
        return obj is not None and _can_review(request)

    def get_readonly_fields(self, request, obj=None):
        if not self._is_curator(request, obj):
            return [*self.fields]
        if obj is not None and obj.latest_review_id is not None:
            return [*self.readonly_fields, "concept", "key"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if self._is_curator(request, obj):
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ClaimReview:
            super().save_formset(request, form, formset, change)
            return
        claim = form.instance
        # The admin's change message reads these; the rows are written by review_record.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for review_form in formset.forms:
            if not review_form.has_changed() or not _can_review(request):
                continue
            data = review_form.cleaned_data
            review = admin_review.review_record_from_form(
                claim=claim, reviewer=request.user, data=data
            )
            formset.new_objects.append(review)
            messages.success(request, f"Review #{review.sequence} recorded for {claim.key}.")

    def save_related(self, request, form, formsets, change):
        # Curation first, the review last: it fingerprints the claim as just saved.
        ordered = sorted(formsets, key=lambda formset: formset.model is ClaimReview)
        super().save_related(request, form, ordered, change)


@admin.register(ClaimReview)
class ClaimReviewAdmin(admin.ModelAdmin):
    """The full review trail, read-only for everyone."""

    list_display = [
        "claim",
        "sequence",
        "state",
        "verdict",
        "reviewer",
        "reviewer_label",
        "reviewed_on",
    ]
    list_filter = ["verdict", "reviewed_on"]
    search_fields = ["claim__key", "reviewer__username", "reviewer_label", "summary"]
    list_select_related = ["claim", "reviewer"]
    readonly_fields = (
        "claim",
        "sequence",
        "state",
        "reviewer",
        "reviewer_label",
        "verdict",
        "summary",
        "scope_covers",
        "scope_excludes",
        "sources_checked",
        "witnesses_checked",
        "reviewed_on",
        "recorded_at",
        "fingerprint",
        "previous_hash",
        "hash",
        "reviewer_uid",
        "log_index",
        "log_head",
        "signing_key_id",
        "signature",
    )
    fields = readonly_fields

    @admin.display(description="state")
    def state(self, review: ClaimReview) -> str:
        return _state(review, review.claim)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClaimVerification)
class ClaimVerificationAdmin(admin.ModelAdmin):
    list_display = ["claim", "outcome", "invariant", "verified_at", "verified_by"]
    list_filter = ["outcome"]
    list_select_related = ["claim", "verified_by"]
    readonly_fields = (
        "claim",
        "outcome",
        "invariant",
        "result_hash",
        "witness_code_version",
        "fingerprint",
        "record",
        "verified_at",
        "verified_by",
        "signing_key_id",
        "signature",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
