"""Hostile bodies on every write route the schema documents: deep nesting, lone surrogates and
NUL characters are each a 400 naming the problem, never a 5xx, and nothing is written.

The routes come from /api/schema/, so a write route added later is probed without editing
this file. Each body is sent as the learner (who owns the research-room draft) and as an
admin (who passes every role gate); at least one of them must reach the parser and be told
what was wrong.
"""

import json

import pytest
from django.apps import apps
from django.core.cache import cache
from rest_framework.test import APIClient

from demos.models import DemoRun

from .routes import documented_operations, fill_path, openapi_schema

pytestmark = pytest.mark.django_db

WRITE_VERBS = {"POST", "PUT", "PATCH"}
JSON_TYPES = ("application/json", "application/ld+json")


def _write_operations() -> list[tuple[str, str, dict]]:
    return [
        (path, verb, operation)
        for path, verb, operation in documented_operations()
        if verb in WRITE_VERBS
        and any(kind in operation.get("requestBody", {}).get("content", {}) for kind in JSON_TYPES)
    ]


def _string_fields(operation: dict) -> list[str]:
    """Top-level string properties of the operation's JSON request body."""
    schema = openapi_schema()
    content = operation["requestBody"]["content"]
    body = next(content[kind]["schema"] for kind in JSON_TYPES if kind in content)
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return [
        name
        for name, prop in body.get("properties", {}).items()
        if prop.get("type") == "string" or "enum" in prop or "$ref" in prop
    ]


def _bodies(fields: list[str]) -> dict[str, tuple[str, str]]:
    """name → (raw JSON text, a phrase the 400 must contain)."""
    names = fields or ["text"]

    def each(escape: str) -> str:
        return "{" + ", ".join(f'"{name}": "a{escape}b"' for name in names) + "}"

    return {
        "nested 1,000 deep": ('{"x": ' + "[" * 1000 + "]" * 1000 + "}", "nested deeper"),
        "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        "lone surrogate in every string field": (each("\\ud800"), "surrogate"),
        "lone surrogate in a key": ('{"\\udfff": 1}', "surrogate"),
        "NUL in every string field": (each("\\u0000"), "NUL"),
        "NUL nested in a list": ('{"x": [{"y": "\\u0000"}]}', "NUL"),
    }


def _row_count() -> int:
    return sum(model.objects.count() for model in apps.get_models())


def test_every_json_write_route_is_probed():
    """The schema lists the write routes this suite probes (the ones the API takes JSON on)."""
    paths = {path for path, _, _ in _write_operations()}
    assert "/api/v1/auth/token/" in paths and "/api/v1/research-room/drafts/import/" in paths
    assert len(_write_operations()) >= 13


def test_hostile_json_is_a_named_400_on_every_write_route(world):
    """Deep nesting, lone surrogates and NUL characters: 400 naming the problem, no writes."""
    problems = []
    clients = {}
    for role in ("learner", "admin"):
        clients[role] = APIClient()
        clients[role].force_authenticate(world["users"][role])
    sent = 0
    for template, verb, operation in _write_operations():
        path = fill_path(template, world["ids"])
        for label, (raw, phrase) in _bodies(_string_fields(operation)).items():
            before = _row_count()
            named = False
            for role, client in clients.items():
                cache.clear()
                response = client.generic(verb, path, raw, content_type="application/json")
                sent += 1
                if response.status_code >= 500:
                    problems.append(f"{verb} {path} {label} as {role}: {response.status_code}")
                named |= response.status_code == 400 and phrase in response.content.decode()
            if not named:
                problems.append(f"{verb} {path} {label}: no 400 naming {phrase!r}")
            if _row_count() != before:
                problems.append(f"{verb} {path} {label}: rows were written")
    print(
        f"security: hostile JSON, {sent} requests on {len(_write_operations())} write "
        f"operations x {len(_bodies([]))} bodies x {len(clients)} roles; problems: {len(problems)}"
    )
    assert not problems, "\n".join(problems)


