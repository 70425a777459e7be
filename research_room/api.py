"""The research room over REST: one view per route, each scoped to the requesting learner.

Every query starts from the requesting user's own rows, so another learner's draft, prediction
or progress answers 404 and never shows up in a list, a filter, a search or an export.
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
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from learning_platform.pagination import Pagination

from . import selectors, services
from .annotations import AnnotationFileError, parse_annotation_file
from .models import (
    HINT_COUNT,
    LIST_ITEM_MAX,
    LIST_MAX_ITEMS,
    NEXT_ACTION_MAX,
    NOTE_MAX,
    PREDICTION_MAX,
    QUESTION_MAX,
    PracticePrediction,
    PracticeProgress,
    ResearchDraft,
)


class LearnerWriteThrottle(ScopedRateThrottle):
    """The "learner-writes" rate, counted on writes only: reading one's drafts is not throttled."""

    counts_reads = False  # the schema documents 429 on writes only

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class ResearchRoomApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [LearnerWriteThrottle]
    throttle_scope = "learner-writes"


def _text_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=LIST_ITEM_MAX),
        max_length=LIST_MAX_ITEMS,
        required=False,
        help_text=help_text,
    )


# Drafts ---------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ResearchDraft")
class DraftOutput(serializers.Serializer):
    # A plain Serializer: a ModelSerializer rebuilds its fields from the model on every request,
    # which costs more than the whole list query.
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    anchor = serializers.CharField(source="anchor_key")
    anchor_kind = serializers.CharField()
    anchor_concept = serializers.CharField(source="anchor_concept_key")
    anchor_title = serializers.CharField()
    anchor_url = serializers.SerializerMethodField(help_text="The anchored object, absolute.")
    anchor_version = serializers.CharField()
    anchor_revision = serializers.CharField(
        help_text="The concept revision it was written against."
    )
    question = serializers.CharField()
    note = serializers.CharField()
    next_action = serializers.CharField()
    evidence = serializers.ListField(child=serializers.CharField())
    resolution = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=ResearchDraft.Status.choices)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_url(self, draft: ResearchDraft) -> str:
        return _draft_url(draft, self.context["request"])

    def get_anchor_url(self, draft: ResearchDraft) -> str:
        return _absolute_anchor(draft, self.context["request"])


_TIME = serializers.DateTimeField()


def _draft_url(draft: ResearchDraft, request) -> str:
    return reverse("research-draft-detail", kwargs={"draft_id": draft.id}, request=request)


def _absolute_anchor(draft: ResearchDraft, request) -> str:
    """Drafts store the anchor's path; answers give it absolute, like every other url."""
    url = draft.anchor_url
    return request.build_absolute_uri(url) if url.startswith("/") else url


def draft_output(draft: ResearchDraft, request) -> dict:
    """DraftOutput's representation, built directly: the list is the research room's hot path
    and DRF's field machinery costs more than its query (tests pin the two as equal)."""
    return {
        "id": str(draft.id),
        "url": _draft_url(draft, request),
        "anchor": draft.anchor_key,
        "anchor_kind": draft.anchor_kind,
        "anchor_concept": draft.anchor_concept_key,
        "anchor_title": draft.anchor_title,
        "anchor_url": _absolute_anchor(draft, request),
        "anchor_version": draft.anchor_version,
        "anchor_revision": draft.anchor_revision,
        "question": draft.question,
        "note": draft.note,
        "next_action": draft.next_action,
        "evidence": list(draft.evidence),
        "resolution": list(draft.resolution),
        "status": draft.status,
        "created_at": _TIME.to_representation(draft.created_at),
        "updated_at": _TIME.to_representation(draft.updated_at),
    }


@extend_schema_serializer(component_name="ResearchDraftDetail")
class DraftDetailOutput(DraftOutput):
    anchor_changed = serializers.BooleanField(
        help_text="True when the anchored object is no longer the version the draft was written "
        "against (changed, or gone)."
    )
    anchor_resolves = serializers.BooleanField()
    anchor_current_version = serializers.CharField(allow_null=True)
    anchor_diff_url = serializers.CharField(
        allow_null=True, help_text="The anchored object's diff since the draft, if it changed."
    )
    handoff_url = serializers.SerializerMethodField()

    def get_handoff_url(self, draft: ResearchDraft) -> str:
        return self.get_url(draft) + "handoff/"


