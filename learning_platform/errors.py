"""Every API error in one shape: RFC 9457 problem details (``application/problem+json``).

``type`` is ``about:blank`` (the status says what happened), ``title`` the status phrase,
``detail`` a sentence for people, ``instance`` the request's path and ``code`` a stable word for
programs (DRF's error code: ``invalid``, ``not_authenticated``, ``throttled``…). A validation
error adds ``errors``: every refused field's path (``evidence[0]``, ``params.beta``) mapped to
its messages. Exceptions are turned into problems here; ``ProblemJsonMiddleware`` rewrites any
other JSON error an API path answers (a middleware's 413, a view's 409), so no answer escapes.
"""

import json
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.views import defaults
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    ErrorDetail,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
_PROBLEM_MEMBERS = ("type", "title", "status", "detail", "instance")
# The code a problem carries when whoever answered named none.
DEFAULT_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    503: "unavailable",
}


def status_title(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Error"


def field_errors(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail flattened to {"field.sub[0]": [messages]}."""
    found: dict[str, list[str]] = {}

    def walk(value: Any, at: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, int):
                    walk(item, f"{at}[{key}]")
                else:
                    walk(item, f"{at}.{key}" if at else str(key))
        elif isinstance(value, list | tuple):
            if all(isinstance(item, str) for item in value):
                if value:
                    found.setdefault(at or api_settings.NON_FIELD_ERRORS_KEY, []).extend(
                        str(item) for item in value
                    )
                return
            for index, item in enumerate(value):
                if isinstance(item, str):
                    found.setdefault(at or api_settings.NON_FIELD_ERRORS_KEY, []).append(item)
                elif item:  # a list of objects: empty entries are the valid ones
                    walk(item, f"{at}[{index}]")
        elif value is not None:
            found.setdefault(at or api_settings.NON_FIELD_ERRORS_KEY, []).append(str(value))

    walk(detail, path)
    return found


def errors_summary(errors: dict[str, list[str]]) -> str:
    """One sentence naming every refused field: what a person reads first."""
    parts = []
    for field, messages in errors.items():
        text = " ".join(messages)
        parts.append(text if field == api_settings.NON_FIELD_ERRORS_KEY else f"{field}: {text}")
    return " ".join(parts) or "Invalid input."


def problem(
    *,
    status_code: int,
    detail: str,
    instance: str,
    code: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": status_title(status_code),
        "status": status_code,
        "detail": detail,
        "instance": instance,
        "code": code or DEFAULT_CODES.get(status_code, "error"),
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def problem_response(request, status_code: int, detail: str, **members: Any) -> HttpResponse:
    """A problem as a plain Django response, for answers made outside DRF's views."""
    body = problem(status_code=status_code, detail=detail, instance=request.path, **members)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False).encode(),
        status=status_code,
        content_type=PROBLEM_MEDIA_TYPE,
    )


def _code_of(detail: Any) -> str | None:
    if isinstance(detail, ErrorDetail):
        return detail.code
    if isinstance(detail, list | tuple) and len(detail) == 1:
        return _code_of(detail[0])
    return None


def _api_problem(exc: APIException, request) -> dict[str, Any]:
    instance = request.path if request is not None else ""
    if isinstance(exc, ValidationError):
        errors = field_errors(exc.detail)
        return problem(
            status_code=exc.status_code,
            detail=errors_summary(errors),
            instance=instance,
            code="invalid",
            errors=errors,
        )
    detail = exc.detail
    if isinstance(detail, dict):  # an exception raised with a field map but not a 400
        errors = field_errors(detail)
        return problem(
            status_code=exc.status_code,
            detail=errors_summary(errors),
            instance=instance,
            code=exc.default_code,
            errors=errors,
        )
    if isinstance(detail, list | tuple):
        text = " ".join(str(item) for item in detail)
    else:
        text = str(detail)
    return problem(
        status_code=exc.status_code,
        detail=text,
        instance=instance,
        code=_code_of(exc.detail) or exc.default_code,
    )