def test_nul_in_a_form_field_is_a_400_naming_the_field(world):
    """A NUL sent through a form body is refused by the field it was sent in."""
    client = APIClient()
    client.force_authenticate(world["users"]["learner"])
    response = client.post(
        "/api/v1/research-room/drafts/",
        {"anchor": "concept:alignment/rlhf", "question": "Why\x00?"},
    )
    assert response.status_code == 400 and "question" in response.json()["errors"]


@pytest.mark.parametrize("query", ["?search=a%00b", "?status=%00", "?x%00=1"])
def test_nul_in_the_query_string_is_a_400(world, query):
    """A NUL in the query string never reaches a lookup (PostgreSQL would raise on it)."""
    response = APIClient().get(f"/api/v1/concepts/{query}")
    assert response.status_code == 400 and "NUL" in response.content.decode()


def test_nul_in_an_object_key_is_a_400(world):
    """A NUL in a path (an object key) is refused before any lookup."""
    response = APIClient().get("/api/v1/objects/concept:alignment/rl%00hf")
    assert response.status_code == 400


def test_nul_inside_an_imported_annotation_is_refused_and_nothing_is_saved(world):
    """A Web Annotation whose body holds a NUL is refused with the item named; no draft saved."""
    client = APIClient()
    client.force_authenticate(world["users"]["learner"])
    annotation = {
        "type": "Annotation",
        "target": "concept:alignment/rlhf",
        "body": [{"type": "TextualBody", "purpose": "questioning", "value": "Why\u0000?"}],
    }
    before = _row_count()
    response = client.post(
        "/api/v1/research-room/drafts/import/",
        json.dumps(annotation),
        content_type="application/ld+json",
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert _row_count() == before


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("kl-policy", {"beta": 5e-324}, "beta"),
        ("kl-policy", {"rewards": [1e308, -1e308, 0.0, 0.0]}, "beta"),
        ("kl-policy", {"proxy_gap": True, "proxy_gap_size": 1.7e308}, "beta"),
        ("kl-policy", {"rewards": [1e9, 0.0], "beta": 1e-9, "shift": 1e300}, "shift"),
        ("reward-hacking", {"beta_min": 5e-324}, "beta_min"),
        ("reward-hacking", {"true_utility": [1e308, -1e308, 0.0, 0.0]}, "beta_min"),
    ],
)
def test_demo_parameters_that_would_fail_in_the_worker_are_a_400(
    learner_client, kind, params, field
):
    """Parameters whose computation overflows are refused before anything is queued."""
    response = learner_client.post(f"/api/v1/demos/{kind}/runs/", params, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert DemoRun.objects.count() == 0


def test_a_snapshot_upload_over_the_json_cap_is_stored(editor, settings, tmp_path):
    """A 3 MiB snapshot upload is not refused by the 2 MiB cap meant for JSON bodies."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from concepts.models import SourceSnapshot
    from tests.concepts.factories import SourceFactory

    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(editor)
    content = b"%PDF" + b"0" * (3 * 1024 * 1024)
    response = client.post(
        "/admin/concepts/sourcesnapshot/add/",
        {
            "source": SourceFactory(key="large-upload").pk,
            "file": SimpleUploadedFile("paper.pdf", content, content_type="application/pdf"),
            "media_type": "",
            "retrieved_on": "2026-05-06",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert SourceSnapshot.objects.get().size_bytes == len(content)


def test_a_multipart_body_over_the_cap_elsewhere_is_still_a_413(learner_client):
    """The snapshot allowance is for snapshot routes only: other multipart bodies keep the cap."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("drafts.jsonld", b" " * (3 * 1024 * 1024))
    response = learner_client.post("/api/v1/research-room/drafts/import/", {"file": upload})
    assert response.status_code == 413


@pytest.mark.postgres
def test_postgresql_itself_raises_on_nul_so_the_refusal_comes_first(db):
    """On PostgreSQL a NUL reaching a query raises (a 500 if unrefused); the doors stop it."""
    from django.db import DataError

    from research_room.models import ResearchDraft

    with pytest.raises(DataError, match="NUL"):
        ResearchDraft.objects.filter(question="a\x00b").exists()
