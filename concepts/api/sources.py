"""Source endpoints: the registry, one source (or its CSL item) and its local snapshots."""

from typing import Any

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Source
from ..selectors import (
    concept_ref,
    snapshot_by_hash,
    snapshot_data,
    snapshot_latest,
    snapshots_latest,
    source_concepts,
    source_csl,
    source_data,
    source_get,
    source_list,
    source_snapshots,
)
from ..services import snapshot_extension
from .renderers import CSL_ITEM_SCHEMA, CSL_MEDIA_TYPE, AnyMediaRenderer, CslRenderer
from .serializers import ConceptRefOutput, SnapshotOutput, SourceOutput


class SourceListApi(ListAPIView):
    permission_classes = [AllowAny]
    filter_backends = [SearchFilter]
    search_fields = ["key", "title"]
    serializer_class = SourceOutput

    def get_queryset(self):
        return source_list()

    @extend_schema(summary="The source registry, with the state of each local snapshot")
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        assert page is not None  # the project's Pagination always has a page size
        snapshots = snapshots_latest(source_ids=[source.pk for source in page])
        rows = [source_data(source, snapshots.get(source.pk), request) for source in page]
        return self.get_paginated_response(SourceOutput(rows, many=True).data)


def _source_or_404(key: str) -> Source:
    source = source_get(key=key)
    if source is None:
        raise NotFound(f"No source has the key {key!r}.")
    return source


class SourceDetailApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CslRenderer]

    @extend_schema_serializer(component_name="SourceDetail")
    class Output(SourceOutput):
        snapshots = SnapshotOutput(many=True)
        concepts = ConceptRefOutput(many=True)
        csl_url = serializers.URLField()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csl"],
                description="`csl` answers the CSL-JSON citation item instead.",
            )
        ],
        responses={
            (200, "application/json"): Output,
            (200, CSL_MEDIA_TYPE): CSL_ITEM_SCHEMA,
            404: OpenApiResponse(description="No such source"),
        },
        summary="A source: bibliographic record, snapshots and the concepts it grounds",
    )
    def get(self, request, key: str):
        source = _source_or_404(key)
        if request.accepted_renderer.format == "csl":
            return Response(source_csl(source))
        history = source_snapshots(source=source)
        # The summary, and the keys only this answer adds.
        data: dict[str, Any] = {**source_data(source, history[0] if history else None, request)}
        data["snapshots"] = [snapshot_data(source, snapshot, request) for snapshot in history]
        # Every snapshot stays downloadable at its own hash; older ones are marked superseded.
        for row in data["snapshots"][1:]:
            row["state"] = "superseded"
        data["concepts"] = [
            concept_ref(concept, request)
            for concept in source_concepts(source=source, user=request.user)
        ]
        data["csl_url"] = request.build_absolute_uri(f"{source_api_path(source)}csl/")
        return Response(self.Output(data).data)


def source_api_path(source: Source) -> str:
    return reverse("source-detail", kwargs={"key": source.key})


class SourceCslApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [CslRenderer, JSONRenderer]

    @extend_schema(
        responses={
            (200, CSL_MEDIA_TYPE): CSL_ITEM_SCHEMA,
            404: OpenApiResponse(description="No such source"),
        },
        summary="A source as a CSL-JSON citation item",
    )
    def get(self, request, key: str):
        return Response(source_csl(_source_or_404(key)))


# Served inline only when the type cannot run script in this origin; everything else downloads.
INLINE_SAFE_TYPES = frozenset(
    {"application/pdf", "text/plain", "image/png", "image/jpeg", "image/gif", "image/webp"}
)


def snapshot_response(source: Source, snapshot) -> FileResponse | JsonResponse:
    """The stored bytes, never executable in the site's origin: attachments unless the type is
    on a short safe list, and always nosniff and a sandbox CSP."""
    try:
        handle = snapshot.file.open("rb")
    except FileNotFoundError:
        return JsonResponse(
            {"detail": f"The snapshot file of {source.key} is missing from storage."}, status=404
        )
    media_type = snapshot.media_type.split(";", 1)[0].strip().lower()
    response = FileResponse(
        handle,
        content_type=snapshot.media_type if media_type in INLINE_SAFE_TYPES else media_type,
        as_attachment=media_type not in INLINE_SAFE_TYPES,
        filename=f"{source.key}-{snapshot.sha256[:12]}{snapshot_extension(media_type)}",
    )
    response["ETag"] = f'"{snapshot.sha256}"'
    response["X-Snapshot-SHA256"] = snapshot.sha256
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    # The bytes at a hash never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


class SourceSnapshotApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, AnyMediaRenderer]

    @extend_schema(
        responses={
            302: OpenApiResponse(description="Redirect to the newest snapshot's address"),
            404: OpenApiResponse(description="No such source, or no snapshot of it"),
        },
        summary="The newest local snapshot of a source: a redirect to its hash address",
    )
    def get(self, request, key: str):
        source = source_get(key=key)
        snapshot = snapshot_latest(source=source) if source else None
        if snapshot is None:
            detail = (
                f"No source has the key {key!r}." if source is None else f"{key} has no snapshot."
            )
            return JsonResponse({"detail": detail}, status=404)
        assert source is not None  # a snapshot was found, so its source was
        target = reverse(
            "source-snapshot-by-hash", kwargs={"key": source.key, "sha256": snapshot.sha256}
        )
        response = HttpResponseRedirect(target)
        response["Cache-Control"] = "no-cache"
        return response


class SourceSnapshotByHashApi(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, AnyMediaRenderer]

    @extend_schema(
        responses={
            (200, "*/*"): OpenApiResponse(
                response=OpenApiTypes.BINARY,
                description="The stored bytes; they always hash to the sha256 in the address",
            ),
            404: OpenApiResponse(description="No such source, or no snapshot with this hash"),
        },
        summary="Download one local snapshot of a source by its sha256 (immutable)",
    )
    def get(self, request, key: str, sha256: str):
        source = source_get(key=key)
        snapshot = snapshot_by_hash(source=source, sha256=sha256.lower()) if source else None
        if snapshot is None:
            detail = (
                f"No source has the key {key!r}."
                if source is None
                else f"{key} has no snapshot with sha256 {sha256}."
            )
            return JsonResponse({"detail": detail}, status=404)
        if request.headers.get("If-None-Match") == f'"{snapshot.sha256}"':
            response = HttpResponse(status=304)
            response["ETag"] = f'"{snapshot.sha256}"'
            return response
        assert source is not None  # a snapshot was found, so its source was
        return snapshot_response(source, snapshot)
