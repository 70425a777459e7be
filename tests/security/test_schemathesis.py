"""Property-based API tests generated from /api/schema/, as each role.

Bounded for `make test` (LP_FUZZ_EXAMPLES, default 8 per operation); the README documents a
larger run. Checks: no server errors, status codes and bodies conform to the schema.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from learning_platform.wsgi import application

EXAMPLES = int(os.environ.get("LP_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Calls go through the real WSGI handler; keep it from closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The in-process WSGI transport hands answers to the checks as sent, and does not undo GZip
# as an HTTP client would; compressed answers are tested in tests/concepts/test_answer_cache.py.
PLAIN = {"Accept-Encoding": "identity"}


@pytest.fixture(params=["anonymous", "learner", "reviewer", "editor"])
def role_headers(request):
    if request.param == "anonymous":
        return dict(PLAIN)
    user = request.getfixturevalue(request.param)
    _, token = AuthToken.objects.create(user=user)
    return {**PLAIN, "Authorization": f"Token {token}"}


@pytest.mark.django_db
@pytest.mark.timeout(900)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, role_headers):
    """Generated requests never cause a 5xx and every answer matches the published schema."""
    case.call_and_validate(headers=role_headers, checks=CHECKS)
