"""Open a form, change nothing, press Save: nothing changes. For every model an editor saves."""

import pytest
from django.core.management import call_command
from django.db.models import DateTimeField
from rest_framework.test import APIClient

from claims.models import Claim, ClaimSource, ClaimWitness
from concepts.models import (
    Concept,
    ConceptObject,
    ConceptRevision,
    ConceptSource,
    PracticeHint,
    Prerequisite,
    RelatedLink,
    Section,
    Source,
)

from . import ui

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"

CONTENT_MODELS = (
    Concept,
    Section,
    ConceptObject,
    Prerequisite,
    RelatedLink,
    ConceptSource,
    Source,
    Claim,
    ClaimSource,
    ClaimWitness,
    PracticeHint,
)


def _state() -> dict[str, list[dict]]:
    """Every stored value of every content row, save the times a save stamps."""
    state = {}
    for model in CONTENT_MODELS:
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if not isinstance(field, DateTimeField) or field.name == "fingerprint_changed_at"
        ]
        state[model.__name__] = list(model.objects.order_by("pk").values(*fields))
    state["revisions"] = list(ConceptRevision.objects.order_by("pk").values("pk", "hash"))
    return state


def test_saving_every_unchanged_form_changes_nothing(
    browser, live_server, admin_login, editor, learner
):
    """An editor opens each change form (concepts with their collapsed inlines, each kind of
    concept row on its own page, sources, claims), presses Save without touching anything: no
    value, revision, fingerprint, badge or draft flag moves, though Chromium sends every
    textarea back with CRLF line endings."""
    call_command("load_content", verbosity=0)
    drafts = APIClient()
    drafts.force_authenticate(learner)
    draft = drafts.post(
        "/api/v1/research-room/drafts/",
        {"anchor": "code:alignment/rlhf#reward-model-and-policy", "question": "Why a shift?"},
        format="json",
    ).json()
    before = _state()
    claim = Claim.objects.get(key=PAGE_CLAIM)
    pages = [
        f"/admin/concepts/concept/{pk}/change/"
        for pk in Concept.objects.values_list("pk", flat=True)
    ]
    pages += [
        f"/admin/concepts/source/{pk}/change/" for pk in Source.objects.values_list("pk", flat=True)
    ]
    pages += [f"/admin/claims/claim/{claim.pk}/change/"]
    # Each kind of concept row on the page of its own that its inline row links to.
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    for model in (Section, ConceptObject, Prerequisite, RelatedLink, ConceptSource, PracticeHint):
        row = model.objects.filter(concept=rlhf).order_by("pk").first()
        pages.append(f"/admin/concepts/{model._meta.model_name}/{row.pk}/change/")
    admin_login("edith", "edith-password")
    saved = 0
    for page in pages:
        ui.visit(browser, f"{live_server.url}{page}")
        if not browser.find_elements("name", "_save"):
            continue  # a page the editor may only view
        ui.save(browser)
        assert "errornote" not in browser.page_source, f"{page}: {ui.main_text(browser)[:400]}"
        saved += 1
    assert saved == len(pages)
    assert _state() == before
    assert drafts.get(f"/api/v1/claims/{claim.pk}/").json()["badge"] == "substantively_reviewed"
    detail = drafts.get(f"/api/v1/research-room/drafts/{draft['id']}/").json()
    assert detail["anchor_changed"] is False
