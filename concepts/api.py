"""Concepts and sources over REST: one view per endpoint, input and output side by side."""

import json

import django_filters
from django.http import FileResponse, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
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
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from learning_platform.caching import versioned_read
from learning_platform.pages import page_section_outputs
from learning_platform.pagination import LimitOffsetInput, limit_offset, limit_offset_links
from learning_platform.permissions import IsEditor

from .citations import BUNDLED_STYLE, bibliography_render
from .embeds import embed_expand, embedded_objects
from .models import Concept, ConceptRevision, Source
from .rendering import page_rendered
from .revisions import (
    CHANGE_CHOICES,
    content_diff,
    content_visible,
    item_key_of_object,
    revision_get,
    revision_list,
)
from .selectors import (
    concept_by_path,
    concept_diff_path,
    concept_get,
    concept_learning_path_page,
    concept_list,
    concept_page,
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
    sources_of_concept,
)
from .services import prerequisite_add, snapshot_extension

CSL_MEDIA_TYPE = "application/vnd.citationstyles.csl+json"
CSL_LIST_SCHEMA = {
    "type": "array",
    "description": "CSL-JSON items (https://citeproc-js.readthedocs.io/en/latest/csl-json/).",
    "items": {
        "type": "object",
        "required": ["id", "type", "title"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
        "additionalProperties": True,
    },
}


class CslRenderer(JSONRenderer):
    """CSL-JSON: chosen with ``?format=csl`` or by its media type in the Accept header."""

    media_type = CSL_MEDIA_TYPE
    format = "csl"


class BibliographyRenderer(BaseRenderer):
    """A bibliography rendered by the CSL processor; an error answer keeps its JSON detail."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, list):
            return self.document(data).encode()
        return json.dumps(data).encode()

    def document(self, entries: list[str]) -> str:
        raise NotImplementedError


class BibliographyTextRenderer(BibliographyRenderer):
    """One entry a line: ``?format=text``."""

    media_type = "text/plain"
    format = "text"

    def document(self, entries: list[str]) -> str:
        return "".join(f"{entry}\n" for entry in entries)


class BibliographyHtmlRenderer(BibliographyRenderer):
    """An HTML list: ``?format=html``."""

    media_type = "text/html"
    format = "html"

    def document(self, entries: list[str]) -> str:
        rows = "".join(f"<li>{entry}</li>" for entry in entries)
        return f'<ol class="bibliography">{rows}</ol>\n'


class AnyMediaRenderer(BaseRenderer):
    """Lets a file download answer whatever the client accepts; the file sets its own type."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


# Output shapes (shared) -----------------------------------------------------------------------


@extend_schema_serializer(component_name="ConceptRef")
class ConceptRefOutput(serializers.Serializer):
    key = serializers.CharField()
    path = serializers.CharField()
    area = serializers.CharField()
    area_title = serializers.CharField()
    slug = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    status = serializers.CharField()
    difficulty = serializers.IntegerField()
    url = serializers.URLField(help_text="The concept page's absolute address.")


@extend_schema_serializer(component_name="SnapshotState")
class SnapshotOutput(serializers.Serializer):
    state = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    media_type = serializers.CharField()
    retrieved_on = serializers.CharField()
    download_url = serializers.CharField()


@extend_schema_serializer(component_name="SourceSummary")
class SourceOutput(serializers.Serializer):
    key = serializers.CharField()
    object_key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    short_authors = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    venue = serializers.CharField()
    web_url = serializers.CharField(help_text="Where the work itself is published.")
    doi = serializers.CharField()
    arxiv_id = serializers.CharField()
    version = serializers.CharField()
    url = serializers.URLField(help_text="The source's absolute address in this API.")
    snapshot_state = serializers.CharField()
    snapshot = SnapshotOutput(allow_null=True)


# Concepts -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="RenderError")
class RenderErrorOutput(serializers.Serializer):
    key = serializers.CharField(help_text="The object (or section) whose TeX did not render.")
    field = serializers.CharField(help_text="`body`, or `section_prompt` for a section's prompt.")
    line = serializers.IntegerField(help_text="Line in that field's text, from 1.")
    column = serializers.IntegerField(help_text="Column in that line, from 1.")
    offset = serializers.IntegerField(help_text="Characters into that field's text, from 0.")
    message = serializers.CharField()


@extend_schema_serializer(component_name="RenderedObject")
class RenderedObjectOutput(serializers.Serializer):
    html = serializers.CharField(
        help_text="Sanitized HTML: Markdown rendered, LaTeX as MathML, code in <pre><code>."
    )
    errors = RenderErrorOutput(  # type: ignore[assignment]  # a declared field, popped by the metaclass
        many=True, help_text="Each equation shown as an error instead."
    )


@extend_schema_serializer(component_name="RenderedSection")
class RenderedSectionOutput(RenderedObjectOutput):
    section_prompt_html = serializers.CharField()


RENDER_PARAMETER = OpenApiParameter(
    "render",
    str,
    enum=["html"],
    description="`html` adds a `rendered` form to each section and object: the HTML a learner "
    "sees (MathML for the LaTeX, sanitized), with the position of any equation that does not "
    "render. Any other value is refused with 400.",
)


class RenderInput(serializers.Serializer):
    render = serializers.ChoiceField(choices=["html"], required=False)


class ConceptFilter(django_filters.FilterSet):
    area = django_filters.CharFilter()
    difficulty = django_filters.NumberFilter()
    importance = django_filters.ChoiceFilter(choices=Concept.Importance.choices)
    status = django_filters.ChoiceFilter(choices=Concept.Status.choices)

    class Meta:
        model = Concept
        fields = ["area", "difficulty", "importance", "status"]


class ConceptListApi(ListAPIView):
    """Published concepts (editors and reviewers also see drafts, in review and retired)."""

    permission_classes = [AllowAny]
    filter_backends = [DjangoFilterBackend, SearchFilter]
    filterset_class = ConceptFilter
    search_fields = ["title", "summary"]

    @extend_schema_serializer(component_name="ConceptListItem")
    class Output(serializers.ModelSerializer):
        key = serializers.CharField(read_only=True)
        path = serializers.CharField(read_only=True)
        url = serializers.SerializerMethodField()

        class Meta:
            model = Concept
            fields = [
                "key",
                "path",
                "area",
                "area_title",
                "slug",
                "title",
                "summary",
                "status",
                "importance",
                "difficulty",
                "math_level",
                "read_minutes",
                "url",
            ]

        def get_url(self, concept: Concept) -> str:
            return concept_ref(concept, self.context.get("request"))["url"]

    serializer_class = Output

    def get_queryset(self):
        return concept_list(user=self.request.user)

    @extend_schema(summary="List concepts")
    @versioned_read("concepts")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ConceptDetailApi(APIView):
    """The whole concept page in one response, in a fixed number of queries."""

    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="ConceptPage")
    class Output(ConceptRefOutput):
        @extend_schema_serializer(component_name="ConceptReadiness")
        class Readiness(serializers.Serializer):
            ready = serializers.IntegerField()
            total = serializers.IntegerField()
            label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash

        @extend_schema_serializer(component_name="ConceptSection")
        class SectionOutput(serializers.Serializer):
            key = serializers.CharField()
            kind = serializers.CharField()
            order = serializers.IntegerField()
            number = serializers.CharField()
            title = serializers.CharField()
            summary = serializers.CharField()
            prompt = serializers.CharField()
            section_prompt = serializers.CharField()
            body = serializers.CharField(
                help_text="Markdown with the LaTeX verbatim, embedded objects expanded."
            )
            body_source = serializers.CharField(
                help_text="The body as stored: objects referred to as {{kind:anchor}} lines."
            )
            ready = serializers.BooleanField()
            version = serializers.CharField()
            rendered = RenderedSectionOutput(required=False, help_text="With ?render=html only.")

        @extend_schema_serializer(component_name="ConceptObject")
        class ObjectOutput(serializers.Serializer):
            key = serializers.CharField()
            kind = serializers.CharField()
            anchor = serializers.CharField()
            title = serializers.CharField()
            section = serializers.CharField(allow_null=True)
            operational = serializers.BooleanField()
            body = serializers.CharField()
            language = serializers.CharField()
            expected_output = serializers.CharField(
                help_text="Code witnesses: exactly what the code prints (verification checks it)."
            )
            demo_kind = serializers.CharField()
            params = serializers.JSONField()
            version = serializers.CharField()
            rendered = RenderedObjectOutput(required=False, help_text="With ?render=html only.")

        @extend_schema_serializer(component_name="ConceptBefore")
        class BeforeOutput(ConceptRefOutput):
            carry_in = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptNext")
        class NextOutput(ConceptRefOutput):
            carry_out = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptRelatedLink")
        class RelatedOutput(serializers.Serializer):
            title = serializers.CharField()
            url = serializers.CharField()
            note = serializers.CharField()
            target = ConceptRefOutput(allow_null=True)

        @extend_schema_serializer(component_name="ConceptBridgeStop")
        class BridgeStop(serializers.Serializer):
            key = serializers.CharField()
            title = serializers.CharField()
            note = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptLearningMap")
        class LearningMap(serializers.Serializer):
            @extend_schema_serializer(component_name="ConceptLearningMapNow")
            class Now(serializers.Serializer):
                key = serializers.CharField()
                title = serializers.CharField()
                summary = serializers.CharField()
                readiness = serializers.CharField()
                test_the_link = serializers.CharField()

            @extend_schema_serializer(component_name="ConceptLearningMapCounts")
            class Counts(serializers.Serializer):
                prerequisites = serializers.IntegerField()
                next_concepts = serializers.IntegerField()
                related_links = serializers.IntegerField()

            @extend_schema_serializer(component_name="ConceptBridge")
            class Bridge(serializers.Serializer):
                carry_in = serializers.DictField(allow_null=True)
                work_here = serializers.DictField()
                carry_out = serializers.DictField(allow_null=True)
                test_the_link = serializers.CharField()

            before = serializers.ListField()
            now = Now()
            next = serializers.ListField()
            related = serializers.ListField()
            counts = Counts()
            counts_label = serializers.CharField()
            bridge = Bridge()

        @extend_schema_serializer(component_name="ConceptPageSource")
        class PageSourceOutput(SourceOutput):
            grounds = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptSourcesSummary")
        class SourcesSummary(serializers.Serializer):
            count = serializers.IntegerField()
            label = serializers.CharField()  # type: ignore[assignment]  # DRF's metaclass pops declared fields: no Field.label clash
            snapshot_state = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptDemo")
        class DemoOutput(serializers.Serializer):
            key = serializers.CharField()
            anchor = serializers.CharField()
            title = serializers.CharField()
            demo_kind = serializers.CharField()
            params = serializers.JSONField()
            body = serializers.CharField()
            runs_url = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptLearnerTexts")
        class LearnerOutput(serializers.Serializer):
            @extend_schema_serializer(component_name="ConceptPractice")
            class Practice(serializers.Serializer):
                @extend_schema_serializer(component_name="ConceptPracticeHintTeaser")
                class Hint(serializers.Serializer):
                    number = serializers.IntegerField()
                    teaser = serializers.CharField()

                heading = serializers.CharField()
                prompt = serializers.CharField()
                hints = Hint(
                    many=True, help_text="Teasers only; the practice loop reveals each body."
                )

            @extend_schema_serializer(component_name="ConceptStoryboard")
            class Storyboard(serializers.Serializer):
                heading = serializers.CharField()
                lens = serializers.CharField()
                commit = serializers.CharField()

            @extend_schema_serializer(component_name="ConceptVisualInquiry")
            class VisualInquiry(serializers.Serializer):
                heading = serializers.CharField()
                question = serializers.CharField()
                commit = serializers.CharField()

            @extend_schema_serializer(component_name="ConceptAfterFirstPass")
            class AfterFirstPass(serializers.Serializer):
                heading = serializers.CharField()
                body = serializers.CharField()

            anchored_question = serializers.CharField(
                help_text="The research room's question; a draft saved without one takes it."
            )
            practice = Practice()
            storyboard = Storyboard(help_text="Mechanism Storyboard.")
            visual_inquiry = VisualInquiry(help_text="Visual Inquiry.")
            after_first_pass = AfterFirstPass(help_text="After The First Pass.")
            research_instruction = serializers.CharField()

        @extend_schema_serializer(component_name="ConceptLinks")
        class Links(serializers.Serializer):
            learning_path = serializers.URLField()
            practice = serializers.URLField(help_text="The learner's practice loop (signed in).")
            research_drafts = serializers.URLField(
                help_text="The learner's research-room drafts on this concept (signed in)."
            )
            claims = serializers.URLField(help_text="The claim list, filtered to this concept.")
            bibliography = serializers.URLField(help_text="The page's sources as CSL-JSON.")

        links = Links()
        importance = serializers.CharField()
        math_level = serializers.CharField()
        read_minutes = serializers.IntegerField()
        illustration_caption = serializers.CharField()
        live_demo = serializers.BooleanField()
        version = serializers.CharField()
        updated_at = serializers.CharField(allow_null=True)
        readiness = Readiness()
        sections = SectionOutput(many=True)
        objects = ObjectOutput(many=True)
        learning_map = LearningMap()
        related_links = RelatedOutput(many=True)
        sources = PageSourceOutput(many=True)
        sources_summary = SourcesSummary()
        demos = DemoOutput(many=True)
        learner = LearnerOutput(help_text="The texts around the page's panels, as written.")

        def get_fields(self):
            """The declared fields, and one per section another app adds to the page."""
            fields = super().get_fields()
            for name, output in page_section_outputs().items():
                fields[name] = output()
            return fields

    @extend_schema(
        parameters=[RENDER_PARAMETER],
        responses={
            200: Output,
            400: OpenApiResponse(description="An unknown `render` value"),
            404: OpenApiResponse(description="No such concept"),
        },
        summary="A concept page: metadata, sections, objects, learning map, sources, demos",
        description="Sections registered by other apps (such as `claims`) are added under "
        "their own names.",
    )
    @versioned_read("concepts", "claims")
    def get(self, request, area: str, slug: str):
        query = RenderInput(data=request.query_params.dict())  # so "?render=" is refused too
        query.is_valid(raise_exception=True)
        concept = concept_get(user=request.user, area=area, slug=slug)
        if concept is None:
            raise NotFound(f"No concept {area}/{slug}.")
        page = concept_payload(concept=concept, request=request)
        return Response(page_rendered(page) if query.validated_data.get("render") else page)


