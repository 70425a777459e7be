from pathlib import Path

import pytest
from django.core.management import call_command

from learning_platform.objects import ResolvedObject, object_resolve
from research_room import services
from research_room.handoff import evidence_prefill, handoff_text
from research_room.models import LIST_ITEM_MAX
from research_room.selectors import draft_handoff

from .conftest import RLHF_QUESTION, RLHF_TITLE

pytestmark = pytest.mark.django_db

# The seed page's "Grounded AI handoff" paragraph, copied from its line 411.
SEED_HANDOFF = Path(__file__).parent / "data" / "seed_handoff.txt"
PAGE_EVIDENCE = [
    "Source ids to inspect: christiano-2017-human-preferences, ouyang-2022-instructgpt",
    "Definition, prerequisite, and contrast concept links",
    "The equation or code witness that makes the concept operational",
    "One demo state that shows the invariant instead of a slogan",
]


def _text(draft) -> str:
    return draft_handoff(draft=draft, user=draft.owner)["text"]


def test_the_rlhf_handoff_is_the_seed_pages_paragraph_exactly(settings, tmp_path, learner_client):
    """With the seed site's name and anchor ids, a draft saved on the loaded RLHF page with no
    question hands off exactly the paragraph the seed page shows, character for character."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_NAME = "Continuous Function"
    settings.RESEARCH_ROOM_NAME = "research reading room"
    settings.ANCHOR_ID_TEMPLATE = "{kind}/concept-notebook/{path}"
    call_command("load_content", verbosity=0)
    created = learner_client.post(
        "/api/v1/research-room/drafts/", {"anchor": "concept:alignment/rlhf"}, format="json"
    )
    assert created.status_code == 201, created.json()
    handoff = learner_client.get(created.json()["handoff_url"]).json()
    assert handoff["text"] == SEED_HANDOFF.read_text(encoding="utf-8").rstrip("\n")


def test_concept_handoff_has_the_page_shape(learner, rlhf):
    """On the project's own defaults the same parts come in the same order, one paragraph."""
    draft = services.draft_create(owner=learner, anchor="concept:alignment/rlhf")
    assert _text(draft) == " ".join(
        [
            "I am working in the learning platform's research room.",
            f"Object: concept - {RLHF_TITLE}",
            "Object key: concept:alignment/rlhf",
            "Context: Alignment",
            "Anchor id: concept/alignment/rlhf",
            f"Open question: {RLHF_QUESTION}",
            "Evidence to inspect:",
            *(f"- {item}" for item in PAGE_EVIDENCE),
            "What would resolve this:",
            "- The learner can state the mechanism in their own words",
            "- The learner can name the prerequisite that would repair confusion",
            "- The learner can predict how the mechanism changes under one perturbation",
            "Answer as a careful research tutor: stay source-grounded, separate verified "
            "evidence from assumptions, name the relevant math objects, and end with one next "
            "action.",
        ]
    )


def test_the_site_name_room_and_anchor_ids_come_from_settings(settings, learner, rlhf):
    """SITE_NAME, RESEARCH_ROOM_NAME and ANCHOR_ID_TEMPLATE shape the opening and the id."""
    settings.SITE_NAME = "Example Notes"
    settings.RESEARCH_ROOM_NAME = "study"
    settings.ANCHOR_ID_TEMPLATE = "{area}:{slug}:{anchor}"
    draft = services.draft_create(
        owner=learner, anchor="equation:alignment/rlhf#reward-gap", question="Why?"
    )
    text = _text(draft)
    assert text.startswith("I am working in Example Notes's study. Object: equation")
    assert " Anchor id: alignment:rlhf:reward-gap Open question: Why?" in text


def test_equation_handoff_names_kind_title_and_concept_context(learner, rlhf):
    """An equation anchor's handoff names the equation and its area and concept as context."""
    draft = services.draft_create(
        owner=learner,
        anchor="equation:alignment/rlhf#reward-gap",
        question="Why only differences?",
        note="Shift invariance again.",
        next_action="Re-derive σ(Δ).",
    )
    text = _text(draft)
    assert (
        "Object: equation - Reward gap Object key: equation:alignment/rlhf#reward-gap "
        f"Context: Alignment · {RLHF_TITLE} Anchor id: equation/alignment/rlhf#reward-gap "
        "Open question: Why only differences? Learner note: Shift invariance again. "
        "Next action: Re-derive σ(Δ). Evidence to inspect:"
    ) in text


def test_handoff_says_when_the_anchored_object_changed(learner, rlhf):
    """After the anchored equation changes, the handoff says so and shows both versions."""
    draft = services.draft_create(
        owner=learner, anchor="equation:alignment/rlhf#reward-gap", question="Why?"
    )
    rlhf.equation.body = r"\Delta = r(y_w) - r(y_l) + 0"
    rlhf.equation.save()
    handoff = draft_handoff(draft=draft, user=draft.owner)
    assert handoff["anchor_changed"] is True
    assert handoff["anchor_version"] == draft.anchor_version
    assert handoff["anchor_current_version"] == rlhf.equation.content_hash
    assert f"version {draft.anchor_version[:12]} then" in handoff["text"]


def test_handoff_of_a_vanished_object_quotes_the_stored_title(learner, rlhf):
    """When the anchor no longer resolves, the handoff uses what the draft stored and says so."""
    draft = services.draft_create(
        owner=learner,
        anchor="misconception:alignment/rlhf#kl-prevents-reward-hacking",
        question="?",
    )
    rlhf.misconception.delete()
    handoff = draft_handoff(draft=draft, user=draft.owner)
    assert handoff["anchor_resolves"] is False
    assert handoff["anchor_changed"] is True
    assert "Object: misconception - KL prevents reward hacking" in handoff["text"]
    assert "no longer resolves" in handoff["text"]


@pytest.mark.parametrize(
    "key",
    [
        "concept:alignment/rlhf",
        "equation:alignment/rlhf#reward-gap",
        "demo-state:alignment/rlhf#kl-policy?beta=2&shift=-3",
    ],
)
def test_every_anchor_of_the_page_prefills_the_pages_four_items(rlhf, key):
    """Whatever the anchor on the page, the evidence is the page's four items and no more."""
    assert evidence_prefill(object_resolve(key)) == PAGE_EVIDENCE


def test_source_prefill_names_the_source_itself(rlhf):
    """A source anchor's evidence starts from that source's id."""
    evidence = evidence_prefill(object_resolve("source:ouyang-2022-instructgpt"))
    assert evidence == ["Source ids to inspect: ouyang-2022-instructgpt", *PAGE_EVIDENCE[1:]]


def test_prefill_items_stay_within_the_item_cap():
    """A concept with very many sources still pre-fills items no longer than the cap."""
    resolved = ResolvedObject(
        key="concept:area/big",
        kind="concept",
        title="Big",
        api_url="/x/",
        concept_key="concept:area/big",
        context={"source_keys": [f"s{i}-" + "x" * 30 for i in range(40)]},
    )
    evidence = evidence_prefill(resolved)
    assert all(len(item) <= LIST_ITEM_MAX for item in evidence)
    assert evidence[0].endswith("…")


def test_handoff_text_lists_a_placeholder_for_empty_lists():
    """Empty evidence or criteria still produce their headings, never a dangling label."""
    text = handoff_text(
        kind="source",
        title="T",
        key="source:k",
        context="",
        question="Q?",
        note="",
        next_action="",
        evidence=[],
        resolution=[],
    )
    assert "Evidence to inspect: - (none listed) What would resolve this: - (none listed)" in text
    assert "Context:" not in text
