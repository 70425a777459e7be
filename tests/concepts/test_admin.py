import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from concepts.models import Concept, Prerequisite, SourceSnapshot

from .factories import ConceptFactory, PrerequisiteFactory, SourceFactory

pytestmark = pytest.mark.django_db

INLINE_PREFIXES = (
    "sections",
    "page_objects",
    "prerequisite_edges",
    "related_links",
    "source_links",
    "practice_hints",
)


def change_data(concept: Concept, edges: list[dict] | None = None) -> dict:
    """The concept change form as the admin posts it, with new prerequisite rows."""
    data = {
        field: getattr(concept, field)
        for field in (
            "area",
            "area_title",
            "slug",
            "title",
            "summary",
            "illustration_caption",
            "link_test",
            "status",
            "importance",
            "difficulty",
            "math_level",
            "read_minutes",
            *Concept.LEARNER_FIELDS,
        )
    }
    for prefix in INLINE_PREFIXES:
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    for index, edge in enumerate(edges or []):
        data["prerequisite_edges-TOTAL_FORMS"] = str(index + 1)
        for name, value in {
            "id": "",
            "concept": concept.pk,
            "carry_in": "",
            "carry_out": "",
            "order": index,
            "next_order": 0,
            **edge,
        }.items():
            data[f"prerequisite_edges-{index}-{name}"] = value
    return data


def change_url(concept: Concept) -> str:
    return f"/admin/concepts/concept/{concept.pk}/change/"


def test_cycle_closing_prerequisite_is_a_form_error_naming_the_cycle(editor_admin):
    """Adding b/y as a prerequisite of a/x when a/x is a prerequisite of b/y: form error."""
    x = ConceptFactory(area="a", slug="x")
    y = ConceptFactory(area="b", slug="y")
    PrerequisiteFactory(concept=y, prerequisite=x)
    response = editor_admin.post(change_url(x), change_data(x, [{"prerequisite": y.pk}]))
    assert response.status_code == 200  # the form is shown again with the error
    assert "would close the cycle a/x → b/y → a/x" in response.content.decode()
    assert Prerequisite.objects.count() == 1


def test_self_prerequisite_is_a_form_error(editor_admin):
    """A concept listed as its own prerequisite is refused on the form."""
    x = ConceptFactory(area="a", slug="x")
    response = editor_admin.post(change_url(x), change_data(x, [{"prerequisite": x.pk}]))
    assert response.status_code == 200
    assert "would close the cycle a/x → a/x" in response.content.decode()
    assert not Prerequisite.objects.exists()