def concept_payload(*, concept: Concept, request) -> dict:
    """The detail response: what the API serves and what the admin preview shows.

    `concept_page` builds JSON-ready values already, in the shape `ConceptDetailApi.Output`
    documents (tests/concepts/test_api.py holds the two equal on every page of content/), so
    the page is served as built rather than copied field by field through the serializer."""
    return concept_page(concept=concept, user=request.user, request=request)


class ConceptLearningPathApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="LearningPath")
    class Output(serializers.Serializer):
        @extend_schema_serializer(component_name="LearningPathStep")
        class Step(serializers.Serializer):
            step = serializers.IntegerField()
            key = serializers.CharField()
            path = serializers.CharField()
            title = serializers.CharField()
            summary = serializers.CharField()
            status = serializers.CharField()
            difficulty = serializers.IntegerField()
            requires = serializers.ListField(child=serializers.CharField())
            url = serializers.URLField(help_text="The step's concept page, absolute.")

        concept = ConceptRefOutput()
        count = serializers.IntegerField(help_text="All the steps, on every page.")
        next = serializers.URLField(allow_null=True, help_text="The next page, absolute.")
        previous = serializers.URLField(allow_null=True, help_text="The previous page.")
        steps = Step(many=True)

    @extend_schema(
        parameters=[LimitOffsetInput],
        responses={
            200: Output,
            400: OpenApiResponse(description="A bad limit or offset (the field is named)"),
            404: OpenApiResponse(description="No such concept"),
        },
        summary="Every transitive prerequisite in a valid study order (prerequisites first)",
        description=(
            f"Paginated: `?limit=` steps ({LimitOffsetInput.DEFAULT_LIMIT} by default, at most "
            f"{LimitOffsetInput.MAX_LIMIT}; a larger limit is refused with 400) from `?offset=` "
            "(0 by default). `count` is the number of steps in the whole path; `next` and "
            "`previous` link the neighbouring pages (null at either end). Step numbers count "
            "from the start of the whole path."
        ),
    )
    @versioned_read("concepts")
    def get(self, request, area: str, slug: str):
        limit, offset = limit_offset(request)
        concept = concept_get(user=request.user, area=area, slug=slug)
        if concept is None:
            raise NotFound(f"No concept {area}/{slug}.")
        count, steps = concept_learning_path_page(
            concept=concept, user=request.user, limit=limit, offset=offset, request=request
        )
        # The steps are plain values already; the serializer documents them.
        return Response(
            {
                "concept": concept_ref(concept, request),
                "count": count,
                **limit_offset_links(request, count=count, limit=limit, offset=offset),
                "steps": steps,
            }
        )


