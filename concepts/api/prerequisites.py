"""Prerequisite endpoint: editors add an edge to the concept graph."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from learning_platform.permissions import IsEditor

from ..models import Concept
from ..selectors import concept_by_path, concept_get, concept_ref
from ..services import prerequisite_add
from .serializers import ConceptRefOutput


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
