"""Real exports checked against the Web Annotation Data Model's MUSTs, as JSON Schemas of our own
(tests/research_room/webannotation/), for annotations, collections and pages."""

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from research_room.selectors import learner_agent

from .factories import DraftFactory

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/research-room/drafts/export/"
SCHEMAS = Path(__file__).parent / "webannotation"
ANNO = "http://www.w3.org/ns/anno.jsonld"


def _load(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text())


REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema))
    for schema in (_load(name) for name in ("model", "annotation", "page", "collection"))
)


def validator(name: str) -> Draft202012Validator:
    schema = _load(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=REGISTRY)


def problems(name: str, document) -> list[str]:
    return [error.message for error in validator(name).iter_errors(document)]


@pytest.fixture
def export(learner, learner_client, rlhf):
    DraftFactory(owner=learner, note="", next_action="Run the demo at β = 0.1.")
    DraftFactory(owner=learner, status="resolved")
    learner_client.post(
        "/api/v1/research-room/drafts/",
        {"anchor": "equation:alignment/rlhf#reward-gap", "question": "Why σ?"},
        format="json",
    )
    response = learner_client.get(EXPORT, {"status": "open"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_export_meets_every_collection_must(export):
    """The exported collection, with its embedded page and annotations, breaks no MUST."""
    assert export["total"] == 2
    assert problems("collection", export) == []


def test_the_collection_and_its_page_have_absolute_ids(export):
    """The collection's id is the export address with its filter; the page's asks for page 1."""
    assert export["id"] == f"http://testserver{EXPORT}?status=open"
    assert export["first"]["id"] == f"http://testserver{EXPORT}?status=open&page=1"
    assert export["first"]["partOf"] == export["id"] and export["last"] == export["first"]["id"]


def test_each_exported_annotation_meets_every_annotation_must(export):
    """Each annotation, taken out as its own document, breaks no MUST of the model."""
    for item in export["first"]["items"]:
        assert problems("annotation", {"@context": ANNO, **item}) == [], item["id"]


def test_the_page_at_its_id_is_the_embedded_page(learner_client, export):
    """The page's id answers the page alone, which meets every page MUST."""
    page = json.loads(learner_client.get(export["first"]["id"]).content)
    assert problems("page", page) == []
    assert page["@context"] == ANNO
    assert {key: value for key, value in page.items() if key != "@context"} == export["first"]


def test_other_pages_and_bad_page_numbers_are_refused(learner_client, rlhf):
    """The collection has one page: page=2 is a 404, page=x a 400 naming the field."""
    assert learner_client.get(EXPORT, {"page": 2}).status_code == 404
    response = learner_client.get(EXPORT, {"page": "x"})
    assert response.status_code == 400 and "page" in response.json()["errors"]


def test_every_annotation_names_the_learner_as_creator(learner, export):
    """creator is the learner as a Person whose urn:uuid id gives nothing of the account away."""
    agent = learner_agent(user=learner)
    assert agent["id"].startswith("urn:uuid:") and agent["type"] == "Person"
    assert all(item["creator"] == agent for item in export["first"]["items"])
    assert learner.get_username() not in json.dumps(export)


def test_creator_ids_are_stable_and_differ_between_learners(learner, other_learner):
    """The same learner always gets the same id; another learner a different one."""
    assert learner_agent(user=learner) == learner_agent(
        user=type(learner).objects.get(pk=learner.pk)
    )
    assert learner_agent(user=learner)["id"] != learner_agent(user=other_learner)["id"]


def test_an_empty_export_still_meets_the_collection_musts(learner_client, rlhf):
    """With no drafts the collection still has its id and an empty first page."""
    document = json.loads(learner_client.get(EXPORT).content)
    assert document["total"] == 0 and problems("collection", document) == []


def _broken(document: dict, path: list, value=None, *, delete: bool = False) -> dict:
    broken = copy.deepcopy(document)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "delete"),
    [
        (["id"], None, True),  # 5.1: exactly one IRI
        (["id"], "not an iri", False),
        (["type"], "Collection", False),  # 5.1: AnnotationCollection among the types
        (["@context"], [ANNO], False),  # 3.1: a single context is a string
        (["@context"], "http://schema.org/", False),
        (["total"], -1, False),  # 5.1: a non-negative integer
        (["first"], None, True),  # 5.1: a collection holding annotations has a first page
        (["first", "id"], None, True),  # 5.2: a page has exactly one IRI
        (["first", "type"], "Page", False),
        (["first", "items"], None, True),  # 5.2: exactly one items
        (["first", "startIndex"], -1, False),
        (["first", "items", 0, "id"], None, True),  # 3.1: an annotation has one IRI
        (["first", "items", 0, "type"], "Note", False),
        (["first", "items", 0, "target"], None, True),  # 3.1: one or more targets
        (["first", "items", 0, "target", "source"], None, True),  # 4: one source
        (["first", "items", 0, "body", 0, "value"], None, True),  # 3.2.4: one value
        (["first", "items", 0, "body", 0, "value"], ["a", "b"], False),
        (["first", "items", 0, "modified"], "2026-05-06T10:00:00+00:00", False),  # 3.3.1: Z
        (["first", "items", 0, "created"], "6 May 2026", False),
        (["first", "items", 0, "motivation"], "pondering", False),  # 3.3.5
        (["first", "items", 0, "creator", "id"], "learner 7", False),  # 3.3.2
        (["first", "items", 0, "body", 0, "textDirection"], "up", False),
    ],
)
def test_the_schemas_reject_what_breaks_a_must(export, path, value, delete):
    """Each MUST is checked: a document breaking it fails the collection schema."""
    assert problems("collection", _broken(export, path, value, delete=delete))
