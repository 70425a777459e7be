import re

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.models import Claim
from concepts.models import Concept, ConceptObject, ConceptRevision, Section
from concepts.revisions import concept_content, content_hash, revision_scope

pytestmark = pytest.mark.django_db

RLHF = "/api/v1/concepts/alignment/rlhf"
PAGE_CLAIM = "claim:alignment/rlhf#preference-rm-kl"


@pytest.fixture
def notebook(db):
    call_command("load_content", verbosity=0)
    return Concept.objects.get(area="alignment", slug="rlhf")


def _revisions(concept: Concept) -> list[str]:
    return list(
        ConceptRevision.objects.filter(concept=concept)
        .order_by("number")
        .values_list("hash", flat=True)
    )


def _form_data(response) -> dict:
    """Every field of an admin change form as the browser would post it back: unchanged
    values, with the CRLF line endings a textarea sends."""
    data: dict = {}

    def add(form) -> None:
        for bound in form:
            value = bound.value()
            if value is None:
                value = ""
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
                continue
            if isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
                continue
            data[bound.html_name] = str(value).replace("\n", "\r\n")

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def test_loading_makes_one_revision_per_concept_and_reloading_none(notebook):
    """load_content records each concept once, as the loader; a second load records nothing."""
    first = _revisions(notebook)
    assert len(first) == 1
    revision = ConceptRevision.objects.get(concept=notebook)
    assert revision.door == ConceptRevision.Door.LOADER and revision.hash == notebook.revision_hash
    assert revision.hash == content_hash(concept_content(notebook))
    call_command("load_content", verbosity=0)
    assert _revisions(notebook) == first


def test_saving_an_unchanged_admin_form_changes_nothing(notebook, editor):
    """Open the concept in the admin, change nothing, press Save: no revision, no fingerprint,
    no badge, no body changes, though the browser sent CRLF."""
    claim = Claim.objects.get(key=PAGE_CLAIM)
    before = (
        _revisions(notebook),
        claim.fingerprint,
        list(Section.objects.values_list("body", flat=True)),
        list(ConceptObject.objects.values_list("body", flat=True)),
    )
    client = Client()
    client.force_login(editor)
    badge = client.get(f"/api/v1/claims/{claim.pk}/").json()["badge"]
    url = f"/admin/concepts/concept/{notebook.pk}/change/"
    response = client.get(url)
    data = _form_data(response)
    assert any("\r\n" in value for value in data.values() if isinstance(value, str))
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    claim.refresh_from_db()
    after = (
        _revisions(notebook),
        claim.fingerprint,
        list(Section.objects.values_list("body", flat=True)),
        list(ConceptObject.objects.values_list("body", flat=True)),
    )
    assert after == before
    assert client.get(f"/api/v1/claims/{claim.pk}/").json()["badge"] == badge


def test_editing_the_equation_in_the_admin_makes_a_revision_by_its_author(notebook, editor):
    """σ(Δ) → σ(2Δ) in the equation's one place: a new revision, attributed and diffable."""
    client = Client()
    client.force_login(editor)
    url = f"/admin/concepts/concept/{notebook.pk}/change/"
    data = _form_data(client.get(url))
    equation = ConceptObject.objects.get(concept=notebook, anchor="preference-witness")
    name = next(
        key
        for key, value in data.items()
        if key.startswith("page_objects-") and key.endswith("-id") and value == str(equation.pk)
    )
    prefix = name.rsplit("-", 1)[0]
    body = data[f"{prefix}-body"]
    data[f"{prefix}-body"] = body.replace(r"\sigma(\Delta_\phi)", r"\sigma(2\Delta_\phi)")
    assert client.post(url, data).status_code == 302
    revision = ConceptRevision.objects.filter(concept=notebook).order_by("-number").first()
    assert revision.number == 2 and revision.author == editor
    assert revision.door == ConceptRevision.Door.ADMIN
    diff = Client().get(f"{RLHF}/diff/").json()
    assert [change["item"] for change in diff["changes"]] == ["equation:preference-witness"]
    assert r"+body: \Delta_\phi" in diff["changes"][0]["diff"]
    assert r"\sigma(2\Delta_\phi)" in diff["changes"][0]["diff"]
    history = client.get(f"/admin/concepts/concept/{notebook.pk}/revisions/")
    assert history.status_code == 200
    page = history.content.decode()
    assert "equation:preference-witness (changed)" in page
    assert r"\sigma(2\Delta_\phi)" in page and "edith" in page


def test_revision_list_detail_and_filtered_diff(notebook):
    """The API lists revisions, serves the page as it was, and diffs one object."""
    first = notebook.revision_hash
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="Retune the demo"):
        demo = ConceptObject.objects.get(concept=notebook, kind="demo")
        demo.params = {**demo.params, "beta": 0.1}
        demo.save()
        section = Section.objects.get(concept=notebook, kind="demo")
        section.title = "Interactive Demo, retuned"
        section.save()
    client = Client()
    listed = client.get(f"{RLHF}/revisions/").json()
    assert [row["number"] for row in listed["results"]] == [2, 1]
    assert listed["results"][0]["reason"] == "Retune the demo"
    assert listed["results"][0]["parent_hash"] == first
    old = client.get(f"{RLHF}/revisions/{first[:12]}/").json()
    assert old["content"]["objects"]["demo:kl-policy"]["params"]["beta"] == 0.7
    math = next(section for section in old["sections"] if section["kind"] == "math")
    assert "$$\n\\Delta = r_\\phi(x,y_w)-r_\\phi(x,y_\\ell).\n$$" in math["body"]
    only = client.get(f"{RLHF}/diff/", {"object": "demo:alignment/rlhf#kl-policy"}).json()
    assert [change["item"] for change in only["changes"]] == ["demo:kl-policy"]
    both = client.get(f"{RLHF}/diff/", {"from": first}).json()
    assert {change["item"] for change in both["changes"]} == {"demo:kl-policy", "section:demo"}
    assert client.get(f"{RLHF}/revisions/deadbeef/").status_code == 404
    assert client.get(f"{RLHF}/diff/", {"from": "nothex!"}).status_code == 404


