import pytest
from django.core.exceptions import ValidationError

from learning_platform.objects import object_resolve
from research_room import services
from research_room.annotations import AnnotationFileError, ParsedAnnotation
from research_room.models import PracticePrediction, ResearchDraft

pytestmark = pytest.mark.django_db

CONCEPT = "concept:alignment/rlhf"


def test_create_records_the_anchor_and_its_version(learner, rlhf):
    """A draft stores the anchored object's kind, concept, title, URL and content version."""
    draft = services.draft_create(
        owner=learner, anchor="code:alignment/rlhf#reward-model-and-policy", question="How?"
    )
    assert draft.anchor_kind == "code"
    assert draft.anchor_concept_key == CONCEPT
    assert draft.anchor_title == "Reward model and policy"
    assert draft.anchor_version == rlhf.code.content_hash
    assert draft.status == ResearchDraft.Status.OPEN


def test_create_refuses_an_anchor_that_does_not_resolve(learner, rlhf):
    """An unknown key is refused on the anchor field and nothing is saved."""
    with pytest.raises(ValidationError) as error:
        services.draft_create(owner=learner, anchor="equation:alignment/rlhf#nope", question="?")
    assert "anchor" in error.value.message_dict
    assert not ResearchDraft.objects.exists()


def test_create_with_explicit_empty_lists_does_not_prefill(learner, rlhf):
    """Lists given (even empty) are kept; only omitted lists are pre-filled."""
    draft = services.draft_create(
        owner=learner, anchor=CONCEPT, question="?", evidence=[], resolution=["Mine"]
    )
    assert draft.evidence == []
    assert draft.resolution == ["Mine"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("question", "   "),
        ("question", "q" * 2001),
        ("note", "n" * 10_001),
        ("next_action", "a" * 1001),
        ("evidence", ["e"] * 21),
        ("resolution", ["r" * 501]),
        ("status", "archived"),
    ],
)
def test_create_enforces_every_documented_cap(learner, rlhf, field, value):
    """Each cap is enforced in the service itself, naming the field, with nothing saved."""
    values = {"question": "Why?", field: value}
    with pytest.raises(ValidationError) as error:
        services.draft_create(owner=learner, anchor=CONCEPT, **values)
    assert field in error.value.message_dict
    assert not ResearchDraft.objects.exists()


def test_update_without_anchor_keeps_the_stored_version(learner, rlhf):
    """Editing a draft's text never silently re-anchors it to the changed object."""
    draft = services.draft_create(owner=learner, anchor=CONCEPT, question="?")
    old = draft.anchor_version
    rlhf.concept.summary = "A different summary."
    rlhf.concept.save()
    services.draft_update(draft=draft, note="Still reading.")
    draft.refresh_from_db()
    assert draft.anchor_version == old
    assert draft.note == "Still reading."


def test_update_with_the_anchor_re_anchors_to_the_current_version(learner, rlhf):
    """Giving the anchor again records the object's current version."""
    draft = services.draft_create(owner=learner, anchor=CONCEPT, question="?")
    rlhf.concept.summary = "A different summary."
    rlhf.concept.save()
    services.draft_update(draft=draft, anchor=CONCEPT)
    assert draft.anchor_version == rlhf.concept.content_hash


def test_update_refuses_unknown_fields(learner, rlhf):
    """Only the draft's own texts can be changed through the service."""
    draft = services.draft_create(owner=learner, anchor=CONCEPT, question="?")
    with pytest.raises(ValidationError) as error:
        services.draft_update(draft=draft, owner_id=123)
    assert "owner_id" in error.value.message_dict


def _annotation(location: str, anchor: str = CONCEPT, id: str = "", **values) -> ParsedAnnotation:
    return ParsedAnnotation(
        location=location, id=id, anchor=anchor, question=values.pop("question", "Q?"), **values
    )


def test_import_is_all_or_nothing(learner, rlhf):
    """One annotation with an unresolvable target leaves every other one unsaved."""
    good = _annotation("item 1")
    bad = _annotation("item 2", anchor="equation:alignment/rlhf#missing")
    with pytest.raises(AnnotationFileError) as error:
        services.draft_import(owner=learner, annotations=[good, bad])
    assert error.value.errors == {
        "item 2": {"target": ["No object has the key 'equation:alignment/rlhf#missing'."]}
    }
    assert not ResearchDraft.objects.exists()


