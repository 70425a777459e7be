"""The published OpenAPI document against the API's real answers, for every operation.

Each operation the live /api/schema/ documents is called as each role with the world's ids
(and a body that should succeed, where one is known here); every answer's status must be one
the operation documents, and its body must validate against that status's schema, with no
field the schema leaves out. Operations added later are walked the same way.
"""

import copy
import json

import pytest
from jsonschema import Draft202012Validator
from knox.models import AuthToken
from rest_framework.test import APIClient

from demos.services import demo_run_execute
from tests.security.conftest import world  # noqa: F401  (the fixture, shared)
from tests.security.routes import fill_path

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "learner", "reviewer", "editor"]
JSON_TYPES = ("application/json", "application/problem+json", "application/ld+json")

# Bodies that make a write succeed for the role allowed to make it; other writes send {}.
BODIES = {
    "auth_token_create": {"username": "alice", "password": "alice-password"},
    "concepts_prerequisites_create": {"prerequisite": "statistics/bradley-terry-model"},
    "reviews_create": lambda client: {
        "verdict": "source_checked",
        "summary": "The cited section states the objective as written.",
        "scope_covers": "Reviews only the objective's statement against the paper.",
        "scope_excludes": "It does not certify the experiments.",
        "sources_checked": [source["key"] for source in client.get(CLAIM_URL).json()["sources"]],
    },
    "research_room_import_create": lambda client: client.get(EXPORT_URL).json(),
    "research_room_create": {"anchor": "concept:alignment/rlhf", "question": "Why a KL term?"},
    "research_room_update": {"anchor": "concept:alignment/rlhf", "question": "Why a KL term?"},
    "research_room_partial_update": {"note": "The penalty keeps the policy near π_ref."},
    "practice_prediction_create": {"text": "Candidate 0 gains; a shift changes nothing."},
    "practice_hints_reveal_create": {"number": 1},
    "practice_readiness_update": {
        "states_mechanism": True,
        "names_prerequisite": False,
        "predicts_perturbation": False,
    },
    "practice_readiness_partial_update": {"states_mechanism": True},
}
CLAIM_URL = "/api/v1/claims/{claim_id}/"
EXPORT_URL = "/api/v1/research-room/drafts/export/"
# Writes whose body is not JSON's default media type.
MEDIA_TYPES = {"research_room_import_create": "application/ld+json"}
# Run last, in this order: they remove what the other operations read.
LAST = ["research_room_destroy", "auth_tokens_destroy"]


def _nullable_to_json_schema(node, *, close: bool = True):
    """OpenAPI 3.0's `nullable` and boolean exclusive bounds as JSON Schema, and objects closed
    to undocumented fields (an `allOf` is closed as a whole, not branch by branch)."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item, close=close) for item in node]
    if not isinstance(node, dict):
        return node
    node = {
        key: _nullable_to_json_schema(value, close=key != "allOf") for key, value in node.items()
    }
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(node.get(exclusive), bool) and node.pop(exclusive):
            node[exclusive] = node.pop(bound)
    closable = "properties" in node or "allOf" in node
    if close and closable and "additionalProperties" not in node:
        node["unevaluatedProperties"] = False
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def _validator(document: dict, schema: dict) -> Draft202012Validator:
    components = {"schemas": _nullable_to_json_schema(document["components"]["schemas"])}
    return Draft202012Validator(
        {**_nullable_to_json_schema(copy.deepcopy(schema)), "components": components}
    )


class _Reader:
    """GETs a body is built from, as the role that sends it, with the world's ids filled in."""

    def __init__(self, client: APIClient, ids: dict):
        self.client, self.ids = client, ids

    def get(self, url: str):
        return self.client.get(url.format(**self.ids))


def _client(world, role: str) -> APIClient:  # noqa: F811 - the fixture imported above
    client = APIClient()
    user = world["users"][role]
    if user is not None:
        client.force_authenticate(user)
    return client


def _operations(document: dict) -> list[tuple[str, str, dict]]:
    found = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    order = {name: index for index, name in enumerate(LAST, start=1)}
    return sorted(found, key=lambda op: (order.get(op[2]["operationId"], 0), op[0], op[1]))


def _answer_problems(document, operation, response) -> list[str]:
    status = str(response.status_code)
    documented = operation["responses"]
    if status not in documented:
        return [f"answered {status}, documented {sorted(documented)}"]
    content = documented[status].get("content", {})
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    if response.streaming:  # a file download: its own bytes, documented by media type only
        return [] if media_type in content or "*/*" in content else [f"{status} {media_type}"]
    if not response.content:
        return []
    if not content:
        return [f"{status} answered a body the schema does not document"]
    if media_type not in content:
        if "*/*" in content:
            return []
        return [f"{status} answered {media_type}, documented {sorted(content)}"]
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        return []
    validator = _validator(document, content[media_type]["schema"])
    body = json.loads(response.content)
    return [
        f"{status} {'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in validator.iter_errors(body)
    ]


