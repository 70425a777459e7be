"""Drafts in and out as W3C Web Annotations: the JSON-LD export and the all-or-nothing import.

Both are scoped to the requesting learner: the export holds only their drafts, and the import
saves drafts they own.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.response import Response

from .. import selectors, services
from ..annotations import AnnotationFileError, parse_annotation_file
from .base import ResearchRoomApi
from .drafts import DRAFT_FILTER_PARAMETERS


class DraftExportApi(ResearchRoomApi):
    @extend_schema(
        parameters=[
            *DRAFT_FILTER_PARAMETERS,
            OpenApiParameter(
                "page",
                int,
                enum=[1],
                description="1: the collection's AnnotationPage alone (its `id` is this address).",
            ),
        ],
        responses={
            (200, "application/ld+json"): OpenApiTypes.OBJECT,
            400: OpenApiResponse(description="A bad filter or page (the field is named)"),
            404: OpenApiResponse(description="No such page: the collection has one"),
        },
        summary="Your drafts as a W3C Web Annotation collection (JSON-LD)",
        description="The collection's `id` is this address with its filters; its one page, "
        "embedded as `first`, is at the same address with `page=1`. Each annotation's "
        "`creator` is you, as a `urn:uuid` that names no account.",
    )
    def get(self, request):
        filters = request.query_params.copy()
        page = filters.pop("page", None)
        if page is not None and page != ["1"]:
            if page[-1].isdigit():
                raise Http404("The collection has one page: page=1.")
            raise ValidationError({"page": ["Expected a page number: 1."]})
        query = f"?{filters.urlencode()}" if filters else ""
        document = selectors.draft_export(
            owner=request.user,
            base_url=request.build_absolute_uri("/"),
            filters=filters,
            collection_id=request.build_absolute_uri(f"{request.path}{query}"),
            page=page is not None,
        )
        response = Response(document, content_type="application/ld+json")
        response["Content-Disposition"] = 'attachment; filename="research-drafts.jsonld"'
        return response


class _TextParser(BaseParser):
    """Hands the body over as text; the view parses it so errors can name items and lines."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError({"file": [f"Not UTF-8 text (byte {exc.start})."]}) from None


class JsonTextParser(_TextParser):
    media_type = "application/json"


class JsonLdTextParser(_TextParser):
    media_type = "application/ld+json"


class JsonLinesTextParser(_TextParser):
    media_type = "application/x-ndjson"


class JsonLinesAltTextParser(_TextParser):
    media_type = "application/jsonl"


class DraftImportApi(ResearchRoomApi):
    parser_classes = [
        JsonLdTextParser,
        JsonTextParser,
        JsonLinesTextParser,
        JsonLinesAltTextParser,
        MultiPartParser,
    ]

    @extend_schema_serializer(component_name="ResearchDraftImportReport")
    class Output(serializers.Serializer):
        created = serializers.ListField(child=serializers.UUIDField())
        updated = serializers.ListField(child=serializers.UUIDField())
        unchanged = serializers.ListField(child=serializers.UUIDField())

    @extend_schema(
        request={
            "application/ld+json": OpenApiTypes.OBJECT,
            "application/x-ndjson": OpenApiTypes.STR,
        },
        responses={
            200: Output,
            400: OpenApiResponse(description="Errors by item (or line) and field; nothing saved"),
        },
        summary="Import Web Annotations as drafts (all or nothing; idempotent on ids)",
    )
    def post(self, request):
        text = request.data
        if not isinstance(text, str):
            upload = request.data.get("file")
            if upload is None:
                raise ValidationError({"file": ["Upload the annotation file as 'file'."]})
            text = JsonTextParser().parse(upload)
        try:
            annotations = parse_annotation_file(text)
            report = services.draft_import(owner=request.user, annotations=annotations)
        except AnnotationFileError as exc:
            raise ValidationError(exc.errors) from None
        return Response(self.Output(report).data)
