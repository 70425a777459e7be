"""Revision endpoints: a concept's revisions, the page at one revision, and diffs between two."""

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..embeds import embed_expand, embedded_objects
from ..models import Concept, ConceptRevision
from ..revisions import (
    CHANGE_CHOICES,
    content_diff,
    content_visible,
    item_key_of_object,
    revision_get,
    revision_list,
)
from ..selectors import concept_diff_path
from .lookups import concept_or_404


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
        self.concept = concept_or_404(self.request, self.kwargs["area"], self.kwargs["slug"])
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
        concept = concept_or_404(request, area, slug)
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
        concept = concept_or_404(request, area, slug)
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