def test_every_answer_matches_the_schema_of_its_operation_and_status(world):  # noqa: F811 - the fixture imported above
    """Every documented operation, as every role: the status is documented and the body fits."""
    document = APIClient().get("/api/schema/", {"format": "json"}).json()
    demo_run_execute(run_id=world["ids"]["run_id"])  # so its chart exists
    ids = {
        **world["ids"],
        "token_key": AuthToken.objects.create(user=world["users"]["learner"])[0].token_key,
    }
    problems: dict[str, list[str]] = {}
    succeeded: set[str] = set()
    operations = _operations(document)
    for path, method, operation in operations:
        operation_id = operation["operationId"]
        url = fill_path(path, ids)
        for role in ROLES:
            client = _client(world, role)
            kwargs = {}
            if "requestBody" in operation:
                body = BODIES.get(operation_id, {})
                if callable(body):
                    body = body(_Reader(client, ids))
                kwargs = {
                    "data": json.dumps(body),
                    "content_type": MEDIA_TYPES.get(operation_id, "application/json"),
                }
            response = client.generic(method.upper(), url, **kwargs)
            if response.status_code < 400:
                succeeded.add(operation_id)
            for problem in _answer_problems(document, operation, response):
                problems.setdefault(f"{method.upper()} {path} as {role}", []).append(problem)
    assert problems == {}
    # Each operation's success answer was among those checked.
    assert {op["operationId"] for _, _, op in operations} - succeeded == set()


@pytest.fixture
def document(db):
    return APIClient().get("/api/schema/", {"format": "json"}).json()


def test_each_operation_has_one_resource_tag_and_a_resource_action_id(document):
    """Swagger UI groups by resource; ids are `<resource>_<action>` and unique."""
    tags = [tag["name"] for tag in document["tags"]]
    ids = []
    for _, _, operation in _operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in tags
        resource = operation["tags"][0].replace(" ", "_")
        assert operation["operationId"].startswith(f"{resource}_"), operation["operationId"]
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))
    # Only the entry point sits outside a resource; the registry's bibliography is a source's.
    assert [op["operationId"] for _, _, op in _operations(document) if op["tags"] == ["api"]] == [
        "api_root_retrieve"
    ]
    bibliography = document["paths"]["/api/v1/bibliography/"]["get"]
    assert (bibliography["tags"], bibliography["operationId"]) == (
        ["sources"],
        "sources_bibliography_list",
    )
    assert {
        "concepts",
        "sources",
        "claims",
        "reviews",
        "demos",
        "demo runs",
        "research room",
        "practice",
        "objects",
        "auth",
    } <= set(tags)


def test_request_bodies_are_json_only(document):
    """No operation offers a form or multipart body; the import keeps JSON-LD and NDJSON."""
    for path, method, operation in _operations(document):
        media_types = set(operation.get("requestBody", {}).get("content", {}))
        allowed = {"application/json"}
        if operation["operationId"] == "research_room_import_create":
            allowed = {"application/ld+json", "application/x-ndjson"}
        assert media_types <= allowed, (method, path, media_types)


def test_every_error_status_is_a_problem_with_an_example(document):
    """Each documented error answers the shared Problem schema, with an example of its status."""
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "code",
    ]
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            examples = list(content["application/problem+json"]["examples"].values())
            assert examples and examples[0]["value"]["status"] == int(status)


def test_every_json_answer_has_an_example_its_schema_holds(document):
    """Every documented answer, success or error, carries at least one example, and each
    example validates against the schema of its status (objects closed to other fields)."""
    checked = 0
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                if "json" not in media_type or "schema" not in content:
                    continue
                examples = [item["value"] for item in content.get("examples", {}).values()]
                if "example" in content:
                    examples.append(content["example"])
                assert examples, (method, path, status, media_type)
                validator = _validator(document, content["schema"])
                for example in examples:
                    errors = [error.message for error in validator.iter_errors(example)]
                    assert errors == [], (method, path, status, errors[:3])
                checked += 1
    assert checked > 100


def test_every_text_answer_has_an_example_of_its_media_type(document):
    """A rendered bibliography and a chart document what they look like too; only a snapshot's
    bytes, whatever their media type, go without."""
    text_answers = []
    for path, _method, operation in _operations(document):
        for response in operation["responses"].values():
            for media_type, content in response.get("content", {}).items():
                if "json" in media_type or path.endswith("/snapshots/{sha256}/"):
                    continue
                examples = [item["value"] for item in content.get("examples", {}).values()]
                assert examples and all(isinstance(value, str) for value in examples), path
                text_answers.append(media_type)
    assert sorted(text_answers) == ["image/svg+xml", "text/html", "text/plain"]


def test_reads_document_no_body_or_conflict_errors_they_cannot_answer(document):
    """A GET lists no 413/415, and no 409 unless it declares one; open reads list no 403."""
    for path, method, operation in _operations(document):
        if method != "get":
            continue
        statuses = set(operation["responses"])
        assert not statuses & {"413", "415"}, path
        if "409" in statuses:
            assert path in {"/api/v1/claims/checkpoint/", "/api/v1/demo-runs/{run_id}/plot.svg"}
    concept_page = document["paths"]["/api/v1/concepts/{area}/{slug}/"]["get"]
    assert set(concept_page["responses"]) == {"200", "400", "401", "404"}
