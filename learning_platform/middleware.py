import re

from django.conf import settings
from django.db import InterfaceError, OperationalError

from .errors import problem_response

# Room for a multipart body's boundaries and form fields around the uploaded file itself.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


def request_body_cap(request) -> int:
    """The byte cap for this request: JSON bodies get REQUEST_BODY_MAX_BYTES; a snapshot
    upload (multipart, to a route in SNAPSHOT_UPLOAD_PATHS) gets SNAPSHOT_MAX_BYTES."""
    cap = settings.REQUEST_BODY_MAX_BYTES
    if request.content_type == "multipart/form-data" and any(
        re.match(pattern, request.path_info) for pattern in settings.SNAPSHOT_UPLOAD_PATHS
    ):
        cap = max(cap, settings.SNAPSHOT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES)
    return cap


class RequestBodyCapMiddleware:
    """Refuse request bodies over the cap with 413 before any view reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(request, 400, "Content-Length header is not a number.")
        cap = request_body_cap(request)
        if length > cap:
            return problem_response(
                request, 413, f"Request body of {length} bytes exceeds the limit of {cap} bytes."
            )
        return self.get_response(request)


class RequestTextMiddleware:
    """A NUL character in the path or the query string is a 400: no column can store it and
    PostgreSQL refuses it even in a lookup, so it never reaches a query on either database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return problem_response(request, 400, "NUL characters are not allowed in the URL.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                field = name.replace("\x00", "") or "query"
                return problem_response(
                    request,
                    400,
                    f"{field}: NUL characters are not allowed.",
                    errors={field: ["NUL characters are not allowed."]},
                )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database that is restarting answers 503 with a JSON reason, not a 500 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            response = problem_response(
                request, 503, "The database is unavailable; retry shortly.", code="unavailable"
            )
            response["Retry-After"] = "5"
            return response
        return None
