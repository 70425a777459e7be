import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from concepts.models import ConceptRevision, Prerequisite
from learning_platform.admin_layout import TEXTAREA_ROWS_MAX, rows_for

from .factories import ConceptFactory, ConceptObjectFactory, PrerequisiteFactory, SectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_admin(editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def inline_headings(response) -> dict[str, str]:
    return {
        inline.formset.prefix: inline.opts.verbose_name_plural
        for inline in response.context["inline_admin_formsets"]
    }


def test_each_inline_is_collapsed_under_a_heading_with_its_count(editor_admin):
    """The concept page collapses every kind of inline and says how many rows each holds."""
    concept = ConceptFactory()
    SectionFactory(concept=concept)
    ConceptObjectFactory.create_batch(3, concept=concept)
    response = editor_admin.get(f"/admin/concepts/concept/{concept.pk}/change/")
    headings = inline_headings(response)
    assert headings["sections"] == "sections (1)"
    assert headings["page_objects"] == "objects (equations, code, demos, figures) (3)"
    assert headings["prerequisite_edges"].endswith("(0)")
    assert all(inline.is_collapsible for inline in response.context["inline_admin_formsets"])
    assert response.content.decode().count("<details>") >= len(headings)


def test_a_long_body_gets_a_textarea_sized_to_it(editor_admin):
    """A section body's textarea has as many rows as its lines, up to the cap."""
    concept = ConceptFactory()
    section = SectionFactory(concept=concept, body="\n".join(["line"] * 9))
    page = editor_admin.get(f"/admin/concepts/section/{section.pk}/change/").content.decode()
    assert 'rows="9"' in page and "fitted" in page
    assert rows_for("x\n" * 500) == TEXTAREA_ROWS_MAX
    assert rows_for("") == 2


def test_each_inline_row_links_to_a_change_page_of_its_own(editor_admin):
    """Sections, objects and edges each open on their own page, where a long edit is saved
    and recorded as a revision of the concept."""
    concept = ConceptFactory()
    section = SectionFactory(concept=concept)
    obj = ConceptObjectFactory(concept=concept)
    page = editor_admin.get(f"/admin/concepts/concept/{concept.pk}/change/").content.decode()
    assert f"/admin/concepts/section/{section.pk}/change/" in page
    assert f"/admin/concepts/conceptobject/{obj.pk}/change/" in page
    before = ConceptRevision.objects.filter(concept=concept).count()
    response = editor_admin.post(
        f"/admin/concepts/section/{section.pk}/change/",
        {
            "order": section.order,
            "kind": section.kind,
            "title": section.title,
            "summary": section.summary,
            "prompt": section.prompt,
            "section_prompt": section.section_prompt,
            "body": "A longer body, edited on its own page.",
        },
    )
    assert response["Location"] == f"/admin/concepts/concept/{concept.pk}/change/"
    section.refresh_from_db()
    assert section.body == "A longer body, edited on its own page."
    assert ConceptRevision.objects.filter(concept=concept).count() == before + 1


def test_an_edge_page_changes_notes_but_not_which_concepts_it_joins(editor_admin):
    """On an edge's own page its ends are read-only: a posted other concept is ignored (a
    cycle is checked where the ends are chosen, on the concept's page)."""
    edge = PrerequisiteFactory()
    other = ConceptFactory()
    response = editor_admin.post(
        f"/admin/concepts/prerequisite/{edge.pk}/change/",
        {
            "prerequisite": other.pk,
            "carry_in": "Bring the likelihood.",
            "carry_out": "Leave with the gap.",
            "order": 2,
            "next_order": 1,
        },
    )
    assert response.status_code == 302
    edge.refresh_from_db()
    assert edge.prerequisite_id != other.pk
    assert (edge.carry_in, edge.carry_out, edge.order) == (
        "Bring the likelihood.",
        "Leave with the gap.",
        2,
    )
    assert editor_admin.get("/admin/concepts/prerequisite/add/").status_code == 403
    assert Prerequisite.objects.count() == 1


def test_the_row_pages_are_not_listed_on_the_admin_index(editor_admin):
    """The rows are reached from their concept; the index lists concepts and sources only."""
    page = editor_admin.get("/admin/").content.decode()
    assert "/admin/concepts/concept/" in page
    assert "/admin/concepts/section/" not in page


def test_the_witness_autocomplete_hides_objects_of_unpublished_concepts(editor, django_user_model):
    """The witness picker finds objects by title; objects of unpublished concepts only for
    those who may see unpublished concepts."""
    ConceptObjectFactory(title="Reward gap shown", concept__status="published")
    ConceptObjectFactory(title="Reward gap hidden", concept__status="draft")
    viewer = django_user_model.objects.create_user(username="vic", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_conceptobject", "view_claim", "change_claim"]
        )
    )
    query = {
        "term": "Reward gap",
        "app_label": "claims",
        "model_name": "claimwitness",
        "field_name": "concept_object",
    }
    results = {}
    for user in (viewer, editor):
        client = Client()
        client.force_login(user)
        response = client.get("/admin/autocomplete/", query)
        assert response.status_code == 200
        results[user.username] = len(response.json()["results"])
    assert results == {"vic": 1, "edith": 2}
