import pytest
from django.test import Client

from claims.models import ClaimReview

from .factories import record_review, source_keys, witness_keys

pytestmark = pytest.mark.django_db


def change_url(claim) -> str:
    return f"/admin/claims/claim/{claim.pk}/change/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """What the browser would send back for the rendered claim page, unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = getattr(value, "pk", value) if value is not None else ""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, 0)
        for form in formset.initial_forms:
            data[f"{form.prefix}-id"] = form.instance.pk
            data[f"{form.prefix}-claim"] = form.instance.claim_id
            for name in form.fields:
                if name not in ("id", "claim", "DELETE"):
                    value = form.initial.get(name)
                    data[f"{form.prefix}-{name}"] = getattr(value, "pk", value)
    return data


def review_prefix(response) -> str | None:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is ClaimReview and inline.has_add_permission:
            return inline.formset.prefix
    return None


def new_review_fields(prefix: str, claim, **overrides) -> dict:
    values = {
        "verdict": "substantively_reviewed",
        "reviewer_label": "",
        "reviewed_on": "",
        "summary": "Both sources support the mechanism.",
        "scope_covers": "Reviews only preference-modeling mechanics.",
        "scope_excludes": "reward as true human objective.",
        "sources_checked": source_keys(claim),
        "witnesses_checked": witness_keys(claim),
    }
    values.update(overrides)
    return {f"{prefix}-0-{name}": value for name, value in values.items()}


def test_a_reviewer_records_a_review_from_the_claim_page(claim, reviewer, editor):
    """The claim page has an add-only review form; saving it appends a review by the logged-in
    reviewer, whatever reviewer id the request tries to slip in."""
    client = logged_in(reviewer)
    page = client.get(change_url(claim))
    assert page.status_code == 200
    prefix = review_prefix(page)
    assert prefix is not None
    data = form_data(page)
    data.update(new_review_fields(prefix, claim))
    data[f"{prefix}-0-reviewer"] = editor.pk
    response = client.post(change_url(claim), data)
    assert response.status_code == 302, getattr(response, "context", {}) and [
        formset.errors for formset in response.context["inline_admin_formsets"]
    ]
    review = ClaimReview.objects.get()
    assert review.reviewer == reviewer
    assert review.sequence == 1
    assert review.sources_checked == source_keys(claim)


def test_the_admin_review_form_refuses_bad_input_per_field(claim, reviewer):
    """A blank scope or a forged label comes back as form errors; nothing is recorded."""
    client = logged_in(reviewer)
    page = client.get(change_url(claim))
    prefix = review_prefix(page)
    data = form_data(page)
    data.update(new_review_fields(prefix, claim, scope_excludes="", reviewer_label="edith"))
    response = client.post(change_url(claim), data)
    assert response.status_code == 200
    errors = [
        form.errors
        for inline in response.context["inline_admin_formsets"]
        for form in inline.formset.forms
        if form.errors
    ]
    assert errors and {"scope_excludes", "reviewer_label"} <= set(errors[0])
    assert not ClaimReview.objects.exists()


def test_a_reviewer_cannot_edit_the_claim(claim, reviewer):
    """For a reviewer the claim's own fields are read-only: a posted text is ignored."""
    client = logged_in(reviewer)
    page = client.get(change_url(claim))
    data = form_data(page)
    data["text"] = "Rewritten by a reviewer."
    client.post(change_url(claim), data)
    claim.refresh_from_db()
    assert claim.text != "Rewritten by a reviewer."


def test_an_editor_curates_but_cannot_record_a_review(claim, editor):
    """An editor sees no review form; a posted review is ignored while the edit is saved."""
    client = logged_in(editor)
    page = client.get(change_url(claim))
    assert review_prefix(page) is None
    data = form_data(page)
    data["text"] = "Edited by the editor."
    data.update(new_review_fields("reviews", claim))
    response = client.post(change_url(claim), data)
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.text == "Edited by the editor."
    assert not ClaimReview.objects.exists()


def test_history_is_read_only_and_marks_stale_reviews(claim, reviewer, editor):
    """The claim page lists past reviews read-only, the stale one marked."""
    record_review(claim, reviewer)
    claim.text = "Changed after review."
    claim.save()
    page = logged_in(editor).get(change_url(claim))
    content = page.content.decode()
    assert "review history" in content.lower()
    assert ">stale<" in content
    history = [
        inline
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ClaimReview
    ]
    assert all(not inline.has_change_permission for inline in history)
    assert all(not inline.has_delete_permission for inline in history)


def test_nobody_can_change_or_delete_a_review_in_the_admin(claim, reviewer, admin_user):
    """Even a superuser gets a read-only review page, 403 on POST and on delete."""
    review = record_review(claim, reviewer)
    client = logged_in(admin_user)
    url = f"/admin/claims/claimreview/{review.pk}/"
    page = client.get(f"{url}change/")
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert client.post(f"{url}change/", {"summary": "forged"}).status_code == 403
    assert client.get(f"{url}delete/").status_code == 403
    assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/claims/claimreview/add/").status_code == 403
    changelist = client.get("/admin/claims/claimreview/")
    assert "delete_selected" not in changelist.content.decode()
    assert ClaimReview.objects.get(pk=review.pk).summary == review.summary


def test_the_claim_changelist_filters_by_badge(claim, reviewer, editor):
    """The admin list offers the badges as a filter, computed in SQL."""
    record_review(claim, reviewer)
    client = logged_in(editor)
    response = client.get("/admin/claims/claim/", {"badge": "substantively_reviewed"})
    assert response.status_code == 200
    assert claim.key in response.content.decode()
    response = client.get("/admin/claims/claim/", {"badge": "unreviewed"})
    assert claim.key not in response.content.decode()