def test_adding_a_prerequisite_through_the_api_revises_both_pages(notebook, editor_client):
    """An edge changes the learning map of both ends: each gets a revision by the editor."""
    dpo = Concept.objects.get(slug="dpo")
    hacking = Concept.objects.get(slug="reward-hacking")
    before = (len(_revisions(hacking)), len(_revisions(dpo)))
    response = editor_client.post(
        "/api/v1/concepts/alignment/reward-hacking/prerequisites/",
        {"prerequisite": "alignment/dpo", "carry_in": "the DPO loss"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (len(_revisions(hacking)), len(_revisions(dpo))) == (before[0] + 1, before[1] + 1)
    newest = ConceptRevision.objects.filter(concept=hacking).order_by("-number").first()
    assert newest.door == ConceptRevision.Door.API and newest.author_label == "edith"


noise = st.sampled_from(["crlf", "trailing", "nfd", "final-newlines", "leading-blank"])


def _noisy(text: str, kind: str) -> str:
    import unicodedata

    if kind == "crlf":  # what a textarea sends
        return text.replace("\r\n", "\n").replace("\n", "\r\n")
    if kind == "trailing":  # spaces before each line ending, whichever it is
        return re.sub(r"(\r?\n)", r"  \t\1", text)
    if kind == "nfd":
        return unicodedata.normalize("NFD", text)
    if kind == "final-newlines":
        return text + "\n\n\n"
    return "\n\n" + text


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(noise, min_size=1, max_size=3), target=st.integers(0, 1000))
def test_a_no_op_edit_through_the_service_door_never_changes_a_revision(notebook, kinds, target):
    """Whitespace, line endings and Unicode form alone never make a revision or a stale claim."""
    objects = list(ConceptObject.objects.filter(concept=notebook).order_by("pk"))
    sections = list(Section.objects.filter(concept=notebook).order_by("pk"))
    row = (objects + sections)[target % (len(objects) + len(sections))]
    claim = Claim.objects.get(key=PAGE_CLAIM)
    before = (notebook.revision_hash, claim.fingerprint, claim.latest_review_fingerprint)
    text = row.body
    for kind in kinds:
        text = _noisy(text, kind)
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="no-op"):
        row.body = text
        row.save()
    notebook.refresh_from_db()
    claim.refresh_from_db()
    assert (notebook.revision_hash, claim.fingerprint, claim.latest_review_fingerprint) == before


def test_an_old_revision_leaves_out_unpublished_neighbours_for_learners(notebook, editor_client):
    """The page as it was names draft neighbours to editors only, as the live page does."""
    # content/ publishes every neighbour of the RLHF page; unpublish two (without a revision,
    # so the page's revision is the same) to have drafts to leave out.
    Concept.objects.filter(slug__in=["dpo", "kl-divergence"]).update(status=Concept.Status.DRAFT)
    anonymous = Client().get(f"{RLHF}/revisions/{notebook.revision_hash}/").json()["content"]
    edited = editor_client.get(f"{RLHF}/revisions/{notebook.revision_hash}/").json()["content"]
    assert set(edited["prerequisites"]) == {
        "statistics/maximum-likelihood",
        "information-theory/kl-divergence",
        "reinforcement-learning/policy-gradient",
    }
    assert set(anonymous["prerequisites"]) == set(edited["prerequisites"]) - {
        "information-theory/kl-divergence"
    }
    assert set(edited["next"]) == {
        "alignment/dpo",
        "alignment/reward-hacking",
        "reinforcement-learning/ppo",
    }
    assert set(anonymous["next"]) == {"alignment/reward-hacking", "reinforcement-learning/ppo"}


def test_editing_a_learner_text_or_a_hint_makes_a_revision_with_its_diff(notebook, editor_client):
    """The anchored question and each hint are page content: an edit is a revision whose diff
    names the learner texts and the hint."""
    first = notebook.revision_hash
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="Sharpen the question"):
        notebook.anchored_question = "Which smallest example makes RLHF click?"
        notebook.save()
        hint = notebook.practice_hints.get(number=2)
        hint.body = "Compare π*/π_ref for the two best completions."
        hint.save()
    notebook.refresh_from_db()
    assert notebook.revision_hash != first
    diff = editor_client.get(f"{RLHF}/diff/").json()
    assert [change["item"] for change in diff["changes"]] == ["learner", "practice-hint:2"]
    assert "+anchored_question: Which smallest example" in diff["changes"][0]["diff"]


def test_an_old_revision_shows_hint_bodies_to_editors_only(notebook, editor_client):
    """Learners reveal hints one at a time, so the page as it was keeps only their teasers."""
    url = f"{RLHF}/revisions/{notebook.revision_hash}/"
    body = notebook.practice_hints.get(number=1).body
    anonymous = Client().get(url).json()["content"]["practice_hints"]
    assert anonymous["1"] == {"teaser": "Reveal when your model needs a nudge."}
    assert editor_client.get(url).json()["content"]["practice_hints"]["1"]["body"] == body
    with revision_scope(door=ConceptRevision.Door.COMMAND, reason="Reword hint 1"):
        hint = notebook.practice_hints.get(number=1)
        hint.body = "A new first hint."
        hint.save()
    assert body not in Client().get(f"{RLHF}/diff/").content.decode()