class PrerequisiteAddApi(APIView):
    permission_classes = [IsEditor]

    @extend_schema_serializer(component_name="PrerequisiteAddInput")
    class Input(serializers.Serializer):
        prerequisite = serializers.CharField(
            max_length=201, help_text='The prerequisite\'s "<area>/<slug>".'
        )
        carry_in = serializers.CharField(
            max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False
        )
        carry_out = serializers.CharField(
            max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False
        )

        def validate_prerequisite(self, value: str) -> Concept:
            concept = concept_by_path(value.strip())
            if concept is None:
                raise serializers.ValidationError(f"No concept has the path {value!r}.")
            return concept

    @extend_schema_serializer(component_name="PrerequisiteEdge")
    class Output(serializers.Serializer):
        concept = ConceptRefOutput()
        prerequisite = ConceptRefOutput()
        carry_in = serializers.CharField()
        carry_out = serializers.CharField()
        order = serializers.IntegerField()

    @extend_schema(
        request=Input,
        responses={
            201: Output,
            400: OpenApiResponse(description="Unknown prerequisite, or the cycle it would close"),
            401: OpenApiResponse(description="Not authenticated"),
            403: OpenApiResponse(description="Not an editor"),
            404: OpenApiResponse(description="No such concept"),
        },
        summary="Add a prerequisite edge (editors); an edge closing a cycle is refused",
    )
    def post(self, request, area: str, slug: str):
        concept = concept_get(user=request.user, area=area, slug=slug)
        if concept is None:
            raise NotFound(f"No concept {area}/{slug}.")
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        edge = prerequisite_add(concept=concept, **data.validated_data)
        body = {
            "concept": concept_ref(concept, request),
            "prerequisite": concept_ref(edge.prerequisite, request),
            "carry_in": edge.carry_in,
            "carry_out": edge.carry_out,
            "order": edge.order,
        }
        return Response(self.Output(body).data, status=201)


