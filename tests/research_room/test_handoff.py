import pytest

from learning_platform.objects import ResolvedObject, object_resolve
from research_room import services
from research_room.handoff import PLATFORM_ROOM, evidence_prefill, handoff_text
from research_room.models import LIST_ITEM_MAX
from research_room.selectors import draft_handoff

from .conftest import RLHF_TITLE

pytestmark = pytest.mark.django_db

BASE = "http://testserver/"
QUESTION = f"What is the smallest example that makes {RLHF_TITLE} click without losing the math?"


def test_concept_handoff_has_the_page_shape(learner, rlhf):
    """A concept draft's handoff is the page's "Grounded AI handoff", line for line."""
    draft = services.draft_create(owner=learner, anchor="concept:alignment/rlhf", question=QUESTION)
    text = draft_handoff(draft=draft, user=draft.owner, base_url=BASE)["text"]
    assert text.splitlines() == [
        "I am working in the learning platform's research room.",
        f"Object: concept - {RLHF_TITLE}",
        "Object key: concept:alignment/rlhf",
        "Context: Alignment",
        "Anchor URL: http://testserver/api/v1/concepts/alignment/rlhf/",
        f"Open question: {QUESTION}",
        "Evidence to inspect:",
        "- Source ids to inspect: christiano-2017-human-preferences, ouyang-2022-instructgpt",
        "- Definition, prerequisite, and contrast concept links: definition "
        "concept:alignment/rlhf; prerequisite Maximum Likelihood "
        "(concept:foundations/maximum-likelihood); contrast Direct Preference Optimization "
        "(concept:alignment/dpo)",
        "- The equation or code witness that makes the concept operational: "
        "equation:alignment/rlhf#reward-gap, code:alignment/rlhf#reward-model-and-policy",
        "- One demo state that shows the invariant instead of a slogan: "
        "demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10",
        "What would resolve this:",
        "- The learner can state the mechanism in their own words",
        "- The learner can name the prerequisite that would repair confusion",
        "- The learner can predict how the mechanism changes under one perturbation",
        "Answer as a careful research tutor: stay source-grounded, separate verified evidence "
        "from assumptions, name the relevant math objects, and end with one next action.",
    ]


def test_handoff_names_the_platforms_own_research_room(learner, rlhf):
    """The handoff opens with the platform's own research room, by its own name."""
    draft = services.draft_create(owner=learner, anchor="concept:alignment/rlhf", question="Why?")
    text = draft_handoff(draft=draft, user=draft.owner, base_url=BASE)["text"]
    assert text.startswith(f"I am working in {PLATFORM_ROOM}.")
    assert "reading room" not in text


def test_equation_handoff_names_kind_title_and_concept_context(learner, rlhf):
    """An equation anchor's handoff names the equation and its area and concept as context."""
    draft = services.draft_create(
        owner=learner,
        anchor="equation:alignment/rlhf#reward-gap",
        question="Why only differences?",
        note="Shift invariance again.",
        next_action="Re-derive σ(Δ).",
    )
    lines = draft_handoff(draft=draft, user=draft.owner, base_url=BASE)["text"].splitlines()
    assert lines[1] == "Object: equation - Reward gap"
    assert lines[2] == "Object key: equation:alignment/rlhf#reward-gap"
    assert lines[3] == f"Context: Alignment · {RLHF_TITLE}"
    assert "Learner note: Shift invariance again." in lines
    assert "Next action: Re-derive σ(Δ)." in lines


def test_handoff_says_when_the_anchored_object_changed(learner, rlhf):
    """After the anchored equation changes, the handoff says so and shows both versions."""
    draft = services.draft_create(
        owner=learner, anchor="equation:alignment/rlhf#reward-gap", question="Why?"
    )
    rlhf.equation.body = r"\Delta = r(y_w) - r(y_l) + 0"
    rlhf.equation.save()
    handoff = draft_handoff(draft=draft, user=draft.owner, base_url=BASE)
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
    handoff = draft_handoff(draft=draft, user=draft.owner, base_url=BASE)
    assert handoff["anchor_resolves"] is False
    assert handoff["anchor_changed"] is True
    assert "Object: misconception - KL prevents reward hacking" in handoff["text"]
    assert "no longer resolves" in handoff["text"]


def test_equation_prefill_puts_the_anchored_witness_first(rlhf):
    """An equation anchor lists itself first among the operational witnesses."""
    evidence = evidence_prefill(object_resolve("equation:alignment/rlhf#reward-gap"))
    assert evidence[2] == (
        "The equation or code witness that makes the concept operational: "
        "equation:alignment/rlhf#reward-gap, code:alignment/rlhf#reward-model-and-policy"
    )


def test_source_prefill_names_the_source_itself(rlhf):
    """A source anchor's evidence starts from that source's id."""
    evidence = evidence_prefill(object_resolve("source:ouyang-2022-instructgpt"))
    assert evidence[0] == "Source ids to inspect: ouyang-2022-instructgpt"


def test_demo_state_prefill_names_the_state_itself(rlhf):
    """A demo-state anchor is its own "one demo state"."""
    key = "demo-state:alignment/rlhf#kl-policy?beta=2&shift=-3"
    evidence = evidence_prefill(object_resolve(key))
    assert evidence[3].endswith(f": {key}")
    assert evidence[0].endswith("christiano-2017-human-preferences, ouyang-2022-instructgpt")


def test_prefill_items_stay_within_the_item_cap():
    """A concept with very many links still pre-fills items no longer than the cap."""
    many = [{"key": f"concept:area/c{i}", "title": f"Concept {i}"} for i in range(80)]
    resolved = ResolvedObject(
        key="concept:area/big",
        kind="concept",
        title="Big",
        api_url="/x/",
        concept_key="concept:area/big",
        context={"source_keys": [f"s{i}-" + "x" * 30 for i in range(40)], "prerequisites": many},
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
        url="http://x/",
        question="Q?",
        note="",
        next_action="",
        evidence=[],
        resolution=[],
    )
    assert (
        "Evidence to inspect:\n- (none listed)\nWhat would resolve this:\n- (none listed)" in text
    )
    assert "Context:" not in text
