import json

import pytest

from concepts.models import Concept, ConceptObject, ConceptRevision

from .factories import ConceptFactory, ConceptObjectFactory, SectionFactory
from .test_admin import change_data, change_url

pytestmark = pytest.mark.django_db

BROKEN = r"\Delta = r_\phi(x,y_w)-\fracc{r_\phi}{(x,y_\ell)}."


def preview_url(concept: Concept) -> str:
    return f"/admin/concepts/concept/{concept.pk}/preview/"


def form_data(concept: Concept, **bodies: str) -> dict:
    """The change form as the admin posts it, with the concept's sections and objects as
    stored, except the object bodies given by anchor."""
    data = change_data(concept)
    sections = list(concept.sections.all())
    objects = list(concept.page_objects.all())
    for prefix, rows in (("sections", sections), ("page_objects", objects)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
    for index, section in enumerate(sections):
        for name in ("id", "kind", "order", "title", "summary", "prompt", "section_prompt"):
            data[f"sections-{index}-{name}"] = getattr(section, name)
        data[f"sections-{index}-body"] = section.body
        data[f"sections-{index}-concept"] = concept.pk
    for index, obj in enumerate(objects):
        for name in ("id", "kind", "anchor", "order", "title", "language", "demo_kind"):
            data[f"page_objects-{index}-{name}"] = getattr(obj, name)
        data[f"page_objects-{index}-section"] = obj.section_id or ""
        data[f"page_objects-{index}-params"] = json.dumps(obj.params)
        data[f"page_objects-{index}-expected_output"] = obj.expected_output
        data[f"page_objects-{index}-body"] = bodies.get(obj.anchor, obj.body)
        data[f"page_objects-{index}-concept"] = concept.pk
    return data


def test_the_preview_renders_every_equation_of_the_rlhf_page(loaded, editor_admin):
    """The stored RLHF page previews as learners see it: MathML for each equation, no error,
    and the JSON response below."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    html = editor_admin.get(preview_url(rlhf)).content.decode()
    assert 'id="preview-ok">Every equation renders.' in html
    assert html.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') >= 30
    assert "render-error" not in html.replace("render-error {", "")
    assert "&quot;key&quot;: &quot;concept:alignment/rlhf&quot;" in html


def test_the_change_form_has_the_preview_panel_for_editors_only(
    loaded, editor_admin, reviewer_admin
):
    """An editor's change form carries the panel's toggle, its Preview button and the panel; a
    reviewer, who may only view, gets none of them."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    editor_page = editor_admin.get(change_url(rlhf)).content.decode()
    assert f'formaction="{preview_url(rlhf)}"' in editor_page
    assert 'formtarget="concept-preview"' in editor_page and 'form="concept_form"' in editor_page
    assert f'data-src="{preview_url(rlhf)}?panel=1"' in editor_page
    assert 'id="preview-toggle"' in editor_page
    reviewer_page = reviewer_admin.get(change_url(rlhf)).content.decode()
    assert 'id="preview-panel"' not in reviewer_page and 'id="preview-toggle"' not in reviewer_page


def test_the_panel_is_framed_by_this_site_only(loaded, editor_admin):
    """The panel page may be framed by the admin itself, and is a bare page of previews."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    response = editor_admin.get(f"{preview_url(rlhf)}?panel=1")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert 'id="preview-state">As stored.' in html
    assert 'id="header"' not in html and "<math" in html


def test_posting_the_form_previews_unsaved_edits_with_the_error_named(loaded, editor_admin):
    """A typo in an equation, posted from the change form, is shown with its key, line and
    column and the field to fix it in; nothing is stored."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    revisions = ConceptRevision.objects.filter(concept=rlhf).count()
    response = editor_admin.post(preview_url(rlhf), form_data(rlhf, **{"reward-gap": BROKEN}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unsaved changes: nothing is stored until you save." in html
    assert "1 equation does not render" in html
    index = list(rlhf.page_objects.values_list("anchor", flat=True)).index("reward-gap")
    assert f'data-field="id_page_objects-{index}-body" data-offset="23"' in html
    assert "<code>equation:alignment/rlhf#reward-gap</code></a>,\n      line 1, column 24: " in html
    assert "unknown command \\fracc" in html
    stored = ConceptObject.objects.get(concept=rlhf, anchor="reward-gap")
    assert "fracc" not in stored.body
    assert ConceptRevision.objects.filter(concept=rlhf).count() == revisions


def test_the_fixed_equation_previews_as_mathml(loaded, editor_admin):
    """With the typo fixed, the same post previews the equation as MathML and no error."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    fixed = r"\Delta = r_\phi(x,y_w)-\frac{r_\phi}{(x,y_\ell)}."
    html = editor_admin.post(
        preview_url(rlhf), form_data(rlhf, **{"reward-gap": fixed})
    ).content.decode()
    assert 'id="preview-ok"' in html and "<mfrac>" in html


def test_a_reviewer_cannot_post_a_preview(loaded, reviewer_admin):
    """Previewing unsaved edits belongs to those who may edit: a reviewer's post is refused."""
    rlhf = Concept.objects.get(area="alignment", slug="rlhf")
    assert reviewer_admin.post(preview_url(rlhf), form_data(rlhf)).status_code == 403
    assert reviewer_admin.get(preview_url(rlhf)).status_code == 200


def test_a_hostile_body_is_sanitized_in_the_preview(editor_admin):
    """Script and event handlers posted in a body never reach the preview page."""
    concept = ConceptFactory(area="a", slug="b")
    SectionFactory(concept=concept, kind="math", body="Hi")
    ConceptObjectFactory(concept=concept, kind="misconception", anchor="m", body="x")
    hostile = '<script>alert(1)</script><img src="x.png" onerror="alert(2)"> $a$'
    data = form_data(concept, m=hostile)
    data["sections-0-body"] = hostile
    html = editor_admin.post(preview_url(concept), data).content.decode()
    assert "alert(1)" not in html and "onerror" not in html
    assert html.count('<img src="x.png">') == 2


def test_a_deleted_row_is_left_out_of_the_preview(editor_admin):
    """An object marked for deletion in the form is not previewed."""
    concept = ConceptFactory(area="a", slug="b")
    ConceptObjectFactory(concept=concept, kind="equation", anchor="gone", body=r"\fracc")
    data = form_data(concept)
    data["page_objects-0-DELETE"] = "on"
    html = editor_admin.post(preview_url(concept), data).content.decode()
    assert "equation:a/b#gone" not in html and 'id="preview-ok"' in html


@pytest.mark.parametrize("size", [1, 40])
def test_the_panel_costs_the_same_queries_whatever_the_page_holds(
    editor_admin, django_assert_max_num_queries, size
):
    """40 objects cost the panel no more queries than one."""
    concept = ConceptFactory(area="a", slug="b")
    SectionFactory(concept=concept, kind="math", body="{{equation:object-0}}")
    for index in range(size):
        ConceptObjectFactory(concept=concept, anchor=f"object-{index}")
    with django_assert_max_num_queries(12):
        response = editor_admin.get(f"{preview_url(concept)}?panel=1")
    assert response.content.decode().count("<math") == size + 1
