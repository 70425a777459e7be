from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse


class RequestBodyCapMiddleware:
    """Refuse request bodies over the cap with 413 before any view reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length header is not a number."}, status=400)
        cap = settings.REQUEST_BODY_MAX_BYTES
        if length > cap:
            return JsonResponse(
                {"detail": f"Request body of {length} bytes exceeds the limit of {cap} bytes."},
                status=413,
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
