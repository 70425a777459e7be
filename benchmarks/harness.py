"""What the read benchmarks share: the framework's floor endpoint and a timed request loop."""

import sys
import time
import types


def floor_urlconf(name: str) -> str:
    """A urlconf serving the project plus /bench/floor/, a DRF view returning {}: the floor."""
    from django.urls import include, path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class FloorApi(APIView):
        permission_classes = [AllowAny]

        def get(self, request):
            return Response({})

    module = types.ModuleType(name)
    module.urlpatterns = [
        path("bench/floor/", FloorApi.as_view()),
        path("", include("learning_platform.urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def measure(client, url: str, seconds: float) -> float:
    """Requests per second of GET url for about `seconds`, after three checked warm-ups."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        client.get(url)
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def query_count(client, url: str) -> tuple[int, int]:
    """(SQL queries, response bytes) of one GET url."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return len(queries), len(response.content)