def _detail(draft: ResearchDraft, request, **resolved) -> dict:
    """The draft with its anchor state; `resolved=` the anchor a write has just resolved."""
    state = selectors.draft_anchor_state(draft=draft, user=request.user, **resolved)
    for name, value in state.to_dict().items():
        setattr(draft, name, value)
    return DraftDetailOutput(draft, context={"request": request}).data


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
        evidence = _text_list("Evidence to inspect; filled from the object when omitted.")
        resolution = _text_list("What would resolve it; the page's three checks when omitted.")
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
        evidence = _text_list("Evidence to inspect.")
        resolution = _text_list("What would resolve it.")
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


# Practice loop --------------------------------------------------------------------------------


def _concept(request, area: str, slug: str):
    concept = services.practice_concept_resolve(
        concept_key=f"concept:{area}/{slug}", user=request.user
    )
    if concept is None:
        raise Http404(f"No concept has the key concept:{area}/{slug}.")
    return concept


def _demo_run_url(request, run_id) -> str | None:
    return (
        reverse("demo-run-detail", kwargs={"run_id": run_id}, request=request) if run_id else None
    )


@extend_schema_serializer(component_name="PracticePrediction")
class PredictionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    concept = serializers.CharField(source="concept_key")
    demo_state = serializers.CharField(source="demo_state_key")
    text = serializers.CharField()
    gains_probability = serializers.IntegerField(allow_null=True)
    shift_changes_policy = serializers.BooleanField(allow_null=True)
    hints_used = serializers.IntegerField()
    committed_at = serializers.DateTimeField()
    revealed_at = serializers.DateTimeField(allow_null=True)
    demo_run = serializers.SerializerMethodField()

    def get_demo_run(self, prediction: PracticePrediction) -> str | None:
        return _demo_run_url(self.context["request"], prediction.demo_run_id)


@extend_schema_serializer(component_name="PracticeReadiness")
class ReadinessOutput(serializers.Serializer):
    checks = inline_serializer(
        "PracticeReadinessCheck",
        {
            "name": serializers.CharField(),
            "label": serializers.CharField(),
            "ready": serializers.BooleanField(),
        },
        many=True,
    )
    ready = serializers.IntegerField()
    total = serializers.IntegerField()
    label = serializers.CharField(help_text='e.g. "0/3 checks ready"')  # type: ignore[assignment]  # a declared field named label: DRF's metaclass moves it off the class, the stubs see it override Field.label


class PracticeStateApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeState")
    class Output(serializers.Serializer):
        concept = serializers.CharField()
        title = serializers.CharField()
        heading = serializers.CharField(help_text="The concept's Practice Loop heading.")
        prompt = serializers.CharField(help_text="What to predict before touching the demo.")
        demo_state = serializers.CharField(allow_null=True)
        prediction = PredictionOutput(allow_null=True)
        predictions = PredictionOutput(many=True)
        hints = inline_serializer(
            "PracticeHints",
            {
                "available": serializers.IntegerField(),
                "revealed": serializers.IntegerField(),
                "teasers": inline_serializer(
                    "PracticeHintTeaser",
                    {"number": serializers.IntegerField(), "teaser": serializers.CharField()},
                    many=True,
                    help_text="Every hint's teaser, revealed or not.",
                ),
                "items": inline_serializer(
                    "PracticeHintText",
                    {
                        "number": serializers.IntegerField(),
                        "teaser": serializers.CharField(),
                        "text": serializers.CharField(),
                    },
                    many=True,
                    help_text="The hints revealed so far.",
                ),
            },
        )
        readiness = ReadinessOutput()

    @extend_schema(responses=Output, summary="Your practice loop for a concept")
    def get(self, request, area: str, slug: str):
        state = selectors.practice_state(owner=request.user, concept=_concept(request, area, slug))
        return Response(self.Output(state, context={"request": request}).data)


def _demo_state(request, concept, key: str | None):
    if key:
        return services.practice_demo_state_resolve(
            concept=concept, demo_state=key, user=request.user
        )
    return selectors.practice_default_demo_state(concept=concept)


class PracticePredictionApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticePredictionCommit")
    class Input(serializers.Serializer):
        text = serializers.CharField(max_length=PREDICTION_MAX)
        demo_state = serializers.CharField(
            max_length=300,
            required=False,
            help_text="A demo-state key of this concept; the concept's default state if omitted.",
        )
        gains_probability = serializers.IntegerField(
            min_value=0,
            max_value=999,
            required=False,
            allow_null=True,
            help_text="The candidate index expected to gain the most probability over π_ref.",
        )
        shift_changes_policy = serializers.BooleanField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Whether adding a constant to every reward changes the policy.",
        )

    @extend_schema(
        request=Input,
        responses={
            201: PredictionOutput,
            409: OpenApiResponse(description="Already committed: predictions are immutable"),
        },
        summary="Commit a prediction before the result is revealed",
    )
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        demo_state = _demo_state(request, concept, values.pop("demo_state", None))
        try:
            prediction = services.practice_prediction_commit(
                owner=request.user, concept=concept, demo_state=demo_state, **values
            )
        except services.PracticeRuleError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            PredictionOutput(prediction, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class PracticeRevealApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeRevealChoice")
    class Input(serializers.Serializer):
        demo_state = serializers.CharField(max_length=300, required=False)

    @extend_schema_serializer(component_name="PracticeReveal")
    class Output(serializers.Serializer):
        prediction = PredictionOutput()
        status = serializers.CharField(help_text="The demo run's status.")
        run = serializers.UUIDField()
        run_url = serializers.URLField()
        result = serializers.JSONField(allow_null=True)
        error = serializers.CharField(allow_blank=True, allow_null=True)
        comparison = serializers.DictField()

    @extend_schema(
        request=Input,
        responses={
            200: Output,
            202: OpenApiResponse(
                response=Output, description="The run is not finished: poll this endpoint again"
            ),
            409: OpenApiResponse(description="No prediction committed yet"),
        },
        summary="Reveal the demo's result beside your prediction",
    )
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        demo_state = _demo_state(request, concept, data.validated_data.get("demo_state"))
        if demo_state is None:
            raise ValidationError({"demo_state": [f"{concept.key} has no demo state to run."]})
        prediction = selectors.practice_prediction_get(
            owner=request.user, concept_key=concept.key, demo_state=demo_state
        )
        if prediction is None:
            return Response(
                {"detail": f"Commit a prediction for {demo_state.key} before the result is shown."},
                status=status.HTTP_409_CONFLICT,
            )
        outcome = services.practice_outcome_reveal(
            owner=request.user, prediction=prediction, demo_state=demo_state
        )
        run = outcome.run
        succeeded = run.status == "succeeded"
        body = {
            "prediction": PredictionOutput(outcome.prediction, context={"request": request}).data,
            "status": run.status,
            "run": run.id,
            "run_url": _demo_run_url(request, run.id),
            "result": run.result if succeeded else None,
            "error": getattr(run, "error", "") if run.status == "failed" else None,
            "comparison": selectors.prediction_comparison(
                prediction=outcome.prediction, result=run.result
            )
            if succeeded
            else {},
        }
        if not outcome.finished:
            return Response(
                body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["run_url"]}
            )
        return Response(body)


class PracticeHintRevealApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeHintChoice")
    class Input(serializers.Serializer):
        number = serializers.IntegerField(min_value=1, max_value=HINT_COUNT)

    @extend_schema_serializer(component_name="PracticeHintReveal")
    class Output(serializers.Serializer):
        number = serializers.IntegerField()
        teaser = serializers.CharField()
        text = serializers.CharField()
        hints_revealed = serializers.IntegerField()
        hints_available = serializers.IntegerField()

    @extend_schema(request=Input, responses=Output, summary="Reveal the next hint")
    def post(self, request, area: str, slug: str):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        hint, progress = services.practice_hint_reveal(
            owner=request.user, concept=concept, number=data.validated_data["number"]
        )
        available = selectors.practice_hint_count(concept_key=concept.key)
        return Response(
            self.Output(
                {
                    "number": hint.number,
                    "teaser": hint.teaser,
                    "text": hint.body,
                    "hints_revealed": progress.hints_revealed,
                    "hints_available": available,
                }
            ).data
        )


class PracticeReadinessApi(ResearchRoomApi):
    @extend_schema_serializer(component_name="PracticeReadinessUpdate")
    class Input(serializers.Serializer):
        states_mechanism = serializers.BooleanField(help_text=PracticeProgress.CHECKS[0][1])
        names_prerequisite = serializers.BooleanField(help_text=PracticeProgress.CHECKS[1][1])
        predicts_perturbation = serializers.BooleanField(help_text=PracticeProgress.CHECKS[2][1])

    @extend_schema(request=Input, responses=ReadinessOutput, summary="Set all readiness checks")
    def put(self, request, area: str, slug: str):
        return self._set(request, area, slug, partial=False)

    @extend_schema(request=Input, responses=ReadinessOutput, summary="Set some readiness checks")
    def patch(self, request, area: str, slug: str):
        return self._set(request, area, slug, partial=True)

    def _set(self, request, area: str, slug: str, *, partial: bool):
        concept = _concept(request, area, slug)
        data = self.Input(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        progress = services.practice_readiness_set(
            owner=request.user, concept=concept, checks=data.validated_data
        )
        return Response(ReadinessOutput(selectors.readiness_summary(progress)).data)