# Sources --------------------------------------------------------------------------------------


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
        csl_url = serializers.CharField()

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
            (200, CSL_MEDIA_TYPE): OpenApiTypes.OBJECT,
            404: OpenApiResponse(description="No such source"),
        },
        summary="A source: bibliographic record, snapshots and the concepts it grounds",
    )
    def get(self, request, key: str):
        source = _source_or_404(key)
        if request.accepted_renderer.format == "csl":
            return Response(source_csl(source))
        history = source_snapshots(source=source)
        data = source_data(source, history[0] if history else None, request)
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
            (200, CSL_MEDIA_TYPE): OpenApiTypes.OBJECT,
            404: OpenApiResponse(description="No such source"),
        },
        summary="A source as a CSL-JSON citation item",
    )
    def get(self, request, key: str):
        return Response(source_csl(_source_or_404(key)))


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
        concept = _concept_or_404(request, area, slug)
        items = [source_csl(source) for source in sources_of_concept(concept=concept)]
        output = request.accepted_renderer.format
        if output in BIBLIOGRAPHY_RENDERED:
            return Response(bibliography_render(items, output=output))
        return Response(items)


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


# Revisions ------------------------------------------------------------------------------------


def _concept_or_404(request, area: str, slug: str) -> Concept:
    concept = concept_get(user=request.user, area=area, slug=slug)
    if concept is None:
        raise NotFound(f"No concept {area}/{slug}.")
    return concept


