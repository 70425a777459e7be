import re

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

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
            return JsonResponse({"detail": "Content-Length header is not a number."}, status=400)
        cap = request_body_cap(request)
        if length > cap:
            return JsonResponse(
                {"detail": f"Request body of {length} bytes exceeds the limit of {cap} bytes."},
                status=413,
            )
        return self.get_response(request)


class RequestTextMiddleware:
    """A NUL character in the path or the query string is a 400: no column can store it and
    PostgreSQL refuses it even in a lookup, so it never reaches a query on either database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            return JsonResponse(
                {"detail": "NUL characters are not allowed in the URL."}, status=400
            )
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return JsonResponse(
                    {name.replace("\x00", "") or "query": ["NUL characters are not allowed."]},
                    status=400,
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
            response = JsonResponse(
                {"detail": "The database is unavailable; retry shortly."}, status=503
            )
            response["Retry-After"] = "5"
            return response
        return None
