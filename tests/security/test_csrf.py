import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

UNSAFE = ("post", "put", "patch", "delete")


def _unsafe_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = []
    for path, item in schema["paths"].items():
        for method in UNSAFE:
            if method not in item:
                continue
            params = {p["name"]: p.get("schema", {}) for p in item[method].get("parameters", [])}

            def fill(match, params=params):
                spec = params.get(match.group(1), {})
                if spec.get("format") == "uuid":
                    return str(uuid.uuid4())
                if spec.get("type") == "integer":
                    return "1"
                return "x"

            operations.append((method, re.sub(r"\{(\w+)\}", fill, path)))
    return operations


@pytest.mark.django_db
def test_every_unsafe_route_refuses_a_session_request_without_csrf_token(learner, editor):
    """A logged-in browser session cannot write through any route without the CSRF token."""
    operations = _unsafe_operations()
    assert operations, "the schema lists no unsafe operation"
    for user in (learner, editor):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        for method, path in operations:
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 403, (method, path, response.status_code)
            assert "CSRF" in response.json()["detail"], (method, path)