def _revision_or_404(concept: Concept, revision_hash: str) -> ConceptRevision:
    revision = revision_get(concept=concept, revision_hash=revision_hash)
    if revision is None:
        raise NotFound(f"{concept.path} has no revision {revision_hash!r}.")
    return revision


@extend_schema_serializer(component_name="ConceptRevision")
class RevisionOutput(serializers.Serializer):
    number = serializers.IntegerField()
    hash = serializers.CharField()
    parent_hash = serializers.CharField()
    author = serializers.CharField(source="author_label")
    door = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()
    diff_url = serializers.SerializerMethodField()

    def _route(self, revision: ConceptRevision) -> dict[str, str]:
        concept = self.context["concept"]
        return {"area": concept.area, "slug": concept.slug, "revision": revision.hash}

    def get_url(self, revision: ConceptRevision) -> str:
        path = reverse("concept-revision", kwargs=self._route(revision))
        return self.context["request"].build_absolute_uri(path)

    def get_diff_url(self, revision: ConceptRevision) -> str | None:
        if not revision.parent_hash:
            return None
        path = concept_diff_path(
            self.context["concept"].key, old=revision.parent_hash, new=revision.hash
        )
        return self.context["request"].build_absolute_uri(path)


class ConceptRevisionListApi(ListAPIView):
    """Every revision of a concept, newest first."""

    permission_classes = [AllowAny]
    serializer_class = RevisionOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConceptRevision.objects.none()
        self.concept = _concept_or_404(self.request, self.kwargs["area"], self.kwargs["slug"])
        return revision_list(concept=self.concept)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "concept": getattr(self, "concept", None)}

    @extend_schema(summary="A concept's revisions, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ConceptRevisionDetailApi(APIView):
    """The page's content as it was at one revision, with its sections expanded."""

    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="ConceptRevisionContent")
    class Output(RevisionOutput):
        content = serializers.JSONField(source="revision_content")
        sections = serializers.JSONField(source="revision_sections")

    @extend_schema(
        responses={200: Output, 404: OpenApiResponse(description="No such concept or revision")},
        summary="A concept page as it was at one revision (hash, or a unique prefix of 8+)",
    )
    def get(self, request, area: str, slug: str, revision: str):
        concept = _concept_or_404(request, area, slug)
        found = _revision_or_404(concept, revision)
        content = content_visible(found.content, user=request.user)
        objects = embedded_objects(content.get("objects", {}).values())
        found.revision_content = content
        found.revision_sections = [
            {
                **section,
                "body_source": section["body"],
                "body": embed_expand(section["body"], objects),
            }
            for section in sorted(content.get("sections", {}).values(), key=lambda s: s["order"])
        ]
        context = {"request": request, "concept": concept}
        return Response(self.Output(found, context=context).data)


