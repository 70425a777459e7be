"""The OpenAPI document as clients need it: one tag per resource, `<resource>_<action>`
operation ids, JSON request bodies, and on every operation exactly the error statuses it can
answer, each an RFC 9457 problem (see errors.py) with an example.

The statuses come from what the view is made of, so a new view is documented by the same
rules: authenticators → 401 (a bad or expired token), permissions that can refuse → 401 and
403, a session-authenticated write → 403 (CSRF), path parameters or pagination → 404, a body →
400, 413 and 415, any parameter → 400 (a NUL in the URL, a bad filter value), throttles → 429.
A view declares with ``extend_schema(responses=...)`` only what these rules cannot know (a
409, or a 400 from a query it validates by hand).
"""

import re

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, is_serializer
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import (
    SAFE_METHODS,
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)
from rest_framework.request import Request

from .errors import PROBLEM_MEDIA_TYPE, problem, status_title

API_PREFIX = "/api/v1/"

# (path prefix under /api/v1/, tag, operation-id resource), the first match wins.
RESOURCES = [
    ("auth/", "auth", "auth"),
    ("objects/", "objects", "objects"),
    ("concepts/", "concepts", "concepts"),
    ("sources/", "sources", "sources"),
    ("bibliography/", "sources", "sources_bibliography"),
    ("claims/{claim_id}/reviews/", "reviews", "reviews"),
    ("claims/", "claims", "claims"),
    ("demos/{kind}/runs/", "demo runs", "demo_runs"),
    ("demo-runs/", "demo runs", "demo_runs"),
    ("demos/", "demos", "demos"),
    ("research-room/practice/", "practice", "practice"),
    ("research-room/drafts/", "research room", "research_room"),
    ("", "api", "api"),
]

TAGS = [
    {"name": "api", "description": "The entry point: links to every resource."},
    {"name": "auth", "description": "Expiring API tokens: obtain, list, revoke."},
    {"name": "concepts", "description": "Concept pages, learning paths, revisions and diffs."},
    {"name": "sources", "description": "The source registry, citations and local snapshots."},
    {"name": "claims", "description": "The claims registry: badges, verification, signatures."},
    {"name": "reviews", "description": "A claim's append-only reviews."},
    {"name": "demos", "description": "The demo catalogue: parameters, defaults and caps."},
    {"name": "demo runs", "description": "Demo runs: request, poll, plot."},
    {"name": "research room", "description": "Your private drafts, exports and imports."},
    {"name": "practice", "description": "Your practice loop: predict, reveal, hints, readiness."},
    {"name": "objects", "description": "Resolve any object key to its current version."},
]

ACTIONS = {"POST": "create", "PUT": "update", "PATCH": "partial_update", "DELETE": "destroy"}

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `errors` names each refused field",
    401: "Authentication credentials were not provided or are invalid (or expired)",
    403: "The authenticated user may not do this (or the session's CSRF check failed)",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported media type: send JSON",
    429: "Too many requests: retry after the Retry-After header's seconds",
}