def test_editor_adds_a_prerequisite_inline(editor_admin):
    """A valid prerequisite row is saved, with its carry-in note."""
    x = ConceptFactory(area="a", slug="x")
    y = ConceptFactory(area="b", slug="y")
    response = editor_admin.post(
        change_url(x), change_data(x, [{"prerequisite": y.pk, "carry_in": "Bring y."}])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    edge = Prerequisite.objects.get()
    assert (edge.concept, edge.prerequisite, edge.carry_in) == (x, y, "Bring y.")


def test_two_new_rows_that_together_close_a_cycle_are_refused(editor_admin):
    """The check covers the graph as the whole form would leave it."""
    x = ConceptFactory(area="a", slug="x")
    y = ConceptFactory(area="b", slug="y")
    z = ConceptFactory(area="c", slug="z")
    PrerequisiteFactory(concept=y, prerequisite=z)
    PrerequisiteFactory(concept=z, prerequisite=x)
    response = editor_admin.post(change_url(x), change_data(x, [{"prerequisite": y.pk}]))
    assert "would close the cycle a/x → b/y → c/z → a/x" in response.content.decode()


def test_snapshot_upload_shows_its_sha256_and_size(editor_admin):
    """An uploaded snapshot is hashed and measured on save and shown on its page."""
    source = SourceFactory(key="uploaded")
    content = b"A bibliographic record and a summary in our own words.\n"
    response = editor_admin.post(
        "/admin/concepts/sourcesnapshot/add/",
        {
            "source": source.pk,
            "file": SimpleUploadedFile("record.txt", content, content_type="text/plain"),
            "media_type": "",
            "retrieved_on": "2026-05-06",
            "_continue": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    snapshot = SourceSnapshot.objects.get()
    digest = hashlib.sha256(content).hexdigest()
    assert (snapshot.sha256, snapshot.size_bytes, snapshot.media_type) == (
        digest,
        len(content),
        "text/plain",
    )
    page = editor_admin.get(response["Location"]).content.decode()
    assert digest in page and str(len(content)) in page
    source_page = editor_admin.get(f"/admin/concepts/source/{source.pk}/change/").content.decode()
    assert digest in source_page


def test_oversized_snapshot_upload_is_refused(editor_admin, settings):
    """A file over SNAPSHOT_MAX_BYTES is refused with the limit in the message."""
    settings.SNAPSHOT_MAX_BYTES = 8
    source = SourceFactory()
    response = editor_admin.post(
        "/admin/concepts/sourcesnapshot/add/",
        {
            "source": source.pk,
            "file": SimpleUploadedFile("big.txt", b"0123456789"),
            "retrieved_on": "2026-05-06",
        },
    )
    assert response.status_code == 200
    assert "the limit is 8 bytes" in response.content.decode()
    assert not SourceSnapshot.objects.exists()


def test_reviewer_can_view_but_not_change(reviewer_admin):
    """Reviewers see the concept read-only; a POST is forbidden and changes nothing."""
    concept = ConceptFactory(title="Original")
    page = reviewer_admin.get(change_url(concept))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    data = change_data(concept)
    data["title"] = "Changed"
    assert reviewer_admin.post(change_url(concept), data).status_code == 403
    concept.refresh_from_db()
    assert concept.title == "Original"
    assert reviewer_admin.get("/admin/concepts/concept/add/").status_code == 403


def test_learner_has_no_admin(learner):
    """A learner (not staff) is sent to the admin login."""
    client = Client()
    client.force_login(learner)
    response = client.get("/admin/concepts/concept/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_changelist_filters_and_search(editor_admin):
    """The concept list filters by area, status and difficulty and searches titles."""
    ConceptFactory(area="alignment", title="RLHF page", status="published", difficulty=4)
    ConceptFactory(area="statistics", title="Maximum Likelihood", status="draft", difficulty=2)
    page = editor_admin.get(
        "/admin/concepts/concept/?area=alignment&status__exact=published&difficulty=4"
    ).content.decode()
    assert "RLHF page" in page and "Maximum Likelihood" not in page
    page = editor_admin.get("/admin/concepts/concept/?q=likelihood").content.decode()
    assert "Maximum Likelihood" in page and "RLHF page" not in page


def test_prerequisite_autocomplete(editor_admin):
    """The prerequisite field autocompletes concepts by title."""
    ConceptFactory(title="Maximum Likelihood")
    ConceptFactory(title="KL Divergence")
    response = editor_admin.get(
        "/admin/autocomplete/",
        {
            "app_label": "concepts",
            "model_name": "prerequisite",
            "field_name": "prerequisite",
            "term": "likelihood",
        },
    )
    assert response.status_code == 200
    assert [row["text"] for row in response.json()["results"]] == ["Maximum Likelihood"]


def test_preview_shows_what_the_api_serves(loaded, editor_admin, reviewer_admin):
    """The preview renders the detail response, with the LaTeX and code verbatim."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    change = editor_admin.get(change_url(rlhf)).content.decode()
    preview_url = f"/admin/concepts/concept/{rlhf.pk}/preview/"
    assert preview_url in change
    for client in (editor_admin, reviewer_admin):
        page = client.get(preview_url)
        assert page.status_code == 200
        html = page.content.decode()
        assert r"\Delta_\phi(x,y_w,y_\ell) = r_\phi(x,y_w)-r_\phi(x,y_\ell)" in html
        assert "import numpy as np" in html
        assert "4/4 sections ready" in html
        assert "&quot;key&quot;: &quot;concept:alignment/rlhf&quot;" in html


def test_editor_writes_learner_texts_and_a_hint_in_the_concept_form(editor_admin, anon_client):
    """The concept's form edits its learner texts and its practice hints, as the page serves."""
    concept = ConceptFactory(area="a", slug="x")
    data = change_data(concept)
    data["anchored_question"] = "What does x change?"
    data["practice_heading"] = "Try x first"
    data["practice_hints-TOTAL_FORMS"] = "1"
    data.update(
        {
            "practice_hints-0-id": "",
            "practice_hints-0-concept": concept.pk,
            "practice_hints-0-number": "1",
            "practice_hints-0-teaser": "When stuck.",
            "practice_hints-0-body": "Look at x.",
        }
    )
    response = editor_admin.post(change_url(concept), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    learner = anon_client.get(f"/api/v1/concepts/{concept.path}/").json()["learner"]
    assert learner["anchored_question"] == "What does x change?"
    assert learner["practice"]["heading"] == "Try x first"
    assert learner["practice"]["hints"] == [{"number": 1, "teaser": "When stuck."}]
    assert concept.practice_hints.get().body == "Look at x."
