"""Concept endpoints: the concept list, a concept's page and its learning path."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from learning_platform.caching import versioned_read
from learning_platform.pagination import LimitOffsetInput, limit_offset, limit_offset_links

from ..models import Concept
from ..rendering import page_rendered
from ..selectors import concept_get, concept_learning_path_page, concept_list, concept_ref
from .page import ConceptPageOutput, concept_payload
from .serializers import RENDER_PARAMETER, ConceptRefOutput, RenderInput


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
    Output = ConceptPageOutput

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
