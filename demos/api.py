from datetime import datetime
from typing import Any, cast

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from learning_platform.pagination import Pagination
from learning_platform.parsers import SafeJSONParser

from .catalogue import KINDS, demo_kind_describe, demo_kind_get
from .models import DemoRun
from .plots import demo_result_svg
from .selectors import demo_run_get
from .services import DemoRunLimitReached, demo_run_request


class SvgRenderer(BaseRenderer):
    media_type = "image/svg+xml"
    format = "svg"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DemoKindOutput(serializers.Serializer):
    kind = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    parameters = serializers.DictField(help_text="JSON Schema of the parameters.")
    defaults = serializers.DictField()
    caps = serializers.DictField()
    code_version = serializers.CharField()
    runs_url = serializers.SerializerMethodField()

    def get_runs_url(self, data) -> str:
        return reverse(
            "demo-run-request", kwargs={"kind": data["kind"]}, request=self.context["request"]
        )


class DemoRunOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(choices=DemoRun.Status.choices)
    progress = serializers.FloatField()
    params = serializers.JSONField()
    params_hash = serializers.CharField()
    code_version = serializers.CharField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField()
    attempts = serializers.IntegerField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    compute_ms = serializers.FloatField(allow_null=True)
    estimated_seconds = serializers.FloatField(help_text="Estimated computation, before queueing.")
    queue = serializers.CharField(help_text="demos-cheap or demos-expensive, by the estimate.")
    plot_url = serializers.SerializerMethodField()

    def get_url(self, run) -> str:
        return reverse(
            "demo-run-detail", kwargs={"run_id": run.pk}, request=self.context["request"]
        )

    def get_plot_url(self, run) -> str | None:
        if run.status != DemoRun.Status.SUCCEEDED:
            return None
        return reverse("demo-run-plot", kwargs={"run_id": run.pk}, request=self.context["request"])


class DemoCatalogueApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "PaginatedDemoKindList",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": DemoKindOutput(many=True),
            },
        ),
        summary="The demo catalogue",
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(
            [demo_kind_describe(kind) for kind in KINDS.values()], request, view=self
        )
        data = DemoKindOutput(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


class DemoKindApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: DemoKindOutput, 404: OpenApiResponse(description="No such demo kind")},
        summary="One demo kind: parameter schema, defaults and caps",
    )
    def get(self, request, kind: str):
        demo = _demo_kind_or_404(kind)
        return Response(DemoKindOutput(demo_kind_describe(demo), context={"request": request}).data)


class DemoRunRequestApi(APIView):
    """Queue a run of the demo with these parameters, or answer with the run that has them."""

    permission_classes = [IsAuthenticated]
    parser_classes = [SafeJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "demo-submissions"

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: OpenApiResponse(DemoRunOutput, description="The same run, already succeeded"),
            202: OpenApiResponse(DemoRunOutput, description="Queued (or still running)"),
            400: OpenApiResponse(description="A message per invalid parameter"),
            401: OpenApiResponse(description="Not authenticated"),
            404: OpenApiResponse(description="No such demo kind"),
            429: OpenApiResponse(
                description="Too many submissions, or too many of your runs queued or running"
            ),
        },
        summary="Run a demo",
        description=(
            "The body is the parameter object of the kind, typed by the kind's parameter "
            "model (the schema documents one operation per kind, and the catalogue publishes "
            "the same schema); omitted parameters take the page's defaults and unknown ones "
            "are refused. The same kind and canonical parameters return "
            "the same run: 200 once it has succeeded, 202 while it is queued or running. A run "
            "whose estimated cost is past the cap is a 400 naming the parameter; a learner "
            "with DEMO_RUNS_IN_FLIGHT_MAX runs queued or running gets 429 with Retry-After."
        ),
    )
    def post(self, request, kind: str):
        _demo_kind_or_404(kind)
        try:
            run, _created = demo_run_request(
                kind=kind, params=request.data, user=request.user, limit_in_flight=True
            )
        except DemoRunLimitReached as exc:
            raise Throttled(wait=exc.retry_after, detail=str(exc)) from None
        data = DemoRunOutput(run, context={"request": request}).data
        code = 200 if run.status == DemoRun.Status.SUCCEEDED else 202
        return Response(data, status=code, headers={"Location": data["url"]})


class DemoRunDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: DemoRunOutput, 404: OpenApiResponse(description="No run has this id")},
        summary="A demo run: status, progress, result, timings",
    )
    def get(self, request, run_id: str):
        run = _demo_run_or_404(run_id)
        return Response(DemoRunOutput(run, context={"request": request}).data)


class DemoRunPlotApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [SvgRenderer, JSONRenderer]

    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiTypes.STR,
            404: OpenApiResponse(description="No run has this id"),
            409: OpenApiResponse(description="The run has not succeeded (yet)"),
        },
        summary="A chart of the run: π_ref against π*, and the β sweep when present",
    )
    def get(self, request, run_id: str):
        run = demo_run_get(run_id=run_id)
        if run is None:
            return JsonResponse({"detail": f"No demo run has the id {run_id!r}."}, status=404)
        if run.status != DemoRun.Status.SUCCEEDED:
            return JsonResponse(
                {"detail": f"The run is {run.status}; its chart exists once it has succeeded."},
                status=409,
            )
        # A succeeded result never changes (a re-run gets a new finished_at), so cache it.
        # A succeeded run always has its finished_at and its result (demo_run_execute).
        finished_at = cast(datetime, run.finished_at)
        key = f"demos:plot:{run.pk}:{finished_at.timestamp()}"
        svg = cache.get(key)
        if svg is None:
            svg = demo_result_svg(run.kind, cast(dict[str, Any], run.result))
            cache.set(key, svg, 3600)
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Cache-Control"] = "public, max-age=3600"
        return response


def _demo_kind_or_404(kind: str):
    demo = demo_kind_get(kind)
    if demo is None:
        raise NotFound(f"No demo kind {kind!r}; the catalogue lists {', '.join(KINDS)}.")
    return demo


def _demo_run_or_404(run_id: str) -> DemoRun:
    run = demo_run_get(run_id=run_id)
    if run is None:
        raise NotFound(f"No demo run has the id {run_id!r}.")
    return run
