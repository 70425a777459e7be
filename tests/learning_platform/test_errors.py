"""Every API error is an RFC 9457 problem, whoever answers it: a view, DRF or a middleware."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from learning_platform.errors import field_errors

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DRAFTS = "/api/v1/research-room/drafts/"


def _members(response) -> set[str]:
    return set(response.json())


def test_a_validation_error_names_each_field_by_its_path(learner_client):
    """An item of a list field is named with its index; the detail repeats every message."""
    response = learner_client.post(
        DRAFTS,
        {"anchor": "concept:alignment/rlhf", "question": "Why?", "evidence": ["ok", "x" * 501]},
        format="json",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["errors"] == {"evidence[1]": ["Ensure this field has no more than 500 characters."]}
    assert body["detail"] == "evidence[1]: Ensure this field has no more than 500 characters."
    assert (body["type"], body["title"], body["status"], body["code"]) == (
        "about:blank",
        "Bad Request",
        400,
        "invalid",
    )
    assert body["instance"] == DRAFTS


def test_nested_errors_flatten_to_dotted_and_indexed_paths():
    """Objects nest with dots, lists with indexes; a list of objects skips the valid ones."""
    detail = {
        "params": {"beta": ["Too small."]},
        "items": [{}, {"text": ["Required."]}],
        "non_field_errors": ["Inconsistent."],
    }
    assert field_errors(detail) == {
        "params.beta": ["Too small."],
        "items[1].text": ["Required."],
        "non_field_errors": ["Inconsistent."],
    }


def test_an_unsupported_media_type_is_a_415_problem():
    """A body in a media type no parser reads is refused as a problem naming the type."""
    response = APIClient().post("/api/v1/auth/token/", "u=a", content_type="text/plain")
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unsupported_media_type"
    assert "text/plain" in response.json()["detail"]


def test_a_method_the_route_does_not_answer_is_a_405_problem_with_allow(anon_client):
    """405 keeps its Allow header and answers a problem."""
    response = anon_client.delete("/api/v1/concepts/")
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert "GET" in response["Allow"]
    assert response.json()["code"] == "method_not_allowed"


def test_an_anonymous_write_is_a_401_problem_with_its_challenge(anon_client):
    """401 keeps WWW-Authenticate, so a client knows to send a token."""
    response = anon_client.post(DRAFTS, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["code"] == "not_authenticated"
    assert _members(response) == {"type", "title", "status", "detail", "instance", "code"}


@override_settings(REQUEST_BODY_MAX_BYTES=100)
def test_a_body_over_the_cap_is_a_413_problem_from_the_middleware(learner_client):
    """The middleware's refusal, made before any view runs, is a problem too."""
    response = learner_client.post(DRAFTS, {"question": "x" * 200}, format="json")
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "too_large"
    assert response.json()["instance"] == DRAFTS


def test_a_view_answered_conflict_is_a_problem(learner_client):
    """A 409 a view writes itself (the chart of a run not yet done) comes out as a problem."""
    run = learner_client.post("/api/v1/demos/kl-policy/runs/", {}, format="json").json()
    response = learner_client.get(f"/api/v1/demo-runs/{run['id']}/plot.svg")
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"] == (
        "The run is queued; its chart exists once it has succeeded."
    )


def test_the_browsable_api_still_shows_errors_as_pages(anon_client):
    """A browser asking for HTML gets the browsable API's page for an error, not JSON."""
    response = anon_client.get("/api/v1/concepts/nowhere/nothing/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"No concept nowhere/nothing." in response.content


def test_an_error_from_a_view_that_draws_svg_is_still_a_json_problem(anon_client):
    """A format the chart view cannot render is a 404 problem in JSON, not an SVG of a dict."""
    response = anon_client.get("/api/v1/demo-runs/0/plot.svg", {"format": "nope"})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_a_django_404_raised_in_a_view_keeps_its_message_and_code(other_learner_client):
    """Http404 from a view (another learner's draft) is a not_found problem with its message."""
    response = other_learner_client.get(f"{DRAFTS}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["detail"] == "No draft of yours has this id."
