"""Bibliography endpoints: every source as CSL-JSON, and a concept page's bibliography."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..citations import BUNDLED_STYLE, bibliography_render
from ..selectors import source_csl, source_list, sources_of_concept
from .lookups import concept_or_404
from .renderers import (
    CSL_LIST_SCHEMA,
    CSL_MEDIA_TYPE,
    BibliographyHtmlRenderer,
    BibliographyTextRenderer,
    CslRenderer,
)


class SourceCslListApi(APIView):
    """The whole source registry as one CSL-JSON array, ready for Zotero, Pandoc or citeproc."""

    permission_classes = [AllowAny]
    renderer_classes = [CslRenderer, JSONRenderer]

    @extend_schema(
        responses={
            (200, CSL_MEDIA_TYPE): CSL_LIST_SCHEMA,
            (200, "application/json"): CSL_LIST_SCHEMA,
            404: OpenApiResponse(description="An unknown ?format="),
        },
        summary="Every source as a CSL-JSON array",
    )
    def get(self, request):
        return Response([source_csl(source) for source in source_list()])


BIBLIOGRAPHY_RENDERED = {"html", "text"}


class ConceptBibliographyApi(APIView):
    """The sources a concept page cites: CSL-JSON, or rendered by a CSL processor."""

    permission_classes = [AllowAny]
    renderer_classes = [
        CslRenderer,
        JSONRenderer,
        BibliographyHtmlRenderer,
        BibliographyTextRenderer,
    ]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["csl", "json", "html", "text"],
                description=f"`csl` (the default) and `json` answer the CSL-JSON array; `html` "
                f"and `text` the bibliography rendered by citeproc-py in the {BUNDLED_STYLE} "
                "style.",
            )
        ],
        responses={
            (200, CSL_MEDIA_TYPE): CSL_LIST_SCHEMA,
            (200, "application/json"): CSL_LIST_SCHEMA,
            (200, "text/html"): OpenApiTypes.STR,
            (200, "text/plain"): OpenApiTypes.STR,
            404: OpenApiResponse(description="No such concept"),
        },
        summary="A concept page's bibliography, as CSL-JSON or rendered",
    )
    def get(self, request, area: str, slug: str):
        concept = concept_or_404(request, area, slug)
        items = [source_csl(source) for source in sources_of_concept(concept=concept)]
        output = request.accepted_renderer.format
        if output in BIBLIOGRAPHY_RENDERED:
            return Response(bibliography_render(items, output=output))
        return Response(items)