EXAMPLE_DETAILS = {
    400: "text: This field is required.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    409: "Conflicts with the current state; read it again and retry.",
    413: "Request body of 2000000 bytes exceeds the limit of 1048576 bytes.",
    415: 'Unsupported media type "text/plain" in request.',
    429: "Request was throttled. Expected available in 42 seconds.",
}

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem: every error the API answers has this shape, as "
    "`application/problem+json`.",
    "properties": {
        "type": {"type": "string", "description": "`about:blank`: the status says it all."},
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "instance": {"type": "string", "description": "The path of the refused request."},
        "code": {
            "type": "string",
            "description": "A stable word for programs: invalid, parse_error, not_authenticated, "
            "authentication_failed, permission_denied, not_found, conflict, throttled, …",
        },
        "errors": {
            "type": "object",
            "description": "Validation errors only: each refused field's path (`evidence[0]`, "
            "`params.beta`) and its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "status", "detail", "instance", "code"],
}


def resource_of(path: str) -> tuple[str, str, str]:
    """(tag, resource, the rest of the path) for an API path like /api/v1/claims/{claim_id}/."""
    rest = path[len(API_PREFIX) :] if path.startswith(API_PREFIX) else path.lstrip("/")
    for prefix, tag, resource in RESOURCES:
        if rest.startswith(prefix):
            return tag, resource, rest[len(prefix) :]
    return "api", "api", rest


def _anonymous_request(method: str) -> Request:
    http = HttpRequest()
    http.method = method
    request = Request(http)
    request.user = AnonymousUser()
    return request


class ApiSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        return [resource_of(self.path)[0]]

    def get_operation_id(self) -> str:
        _, resource, rest = resource_of(self.path)
        words = [
            re.sub(r"[^0-9a-z]+", "_", part.lower()).strip("_")
            for part in rest.split("/")
            if part and not part.startswith("{")
        ]
        if not words and resource == "api":
            words = ["root"]
        if self.method == "GET":
            collection = not words and "{" not in rest  # /claims/, /demos/, a claim's reviews
            action = "list" if collection or self._is_list_view() else "retrieve"
        else:
            action = ACTIONS[self.method]
        return "_".join([resource, *words, action])

    # Statuses ---------------------------------------------------------------------------------

    def _permission_statuses(self) -> set[int]:
        statuses: set[int] = set()
        for permission in self.view.get_permissions():
            if isinstance(permission, AllowAny):
                continue
            if isinstance(permission, IsAuthenticated):
                statuses.add(401)
                continue
            try:
                allowed = permission.has_permission(_anonymous_request(self.method), self.view)
            except Exception:  # a check that needs a real request: assume it can refuse
                allowed = False
            if not allowed:
                statuses.add(401)
                # IsAuthenticatedOrReadOnly refuses only the anonymous; the others, some users.
                if not isinstance(permission, IsAuthenticatedOrReadOnly):
                    statuses.add(403)
        return statuses

    def error_statuses(self, operation: dict) -> set[int]:
        view = self.view
        statuses = self._permission_statuses()
        authenticators = view.get_authenticators()
        if authenticators:
            statuses.add(401)  # a bad or expired token, on any operation
        if "requestBody" in operation:
            statuses |= {400, 413, 415}
        if self.method not in SAFE_METHODS and any(
            isinstance(auth, SessionAuthentication) for auth in authenticators
        ):
            statuses.add(403)  # the CSRF check of a session-authenticated write
        parameters = operation.get("parameters", [])
        if any(p["in"] == "path" for p in parameters) or any(
            p["in"] == "query" and p["name"] == "page" for p in parameters
        ):
            statuses.add(404)  # no such object, or no such page
        if parameters or (
            getattr(view, "filterset_class", None)
            or any(is_serializer(p) for p in self.get_override_parameters())
        ):
            statuses.add(400)  # a NUL in the URL (RequestTextMiddleware), a bad filter value
        if any(
            self.method not in SAFE_METHODS or getattr(throttle, "counts_reads", True)
            for throttle in view.get_throttles()
        ):
            statuses.add(429)
        return statuses

    def _problem_ref(self) -> dict:
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, object="Problem", schema=PROBLEM_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _problem_content(self, code: int) -> dict:
        example = problem(
            status_code=code,
            detail=EXAMPLE_DETAILS.get(code, status_title(code)),
            instance=self.path,
            errors={"text": ["This field is required."]} if code == 400 else None,
        )
        return {
            PROBLEM_MEDIA_TYPE: {
                "schema": self._problem_ref(),
                "examples": {status_title(code).replace(" ", ""): {"value": example}},
            }
        }

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self.error_statuses(operation):
            responses.setdefault(str(code), {})
        for code, response in responses.items():
            if int(code) < 400:
                continue
            response["description"] = response.get("description") or ERROR_DESCRIPTIONS.get(
                int(code), status_title(int(code))
            )
            response["content"] = self._problem_content(int(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation


def describe_tags(result, generator, request, public):
    """The tags in the order Swagger UI should list them, each with what it groups."""
    used = {
        tag
        for item in result.get("paths", {}).values()
        for op in item.values()
        if isinstance(op, dict)
        for tag in op.get("tags", [])
    }
    result["tags"] = [tag for tag in TAGS if tag["name"] in used]
    return result