class ConceptDiffApi(APIView):
    """What changed between two revisions, item by item, as unified diffs."""

    permission_classes = [AllowAny]

    @extend_schema_serializer(component_name="ConceptDiff")
    class Output(serializers.Serializer):
        @extend_schema_serializer(component_name="ConceptDiffChange")
        class Change(serializers.Serializer):
            item = serializers.CharField()
            status = serializers.ChoiceField(choices=CHANGE_CHOICES)
            diff = serializers.CharField(help_text="difflib's unified diff of the item's lines.")

        concept = serializers.CharField()
        from_revision = serializers.CharField(source="from")
        to_revision = serializers.CharField(source="to")
        changes = Change(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", str, description="Older revision hash (default: the parent of `to`)."
            ),
            OpenApiParameter("to", str, description="Newer revision hash (default: newest)."),
            OpenApiParameter(
                "object",
                str,
                description="Only this object key's changes, "
                "e.g. equation:alignment/rlhf#reward-gap.",
            ),
        ],
        responses={
            200: Output,
            404: OpenApiResponse(description="No such concept or revision"),
        },
        summary="Per-object, per-line diff between two revisions of a concept",
    )
    def get(self, request, area: str, slug: str):
        concept = _concept_or_404(request, area, slug)
        newest = revision_list(concept=concept).first()
        if newest is None:
            raise NotFound(f"{concept.path} has no revisions yet.")
        new = _revision_or_404(concept, request.query_params.get("to") or newest.hash)
        old_hash = request.query_params.get("from") or new.parent_hash
        old_content = _revision_or_404(concept, old_hash).content if old_hash else {}
        item = request.query_params.get("object") or ""
        changes = content_diff(
            content_visible(old_content, user=request.user),
            content_visible(new.content, user=request.user),
            old_label=(old_hash or "")[:12] or "empty",
            new_label=new.hash[:12],
            only=[item_key_of_object(item)] if item else None,
        )
        data = {"concept": concept.key, "from": old_hash or "", "to": new.hash, "changes": changes}
        return Response(self.Output(data).data)
