import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from kombu import Connection
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .objects import object_resolve_for


class ApiRootApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer("ApiRoot", {"links": serializers.DictField()}),
        summary="Entry points of the API",
    )
    def get(self, request):
        def link(name: str) -> str:
            return reverse(name, request=request)

        return Response(
            {
                "links": {
                    "auth_token": link("auth-token"),
                    "concepts": request.build_absolute_uri("/api/v1/concepts/"),
                    "sources": request.build_absolute_uri("/api/v1/sources/"),
                    "claims": request.build_absolute_uri("/api/v1/claims/"),
                    "demos": request.build_absolute_uri("/api/v1/demos/"),
                    "research_room": request.build_absolute_uri("/api/v1/research-room/drafts/"),
                    "objects": request.build_absolute_uri("/api/v1/objects/{key}"),
                    "schema": link("schema"),
                    "docs": link("docs"),
                    "health": request.build_absolute_uri("/healthz"),
                }
            }
        )


class TokenObtainApi(ObtainAuthToken):
    """Username + password → token. Bad credentials are a 400 naming what was wrong."""

    permission_classes = [AllowAny]
    # ObtainAuthToken names DRF's own parsers; the project's refuse depth and unstorable text.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(
        request=inline_serializer(
            "TokenRequest",
            {"username": serializers.CharField(), "password": serializers.CharField()},
        ),
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields or bad credentials"),
        },
        summary="Obtain an API token",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class ObjectResolveApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "ResolvedObject",
                {
                    "key": serializers.CharField(),
                    "kind": serializers.CharField(),
                    "title": serializers.CharField(),
                    "concept": serializers.CharField(allow_null=True),
                    "api_url": serializers.CharField(),
                    "version": serializers.CharField(),
                    "context": serializers.DictField(),
                },
            ),
            404: OpenApiResponse(description="No object has this key"),
        },
        summary="Resolve an object key",
    )
    def get(self, request, key: str):
        key = key + (f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else "")
        resolved = object_resolve_for(key, request.user)
        if resolved is None:
            return Response({"detail": f"No object has the key {key!r}."}, status=404)
        data = resolved.to_dict()
        data["api_url"] = request.build_absolute_uri(resolved.api_url)
        return Response(data)


def _database_state() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means the database is not usable
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms(started)}


def _broker_state() -> dict:
    started = time.perf_counter()
    url = settings.CELERY_BROKER_URL
    try:
        with Connection(
            url,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
            transport = conn.transport_cls if isinstance(conn.transport_cls, str) else "broker"
    except Exception as exc:  # kombu raises a family of errors; each means "unreachable"
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}".strip()[:300]}
    return {"ok": True, "transport": transport, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def healthz(request):
    """200 when the database and the broker answer; 503 naming the one that does not."""
    checks = {"database": _database_state(), "broker": _broker_state()}
    down = [name for name, state in checks.items() if not state["ok"]]
    body = {"status": "ok" if not down else "unavailable", "checks": checks}
    if down:
        body["down"] = down
        body["detail"] = "Unavailable: " + ", ".join(down) + "."
    return JsonResponse(body, status=503 if down else 200)
