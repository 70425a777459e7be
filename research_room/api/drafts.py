"""The research room's draft routes: list and create, read, rewrite and delete, and handoff.

Every query starts from the requesting user's own rows, so another learner's draft answers
404 and never shows up in a list, a filter or a search.
"""

import uuid

from django.db import transaction
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse

from learning_platform.pagination import Pagination

from .. import selectors, services
from ..models import NEXT_ACTION_MAX, NOTE_MAX, QUESTION_MAX, ResearchDraft
from .base import ResearchRoomApi
from .serializers import DraftDetailOutput, DraftOutput, draft_output, text_list


def _detail(draft: ResearchDraft, request, **resolved) -> dict:
    """The draft with its anchor state; `resolved=` the anchor a write has just resolved."""
    state = selectors.draft_anchor_state(draft=draft, user=request.user, **resolved).to_dict()
    if state["anchor_diff_url"] is not None:
        state["anchor_diff_url"] = request.build_absolute_uri(state["anchor_diff_url"])
    handoff = reverse("research-draft-handoff", kwargs={"draft_id": draft.id}, request=request)
    return {**draft_output(draft, request), **state, "handoff_url": handoff}


def _owned_draft(request, draft_id: str) -> ResearchDraft:
    try:
        draft_uuid = uuid.UUID(draft_id)
    except ValueError:
        raise Http404("No draft of yours has this id.") from None
    draft = selectors.draft_get_for_owner(owner=request.user, draft_id=draft_uuid)
    if draft is None:
        raise Http404("No draft of yours has this id.")
    return draft


DRAFT_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=ResearchDraft.Status.values),
    OpenApiParameter("anchor", str, description="Exact object key, e.g. concept:alignment/rlhf"),
    OpenApiParameter("anchor_kind", str, description="concept, section, equation, code, ..."),
    OpenApiParameter("concept", str, description="concept:<area>/<slug> or <area>/<slug>"),
    OpenApiParameter("search", str, description="Words in the question or the note"),
]


class DraftListApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="ResearchDraftCreate")
    class Input(serializers.Serializer):
        anchor = serializers.CharField(max_length=300, help_text="An object key that resolves.")
        question = serializers.CharField(
            max_length=QUESTION_MAX,
            required=False,
            help_text="Left out: the anchored concept's question (for an object, its concept's).",
        )
        note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)
        next_action = serializers.CharField(
            max_length=NEXT_ACTION_MAX, required=False, allow_blank=True
        )
        evidence = text_list("Evidence to inspect; filled from the object when omitted.")
        resolution = text_list("What would resolve it; the page's three checks when omitted.")
        status = serializers.ChoiceField(choices=ResearchDraft.Status.choices, required=False)

    @extend_schema(
        parameters=[
            *DRAFT_FILTER_PARAMETERS,
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses={
            200: inline_serializer(
                "PaginatedResearchDraftList",
                {
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": DraftOutput(many=True),
                },
            ),
            400: OpenApiResponse(description="A filter value that is not one of its choices"),
        },
        summary="Your drafts, newest first",
    )
    def get(self, request):
        drafts = selectors.draft_list_for_owner(owner=request.user, filters=request.query_params)
        paginator = Pagination()
        page = paginator.paginate_queryset(drafts, request, view=self)
        assert page is not None  # Pagination sets a page_size, so it always answers a page
        return paginator.get_paginated_response([draft_output(d, request) for d in page])

    @extend_schema(
        request=Input,
        responses={201: DraftDetailOutput, 400: OpenApiResponse(description="Per-field errors")},
        summary="Save a draft anchored to an object",
    )
    def post(self, request):
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        # Read back inside the write's transaction: a database lost before the answer is built
        # rolls the draft back, so a 503 never leaves a saved draft behind.
        with transaction.atomic():
            # Resolved once, as this learner may see it: validation, the stored anchor, the
            # prefilled evidence and the answer's anchor state all use this one object.
            resolved = services.anchor_resolve(
                key=data.validated_data["anchor"], user=request.user, with_context=False
            )
            draft = services.draft_create(
                owner=request.user, resolved=resolved, **data.validated_data
            )
            body = _detail(draft, request, resolved=resolved)
        return Response(body, status=status.HTTP_201_CREATED)


DRAFT_ID = OpenApiParameter("draft_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema(parameters=[DRAFT_ID])
class DraftDetailApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="ResearchDraftUpdate")
    class Input(serializers.Serializer):
        anchor = serializers.CharField(
            max_length=300,
            help_text="Giving the anchor (even the same one) re-anchors the draft to the "
            "object's current version; leave it out to keep the stored one.",
        )
        question = serializers.CharField(max_length=QUESTION_MAX)
        note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True)
        next_action = serializers.CharField(
            max_length=NEXT_ACTION_MAX, required=False, allow_blank=True
        )
        evidence = text_list("Evidence to inspect.")
        resolution = text_list("What would resolve it.")
        status = serializers.ChoiceField(choices=ResearchDraft.Status.choices, required=False)

    @extend_schema(responses=DraftDetailOutput, summary="One of your drafts")
    def get(self, request, draft_id):
        return Response(_detail(_owned_draft(request, draft_id), request))

    @extend_schema(
        request=Input,
        responses=DraftDetailOutput,
        summary="Rewrite a draft and re-anchor it (fields left out are kept)",
    )
    def put(self, request, draft_id):
        return self._update(request, draft_id, partial=False)

    @extend_schema(request=Input, responses=DraftDetailOutput, summary="Change part of a draft")
    def patch(self, request, draft_id):
        return self._update(request, draft_id, partial=True)

    def _update(self, request, draft_id, *, partial: bool):
        draft = _owned_draft(request, draft_id)
        data = self.Input(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if "anchor" not in values:
            draft = services.draft_update(draft=draft, **values)
            return Response(_detail(draft, request))
        # Re-anchoring: the object is resolved once, for the write and for the answer.
        resolved = services.anchor_resolve(
            key=values["anchor"], user=request.user, with_context=False
        )
        draft = services.draft_update(draft=draft, resolved=resolved, **values)
        return Response(_detail(draft, request, resolved=resolved))

    @extend_schema(responses={204: None}, summary="Delete a draft")
    def delete(self, request, draft_id):
        services.draft_delete(draft=_owned_draft(request, draft_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=[DRAFT_ID])
class DraftHandoffApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="ResearchDraftHandoff")
    class Output(serializers.Serializer):
        draft = serializers.UUIDField()
        anchor = serializers.CharField()
        anchor_changed = serializers.BooleanField()
        anchor_resolves = serializers.BooleanField()
        anchor_version = serializers.CharField()
        anchor_current_version = serializers.CharField(allow_null=True)
        anchor_revision = serializers.CharField()
        anchor_diff_url = serializers.CharField(
            allow_null=True, help_text="The anchored object's diff since the draft, if it changed."
        )
        text = serializers.CharField()

    @extend_schema(responses=Output, summary="The grounded handoff text for a draft")
    def get(self, request, draft_id):
        draft = _owned_draft(request, draft_id)
        handoff = selectors.draft_handoff(draft=draft, user=request.user)
        return Response(self.Output(handoff).data)