def test_import_updates_an_own_draft_named_by_its_id(learner, rlhf):
    """An annotation whose id is one of the owner's drafts updates that draft in place."""
    draft = services.draft_create(owner=learner, anchor=CONCEPT, question="Old?")
    report = services.draft_import(
        owner=learner,
        annotations=[_annotation("item 1", id=f"urn:uuid:{draft.id}", question="New?")],
    )
    assert report.updated == [str(draft.id)]
    draft.refresh_from_db()
    assert draft.question == "New?"
    assert ResearchDraft.objects.count() == 1


def test_import_twice_changes_nothing_the_second_time(learner, rlhf):
    """Importing the same foreign annotation again finds the earlier import: no duplicate."""
    annotation = _annotation("item 1", id="https://elsewhere.example/anno/7", note="n")
    first = services.draft_import(owner=learner, annotations=[annotation])
    second = services.draft_import(owner=learner, annotations=[annotation])
    assert len(first.created) == 1
    assert second.unchanged == first.created
    assert ResearchDraft.objects.count() == 1


def test_import_of_another_learners_id_never_touches_their_draft(learner, other_learner, rlhf):
    """Another learner's draft id is treated as unknown: a new draft of one's own is created."""
    theirs = services.draft_create(owner=learner, anchor=CONCEPT, question="Alice's?")
    report = services.draft_import(
        owner=other_learner,
        annotations=[_annotation("item 1", id=f"urn:uuid:{theirs.id}", question="Bob's")],
    )
    theirs.refresh_from_db()
    assert theirs.question == "Alice's?"
    mine = ResearchDraft.objects.get(pk=report.created[0])
    assert mine.owner == other_learner
    assert mine.pk != theirs.pk


def _concept():
    return services.practice_concept_resolve(concept_key=CONCEPT, user=None)


def test_a_prediction_is_committed_once_per_state_however_spelled(learner, rlhf):
    """The same state spelled differently (0.7 vs 0.70) is still the state already predicted."""
    concept = _concept()
    state = services.practice_demo_state_resolve(
        concept=concept, demo_state=rlhf.demo_state, user=None
    )
    services.practice_prediction_commit(
        owner=learner, concept=concept, demo_state=state, text="Candidate 0 gains."
    )
    respelled = services.practice_demo_state_resolve(
        concept=concept,
        demo_state="demo-state:alignment/rlhf#kl-policy?shift=10.0&beta=0.70",
        user=None,
    )
    with pytest.raises(services.PracticeRuleError, match="cannot be changed"):
        services.practice_prediction_commit(
            owner=learner, concept=concept, demo_state=respelled, text="Changed my mind."
        )
    assert PracticePrediction.objects.get().text == "Candidate 0 gains."


def test_a_prediction_records_the_hints_used_before_it(learner, rlhf):
    """Hints revealed before committing are recorded on the prediction."""
    concept = _concept()
    services.practice_hint_reveal(owner=learner, concept=concept, number=1)
    prediction = services.practice_prediction_commit(
        owner=learner, concept=concept, demo_state=None, text="It sharpens."
    )
    assert prediction.hints_used == 1


def test_hints_are_revealed_in_order_only(learner, rlhf):
    """Hint 3 before hint 1 is refused; 1 then 2 counts two; revealing 1 again counts nothing."""
    concept = _concept()
    with pytest.raises(ValidationError, match="Reveal hint 1 before hint 3"):
        services.practice_hint_reveal(owner=learner, concept=concept, number=3)
    services.practice_hint_reveal(owner=learner, concept=concept, number=1)
    _, progress = services.practice_hint_reveal(owner=learner, concept=concept, number=2)
    assert progress.hints_revealed == 2
    _, progress = services.practice_hint_reveal(owner=learner, concept=concept, number=1)
    assert progress.hints_revealed == 2


def test_a_demo_state_of_another_concept_is_refused(learner, rlhf):
    """A prediction's demo state must belong to the concept it is about."""
    dpo = object_resolve("concept:alignment/dpo")
    with pytest.raises(ValidationError) as error:
        services.practice_demo_state_resolve(concept=dpo, demo_state=rlhf.demo_state, user=None)
    assert "demo_state" in error.value.message_dict
