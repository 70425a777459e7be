import hashlib
import time
from urllib.parse import unquote

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from knox.models import AuthToken
from kombu import Connection
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .errors import lockout_response
from .objects import object_resolve_for
from .tokens import SignInRefused, token_list_for, token_revoke, token_sign_in


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
                    "auth_tokens": link("auth-tokens"),
                    "concepts": link("concept-list"),
                    "sources": link("source-list"),
                    "claims": link("claim-list"),
                    "demos": link("demo-catalogue"),
                    "research_room": link("research-draft-list"),
                    # A URI template (RFC 6570): the key is the client's to fill in.
                    "objects": unquote(
                        reverse("object-resolve", kwargs={"key": "{key}"}, request=request)
                    ),
                    "schema": link("schema"),
                    "docs": link("docs"),
                    "health": link("healthz"),
                }
            }
        )


class SignInClientThrottle(SimpleRateThrottle):
    """Sign-in attempts per client address, counted in the shared cache."""

    scope = "sign-in-client"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignInAccountThrottle(SimpleRateThrottle):
    """Sign-in attempts per account name, whichever client they come from."""

    scope = "sign-in-account"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        ident = hashlib.sha256(username.strip().casefold().encode("utf-8", "replace"))
        return self.cache_format % {"scope": self.scope, "ident": ident.hexdigest()}


class TokenObtainApi(APIView):
    """Username + password → a new expiring token. Bad credentials are a 400; repeated
    failures lock the account and the client out (429) for the cool-off time."""

    permission_classes = [AllowAny]
    throttle_classes = [SignInClientThrottle, SignInAccountThrottle]

    @extend_schema_serializer(component_name="Credentials")
    class Input(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)

    @extend_schema_serializer(component_name="TokenResponse")
    class Output(serializers.Serializer):
        token = serializers.CharField()
        token_key = serializers.CharField(help_text="Names this token when listing or revoking.")
        expiry = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        request=Input,
        responses={
            200: Output,
            400: OpenApiResponse(description="Missing fields or bad credentials"),
            429: OpenApiResponse(description="Too many attempts, or locked out after failures"),
        },
        summary="Obtain an API token",
    )
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            issued = token_sign_in(request=request, **data.validated_data)
        except SignInRefused as exc:
            if exc.locked_out:
                return lockout_response(request)
            raise ValidationError(
                {"non_field_errors": ["Unable to log in with provided credentials."]}
            ) from None
        return Response(self.Output(issued).data)


class TokenOutput(serializers.Serializer):
    token_key = serializers.CharField()
    user = serializers.CharField(source="user.username")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField()

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return getattr(auth, "digest", None) == token.digest


class TokenListApi(ListAPIView):
    """Your live tokens (an admin sees everyone's, or one user's with ?user=)."""

    permission_classes = [IsAuthenticated]
    serializer_class = TokenOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AuthToken.objects.none()
        return token_list_for(user=self.request.user, owner_username=self.request.GET.get("user"))

    @extend_schema(
        parameters=[
            OpenApiParameter("user", str, description="Admins only: one user's tokens."),
        ],
        summary="List API tokens",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such token of yours")},
        summary="Revoke an API token (yours; an admin's may be anyone's)",
    )
    def delete(self, request, token_key: str):
        if not token_revoke(user=request.user, token_key=token_key):
            raise NotFound("No token of yours has this key.")
        return Response(status=status.HTTP_204_NO_CONTENT)


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
                    "url": serializers.URLField(help_text="The object's absolute address."),
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
        del data["api_url"]
        data["url"] = request.build_absolute_uri(resolved.api_url)
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
            # The embedded broker's URL (sqlite:) is read by the transport class settings name.
            transport=settings.CELERY_BROKER_TRANSPORT if url.startswith("sqlite:") else None,
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
    body: dict[str, object] = {"status": "ok" if not down else "unavailable", "checks": checks}
    if down:
        body["down"] = down
        body["detail"] = "Unavailable: " + ", ".join(down) + "."
    return JsonResponse(body, status=503 if down else 200)