def _renders_json(request, view) -> bool:
    """True when the error goes out as JSON; the browsable API keeps its HTML page. A view
    whose renderer cannot write JSON (an SVG chart, a file) answers its error in JSON anyway."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None and view is not None:
        renderer, _ = view.perform_content_negotiation(request, force=True)
    if isinstance(renderer, BrowsableAPIRenderer):
        return False
    media_type = getattr(renderer, "media_type", "application/json")
    if media_type != "application/json" and not media_type.endswith("+json"):
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    return True


def exception_handler(exc, context):
    """DRF's handler (its headers: Retry-After, WWW-Authenticate, Allow), plus domain validation
    errors as 400 and a lost database as 503; every body a problem."""
    request = context.get("request")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = ValidationError(detail=detail)
    response: Response | None
    if isinstance(exc, OperationalError | InterfaceError):
        response = Response(
            problem(
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                detail="The database is unavailable; retry shortly.",
                instance=request.path if request is not None else "",
                code="database_unavailable",
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    else:
        response = drf_exception_handler(exc, context)
        if response is None:
            return None
        # DRF turns Http404 and PermissionDenied into its own exceptions before answering.
        if not isinstance(exc, APIException):
            message = response.data.get("detail") if isinstance(response.data, dict) else None
            kind = {404: NotFound, 403: PermissionDenied}.get(response.status_code, APIException)
            exc = kind(message)
        response.data = _api_problem(exc, request)
    if request is None or _renders_json(request, context.get("view")):
        response.content_type = PROBLEM_MEDIA_TYPE
    return response


def as_problem(body: Any, *, status_code: int, instance: str) -> dict[str, Any]:
    """Any JSON error body made a problem: ``detail`` kept, lists of messages become
    ``errors``, other members kept as extensions."""
    if not isinstance(body, dict):
        return problem(status_code=status_code, detail=status_title(status_code), instance=instance)
    detail = body.get("detail")
    # A list of messages is a field's errors, whatever the field is called (even "status").
    errors = {
        key: value
        for key, value in body.items()
        if key != "detail" and isinstance(value, list) and all(isinstance(i, str) for i in value)
    }
    extra = {
        key: value
        for key, value in body.items()
        if key not in errors and key not in _PROBLEM_MEMBERS and key != "code"
    }
    if errors:
        return problem(
            status_code=status_code,
            detail=detail if isinstance(detail, str) else errors_summary(errors),
            instance=instance,
            code="invalid" if status_code == 400 else body.get("code"),
            errors=errors,
            **extra,
        )
    return problem(
        status_code=status_code,
        detail=detail if isinstance(detail, str) else status_title(status_code),
        instance=instance,
        code=body.get("code"),
        **extra,
    )


class ProblemJsonMiddleware:
    """API error answers written as plain JSON by a middleware or a view become problems."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.streaming
            or response.get("Content-Type", "").split(";")[0].strip() != "application/json"
        ):
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        response.content = json.dumps(
            as_problem(body, status_code=response.status_code, instance=request.path),
            ensure_ascii=False,
        ).encode()
        response["Content-Type"] = PROBLEM_MEDIA_TYPE
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def not_found(request, exception=None):
    """URL-level 404s under /api/ are problems like every other API error; elsewhere, a page."""
    if request.path.startswith(API_PREFIX):
        return problem_response(
            request, 404, "No API resource answers at this address.", code="not_found"
        )
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return problem_response(request, 500, "Internal server error.", code="error")
    return defaults.server_error(request)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: 429 with Retry-After; a problem under /api/."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        "Too many failed sign-ins for this account or from this client; "
        f"sign-in is locked for {minutes} minutes."
    )
    if request.path.startswith(API_PREFIX):
        response = problem_response(request, 429, message, code="locked_out")
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(minutes * 60)
    return response
