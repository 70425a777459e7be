import pytest
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_api_root_lists_entry_points(anon_client):
    """The API root links every top-level resource, the schema and the docs."""
    response = anon_client.get("/api/v1/")
    assert response.status_code == 200
    links = response.json()["links"]
    for name in ("concepts", "claims", "demos", "sources", "schema", "docs", "health"):
        assert links[name].startswith("http://testserver/")


def test_openapi_schema_and_docs_are_served(anon_client):
    """/api/schema/ is an OpenAPI 3 document and /api/docs/ the Swagger UI that renders it."""
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = anon_client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # served locally: the docs work offline


def test_healthz_reports_database_and_broker(anon_client):
    """/healthz is 200 with the state of the database and the broker when both answer."""
    response = anon_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_healthz_is_503_naming_an_unreachable_broker(anon_client, settings):
    """A broker nobody answers on makes /healthz 503 and names the broker as the one down."""
    with override_settings(
        CELERY_BROKER_URL="redis://127.0.0.1:9/0",
        CELERY_BROKER_TRANSPORT_OPTIONS={"socket_connect_timeout": 1},
    ):
        response = anon_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["broker"]
    assert body["checks"]["database"]["ok"] is True
    assert "broker" in body["detail"]
    assert body["checks"]["broker"]["error"]


def test_oversized_body_is_refused_with_413_json(anon_client, settings):
    """A body over the cap is refused with 413 and a JSON message before any view runs."""
    settings.REQUEST_BODY_MAX_BYTES = 1000
    response = anon_client.post(
        "/api/v1/auth/token/", data="x" * 2000, content_type="application/json"
    )
    assert response.status_code == 413
    assert "exceeds the limit" in response.json()["detail"]


def test_unknown_object_key_is_404(anon_client):
    """An object key that resolves to nothing is a 404 with a message."""
    response = anon_client.get("/api/v1/objects/concept:nowhere/nothing")
    assert response.status_code == 404
    assert "nowhere" in response.json()["detail"]


def test_api_errors_are_json_not_html():
    """Unauthenticated writes answer a JSON problem, so clients never parse an HTML error page."""
    response = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


def test_unknown_api_url_is_a_json_404(anon_client):
    """A URL that matches no API route answers a problem 404, not an HTML page."""
    response = anon_client.get("/api/v1/claims/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No API resource answers at this address.",
        "instance": "/api/v1/claims/not-a-number/",
        "code": "not_found",
    }
