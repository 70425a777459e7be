import json

import pytest

from research_room.annotations import (
    ANNO_CONTEXT,
    AnnotationFileError,
    annotation_from_draft,
    collection_from_drafts,
    key_from_iri,
    object_iri,
    parse_annotation_file,
)
from research_room.models import ResearchDraft

from .factories import DraftFactory

BASE = "http://testserver"
STATE = "demo-state:alignment/rlhf#kl-policy?beta=0.7&shift=10"


def _anno(**overrides):
    annotation = {
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": "questioning", "value": "Why β?"}],
        "target": "concept:alignment/rlhf",
    }
    annotation.update(overrides)
    return annotation


def _errors(document) -> dict:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(AnnotationFileError) as error:
        parse_annotation_file(text)
    return error.value.errors


@pytest.mark.django_db
def test_a_draft_exports_as_one_web_annotation(learner):
    """Context, type, id, target (key IRI and object URL) and labelled bodies per draft field."""
    draft = DraftFactory(
        owner=learner, note="n", next_action="act", status=ResearchDraft.Status.RESOLVED
    )
    annotation = annotation_from_draft(draft, base_url=BASE)
    assert annotation["@context"] == ANNO_CONTEXT
    assert annotation["type"] == "Annotation"
    assert annotation["id"] == f"{BASE}/api/v1/research-room/drafts/{draft.id}/"
    assert annotation["target"]["id"] == f"{BASE}/api/v1/objects/concept:alignment/rlhf"
    assert annotation["target"]["source"] == f"{BASE}/api/v1/concepts/alignment/rlhf/"
    bodies = {(body["label"], body["value"]) for body in annotation["body"]}
    assert ("question", draft.question) in bodies
    assert ("note", "n") in bodies
    assert ("next action", "act") in bodies
    assert ("status", "resolved") in bodies
    assert ("evidence to inspect", draft.evidence[0]) in bodies
    assert ("what would resolve this", draft.resolution[0]) in bodies


@pytest.mark.django_db
def test_an_exported_collection_parses_back_to_the_same_fields(learner):
    """Export then parse gives back each draft's anchor, texts, lists and status."""
    drafts = DraftFactory.create_batch(2, owner=learner, next_action="Run the demo.")
    document = json.dumps(collection_from_drafts(drafts, base_url=BASE))
    parsed = parse_annotation_file(document)
    assert [p.question for p in parsed] == [d.question for d in drafts]
    assert all(p.anchor == "concept:alignment/rlhf" for p in parsed)
    assert parsed[0].note == drafts[0].note
    assert parsed[0].evidence == drafts[0].evidence
    assert parsed[0].resolution == drafts[0].resolution
    assert parsed[0].next_action == "Run the demo."
    assert parsed[0].status == "open"


def test_a_demo_state_key_survives_its_iri():
    """The '#' and '?' of a demo-state key survive the object IRI and come back unchanged."""
    iri = object_iri(BASE, STATE)
    assert "%23kl-policy?beta=0.7&shift=10" in iri
    assert key_from_iri(iri) == STATE
    assert key_from_iri(STATE) == STATE
    assert key_from_iri("https://elsewhere.example/page") is None


def test_a_foreign_annotation_with_purposes_only_is_understood():
    """Bodies without labels are read by purpose: questioning, commenting, tagging."""
    [parsed] = parse_annotation_file(
        json.dumps(
            _anno(
                body=[
                    {"type": "TextualBody", "purpose": "questioning", "value": "Q?"},
                    {"type": "TextualBody", "purpose": "commenting", "value": "A note."},
                    {"type": "TextualBody", "purpose": "tagging", "value": "resolved"},
                    {"type": "SpecificResource", "purpose": "linking", "source": "x"},
                ]
            )
        )
    )
    assert (parsed.question, parsed.note, parsed.status) == ("Q?", "A note.", "resolved")


def test_json_lines_are_read_line_by_line():
    """A JSON Lines file gives one annotation per non-blank line."""
    text = json.dumps(_anno()) + "\n\n" + json.dumps(_anno(id="urn:x:2")) + "\n"
    assert len(parse_annotation_file(text)) == 2


def test_a_missing_target_names_the_item_and_field():
    """The second item's missing target is reported as item 2, target."""
    errors = _errors([_anno(), _anno(target=None)])
    assert list(errors) == ["item 2"]
    assert "target" in errors["item 2"]


def test_an_overlong_question_names_the_body_value():
    """An over-cap question is reported at its body position, with the cap."""
    errors = _errors([_anno(body=[{"purpose": "questioning", "value": "q" * 2001}])])
    assert errors == {
        "item 1": {
            "body[0].value": ["Ensure this field has no more than 2000 characters (it has 2001)."]
        }
    }


def test_a_bad_json_line_names_its_line():
    """A broken line in a JSON Lines file is reported by its line number."""
    text = json.dumps(_anno()) + "\n" + json.dumps(_anno()) + "\n{not json\n"
    errors = _errors(text)
    assert list(errors) == ["line 3"]


def test_a_file_that_is_not_json_names_the_line():
    """Invalid JSON is reported with its line and column."""
    errors = _errors('{\n  "type": "Annotation",\n  body: []\n}')
    assert list(errors) == ["line 3"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "Note"}, "type"),
        ({"id": 12}, "id"),
        ({"body": []}, "body"),
        ({"body": [{"purpose": "commenting", "value": "no question"}]}, "body"),
        ({"body": [{"purpose": "questioning", "value": "   "}]}, "body[0].value"),
        (
            {
                "body": [
                    {"label": "status", "value": "archived"},
                    {"label": "question", "value": "Q"},
                ]
            },
            "body[0].value",
        ),
        ({"target": "https://elsewhere.example/page"}, "target"),
        ({"target": ["concept:a/b", "concept:c/d"]}, "target"),
    ],
)
def test_each_malformed_field_is_named(overrides, field):
    """Each kind of malformed annotation names the offending field."""
    errors = _errors([_anno(**overrides)])
    assert field in errors["item 1"]


def test_too_many_evidence_items_are_refused():
    """More than 20 evidence bodies in one annotation are refused."""
    bodies = [{"purpose": "questioning", "value": "Q"}] + [
        {"label": "evidence to inspect", "value": f"e{i}"} for i in range(21)
    ]
    errors = _errors([_anno(body=bodies)])
    assert "body[21]" in errors["item 1"]


def test_duplicate_ids_in_one_file_are_refused():
    """Two annotations with one id in the same file are refused, naming the first."""
    errors = _errors([_anno(id="urn:x:1"), _anno(id="urn:x:1")])
    assert errors == {"item 2": {"id": ["Duplicates the id of item 1."]}}


def test_more_than_a_thousand_annotations_are_refused():
    """An import holds at most 1,000 annotations."""
    errors = _errors([_anno()] * 1001)
    assert "1001 annotations" in errors["file"]["items"][0]


def test_an_empty_file_is_refused():
    """An empty body is an error, not an import of nothing."""
    assert "file" in _errors("  \n")
    assert "file" in _errors(
        {"type": "AnnotationCollection", "first": {"type": "AnnotationPage", "items": []}}
    )


def test_a_collection_paged_by_reference_is_refused():
    """A collection whose first page is only a link cannot be imported."""
    errors = _errors({"type": "AnnotationCollection", "first": "https://x.example/page1"})
    assert "first" in errors["file"]
